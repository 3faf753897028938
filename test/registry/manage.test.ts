// registry:add, registry:list and registry:remove against a real HTTP registry on 127.0.0.1,
// and the bad input each of them must refuse without touching config.yaml.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';
import { expectUserError, nepho, type RunResult } from '../fixtures/cli.js';
import { writeConfig } from '../fixtures/files.js';
import { freePort } from '../fixtures/http.js';
import { tempDir } from '../fixtures/paths.js';
import { fakeEntry, indexDoc, serveRegistry } from '../fixtures/registry.js';
import { CACHE_FILES, cacheDir } from '../fixtures/registry-cache.js';

const HTTP = 'http:\n  timeout: 5\n  retries: 0\n';

t.test('add fetches and validates, list shows builtin first then it, remove drops it and its cache', async (t) => {
  const server = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry({ summary: 'web things' }), 'acme/db': fakeEntry() }));
  const home = tempDir(t);
  writeConfig(home, HTTP);

  const add = await nepho(['registry:add', 'community', server.url], { home });
  t.equal(add.code, 0, add.stderr);
  t.match(add.stdout, /added registry 'community' with 2 cloudlet/);
  t.match(
    add.stderr,
    /^warning: registry 'community' is unsigned: whoever can change its index decides what nepho installs from it; pin its key with --key \(from its publisher\), or add it with --allow-unsigned to say this is intended\n$/,
    'one warning: the registry is unsigned',
  );
  t.same(
    server.requests.map((r) => r.status),
    [200],
    'the index was fetched before saving',
  );
  const config = parse(readFileSync(join(home, 'config.yaml'), 'utf8'));
  t.same(config.registries, [{ name: 'community', url: server.url }]);
  t.same(config.http, { timeout: 5, retries: 0 }, 'the settings already in config.yaml are kept');
  for (const file of CACHE_FILES) t.ok(existsSync(join(cacheDir(home, 'community'), file)), `cached ${file}`);

  const table = await nepho(['registry:list'], { home });
  t.equal(table.code, 0);
  const rows = table.stdout.trim().split('\n');
  t.match(rows[0], /^NAME\s+URL\s+CLOUDLETS\s+CHECKED\s+SIGNED$/);
  t.match(rows[1], /^builtin\s+file:\/\/\S+\/dist\/builtin\/index\.json\s/);
  t.match(rows[2], new RegExp(`^community\\s+${server.url.replace(/[.]/g, '\\.')}\\s+2\\s+\\d{4}-\\d\\d-\\d\\dT`));
  t.equal(rows.length, 3);

  const json = await nepho(['registry:list', '-o', 'json'], { home });
  t.equal(json.code, 0);
  const list = JSON.parse(json.stdout);
  t.same(
    list.map((r: { name: string }) => r.name),
    ['builtin', 'community'],
  );
  t.match(list[0], { name: 'builtin', builtin: true, signed: true, key: /^ed25519:/ });
  t.match(list[1], { name: 'community', url: server.url, builtin: false, count: 2, checkedAt: String, signed: false });

  const yaml = await nepho(['registry:list', '-o', 'yaml'], { home });
  t.equal(yaml.code, 0);
  t.same(parse(yaml.stdout), list, 'yaml and json carry the same data');

  const remove = await nepho(['registry:remove', 'community'], { home });
  t.equal(remove.code, 0, remove.stderr);
  t.match(remove.stdout, /removed registry 'community'/);
  t.same(parse(readFileSync(join(home, 'config.yaml'), 'utf8')).registries, []);
  t.notOk(existsSync(cacheDir(home, 'community')), 'its cache is gone');
  const after = await nepho(['registry:list', '-o', 'json'], { home });
  t.same(
    JSON.parse(after.stdout).map((r: { name: string }) => r.name),
    ['builtin'],
  );

  const search = await nepho(['cloudlet:search', 'acme', '-o', 'json'], { home });
  t.same(JSON.parse(search.stdout), [], 'its cloudlets are no longer found');
  t.equal(server.requests.length, 1, 'nothing asked the removed registry again');
});

t.test('the order of registries is kept: builtin, then the order they were added', async (t) => {
  const one = await serveRegistry(t, indexDoc({ 'a/one': fakeEntry() }));
  const two = await serveRegistry(t, indexDoc({ 'a/two': fakeEntry() }));
  const home = tempDir(t);
  writeConfig(home, HTTP);
  t.equal((await nepho(['registry:add', 'zeta', one.url], { home })).code, 0);
  t.equal((await nepho(['registry:add', 'alpha', two.url], { home })).code, 0);
  const list = JSON.parse((await nepho(['registry:list', '-o', 'json'], { home })).stdout);
  t.same(
    list.map((r: { name: string }) => r.name),
    ['builtin', 'zeta', 'alpha'],
  );
});

t.test('add refuses bad input with one line and leaves config.yaml as it was', async (t) => {
  const server = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry() }));
  const home = tempDir(t);
  writeConfig(home, HTTP);
  t.equal((await nepho(['registry:add', 'community', server.url], { home })).code, 0);
  // Hand-written keys nepho does not manage, to show a failed add rewrites nothing.
  const configPath = join(home, 'config.yaml');
  writeFileSync(configPath, `${readFileSync(configPath, 'utf8')}custom_key: keep me\n`);
  const before = readFileSync(configPath, 'utf8');
  const requestsBefore = server.requests.length;

  const cases: [string, string[], RegExp][] = [
    ['a duplicate name', ['community', server.url], /a registry named 'community' is already configured/],
    ['the name builtin', ['builtin', server.url], /'builtin' is the registry that ships with nepho/],
    ['an upper-case name', ['Community', server.url], /registry name 'Community' must be/],
    ['a name with a slash', ['a/b', server.url], /registry name 'a\/b' must be/],
    ['a name that climbs', ['../x', server.url], /registry name '\.\.\/x' must be/],
    ['a name with a space', ['my registry', server.url], /registry name 'my registry' must be/],
    ['an empty name', ['', server.url], /registry name '' must be/],
    ['a non-URL', ['other', 'not a url'], /registry URL 'not a url' is not a URL/],
    ['a URL without a scheme', ['other', 'example.org/index.json'], /'example\.org\/index\.json' is not a URL/],
    ['ftp://', ['other', 'ftp://example.org/index.json'], /'ftp:\/\/example\.org\/index\.json' must use https:\/\/, http:\/\/ or file:\/\//],
    ['ssh://', ['other', 'ssh://example.org/index.json'], /must use https:\/\/, http:\/\/ or file:\/\//],
    [
      'a missing file',
      ['other', pathToFileURL(join(home, 'nope', 'index.json')).toString()],
      /registry 'other': cannot read file:\/\/.*nope\/index\.json \(ENOENT\)/,
    ],
  ];
  for (const [what, args, pattern] of cases) {
    const r = await nepho(['registry:add', '--', ...args], { home });
    expectUserError(t, r, pattern, what);
    t.equal(r.stdout, '', `${what}: nothing on stdout`);
    t.equal(readFileSync(configPath, 'utf8'), before, `${what}: config.yaml untouched`);
    t.notOk(existsSync(cacheDir(home, 'other')), `${what}: nothing cached`);
  }
  t.equal(server.requests.length, requestsBefore, 'names and URLs are checked before anything is fetched');
});

t.test('a failed add in a fresh home creates no config.yaml', async (t) => {
  const home = tempDir(t);
  expectUserError(t, await nepho(['registry:add', 'other', 'ftp://example.org/index.json'], { home }), /must use https:\/\//, 'ftp in a fresh home');
  t.notOk(existsSync(join(home, 'config.yaml')), 'no config.yaml');
});

t.test('a file:// registry can be added, listed and searched', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'index.json'), indexDoc({ 'local/thing': fakeEntry({ summary: 'a local thing' }) }));
  const home = tempDir(t);
  const url = pathToFileURL(join(dir, 'index.json')).toString();
  const add = await nepho(['registry:add', 'mine', url], { home });
  t.equal(add.code, 0, add.stderr);
  t.match(add.stdout, /with 1 cloudlet/);
  const search = JSON.parse((await nepho(['cloudlet:search', 'thing', '-o', 'json'], { home })).stdout);
  t.same(search, [{ name: 'local/thing', version: '1.0.0', summary: 'a local thing', registry: 'mine' }]);
  // A file registry is re-read when it changes, whatever the TTL.
  writeFileSync(join(dir, 'index.json'), indexDoc({ 'local/thing': fakeEntry({ summary: 'changed' }, ['1.0.0', '1.1.0']) }));
  const again = JSON.parse((await nepho(['cloudlet:search', 'thing', '-o', 'json'], { home })).stdout);
  t.same(again, [{ name: 'local/thing', version: '1.1.0', summary: 'changed', registry: 'mine' }]);
});

t.test('remove refuses what it cannot remove', async (t) => {
  const home = tempDir(t);
  writeConfig(home, HTTP);
  const before = readFileSync(join(home, 'config.yaml'), 'utf8');
  expectUserError(t, await nepho(['registry:remove', 'nosuch'], { home }), /no registry named 'nosuch'/, 'an unknown name');
  expectUserError(t, await nepho(['registry:remove', 'builtin'], { home }), /'builtin' registry ships with nepho and cannot be removed/, 'builtin');
  t.equal(readFileSync(join(home, 'config.yaml'), 'utf8'), before, 'config.yaml untouched');
});

t.test('user:password in a registry URL is never printed, nor stored', async (t) => {
  const server = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry({ source: './web.git' }) }));
  const home = tempDir(t);
  writeConfig(home, 'registry_ttl: 0\nhttp:\n  timeout: 5\n  retries: 0\n');
  const secretUrl = server.url.replace('http://', 'http://alice:s3cret@');
  const noSecret = (r: RunResult, what: string) => {
    t.notMatch(r.stdout, /s3cret/, `${what}: not on stdout`);
    t.notMatch(r.stderr, /s3cret/, `${what}: not on stderr`);
  };

  const closed = `http://alice:s3cret@127.0.0.1:${await freePort()}/index.json`;
  const down = await nepho(['registry:add', 'down', closed], { home });
  expectUserError(t, down, /registry 'down': could not fetch http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/index\.json \(ECONNREFUSED\)/, 'a registry that is down');
  noSecret(down, 'add of a registry that is down');

  const ftp = await nepho(['registry:add', 'ftp', 'ftp://alice:s3cret@example.org/index.json'], { home });
  expectUserError(t, ftp, /must use https:\/\//, 'ftp with credentials');
  noSecret(ftp, 'ftp with credentials');

  const broken = await nepho(['registry:add', 'broken', 'http://alice:s3cret@example.org:notaport/index.json'], { home });
  expectUserError(t, broken, /is not a URL/, 'an unparseable URL with credentials');
  noSecret(broken, 'an unparseable URL with credentials');

  const add = await nepho(['registry:add', 'private', secretUrl], { home });
  t.equal(add.code, 0, add.stderr);
  noSecret(add, 'add');
  t.notMatch(readFileSync(join(home, 'config.yaml'), 'utf8'), /alice|s3cret/, 'config.yaml holds no credentials');
  t.match(
    add.stderr,
    /^warning: registry 'private': the user and password in the URL are used now but not saved; later fetches send those of ~\/\.netrc for 127\.0\.0\.1$/m,
  );

  for (const args of [['registry:list'], ['registry:update', '-o', 'json'], ['cloudlet:describe', 'acme/web']]) {
    const r = await nepho(args, { home });
    t.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    noSecret(r, args.join(' '));
  }
  const describedRun = await nepho(['cloudlet:describe', 'acme/web', '-o', 'json'], { home });
  noSecret(describedRun, 'describe -o json');
  const described = JSON.parse(describedRun.stdout);
  t.match(described.source, /^http:\/\/127\.0\.0\.1:\d+\/web\.git$/, 'the resolved source has no credentials: none were stored');

  server.fault = 'error500';
  const offline = await nepho(['cloudlet:search', 'web'], { home });
  t.equal(offline.code, 0);
  t.match(offline.stderr, /http:\/\/127\.0\.0\.1/);
  noSecret(offline, 'the offline warning');
  const update = await nepho(['registry:update'], { home });
  t.equal(update.code, 1);
  noSecret(update, 'a failed update');
});

t.test('a stale cache under the name (config.yaml edited by hand) does not stand in for a registry that is down', async (t) => {
  const server = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry() }));
  const home = tempDir(t);
  writeConfig(home, HTTP);
  t.equal((await nepho(['registry:add', 'community', server.url], { home })).code, 0);
  writeConfig(home, HTTP); // the registry is gone from config.yaml, its cache is not
  t.ok(existsSync(cacheDir(home, 'community')));
  await server.close();
  const again = await nepho(['registry:add', 'community', server.url], { home });
  expectUserError(t, again, /registry 'community': could not fetch .*\(ECONNREFUSED\)/, 'add while the server is down');
  t.equal(readFileSync(join(home, 'config.yaml'), 'utf8'), HTTP, 'config.yaml untouched');
});
