// Damaged local state: cached registry files and install records cut short,
// garbled or gone, as a full disk or a crash leaves them. What can be derived
// again is repaired on the next command, saying which file (an index is
// fetched again, a search file rebuilt from the cached index), and a damaged
// file never gives a wrong answer; an install record is never hidden:
// cloudlet:list shows it as damaged, exits 1, and its hint is a command that
// works (each test runs it).
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { expectUserError, type RunResult } from '../fixtures/cli.js';
import { cloudletFiles, installDevCloudlet } from '../fixtures/cloudlets.js';
import { writeConfig, writeFiles } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';
import { fakeEntry, indexDoc, serveRegistry } from '../fixtures/registry.js';
import { cacheDir } from '../fixtures/registry-cache.js';
import { runBounded } from '../fixtures/processes.js';

type Tap = typeof t;
const doc = indexDoc({ 'acme/web': fakeEntry({ summary: 'web server' }), 'acme/wiki': fakeEntry({ summary: 'a wiki' }) });

/** A home with the registry `community` added (cached for the default ten minutes), and its server. */
async function homeWithCache(t: Tap) {
  const server = await serveRegistry(t, doc);
  const home = tempDir(t);
  writeConfig(home, 'http:\n  retries: 0\n');
  const add = await runBounded(['registry:add', 'community', server.url], { home });
  t.equal(add.code, 0, add.stderr);
  const dir = cacheDir(home);
  const pristine = { index: readFileSync(join(dir, 'index.bin')), search: readFileSync(join(dir, 'search.bin')) };
  return { server, home, dir, pristine };
}

async function search(home: string, ...terms: string[]): Promise<{ r: RunResult; names: string[] }> {
  const r = await runBounded(['cloudlet:search', ...terms, '-o', 'json'], { home });
  const names = r.code === 0 ? (JSON.parse(r.stdout) as { name: string; registry: string }[]).filter((h) => h.registry === 'community').map((h) => h.name) : [];
  return { r, names };
}

/** Flip a byte in the middle of a file, keeping its size and footer: only the checksum of its block can tell. */
function garbleMiddle(path: string): void {
  const bytes = readFileSync(path);
  const at = Math.floor(bytes.length / 4);
  bytes[at] = bytes[at]! ^ 0x20;
  writeFileSync(path, bytes);
}

t.test('a truncated cached index is fetched again on the next command, saying so', async (t) => {
  const { server, home, dir, pristine } = await homeWithCache(t);
  truncateSync(join(dir, 'index.bin'), 100);
  const before = server.requests.length;
  const { r, names } = await search(home, 'wiki');
  t.equal(r.code, 0, r.stderr);
  t.same(names, ['acme/wiki'], 'found, from the repaired copy');
  t.match(
    r.stderr,
    new RegExp(`^warning: registry 'community': cached index damaged \\(${join(dir, 'index.bin')}: 100 bytes, \\d+ written\\); fetching it again$`, 'm'),
  );
  t.same(
    server.requests.slice(before).map((q) => q.ifNoneMatch),
    [undefined],
    'fetched whole, without the ETag of the damaged copy',
  );
  t.equal(readFileSync(join(dir, 'index.bin')).length, pristine.index.length, 'repaired');
  const again = await search(home, 'wiki');
  t.equal(again.r.stderr, '', 'and quiet from then on');
});

t.test('an index garbled in place (same size), whole or one block: fetched again, never a wrong answer', async (t) => {
  for (const damage of ['whole', 'one block'] as const) {
    const { server, home, dir, pristine } = await homeWithCache(t);
    if (damage === 'whole') writeFileSync(join(dir, 'index.bin'), Buffer.alloc(pristine.index.length, 'x'));
    else garbleMiddle(join(dir, 'index.bin'));
    const before = server.requests.length;
    const describe = await runBounded(['cloudlet:describe', 'acme/web', '-o', 'json'], { home });
    t.equal(describe.code, 0, `${damage}: ${describe.stderr}`);
    t.match(JSON.parse(describe.stdout), { name: 'acme/web', summary: 'web server' }, `${damage}: described from the copy fetched again`);
    t.match(
      describe.stderr,
      new RegExp(
        `^warning: registry 'community': cached index damaged \\(${join(dir, 'index.bin')}: ${
          damage === 'whole' ? 'not a cache file of this nepho' : 'the block at byte \\d+ does not match its checksum'
        }.*\\); fetching it again$`,
        'm',
      ),
    );
    t.same(
      server.requests.slice(before).map((q) => q.ifNoneMatch),
      [undefined],
      `${damage}: asked for whole`,
    );
    const again = await runBounded(['cloudlet:describe', 'acme/wiki'], { home });
    t.equal(again.code, 0, again.stderr);
    t.equal(again.stderr, '', `${damage}: quiet next time`);
  }
});

t.test('a search file truncated, missing or garbled in one block is rebuilt from the cached index, without the network', async (t) => {
  const { server, home, dir, pristine } = await homeWithCache(t);
  for (const damage of ['truncate', 'remove', 'one block'] as const) {
    if (damage === 'truncate') truncateSync(join(dir, 'search.bin'), 20);
    else if (damage === 'remove') rmSync(join(dir, 'search.bin'));
    else garbleMiddle(join(dir, 'search.bin'));
    const before = server.requests.length;
    const { r, names } = await search(home, 'web');
    t.equal(r.code, 0, r.stderr);
    t.same(names, ['acme/web'], `${damage}: found all the same`);
    const why = { truncate: '20 bytes, \\d+ written', remove: 'missing', 'one block': 'the block at byte \\d+ does not match its checksum' }[damage];
    t.match(
      r.stderr,
      new RegExp(`^warning: registry 'community': cached search file damaged \\(${join(dir, 'search.bin')}: ${why}\\); rebuilt from the cached index$`, 'm'),
    );
    t.equal(server.requests.length, before, `${damage}: no request to the registry`);
    t.same(readFileSync(join(dir, 'search.bin')), pristine.search, `${damage}: rebuilt as it was`);
    t.equal((await search(home, 'web')).r.stderr, '', `${damage}: quiet next time`);
  }
});

t.test('files of another copy (a crash between writing the files and the meta file) are not used together', async (t) => {
  const { server, home, dir } = await homeWithCache(t);
  const other = await homeWithCache(t);
  writeFileSync(join(dir, 'index.bin'), readFileSync(join(other.dir, 'index.bin')));
  const before = server.requests.length;
  const { r, names } = await search(home, 'web');
  t.equal(r.code, 0, r.stderr);
  t.same(names, ['acme/web']);
  t.match(r.stderr, /cached index damaged \(.*index\.bin: it belongs to another copy\); fetching it again/);
  t.equal(server.requests.length, before + 1, 'fetched again');
});

t.test('a garbled meta file: the copy is fetched again; with the server down, it is not used', async (t) => {
  const { server, home, dir } = await homeWithCache(t);
  writeFileSync(join(dir, 'meta.json'), '{"url": "http');
  const { r, names } = await search(home, 'web');
  t.equal(r.code, 0, r.stderr);
  t.same(names, ['acme/web']);
  t.match(r.stderr, new RegExp(`^warning: registry 'community': cached copy damaged \\(${join(dir, 'meta.json')}: not valid JSON\\); fetching it again$`, 'm'));

  truncateSync(join(dir, 'index.bin'), 10);
  server.fault = 'error500';
  const down = await search(home, 'web');
  t.equal(down.r.code, 0);
  t.same(down.names, [], 'a damaged copy is not used');
  t.match(down.r.stderr, /cached index damaged/);
  t.match(down.r.stderr, /registry 'community': .* answered HTTP 500; its cloudlets are left out/);
});

/** The hint line of a run, split into its commands (`nepho ...`, up to a comma). */
function hintCommands(t: Tap, r: RunResult): string[][] {
  const hint = /^hint: (.*)$/m.exec(r.stderr)?.[1] ?? '';
  const commands = hint.split('; ').map((part) => part.split(', then')[0]!.trim().split(' '));
  for (const c of commands) t.equal(c[0], 'nepho', `the hint is a nepho command: ${c.join(' ')}`);
  return commands.map((c) => c.slice(1));
}

t.test('a truncated install record: listed as damaged with its file, exit 1, and the hint removes it', async (t) => {
  const home = join(tempDir(t), 'home');
  const src = join(tempDir(t), 'app');
  writeFiles(src, cloudletFiles('app', '1.0.0'));
  t.equal((await runBounded(['cloudlet:install', src, '--as', 'acme-co/my-app'], { home })).code, 0);
  const other = join(tempDir(t), 'other');
  writeFiles(other, cloudletFiles('other', '2.0.0'));
  t.equal((await runBounded(['cloudlet:install', other], { home })).code, 0);
  const record = join(home, 'cloudlets', 'acme-co-my-app', '.nepho-install.json');
  truncateSync(record, 50);

  const list = await runBounded(['cloudlet:list'], { home });
  expectUserError(
    t,
    list,
    new RegExp(`^error: 1 installed cloudlet\\(s\\) with a damaged install record: ${record} \\(not valid JSON \\(50 bytes; truncated\\?\\)\\)$`),
    'list',
  );
  t.match(
    list.stdout,
    new RegExp(`├── acme-co-my-app \\(damaged: ${record}: not valid JSON \\(50 bytes; truncated\\?\\)\\)\\n└── local-other \\(v2\\.0\\.0\\)`),
    'the tree shows it, beside the good one',
  );
  const json = await runBounded(['cloudlet:list', '-o', 'json'], { home });
  t.equal(json.code, 1);
  t.match(JSON.parse(json.stdout), [
    { name: 'local/other', version: '2.0.0', damaged: null },
    { name: 'acme-co/my-app', version: null, path: join(home, 'cloudlets', 'acme-co-my-app'), damaged: `${record}: not valid JSON (50 bytes; truncated?)` },
  ]);
  const verify = await runBounded(['cloudlet:verify'], { home });
  t.equal(verify.code, 1, 'verify of everything fails');
  t.match(verify.stderr, /^error: cannot verify acme-co\/my-app \(.*\): the install record is damaged$/m, 'naming what it could not verify');

  const refused = await runBounded(['cloudlet:uninstall', 'acme-co/my-app', '--yes'], { home });
  expectUserError(
    t,
    refused,
    /^error: acme-co\/my-app: its install record is damaged \(.*\), so edits to its files cannot be checked$/,
    'uninstall without --force',
  );

  const [fix] = hintCommands(t, list);
  t.same(fix, ['cloudlet:uninstall', '--force', '--yes', 'acme-co/my-app'], 'the id still legible in the cut-short record, not a guess at the directory name');
  const run = await runBounded(fix!, { home });
  t.equal(run.code, 0, `the hint works: ${run.stderr}`);
  const after = await runBounded(['cloudlet:list', '-o', 'json'], { home });
  t.equal(after.code, 0, after.stderr);
  t.match(JSON.parse(after.stdout), [{ name: 'local/other' }]);
  t.equal((await runBounded(['cloudlet:install', src, '--as', 'acme-co/my-app'], { home })).code, 0, 'and it installs again');
});

t.test('a missing record, and one that names another cloudlet, are damaged too', async (t) => {
  const home = join(tempDir(t), 'home');
  for (const name of ['one', 'two']) {
    const src = join(tempDir(t), name);
    writeFiles(src, cloudletFiles(name, '1.0.0'));
    t.equal((await runBounded(['cloudlet:install', src], { home })).code, 0);
  }
  rmSync(join(home, 'cloudlets', 'local-one', '.nepho-install.json'));
  const two = join(home, 'cloudlets', 'local-two', '.nepho-install.json');
  writeFileSync(two, readFileSync(two, 'utf8').replace('"local/two"', '"local/one"'));
  const list = await runBounded(['cloudlet:list'], { home });
  t.equal(list.code, 1);
  t.match(list.stdout, /local-one \(damaged: .*local-one\/\.nepho-install\.json: missing\)/);
  t.match(list.stdout, /local-two \(damaged: .*local-two\/\.nepho-install\.json: names "local\/one", which is not installed here\)/);
  for (const fix of hintCommands(t, list)) t.equal((await runBounded(fix, { home })).code, 0, `${fix.join(' ')} works`);
  const after = await runBounded(['cloudlet:list', '-o', 'json'], { home });
  t.equal(after.code, 0);
  t.same(JSON.parse(after.stdout), []);
});

t.test('a develop link whose record is truncated: the hint links it again, rewriting the record', async (t) => {
  const home = join(tempDir(t), 'home');
  const dev = await installDevCloudlet(t, home, 'tool');
  const record = join(home, 'cloudlets', '.develop', 'local-tool.json');
  truncateSync(record, 30);
  const list = await runBounded(['cloudlet:list'], { home });
  expectUserError(t, list, new RegExp(`with a damaged install record: ${record} \\(not valid JSON`), 'list');
  const [fix] = hintCommands(t, list);
  t.same(fix, ['cloudlet:install', '--develop', dev.dir, '--as', 'local/tool']);
  t.equal((await runBounded(fix!, { home })).code, 0, 'the hint works');
  const after = await runBounded(['cloudlet:list', '-o', 'json'], { home });
  t.equal(after.code, 0, after.stderr);
  t.match(JSON.parse(after.stdout), [{ name: 'local/tool', develop: true, source: dev.dir, damaged: null }]);
});

t.test("a garbled byte among a search file's record offsets is caught when a few records are looked up alone", async (t) => {
  // A rare term's hits read their records' offsets one at a time (SPARSE_LOOKUPS in
  // src/registry/search-index.ts) instead of the whole section: the block they lie in is checked all the same.
  const { server, home, dir, pristine } = await homeWithCache(t);
  const file = join(dir, 'search.bin');
  const bytes = readFileSync(file);
  const footer = bytes.subarray(bytes.length - 40);
  const dataLength = footer.readUInt32LE(24) + footer.readUInt32LE(28) * 2 ** 32;
  const directoryLength = footer.readUInt32LE(32);
  const directory = JSON.parse(bytes.toString('utf8', bytes.length - 40 - directoryLength, bytes.length - 40)) as {
    sections: Record<string, [number, number]>;
  };
  t.ok(directory.sections.doff![1] > 4 && directory.sections.doff![0] + directory.sections.doff![1] <= dataLength, 'the display offsets are a section');
  // The start of the second record (acme/wiki): an offset that still lies inside the section, so only the checksum tells.
  bytes[directory.sections.doff![0] + 4] = bytes[directory.sections.doff![0] + 4]! ^ 0x01;
  writeFileSync(file, bytes);
  const before = server.requests.length;
  const { r, names } = await search(home, 'wiki');
  t.equal(r.code, 0, r.stderr);
  t.same(names, ['acme/wiki'], 'the right hit, from the rebuilt file');
  t.match(r.stderr, /cached search file damaged \(.*: the block at byte \d+ does not match its checksum\); rebuilt from the cached index$/m);
  t.equal(server.requests.length, before, 'no request to the registry');
  t.same(readFileSync(file), pristine.search, 'rebuilt as it was');
});
