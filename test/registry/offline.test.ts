// Falling back to the cached copy of a registry when its server is down, failing, or serving
// something that is not an index; and a registry with no copy to fall back on. Real HTTP on 127.0.0.1.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { expectUserError, nepho, stderrLines, type RunResult } from '../fixtures/cli.js';
import { writeConfig } from '../fixtures/files.js';
import { freePort } from '../fixtures/http.js';
import { tempDir } from '../fixtures/paths.js';
import { serveRegistry, type Fault } from '../fixtures/registry.js';
import { CACHE_FILES, cached, etagOf, homeWith, searchJson, v1, v2 } from '../fixtures/registry-cache.js';

type Tap = Test;

/** A run that worked from the cached copy: exit 0 and exactly one warning line saying so. */
function usedCache(t: Tap, r: RunResult, reason: RegExp, what: string): void {
  t.equal(r.code, 0, `${what}: exit 0 (${r.stderr})`);
  const lines = stderrLines(r.stderr);
  t.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line on stderr`);
  t.equal(lines.warnings.length, 1, `${what}: it is a warning`);
  t.match(lines.warnings[0] ?? '', /^warning: registry 'community': /, `${what}: it names the registry`);
  t.match(lines.warnings[0] ?? '', reason, `${what}: it says what went wrong`);
  t.match(lines.warnings[0] ?? '', /; using the copy from \d{4}-\d\d-\d\dT[\d:.]+Z$/, `${what}: it says the cached copy is used`);
}

for (const [fault, reason] of [
  ['stopped', /could not fetch http:\/\/127\.0\.0\.1:\d+\/index\.json \(ECONNREFUSED\)/],
  ['error500', /answered HTTP 500/],
  ['reset', /\(ECONNRESET\)/],
  ['slow', /did not answer within 1s/],
] as ['stopped' | Fault, RegExp][]) {
  t.test(`offline fallback: a server that is ${fault}, with a cached copy`, async (t) => {
    const server = await serveRegistry(t, v1);
    const home = await homeWith(t, server.url, 'registry_ttl: 0\nhttp:\n  timeout: 5\n  retries: 0\n');
    // A short timeout only once the copy is cached, so that a busy machine cannot fail the add.
    const configPath = join(home, 'config.yaml');
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace('timeout: 5', 'timeout: 1'));
    const indexBefore = cached(home, 'index.bin');
    if (fault === 'stopped') await server.close();
    else server.fault = fault;

    const { r, hits } = await searchJson(home, 'web');
    usedCache(t, r, reason, `search (${fault})`);
    t.same(hits, [{ name: 'acme/web', version: '1.0.0', summary: 'web server', registry: 'community' }], 'the cached copy is searched');
    if (fault === 'stopped') {
      const table = await nepho(['cloudlet:search', 'web'], { home });
      usedCache(t, table, reason, `search table (${fault})`);
      t.match(table.stdout, /^acme\/web\s+- web server \(v1\.0\.0\)$/m);
      const describe = await nepho(['cloudlet:describe', 'acme/web'], { home });
      usedCache(t, describe, reason, `describe (${fault})`);
      t.match(describe.stdout, /^Name:\s+acme\/web$/m);
    }

    const update = await nepho(['registry:update'], { home });
    expectUserError(t, update, /^error: registry 'community': .*\(the previous copy is kept\)$/, `registry:update (${fault})`);
    t.match(update.stderr, reason);
    t.match(update.stdout, /^community\s+kept previous copy\s+1$/m, 'and says the previous copy is kept');
    t.equal(cached(home, 'index.bin'), indexBefore, 'the cached copy is untouched');

    if (fault === 'error500') {
      server.fault = 'none';
      const healed = await searchJson(home, 'web');
      t.equal(healed.r.stderr, '', 'once the server is back, no warning');
      t.same(server.requests.at(-1), { ifNoneMatch: etagOf(v1), status: 304 });
    }
  });
}

t.test('an index that turns invalid: a clear warning naming the registry, and the previous copy is kept', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '<html>\n<body>502 Bad Gateway</body></html>', /index is not valid JSON/],
    ['wrong apiVersion', JSON.stringify({ apiVersion: 'nepho/v2', cloudlets: {} }), /apiVersion is "nepho\/v2", expected "nepho\/v1"/],
    ['cloudlets not an object', JSON.stringify({ apiVersion: 'nepho/v1', cloudlets: 'none' }), /"cloudlets" is missing or not an object/],
  ];
  for (const [what, body, reason] of cases) {
    const server = await serveRegistry(t, v1);
    const home = await homeWith(t, server.url, 'registry_ttl: 0\nhttp:\n  timeout: 5\n  retries: 0\n');
    const before = CACHE_FILES.map((f) => cached(home, f));
    server.body = body;

    const { r, hits } = await searchJson(home, 'web');
    usedCache(t, r, reason, what);
    t.same(
      hits.map((h) => [h.name, h.summary]),
      [['acme/web', 'web server']],
      `${what}: the old content is still searched`,
    );
    t.same(
      CACHE_FILES.map((f) => cached(home, f)),
      before,
      `${what}: the cache is untouched`,
    );

    if (what !== 'not JSON') continue; // the rest is the same for every kind of invalid index
    const update = await nepho(['registry:update'], { home });
    expectUserError(t, update, new RegExp(`^error: registry 'community': .*${reason.source}.*\\(the previous copy is kept\\)$`), `${what}: registry:update`);
    t.same(
      CACHE_FILES.map((f) => cached(home, f)),
      before,
      `${what}: still untouched after update`,
    );

    server.body = v2;
    const fixed = await searchJson(home, 'web');
    t.equal(fixed.r.stderr, '', `${what}: a valid index again, no warning`);
    t.same(
      fixed.hits.map((h) => h.name),
      ['acme/web', 'acme/webhooks'],
      `${what}: and it is used`,
    );
  }
});

t.test('a configured registry that cannot be read and has no copy is named, and the rest is still searched', async (t) => {
  const home = tempDir(t);
  writeConfig(home, `registries:\n  - name: community\n    url: http://127.0.0.1:${await freePort()}/index.json\nhttp:\n  timeout: 1\n  retries: 0\n`);
  const r = await nepho(['cloudlet:search', 'mediawiki', '-o', 'json'], { home });
  t.equal(r.code, 0);
  t.same(
    JSON.parse(r.stdout).map((h: { name: string }) => h.name),
    ['huit/mediawiki'],
    'the built-in registry is still searched',
  );
  const lines = stderrLines(r.stderr);
  t.equal(lines.warnings.length, 1, r.stderr);
  t.match(lines.warnings[0] ?? '', /^warning: registry 'community': could not fetch .*\(ECONNREFUSED\); .*left out/);
  t.same(lines.other, []);

  const describe = await nepho(['cloudlet:describe', 'acme/web'], { home });
  expectUserError(t, describe, /unknown cloudlet 'acme\/web'/, 'describe of a name only the unreadable registry might list');
  t.match(describe.stderr, /^hint: these registries could not be read: 'community'/m);
});
