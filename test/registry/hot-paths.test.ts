// What the frequent commands skip, and that skipping never gives a stale
// answer: a file:// index is not read again while its stamp (inode, size,
// modification and change times) is the one recorded, and config.yaml's
// parse is reused only for exactly the same text.
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { nepho } from '../fixtures/cli.js';
import { writeConfig } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';
import { fakeEntry, indexDoc } from '../fixtures/registry.js';
import { cacheDir, searchJson } from '../fixtures/registry-cache.js';

const PARSED = (home: string) => join(home, 'cache', 'config-parsed.json');

t.test('a file:// index rewritten in place, same size and modification time, is read again', async (t) => {
  const home = tempDir(t);
  const index = join(tempDir(t), 'index.json');
  const before = indexDoc({ 'acme/web': fakeEntry({ summary: 'first text' }) });
  const after = indexDoc({ 'acme/web': fakeEntry({ summary: 'other text' }) });
  t.equal(after.length, before.length, 'the two documents have the same size');
  writeFileSync(index, before);
  // Whole seconds: a time set back is then exactly the one recorded.
  const stamp = new Date(1_700_000_000_000);
  utimesSync(index, stamp, stamp);
  const add = await nepho(['registry:add', 'community', pathToFileURL(index).toString()], { home });
  t.equal(add.code, 0, add.stderr);

  const first = await searchJson(home, 'web');
  t.same(
    first.hits.map((h) => h.summary),
    ['first text'],
  );
  const meta = readFileSync(join(cacheDir(home), 'meta.json'), 'utf8');
  t.match(JSON.parse(meta).file, { size: before.length }, 'the index file is stamped in the meta file');
  const again = await searchJson(home, 'web');
  t.same(
    again.hits.map((h) => h.summary),
    ['first text'],
  );
  t.equal(readFileSync(join(cacheDir(home), 'meta.json'), 'utf8'), meta, 'an unchanged file rewrites nothing');

  writeFileSync(index, after);
  utimesSync(index, stamp, stamp);
  t.equal(statSync(index).mtimeMs, stamp.getTime(), 'the modification time was set back');
  const changed = await searchJson(home, 'web');
  t.equal(changed.r.code, 0, changed.r.stderr);
  t.same(
    changed.hits.map((h) => h.summary),
    ['other text'],
    'the change time told the file apart: it was read again',
  );
});

t.test("config.yaml's parse is reused for the same text only", async (t) => {
  const home = tempDir(t);
  writeConfig(home, 'registry_ttl: 600\n');
  const first = await nepho(['cloudlet:search', 'nothing-matches-this'], { home });
  t.equal(first.code, 0, first.stderr);
  t.same(JSON.parse(readFileSync(PARSED(home), 'utf8')), { text: 'registry_ttl: 600\n', parsed: { registry_ttl: 600 } }, 'the parse is kept with its text');

  writeConfig(home, 'registry_ttl: -1\n');
  const bad = await nepho(['cloudlet:search', 'x'], { home });
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^error: .*config\.yaml: registry_ttl must be a number of seconds\n/, 'a changed file is parsed and checked again');

  writeConfig(home, 'registry_ttl: 60\n');
  writeFileSync(PARSED(home), JSON.stringify({ text: 'registry_ttl: 60\n', parsed: { registry_ttl: -5 } }));
  const forged = await nepho(['cloudlet:search', 'x'], { home });
  t.equal(forged.code, 1, 'what was kept is checked like the file itself');
  t.match(forged.stderr, /registry_ttl must be a number of seconds/);

  writeConfig(home, 'registry_ttl: .inf\n');
  const infinite = await nepho(['cloudlet:search', 'x'], { home });
  t.equal(infinite.code, 0, infinite.stderr);
  t.not(JSON.parse(readFileSync(PARSED(home), 'utf8')).text, 'registry_ttl: .inf\n', 'a parse JSON cannot hold is not kept');

  writeFileSync(PARSED(home), '{not json');
  writeConfig(home, 'registry_ttl: 5\n');
  const damaged = await nepho(['cloudlet:search', 'x'], { home });
  t.equal(damaged.code, 0, `a damaged parse file is parsed afresh: ${damaged.stderr}`);
  t.ok(existsSync(PARSED(home)));
  t.equal(JSON.parse(readFileSync(PARSED(home), 'utf8')).text, 'registry_ttl: 5\n', 'and written again');
});
