// Signed registries end to end, over a real HTTP server on 127.0.0.1: keygen,
// build --sign, add --key, install; then each attack the signature is there for
// (a flipped byte, another key, no signature, an older index, a stale one, a key
// rotation and a forged one), each refused with one line, nothing installed and
// the cache and trust state exactly as they were.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { expectUserError, nepho, stderrLines, type RunResult } from '../fixtures/cli.js';
import { cloudletFiles, readInstallRecord } from '../fixtures/cloudlets.js';
import { writeConfig } from '../fixtures/files.js';
import { makeCloudletRepo } from '../fixtures/git.js';
import { ROOT, tempDir } from '../fixtures/paths.js';
import { indexEntry, serveRegistry, type RegistryServer } from '../fixtures/registry.js';
import { nextKeyBy, registryState, signedDoc, testKey, type TestKey } from '../fixtures/signed.js';
import { nextKeySignedBy, verifyBytes } from '../../src/registry/keys.js';

const HTTP = 'http: {timeout: 5, retries: 0}\n';
const FAR = '2099-01-01T00:00:00Z';

/** The one warning of a refusal: the registry, "index refused", why, and the copy kept. */
function refusalWarning(t: Tap, r: RunResult, why: RegExp, what: string): void {
  const lines = stderrLines(r.stderr);
  const refused = lines.warnings.filter((w) => /index refused/.test(w));
  t.equal(refused.length, 1, `${what}: one warning says the index was refused`);
  t.match(refused[0] ?? '', /^warning: registry 'test': index refused: /, `${what}: it names the registry`);
  t.match(refused[0] ?? '', why, `${what}: it says why`);
  t.match(refused[0] ?? '', /; using the copy from \d{4}-/, `${what}: the last good copy stays in use`);
  t.same(lines.stackFrames, [], `${what}: no stack trace`);
}
type Tap = typeof t;

/** A home with registry `test` (ttl 0: every command fetches) served by `server`, pinned to `key`. */
async function signedHome(t: Tap, server: RegistryServer, key: TestKey): Promise<string> {
  const home = join(tempDir(t), 'home');
  writeConfig(home, `${HTTP}registry_ttl: 0\n`);
  const add = await nepho(['registry:add', 'test', server.url, '--key', key.public], { home });
  t.equal(add.code, 0, `registry:add --key: ${add.stderr}`);
  t.equal(add.stderr, '', 'no warning for a signed registry');
  return home;
}

t.test('keygen, build --sign, add --key FILE, install: the install records the key, verify re-checks it, list shows it', async (t) => {
  const dir = tempDir(t);
  // registry:build publishes only what passes cloudlet:lint: the Vagrant pattern's Box is declared.
  const scenario =
    'summary: the default\nproviders:\n  vagrant: {pattern: single}\nprovisioner: {type: shell, script: provisioners/bootstrap.sh}\nparameters:\n  Box: {type: string, default: debian/bookworm64}\n';
  const repo = makeCloudletRepo(dir, 'demo', ['1.0.0'], { files: (v) => cloudletFiles('demo', v, { 'scenarios/default.yaml': scenario }) });
  const home = join(dir, 'home');
  writeConfig(home, HTTP);

  const keygen = await nepho(['registry:keygen', '--out', join(dir, 'keys')], { home });
  t.equal(keygen.code, 0, keygen.stderr);
  const pub = readFileSync(join(dir, 'keys', 'registry.pub'), 'utf8').trim();
  t.match(pub, /^ed25519:[A-Za-z0-9+/]{43}=$/, 'the public key is one line of text');
  t.match(keygen.stdout, `public key: ${pub}`);
  t.equal(statSync(join(dir, 'keys', 'registry.key')).mode & 0o777, 0o600, 'the private key is readable by its owner only');
  const before = readFileSync(join(dir, 'keys', 'registry.key'), 'utf8');
  expectUserError(
    t,
    await nepho(['registry:keygen', '--out', join(dir, 'keys')], { home }),
    /registry\.key already exists; a key is never overwritten/,
    'a second keygen into the same directory',
  );
  t.equal(readFileSync(join(dir, 'keys', 'registry.key'), 'utf8'), before, 'the key is untouched');
  t.equal((await nepho(['registry:keygen', '--out', join(dir, 'next')], { home })).code, 0);
  const nextPub = readFileSync(join(dir, 'next', 'registry.pub'), 'utf8').trim();

  const build = await nepho(
    [
      'registry:build',
      repo.dir,
      '--owner',
      'acme',
      '--out',
      join(dir, 'pub'),
      '--sign',
      join(dir, 'keys', 'registry.key'),
      '--next-key',
      join(dir, 'next', 'registry.pub'),
    ],
    { home },
  );
  t.equal(build.code, 0, build.stderr);
  t.match(build.stdout, `index.json.sig (signed with ${pub})`);
  const bytes = readFileSync(join(dir, 'pub', 'index.json'));
  const sig = readFileSync(join(dir, 'pub', 'index.json.sig'), 'utf8');
  t.ok(verifyBytes(bytes, sig, pub), 'index.json.sig is the signature of the exact bytes of index.json');
  const index = JSON.parse(bytes.toString('utf8'));
  t.same(Object.keys(index), ['apiVersion', 'generated', 'expires', 'nextKey', 'cloudlets'], 'the signing fields come before the cloudlets');
  t.equal(Date.parse(index.expires) - Date.parse(index.generated), 30 * 86_400_000, 'expires 30 days after generated by default');
  t.equal(index.nextKey.key, nextPub, 'the next key is announced');
  t.ok(nextKeySignedBy(index.nextKey, pub), 'signed with the current key');

  const server = await serveRegistry(t, bytes.toString('utf8'));
  server.sig = sig;
  const add = await nepho(['registry:add', 'acme', server.url, '--key', join(dir, 'keys', 'registry.pub')], { home });
  t.equal(add.code, 0, add.stderr);
  t.equal(add.stderr, '', 'no unsigned warning');
  t.match(add.stdout, `added registry 'acme' with 1 cloudlet(s), signed with ${pub}`);
  t.same(parse(readFileSync(join(home, 'config.yaml'), 'utf8')).registries, [{ name: 'acme', url: server.url, key: pub }], 'the key is pinned in config.yaml');

  const install = await nepho(['cloudlet:install', 'acme/demo'], { home });
  t.equal(install.code, 0, install.stderr);
  t.equal(readInstallRecord(home, 'acme-demo').verifiedBy, pub, 'the install records the key that verified its index');

  const list = JSON.parse((await nepho(['registry:list', '-o', 'json'], { home })).stdout);
  t.match(list[1], { name: 'acme', signed: true, key: pub, expires: index.expires });
  t.match((await nepho(['registry:list'], { home })).stdout, /^acme\s.*\syes \(ed25519:.{12}…\), expires \d{4}-/m, 'the table says it is signed');

  const verify = await nepho(['cloudlet:verify', '-o', 'json'], { home });
  t.equal(verify.code, 0, verify.stderr);
  t.match(JSON.parse(verify.stdout), [{ name: 'acme/demo', changes: [], provenance: { key: pub, standing: 'trusted' } }]);

  // The publisher moves to the next key; this build also carries the proof (the new key signed with the old one).
  const rebuild = await nepho(
    [
      'registry:build',
      repo.dir,
      '--owner',
      'acme',
      '--out',
      join(dir, 'pub2'),
      '--sign',
      join(dir, 'next', 'registry.key'),
      '--previous-key',
      join(dir, 'keys', 'registry.key'),
    ],
    { home },
  );
  t.equal(rebuild.code, 0, rebuild.stderr);
  server.body = readFileSync(join(dir, 'pub2', 'index.json'), 'utf8');
  server.sig = readFileSync(join(dir, 'pub2', 'index.json.sig'), 'utf8');
  const update = await nepho(['registry:update'], { home });
  t.equal(update.code, 0, update.stderr);
  t.match(update.stderr, /^warning: registry 'acme': now trusting its next key ed25519:/m, 'the move is told');
  const rotated = await nepho(['cloudlet:verify', '-o', 'json'], { home });
  t.equal(rotated.code, 0, rotated.stderr);
  t.match(
    JSON.parse(rotated.stdout),
    [{ name: 'acme/demo', provenance: { key: pub, standing: 'rotated' } }],
    'installed under the old key, which rotated to the one trusted now',
  );

  // Someone re-pins the registry to a key nobody rotated to: what was installed is no longer vouched for.
  const config = parse(readFileSync(join(home, 'config.yaml'), 'utf8'));
  config.registries[0].key = testKey().public;
  writeFileSync(join(home, 'config.yaml'), stringify(config));
  const untrusted = await nepho(['cloudlet:verify'], { home });
  expectUserError(
    t,
    untrusted,
    /^error: acme\/demo: registry 'acme' no longer trusts ed25519:.{12}…, the key that verified it$/,
    'verify after the key was replaced',
  );
  // Nor does the copy cached under the old key stand in for an index verified with the new one.
  expectUserError(
    t,
    await nepho(['registry:update'], { home }),
    /^error: registry 'acme': index refused: its signature does not verify with the registry's key ed25519:.{12}…$/,
    'an index signed with a key no longer pinned',
  );
  expectUserError(
    t,
    await nepho(['cloudlet:install', '--force', 'acme/demo'], { home }),
    /^error: unknown cloudlet 'acme\/demo': no registry lists it$/,
    'nothing installs from it',
  );
});

t.test('refused indexes: a flipped byte, another key, no signature, an older one; nothing installed, cache unchanged', async (t) => {
  const dir = tempDir(t);
  const repo = makeCloudletRepo(dir, 'demo', ['1.0.0', '2.0.0']);
  const key = testKey();
  const v1 = indexEntry(repo);
  (v1.versions as unknown[]).splice(1);
  const good = signedDoc({ 'acme/demo': v1 }, key, { generated: '2026-11-01T00:00:00Z', expires: FAR });
  const server = await serveRegistry(t, good.body);
  server.sig = good.sig;
  const home = await signedHome(t, server, key);
  const held = registryState(home);
  t.ok(
    Object.keys(held).some((f) => f.startsWith('trust/')),
    'the trust state is kept',
  );

  const newer = signedDoc({ 'acme/demo': indexEntry(repo) }, key, { generated: '2026-11-02T00:00:00Z', expires: FAR });
  const flipped = newer.body.replace('"2.0.0"', '"2.0.1"');
  t.equal(flipped.length, newer.body.length);
  const cases: [string, { body: string; sig?: string }, RegExp][] = [
    ['one flipped byte', { body: flipped, sig: newer.sig }, /its signature does not verify with the registry's key ed25519:/],
    ['another key', signedDoc({ 'acme/demo': indexEntry(repo) }, testKey(), { generated: '2026-11-02T00:00:00Z' }), /its signature does not verify/],
    ['no signature', { body: newer.body }, /its signature http:\/\/127\.0\.0\.1:\d+\/index\.json\.sig could not be fetched \(.*HTTP 404\)/],
    [
      'an older index (rollback)',
      signedDoc({ 'acme/demo': indexEntry(repo) }, key, { generated: '2026-10-01T00:00:00Z', expires: FAR }),
      /generated 2026-10-01T00:00:00Z, older than the one already verified \(2026-11-01T00:00:00Z\)/,
    ],
  ];
  for (const [what, served, why] of cases) {
    server.body = served.body;
    if (served.sig === undefined) delete server.sig;
    else server.sig = served.sig;
    const install = await nepho(['cloudlet:install', 'acme/demo@2.0.0'], { home });
    t.equal(install.code, 1, `${what}: install fails`);
    refusalWarning(t, install, why, what);
    t.match(
      install.stderr,
      /^error: acme\/demo has no version in range '2\.0\.0' \(registry 'test' lists 1\.0\.0\)$/m,
      `${what}: only the last good index was used`,
    );
    t.notOk(existsSync(join(home, 'cloudlets', 'acme-demo')), `${what}: nothing installed`);
    t.same(registryState(home), held, `${what}: cache and trust state unchanged`);

    const update = await nepho(['registry:update'], { home });
    expectUserError(
      t,
      update,
      new RegExp(`^error: registry 'test': index refused: ${why.source.replace(/^\^/, '')}.* \\(the previous copy is kept\\)$`),
      `${what}: registry:update`,
    );
    t.same(registryState(home), held, `${what}: still unchanged`);
  }

  server.body = newer.body;
  server.sig = newer.sig;
  const install = await nepho(['cloudlet:install', 'acme/demo@2.0.0'], { home });
  t.equal(install.code, 0, `the genuine newer index installs: ${install.stderr}`);
  t.equal(readInstallRecord(home, 'acme-demo').verifiedBy, key.public);
});

t.test('registry:add --key refuses an index that does not verify, and saves nothing', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const key = testKey();
  const doc = signedDoc({ 'acme/demo': indexEntry(repo) }, testKey(), { generated: '2026-11-01T00:00:00Z' });
  const server = await serveRegistry(t, doc.body);
  server.sig = doc.sig;
  const home = join(tempDir(t), 'home');
  writeConfig(home, HTTP);
  expectUserError(
    t,
    await nepho(['registry:add', 'test', server.url, '--key', key.public], { home }),
    /^error: registry 'test': index refused: its signature does not verify/,
    'signed with another key',
  );
  delete server.sig;
  expectUserError(
    t,
    await nepho(['registry:add', 'test', server.url, '--key', key.public], { home }),
    /^error: registry 'test': index refused: its signature .* could not be fetched/,
    'no signature',
  );
  t.same(parse(readFileSync(join(home, 'config.yaml'), 'utf8')).registries ?? [], [], 'nothing saved');
  t.same(registryState(home), {}, 'nothing cached, nothing trusted');

  expectUserError(
    t,
    await nepho(['registry:add', 'test', server.url, '--key', 'ed25519:nope'], { home }),
    /^error: --key 'ed25519:nope': not an Ed25519 public key/,
    'a malformed key',
  );
  const keys = tempDir(t);
  t.equal((await nepho(['registry:keygen', '--out', keys], { home })).code, 0);
  expectUserError(
    t,
    await nepho(['registry:add', 'test', server.url, '--key', join(keys, 'registry.key')], { home }),
    /^error: --key \S+registry\.key: is a private key$/,
    'a private key',
  );
  expectUserError(
    t,
    await nepho(['registry:add', 'test', server.url, '--key', key.public, '--allow-unsigned'], { home }),
    /--key and --allow-unsigned contradict each other/,
    'both',
  );
});

t.test('freeze: past expires, installs are refused and search warns naming the date', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const key = testKey();
  const stale = signedDoc({ 'acme/demo': indexEntry(repo, { summary: 'a frozen demo' }) }, key, {
    generated: '2020-01-01T00:00:00Z',
    expires: '2020-01-31T00:00:00Z',
  });
  const server = await serveRegistry(t, stale.body);
  server.sig = stale.sig;
  const home = await signedHome(t, server, key);

  const install = await nepho(['cloudlet:install', 'acme/demo'], { home });
  expectUserError(
    t,
    install,
    /^error: registry 'test': its index expired on 2020-01-31T00:00:00Z; installs from it are refused$/,
    'install from a frozen registry',
  );
  t.notOk(existsSync(join(home, 'cloudlets', 'acme-demo')), 'nothing installed');

  const search = await nepho(['cloudlet:search', 'frozen'], { home });
  t.equal(search.code, 0, search.stderr);
  t.match(search.stdout, /acme\/demo - a frozen demo/, 'search still works');
  t.match(
    search.stderr,
    /^warning: registry 'test': its index expired on 2020-01-31T00:00:00Z; results are shown, but installs from it are refused until it publishes a fresh one$/m,
  );

  const fresh = signedDoc({ 'acme/demo': indexEntry(repo) }, key, { generated: '2026-11-01T00:00:00Z', expires: FAR });
  server.body = fresh.body;
  server.sig = fresh.sig;
  t.equal((await nepho(['cloudlet:install', 'acme/demo'], { home })).code, 0, 'a fresh index lifts the freeze');
});

t.test('rotation: an announced next key is trusted once it signs; the old key is then refused, and a self-made rotation never counts', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const cloudlets = { 'acme/demo': indexEntry(repo) };
  const [a, b, c] = [testKey(), testKey(), testKey()];
  const first = signedDoc(cloudlets, a, { generated: '2026-11-01T00:00:00Z' });
  const server = await serveRegistry(t, first.body);
  server.sig = first.sig;
  const home = await signedHome(t, server, a);
  const trust = () => JSON.parse(readFileSync(join(home, 'trust', 'test.json'), 'utf8'));
  const serve = (doc: { body: string; sig: string }) => {
    server.body = doc.body;
    server.sig = doc.sig;
  };

  serve(signedDoc(cloudlets, a, { generated: '2026-11-02T00:00:00Z', nextKey: nextKeyBy(b, a) }));
  t.equal((await nepho(['registry:update'], { home })).code, 0, 'the announcement verifies');
  t.match(trust(), { key: a.public, next: b.public }, 'the next key is remembered, not yet trusted alone');

  serve(signedDoc(cloudlets, b, { generated: '2026-11-03T00:00:00Z' }));
  const moved = await nepho(['registry:update'], { home });
  t.equal(moved.code, 0, moved.stderr);
  t.match(moved.stderr, /^warning: registry 'test': now trusting its next key ed25519:.{12}… \(announced and signed by ed25519:.{12}…\)$/m);
  t.match(trust(), { key: b.public, retired: [a.public] });
  t.notOk('next' in trust());
  const install = await nepho(['cloudlet:install', 'acme/demo'], { home });
  t.equal(install.code, 0, install.stderr);
  t.equal(readInstallRecord(home, 'acme-demo').verifiedBy, b.public, 'the key that verified the index');

  const held = registryState(home);
  serve(signedDoc(cloudlets, a, { generated: '2026-11-04T00:00:00Z' }));
  expectUserError(t, await nepho(['registry:update'], { home }), /index refused: its signature does not verify with the registry's key/, 'the retired key');
  serve(signedDoc(cloudlets, c, { generated: '2026-11-04T00:00:00Z', nextKey: nextKeyBy(c, c) }));
  expectUserError(t, await nepho(['registry:update'], { home }), /index refused: its signature does not verify/, 'a key that vouches for itself');
  t.same(registryState(home), held, 'neither changed anything');
});

t.test('unsigned registries: one warning at add, silenced with --allow-unsigned and shown as such', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const server = await serveRegistry(t, JSON.stringify({ apiVersion: 'nepho/v1', cloudlets: { 'acme/demo': indexEntry(repo) } }));
  const home = join(tempDir(t), 'home');
  writeConfig(home, HTTP);
  const plain = await nepho(['registry:add', 'plain', server.url], { home });
  t.equal(plain.code, 0, plain.stderr);
  t.same(stderrLines(plain.stderr).warnings, [
    "warning: registry 'plain' is unsigned: whoever can change its index decides what nepho installs from it; pin its key with --key (from its publisher), or add it with --allow-unsigned to say this is intended",
  ]);
  const allowed = await nepho(['registry:add', 'allowed', server.url, '--allow-unsigned'], { home });
  t.equal(allowed.code, 0, allowed.stderr);
  t.equal(allowed.stderr, '', 'no warning');
  t.match(parse(readFileSync(join(home, 'config.yaml'), 'utf8')).registries, [{ name: 'plain' }, { name: 'allowed', allow_unsigned: true }]);
  t.match((await nepho(['registry:list'], { home })).stdout, /^allowed\s.*\sno \(allowed\)$/m);
  const install = await nepho(['cloudlet:install', 'acme/demo'], { home });
  t.equal(install.code, 0, `unsigned registries keep working: ${install.stderr}`);
  t.equal(stderrLines(install.stderr).warnings.length, 0, 'and say nothing after add');
  t.notOk('verifiedBy' in readInstallRecord(home, 'acme-demo'), 'no key to record');
});

t.test('the built-in registry ships signed with its key, and installs from it record that key', async (t) => {
  const pub = readFileSync(join(ROOT, 'dist', 'builtin', 'registry.pub'), 'utf8').trim();
  const bytes = readFileSync(join(ROOT, 'dist', 'builtin', 'index.json'));
  t.ok(verifyBytes(bytes, readFileSync(join(ROOT, 'dist', 'builtin', 'index.json.sig'), 'utf8'), pub), 'index.json.sig verifies with registry.pub');
  t.notOk(existsSync(join(ROOT, 'dist', 'builtin', 'registry.key')), 'no private key ships');
  const home = join(tempDir(t), 'home');
  const install = await nepho(['cloudlet:install', 'huit/static-site'], { home });
  t.equal(install.code, 0, install.stderr);
  t.equal(readInstallRecord(home, 'huit-static-site').verifiedBy, pub);
  const list = JSON.parse((await nepho(['registry:list', '-o', 'json'], { home })).stdout);
  t.match(list[0], { name: 'builtin', signed: true, key: pub });
});
