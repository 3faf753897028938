// The cache's format is in its folder's name (cache/registries-v3): what an
// earlier nepho left under another name (cache/registries: index.json,
// search.tsv and a meta file) is never read. The first command after an
// upgrade fetches each registry once into the new folder and removes the old
// one; from then on the new copy is used. A file of the right name but
// another format version is taken as damaged: rebuilt, never misread.
// A registry served over real HTTP on 127.0.0.1.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { nepho } from '../fixtures/cli.js';
import { fakeEntry, indexDoc, serveRegistry } from '../fixtures/registry.js';
import { cacheDir, etagOf, homeWith, searchJson } from '../fixtures/registry-cache.js';

const doc = indexDoc({ 'acme/web': fakeEntry({ summary: 'web server' }), 'acme/wiki': fakeEntry({ summary: 'a wiki' }) });

/** What an earlier nepho left: its folder, with a copy that lists a cloudlet the registry no longer does. */
function leaveOldCopy(home: string, url: string): string {
  const old = join(home, 'cache', 'registries', 'community');
  mkdirSync(old, { recursive: true });
  writeFileSync(join(old, 'index.json'), JSON.stringify({ apiVersion: 'nepho/v1', cloudlets: { 'acme/gone': fakeEntry({ summary: 'web gone' }) } }));
  writeFileSync(join(old, 'search.tsv'), 'acme/gone\t1.0.0\t\tweb gone\t\n');
  writeFileSync(join(old, 'meta.json'), JSON.stringify({ url, etag: etagOf(doc), checkedAt: Date.now(), count: 1 }));
  return old;
}

t.test('a copy in an earlier format is ignored: fetched once into the new folder, the old one removed', async (t) => {
  const server = await serveRegistry(t, doc);
  const home = await homeWith(t, server.url, 'http: {timeout: 5, retries: 0}\n');
  // As if the new folder were not there yet: the registry was added by an earlier nepho.
  rmSync(cacheDir(home), { recursive: true });
  const old = leaveOldCopy(home, server.url);
  const before = server.requests.length;

  const first = await searchJson(home, 'web');
  t.equal(first.r.code, 0, first.r.stderr);
  t.equal(first.r.stderr, '', 'no warning: an old cache is only a cache');
  t.same(
    first.hits.map((h) => h.name),
    ['acme/web'],
    'the registry as it is now, nothing from the old copy',
  );
  t.same(
    server.requests.slice(before).map((q) => q.ifNoneMatch),
    [undefined],
    'fetched once, whole: the old ETag is not sent',
  );
  t.notOk(existsSync(old), 'the old folder is removed');
  t.ok(existsSync(join(cacheDir(home), 'meta.json')), 'the new copy is complete');

  const again = await searchJson(home, 'wiki');
  t.same(
    again.hits.map((h) => h.name),
    ['acme/wiki'],
  );
  t.equal(server.requests.length, before + 1, 'within the TTL, no more requests');
});

t.test('a file of another format version under the current name is rebuilt once, never misread', async (t) => {
  const server = await serveRegistry(t, doc);
  const home = await homeWith(t, server.url, 'http: {timeout: 5, retries: 0}\n');
  for (const [file, rebuilt] of [
    ['search.bin', 'rebuilt from the cached index'],
    ['index.bin', 'fetching it again'],
  ] as const) {
    const path = join(cacheDir(home), file);
    const bytes = readFileSync(path);
    // The footer's magic names the container's version: a later (or earlier) one is not this nepho's.
    bytes.write('NEPHOCF4', bytes.length - 40, 'latin1');
    writeFileSync(path, bytes);
    const before = server.requests.length;
    const { r, hits } = await searchJson(home, 'web');
    t.equal(r.code, 0, r.stderr);
    t.same(
      hits.map((h) => h.name),
      ['acme/web'],
      `${file}: the right answer`,
    );
    t.match(r.stderr, new RegExp(`${file.replace('.', '\\.')}: not a cache file of this nepho.*\\); ${rebuilt}`), `${file}: said once`);
    t.equal(server.requests.length - before, file === 'index.bin' ? 1 : 0, `${file}: ${rebuilt}`);
    const again = await searchJson(home, 'web');
    t.equal(again.r.stderr, '', `${file}: quiet from then on`);
    t.equal(server.requests.length - before, file === 'index.bin' ? 1 : 0, `${file}: rebuilt once`);
  }
});

t.test('registry:update of an unchanged index (304, or the same document) indexes nothing again', async (t) => {
  const server = await serveRegistry(t, doc);
  const home = await homeWith(t, server.url, 'http: {timeout: 5, retries: 0}\n');
  const files = () => ['index.bin', 'search.bin'].map((f) => readFileSync(join(cacheDir(home), f)));
  const before = files();
  const update = await nepho(['registry:update', '-o', 'json'], { home });
  t.equal(update.code, 0, update.stderr);
  t.match(JSON.parse(update.stdout), [{ name: 'builtin' }, { name: 'community', state: 'current' }]);
  t.same(server.requests.at(-1), { ifNoneMatch: etagOf(doc), status: 304 }, 'asked with the ETag; not modified');
  t.same(files(), before, 'the files are untouched');

  // A server that sends no 304 (or a new ETag) but the same bytes: the digest says nothing changed.
  server.body = `${doc}`;
  const meta = JSON.parse(readFileSync(join(cacheDir(home), 'meta.json'), 'utf8'));
  writeFileSync(join(cacheDir(home), 'meta.json'), JSON.stringify({ ...meta, etag: '"stale"' }));
  const same = await nepho(['registry:update', '-o', 'json'], { home });
  t.equal(same.code, 0, same.stderr);
  t.match(JSON.parse(same.stdout), [{ name: 'builtin' }, { name: 'community', state: 'current' }], 'current, not fetched');
  t.equal(server.requests.at(-1)?.status, 200, 'the document was sent whole');
  t.same(files(), before, 'and not indexed again');
});
