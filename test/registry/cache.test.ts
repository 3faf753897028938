// The cached copy of a registry: the TTL, ETag/If-None-Match, registry:update and new content.
// Real HTTP on 127.0.0.1.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { nepho } from '../fixtures/cli.js';
import { serveRegistry } from '../fixtures/registry.js';
import { cacheDir, cached, etagOf, homeWith, searchJson, v1, v2 } from '../fixtures/registry-cache.js';

t.test('within the TTL no command asks the server; registry:update does; after the TTL the ETag is sent', async (t) => {
  const server = await serveRegistry(t, v1);
  const home = await homeWith(t, server.url, 'http:\n  timeout: 5\n  retries: 0\n');
  t.same(server.requests, [{ status: 200 }], 'registry:add fetched once, unconditionally');

  for (let i = 0; i < 2; i++) {
    const { r, hits } = await searchJson(home, 'web');
    t.equal(r.code, 0);
    t.equal(r.stderr, '');
    t.same(
      hits.map((h) => h.name),
      ['acme/web'],
    );
  }
  t.equal((await nepho(['cloudlet:describe', 'acme/web'], { home })).code, 0);
  t.equal(server.requests.length, 1, 'two searches and a describe within the TTL made no request');

  const update = await nepho(['registry:update'], { home });
  t.equal(update.code, 0, update.stderr);
  t.match(update.stdout, /^community\s+current\s+1$/m, 'update reports the registry current');
  t.match(update.stdout, /^builtin\s+/m);
  t.same(server.requests.slice(1), [{ ifNoneMatch: etagOf(v1), status: 304 }], 'registry:update asked now, with the ETag, within the TTL');
  const updateJson = JSON.parse((await nepho(['registry:update', '-o', 'json'], { home })).stdout);
  t.match(
    updateJson.find((s: { name: string }) => s.name === 'community'),
    { state: 'current', cloudlets: 1, error: null },
  );

  // The TTL runs out at once from here on.
  appendFileSync(join(home, 'config.yaml'), 'registry_ttl: 0\n');
  const metaBefore = JSON.parse(cached(home, 'meta.json'));
  const indexBefore = cached(home, 'index.bin');
  const requests = server.requests.length;
  const stale = await searchJson(home, 'web');
  t.same(
    stale.hits.map((h) => h.name),
    ['acme/web'],
  );
  t.equal(stale.r.stderr, '');
  t.same(server.requests.slice(requests), [{ ifNoneMatch: etagOf(v1), status: 304 }], 'an expired copy is revalidated with If-None-Match');
  t.equal(cached(home, 'index.bin'), indexBefore, 'a 304 keeps the cached index');
  const metaAfter = JSON.parse(cached(home, 'meta.json'));
  t.equal(metaAfter.etag, etagOf(v1));
  t.ok(metaAfter.checkedAt >= metaBefore.checkedAt, 'a 304 renews the copy');

  server.body = v2;
  const changed = await searchJson(home, 'web');
  t.same(
    changed.hits.map((h) => [h.name, h.version, h.summary]),
    [
      ['acme/web', '2.0.0', 'web server, now faster'],
      ['acme/webhooks', '1.0.0', 'hooks'],
    ],
    'new content is picked up',
  );
  t.same(server.requests.at(-1), { ifNoneMatch: etagOf(v1), status: 200 });
  t.equal(JSON.parse(cached(home, 'meta.json')).etag, etagOf(v2), 'the new ETag is kept');
  const list = JSON.parse((await nepho(['registry:list', '-o', 'json'], { home })).stdout);
  t.equal(list[1].count, 2, 'registry:list counts the new copy');

  await searchJson(home, 'web');
  t.same(server.requests.at(-1), { ifNoneMatch: etagOf(v2), status: 304 }, 'the next check sends the new ETag');
});

t.test('a copy checked "in the future" (clock moved back) is not fresh forever', async (t) => {
  const server = await serveRegistry(t, v1);
  const home = await homeWith(t, server.url, 'http:\n  timeout: 5\n  retries: 0\n');
  const metaPath = join(cacheDir(home), 'meta.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  writeFileSync(metaPath, JSON.stringify({ ...meta, checkedAt: Date.now() + 365 * 24 * 3600 * 1000 }));
  await searchJson(home, 'web');
  t.same(server.requests.at(-1), { ifNoneMatch: etagOf(v1), status: 304 }, 'it is revalidated');
});
