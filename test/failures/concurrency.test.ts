// Several nepho processes changing config.yaml at once: each change is a
// locked read-modify-write, so every one of them is there afterwards, none
// lost to another process writing back what it read before. Real processes
// started together, real registries over HTTP on 127.0.0.1.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { writeConfig } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';
import { fakeEntry, indexDoc, serveRegistry } from '../fixtures/registry.js';
import { runBounded } from '../fixtures/processes.js';

const N = 8;

t.test(`${N} registry:add at once: all ${N} registries are saved`, async (t) => {
  const server = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry() }));
  const home = tempDir(t);
  writeConfig(home, '# my settings\nregistry_ttl: 0\n');
  const runs = await Promise.all(Array.from({ length: N }, (_, i) => runBounded(['registry:add', `r${i}`, server.url], { home })));
  runs.forEach((r, i) => t.equal(r.code, 0, `registry:add r${i}: ${r.stderr}`));
  const config = parse(readFileSync(join(home, 'config.yaml'), 'utf8'));
  t.same(config.registries.map((r: { name: string }) => r.name).sort(), Array.from({ length: N }, (_, i) => `r${i}`).sort(), 'every registry is there');
  t.equal(config.registry_ttl, 0, 'and the rest of the file is kept');
  const list = await runBounded(['registry:list', '-o', 'json'], { home });
  t.equal(JSON.parse(list.stdout).length, N + 1, 'registry:list shows them all (and the built-in one)');
});

t.test('registry:add, registry:remove and parameter:set at once: no change is lost', async (t) => {
  const server = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry() }));
  const home = tempDir(t);
  writeConfig(home, `registries:\n  - {name: old1, url: "${server.url}"}\n  - {name: old2, url: "${server.url}"}\n`);
  const runs = await Promise.all([
    runBounded(['registry:add', 'new1', server.url], { home }),
    runBounded(['registry:remove', 'old1'], { home }),
    runBounded(['registry:add', 'new2', server.url], { home }),
    runBounded(['registry:remove', 'old2'], { home }),
    ...Array.from({ length: 4 }, (_, i) => runBounded(['parameter:set', `Key${i}`, `value${i}`], { home })),
  ]);
  for (const r of runs) t.equal(r.code, 0, r.stderr);
  const config = parse(readFileSync(join(home, 'config.yaml'), 'utf8'));
  t.same(config.registries.map((r: { name: string }) => r.name).sort(), ['new1', 'new2']);
  t.same(config.parameters, { '*': { Key0: 'value0', Key1: 'value1', Key2: 'value2', Key3: 'value3' } });
});

t.test('two adds of one name at once: one succeeds, the other says it exists; one entry is saved', async (t) => {
  const server = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry() }));
  const home = tempDir(t);
  const runs = await Promise.all([0, 1].map(() => runBounded(['registry:add', 'same', server.url], { home })));
  t.same(runs.map((r) => r.code).sort(), [0, 1]);
  t.match(runs.find((r) => r.code === 1)!.stderr, /^error: a registry named 'same' is already configured$/m);
  t.equal(parse(readFileSync(join(home, 'config.yaml'), 'utf8')).registries.length, 1);
});

t.test('a config lock left by a process that died is taken over', async (t) => {
  const server = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry() }));
  const home = tempDir(t);
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => dead.on('exit', r));
  writeFileSync(
    join(home, 'config.yaml.lock'),
    JSON.stringify({ pid: dead.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z', operation: 'adding registry' }),
  );
  const r = await runBounded(['registry:add', 'after', server.url], { home });
  t.equal(r.code, 0, r.stderr);
  t.match(readFileSync(join(home, 'config.yaml'), 'utf8'), /name: after/);
});
