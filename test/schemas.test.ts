// Machine-readable output: each command's `-o json` validated with ajv
// against its JSON Schema under schemas/, and in one naming style (camelCase
// keys, lists as arrays of objects). `-o yaml` is the same data.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { nepho } from './fixtures/cli.js';
import { ROOT, tempDir } from './fixtures/paths.js';
import { dump, followsSchema, sameAsYaml, SCHEMA_FILES } from './fixtures/schemas.js';
import { makeToken } from './fixtures/server.js';
import { cloudletFiles, installDevCloudlet, lintCleanFiles } from './fixtures/cloudlets.js';
import { writeFiles } from './fixtures/files.js';
import { git, makeCloudletRepo } from './fixtures/git.js';
import { homeWithRegistry, indexDoc, indexEntry } from './fixtures/registry.js';
import { standInFormation } from './fixtures/ssh.js';

const home = join(tempDir(t, 'nepho-schemas-'), 'home');
t.before(async () => {
  const installed = await nepho(['cloudlet:install', 'huit/static-site'], { home });
  if (installed.code !== 0) throw new Error(installed.stderr);
  await nepho(['parameter:set', 'InstanceType', 't3.small', '--cloudlet', 'static-site'], { home });
});

/** Each command that reports something, its arguments, and the schema its JSON follows. */
const CASES: [string[], string][] = [
  [['cloudlet:list'], 'cloudlet-list.json'],
  [['cloudlet:search', 'static'], 'cloudlet-search.json'],
  [['registry:list'], 'registry-list.json'],
  [['parameter:list'], 'parameter-list.json'],
  [['scenario:list', 'static-site'], 'scenario-list.json'],
  [['version'], 'version.json'],
  [['cloudlet:describe', 'huit/static-site'], 'cloudlet-describe.json'],
  [['cloudlet:verify'], 'cloudlet-verify.json'],
  [['scenario:describe', 'static-site'], 'scenario-describe.json'],
  [['registry:update'], 'registry-update.json'],
  [['formation:create', 'static-site', '--provider', 'vagrant', '--dry-run'], 'formation-plan.json'],
  [['parameter:get', 'InstanceType', '--cloudlet', 'static-site'], 'parameter-get.json'],
];

t.test('every schema is used by a test', async (t) => {
  const tests = readdirSync(join(ROOT, 'test'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => readFileSync(join(ROOT, 'test', f), 'utf8'))
    .join('\n');
  // formation.json is the shape the formation schemas refer to, not a command's.
  t.same(
    SCHEMA_FILES.filter((s) => s !== 'formation.json' && !tests.includes(`'${s}'`)),
    [],
    'each schema is named by a test under test/',
  );
});

for (const [args, schema] of CASES) {
  t.test(`${args.join(' ')} -o json follows schemas/${schema}`, async (t) => {
    const r = await nepho([...args, '-o', 'json'], { home });
    t.equal(r.code, 0, r.stderr);
    dump(args[0]!, r);
    const data = followsSchema(t, r, schema);
    if (Array.isArray(data)) t.ok(data.length > 0, 'something listed');
    sameAsYaml(t, await nepho([...args, '-o', 'yaml'], { home }), data);
  });
}

t.test('formation:ssh --print -o json follows schemas/ssh-print.json', async (t) => {
  const h = join(tempDir(t), 'home');
  const access = { ssh: { host: '{{outputs.Host}}', port: '{{outputs.Port}}', user: 'admin', bastion: '{{outputs.Bastion}}', bastion_port: '2222' } };
  standInFormation(h, 'web', { access, state: { outputs: { Host: '10.0.0.5', Port: '22', Bastion: 'bastion.example.org' } } });
  const r = await nepho(['formation:ssh', 'web', '--print', '-o', 'json'], { home: h });
  t.equal(r.code, 0, r.stderr);
  const data = followsSchema(t, r, 'ssh-print.json');
  t.match(data, { user: 'admin', host: '10.0.0.5', port: 22, bastion: { host: 'bastion.example.org', port: 2222 } });
});

t.test('cloudlet:lint -o json follows schemas/cloudlet-lint.json, also when it fails', async (t) => {
  const clean = await nepho(['cloudlet:lint', join(home, 'cloudlets', 'huit-static-site'), '-o', 'json'], { home });
  t.equal(clean.code, 0, clean.stderr);
  t.same(followsSchema(t, clean, 'cloudlet-lint.json'), []);
  const dir = join(tempDir(t), 'broken');
  writeFiles(dir, cloudletFiles('broken', '1.0.0', { 'scenarios/default.yaml': 'summary: s\nproviders:\n  cloudformation: {pattern: missing}\n' }));
  const broken = await nepho(['cloudlet:lint', dir, '-o', 'json'], { home });
  dump('cloudlet:lint', broken);
  t.equal(broken.code, 1, 'lint errors: exit 1, the findings as data first');
  t.match(followsSchema(t, broken, 'cloudlet-lint.json'), [{ severity: 'error', source: 'nepho' }]);
});

t.test('cloudlet:outdated and cloudlet:update -o json follow their schemas', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const { home, server } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  t.equal((await nepho(['cloudlet:install', 'acme/demo@^1.0'], { home })).code, 0);
  writeFiles(repo.dir, cloudletFiles('demo', '1.1.0'));
  git(repo.dir, 'add', '--all');
  git(repo.dir, 'commit', '--quiet', '-m', 'release 1.1.0');
  git(repo.dir, 'tag', 'v1.1.0');
  repo.commits['1.1.0'] = git(repo.dir, 'rev-parse', 'HEAD');
  server.body = indexDoc({ 'acme/demo': indexEntry(repo) });
  const outdated = await nepho(['cloudlet:outdated', '-o', 'json'], { home });
  dump('cloudlet:outdated', outdated);
  t.match(followsSchema(t, outdated, 'cloudlet-outdated.json'), [{ current: '1.0.0', wanted: '1.1.0' }]);
  sameAsYaml(t, await nepho(['cloudlet:outdated', '-o', 'yaml'], { home }), JSON.parse(outdated.stdout));
  const updated = await nepho(['cloudlet:update', '-o', 'json'], { home });
  dump('cloudlet:update', updated);
  t.match(followsSchema(t, updated, 'cloudlet-update.json'), [{ from: '1.0.0', to: '1.1.0', action: 'updated' }]);
});

t.test('remote:list and server:token:list -o json follow their schemas', async (t) => {
  const h = join(tempDir(t), 'home');
  const remotes = await nepho(['remote:list', '-o', 'json'], { home: h, env: { NEPHO_SERVER: 'http://127.0.0.1:9/' } });
  dump('remote:list', remotes);
  t.equal(remotes.code, 0, remotes.stderr);
  t.match(followsSchema(t, remotes, 'remote-list.json'), [{ inUse: true, source: 'environment' }]);
  await makeToken(h, 'deployer', 'operator');
  const tokens = await nepho(['server:token:list', '-o', 'json'], { home: h });
  dump('server:token:list', tokens);
  t.equal(tokens.code, 0, tokens.stderr);
  t.match(followsSchema(t, tokens, 'token-list.json'), [{ name: 'deployer', role: 'operator', revokedAt: null }]);
  t.notMatch(tokens.stdout, /nepho_|hash/i, 'never a token nor its hash');
});

t.test("scenario:describe -o json: the configuration's keys in camelCase, the names a cloudlet chose as written", async (t) => {
  const h = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, h, 'keys', {
    'scenarios/default.yaml': [
      'summary: keys of every style',
      'providers:',
      '  vagrant: {pattern: single, box_url: "https://boxes.example.org/b.box"}',
      'parameters:',
      '  site_title: {type: string, default: x}',
      'access:',
      '  ssh: {host: 10.0.0.5, bastion: b.example.org, bastion_port: 2222, bastion_user: jump}',
      '',
    ].join('\n'),
    'patterns/vagrant/single.rb': 'Vagrant.configure("2") do |config|\n  config.vm.box = "debian"\nend\n',
  });
  const r = await nepho(['scenario:describe', c.id, '-o', 'json'], { home: h });
  t.equal(r.code, 0, r.stderr);
  const d = followsSchema(t, r, 'scenario-describe.json');
  t.match(d.configuration, {
    providers: { vagrant: { pattern: 'single', boxUrl: 'https://boxes.example.org/b.box' } },
    parameters: { site_title: { type: 'string', default: 'x' } },
    access: { ssh: { bastionPort: 2222, bastionUser: 'jump' } },
  });
  const table = await nepho(['scenario:describe', c.id], { home: h });
  t.match(table.stdout, /bastion_port: 2222/, 'people read the configuration as they write it');
});

t.test('cloudlet:install, registry:add and registry:build -o json follow their schemas', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0', '1.1.0'], { files: (v) => lintCleanFiles('demo', v) });
  const { home, server } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  const installed = await nepho(['cloudlet:install', 'acme/demo', '-o', 'json'], { home });
  dump('cloudlet:install', installed);
  t.equal(installed.code, 0, installed.stderr);
  const cloudlet = followsSchema(t, installed, 'cloudlet-install.json');
  t.match(cloudlet, { name: 'acme/demo', version: '1.1.0', registry: 'test', action: 'installed', previous: null });
  const listed = JSON.parse((await nepho(['cloudlet:list', '-o', 'json'], { home })).stdout);
  const { action: _action, previous: _previous, ...asListed } = cloudlet;
  t.same(listed, [asListed], 'the same object as cloudlet:list shows');
  t.match(
    followsSchema(
      t,
      await nepho(['cloudlet:install', 'acme/demo', '-o', 'yaml'], { home }).then((r) => ({ ...r, stdout: JSON.stringify(parse(r.stdout)) })),
      'cloudlet-install.json',
    ),
    {
      action: 'unchanged',
    },
  );

  const added = await nepho(['registry:add', 'again', server.url, '-o', 'json'], { home });
  dump('registry:add', added);
  t.equal(added.code, 0, added.stderr);
  t.match(followsSchema(t, added, 'registry-add.json'), { name: 'again', url: server.url });

  const out = join(tempDir(t), 'public');
  const built = await nepho(['registry:build', repo.dir, '--owner', 'acme', '--out', out, '-o', 'json'], { home });
  dump('registry:build', built);
  t.equal(built.code, 0, built.stderr);
  t.match(followsSchema(t, built, 'registry-build.json'), {
    cloudlets: [{ name: 'acme/demo', versions: ['1.1.0', '1.0.0'] }],
    indexFile: join(out, 'index.json'),
    signedBy: null,
  });
  t.notMatch(built.stdout, /^acme\/demo: /m, 'no lines for people on stdout');
});
