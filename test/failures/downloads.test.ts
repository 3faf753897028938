// Hostile downloads, through the built CLI with its default settings: an index
// nested fifty million levels deep, a gzip bomb, an endless body, a flood of
// empty objects. Each is refused with one line naming the registry and what is
// wrong, exit 1, nothing saved or cached, and nepho's peak memory (its maximum
// resident set, as the kernel reports it to time(1)) stays under 300 MB.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { expectUserError } from '../fixtures/cli.js';
import { writeConfig } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';
import { fakeEntry, indexDoc, serveRegistry } from '../fixtures/registry.js';
import { serveHostile, type Hostile } from '../fixtures/hostile-servers.js';
import { runBounded } from '../fixtures/processes.js';
import { requireTool } from '../fixtures/tools.js';

/** The most memory nepho may take for any hostile download (README). */
const MAX_PEAK_KIB = 300 * 1024;
/** The default http.max_bytes. */
const CAP = 64 * 1024 * 1024;

const cases: [string, Hostile, RegExp][] = [
  ['50 MB of nested arrays', { kind: 'nested', depth: 25 * 1024 * 1024 }, /index refused: nested more than 256 levels deep \(at character 256\)$/],
  ['a gzip bomb of 1 GiB', { kind: 'bomb', mebibytes: 1024 }, new RegExp(`http://127\\.0\\.0\\.1:\\d+/index\\.json is larger than the ${CAP}-byte limit$`)],
  [
    'an endless body without Content-Length',
    { kind: 'endless', bytes: 1024 * 1024 * 1024 },
    new RegExp(`http://127\\.0\\.0\\.1:\\d+/index\\.json is larger than the ${CAP}-byte limit$`),
  ],
  [
    '60 MB of empty objects, valid JSON',
    { kind: 'flood', count: 20 * 1024 * 1024 },
    /index refused: holds \d+ objects and arrays and \d+ values, more than 64 MiB to read$/,
  ],
];

for (const [what, hostile, pattern] of cases) {
  t.test(`${what}: refused in bounded memory, nothing kept`, async (t) => {
    if (!requireTool(t, 'time')) return;
    const server = await serveHostile(t, hostile);
    const home = tempDir(t);
    writeConfig(home, 'registry_ttl: 0\n');
    const r = await runBounded(['registry:add', 'hostile', server.url], { home, measureMemory: true });
    t.notOk(r.killed, 'ended by itself');
    expectUserError(t, r, new RegExp(`^error: registry 'hostile': ${pattern.source}`), what);
    t.ok(r.peakKiB! < MAX_PEAK_KIB, `peak memory ${Math.round(r.peakKiB! / 1024)} MiB, under 300 MB`);
    t.equal(readFileSync(join(home, 'config.yaml'), 'utf8'), 'registry_ttl: 0\n', 'config.yaml untouched');
    t.notOk(existsSync(join(home, 'cache', 'registries-v3', 'hostile')), 'nothing cached');
    if (hostile.kind === 'endless') t.notOk(server.sent[0]!.finished, `the download stopped early (${server.sent[0]!.bytes} bytes sent)`);
    // The home is still usable: a good registry is added next.
    const good = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry() }));
    const next = await runBounded(['registry:add', 'good', good.url], { home });
    t.equal(next.code, 0, `a good registry is added next: ${next.stderr}`);
  });
}

t.test('nesting just under the limit is fine; one level more is refused', async (t) => {
  const home = tempDir(t);
  writeConfig(home, 'registry_ttl: 0\n');
  const deep = (levels: number) => JSON.stringify({ apiVersion: 'nepho/v1', cloudlets: {}, deep: JSON.parse('['.repeat(levels) + ']'.repeat(levels)) });
  // The document itself is one level: 255 arrays inside it make 256.
  const ok = await serveRegistry(t, deep(255));
  const fine = await runBounded(['registry:add', 'ok', ok.url], { home });
  t.equal(fine.code, 0, fine.stderr);
  const over = await serveRegistry(t, deep(256));
  expectUserError(
    t,
    await runBounded(['registry:add', 'over', over.url], { home }),
    /^error: registry 'over': index refused: nested more than 256 levels deep/,
    '257 levels',
  );
  // Brackets inside strings are text, not nesting.
  const text = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry({ summary: '['.repeat(10_000) }) }));
  t.equal((await runBounded(['registry:add', 'text', text.url], { home })).code, 0, 'brackets in a string do not count');
});
