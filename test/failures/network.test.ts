// Registry servers that misbehave on the wire: one that accepts and never
// answers, one that answers 304 to a request that named no copy, redirects
// that end badly. Time is made short with NEPHO_HTTP_TIMEOUT_MS (the
// per-try timeout; all tries together get twice that), so no test waits a
// minute; what is asserted is what nepho reports, never how long the test took.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { expectUserError } from '../fixtures/cli.js';
import { writeConfig } from '../fixtures/files.js';
import { serveSilence } from '../fixtures/git.js';
import { freePort } from '../fixtures/http.js';
import { tempDir } from '../fixtures/paths.js';
import { fakeEntry, indexDoc, serveRegistry } from '../fixtures/registry.js';
import { serveHostile } from '../fixtures/hostile-servers.js';
import { runBounded } from '../fixtures/processes.js';

const good = indexDoc({ 'acme/web': fakeEntry({ summary: 'web server' }) });

t.test('a stalled server: every try, and all of them together, end on time; the message says how long and how many', async (t) => {
  for (const retries of [2, 10]) {
    const silence = await serveSilence(t);
    const home = tempDir(t);
    writeConfig(home, `http:\n  retries: ${retries}\n`);
    const url = `http://127.0.0.1:${silence.port}/index.json`;
    const r = await runBounded(['registry:add', 'stalled', url], { home, env: { NEPHO_HTTP_TIMEOUT_MS: '400' }, killAfterMs: 30_000 });
    t.notOk(r.killed, 'ended by itself');
    expectUserError(
      t,
      r,
      /^error: registry 'stalled': http:\/\/127\.0\.0\.1:\d+\/index\.json did not answer within 0\.4s \(gave up after \d+ tries? in [\d.]+s\)$/,
      `retries ${retries}`,
    );
    const [, tries, spent] = /gave up after (\d+) tries? in ([\d.]+)s/.exec(r.stderr) ?? [];
    t.equal(Number(tries), silence.connections(), `retries ${retries}: the count of tries is the count of connections the server saw`);
    // The total deadline (twice the per-try timeout) cuts the tries short, however many retries are allowed.
    t.equal(Number(tries), 2, `retries ${retries}: the second try used up the rest of the total time`);
    t.ok(Number(spent) >= 0.4, `the time reported (${spent}s) is at least one full try`);
    t.notOk(existsSync(join(home, 'cache', 'registries-v3', 'stalled')), 'nothing cached');
  }
});

t.test('a stalled server with a cached copy: the copy is used, and registry:update says why it failed', async (t) => {
  const server = await serveRegistry(t, good);
  const home = tempDir(t);
  writeConfig(home, 'registry_ttl: 0\n');
  t.equal((await runBounded(['registry:add', 'community', server.url], { home })).code, 0);
  server.fault = 'hang';
  const env = { NEPHO_HTTP_TIMEOUT_MS: '300' };
  const search = await runBounded(['cloudlet:search', 'web', '-o', 'json'], { home, env, killAfterMs: 30_000 });
  t.equal(search.code, 0, search.stderr);
  t.match(search.stderr, /^warning: registry 'community': .* did not answer within 0\.3s \(gave up after 2 tries in [\d.]+s\); using the copy from /m);
  t.match(JSON.parse(search.stdout), [{ name: 'acme/web', registry: 'community' }]);
  const update = await runBounded(['registry:update'], { home, env, killAfterMs: 30_000 });
  expectUserError(t, update, /did not answer within 0\.3s \(gave up after 2 tries in [\d.]+s\) \(the previous copy is kept\)/, 'update');
  t.notMatch(readFileSync(join(home, 'config.yaml'), 'utf8'), /timeout/, 'the environment override is never saved');
});

t.test('NEPHO_HTTP_TIMEOUT_MS that is not a number is refused, naming it', async (t) => {
  const home = tempDir(t);
  expectUserError(
    t,
    await runBounded(['registry:update'], { home, env: { NEPHO_HTTP_TIMEOUT_MS: 'soon' } }),
    /^error: NEPHO_HTTP_TIMEOUT_MS 'soon' must be a number of milliseconds/,
    'not a number',
  );
});

t.test('304 to a request that named no copy is an error of the server, not "current"', async (t) => {
  // No copy yet: nothing to keep.
  const liar = await serveHostile(t, { kind: 'always-304' });
  const fresh = tempDir(t);
  writeConfig(fresh, 'registry_ttl: 0\n');
  const add = await runBounded(['registry:add', 'liar', liar.url], { home: fresh });
  expectUserError(
    t,
    add,
    /^error: registry 'liar': http:\/\/127\.0\.0\.1:\d+\/index\.json answered 304 Not Modified to a request that named no copy \(no If-None-Match\)$/,
    'add',
  );
  t.same(
    liar.requests.map((q) => q.ifNoneMatch),
    [undefined],
    'one request, which named no copy',
  );
  t.notOk(existsSync(join(fresh, 'cache', 'registries-v3', 'liar')), 'nothing cached');

  // A copy fetched from a server that sent no ETag: later requests name no copy, so a 304 cannot mean "yours is current".
  const plain = await serveHostile(t, { kind: 'plain', body: good });
  const home = tempDir(t);
  writeConfig(home, 'registry_ttl: 0\n');
  t.equal((await runBounded(['registry:add', 'community', plain.url], { home })).code, 0, 'added from a server without ETags');
  plain.index = { kind: 'always-304' };
  const search = await runBounded(['cloudlet:search', 'web', '-o', 'json'], { home });
  t.equal(search.code, 0, 'the search still runs');
  t.match(
    search.stderr,
    /^warning: registry 'community': .* answered 304 Not Modified to a request that named no copy \(no If-None-Match\); using the copy from /m,
    'warned, and the previous copy used',
  );
  const before = JSON.parse(readFileSync(join(home, 'cache', 'registries-v3', 'community', 'meta.json'), 'utf8'));
  const update = await runBounded(['registry:update', '-o', 'json'], { home });
  t.equal(update.code, 1, 'registry:update fails: the registry was not refreshed');
  t.match(JSON.parse(update.stdout), [{ name: 'builtin' }, { name: 'community', state: 'kept previous copy' }]);
  const after = JSON.parse(readFileSync(join(home, 'cache', 'registries-v3', 'community', 'meta.json'), 'utf8'));
  t.equal(after.checkedAt, before.checkedAt, 'the copy is not taken as confirmed current');
  t.ok(
    plain.requests.every((q) => q.ifNoneMatch === undefined),
    'no request named a copy',
  );
});

t.test('a redirect that fails names the URL it was redirected to', async (t) => {
  const home = tempDir(t);
  writeConfig(home, 'http:\n  retries: 0\n');
  const closed = await freePort();
  const server = await serveHostile(
    t,
    { kind: 'redirect', location: '/moved/index.json' },
    {
      '/moved/index.json': { kind: 'status', status: 404 },
      '/to-closed': { kind: 'redirect', location: `http://alice:s3cret@127.0.0.1:${closed}/elsewhere.json` },
      '/twice': { kind: 'redirect', location: '/moved/index.json' },
    },
  );
  const gone = await runBounded(['registry:add', 'moved', server.url], { home });
  expectUserError(
    t,
    gone,
    /^error: registry 'moved': http:\/\/127\.0\.0\.1:\d+\/moved\/index\.json \(redirected from http:\/\/127\.0\.0\.1:\d+\/index\.json\) answered HTTP 404$/,
    'redirected to a 404',
  );

  const refused = await runBounded(['registry:add', 'closed', `${server.origin}/to-closed`], { home });
  expectUserError(
    t,
    refused,
    new RegExp(
      `^error: registry 'closed': could not fetch http://\\*\\*\\*:\\*\\*\\*@127\\.0\\.0\\.1:${closed}/elsewhere\\.json \\(redirected from http://127\\.0\\.0\\.1:\\d+/to-closed\\) \\(ECONNREFUSED\\)$`,
    ),
    'redirected to a closed port',
  );
  t.notMatch(refused.stderr, /s3cret/, 'credentials in the Location are not printed');

  const twice = await runBounded(['registry:add', 'twice', `${server.origin}/twice`], { home });
  t.match(twice.stderr, /\/moved\/index\.json \(redirected from http:\/\/127\.0\.0\.1:\d+\/twice\) answered HTTP 404/, 'the last URL of the chain is named');
});
