// cloudlet:create: a new cloudlet from templates/ that is a git
// repository with one commit, lints clean and dry-runs for both providers as
// it stands; bad names and non-empty directories are refused.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertUserError, nepho } from '../fixtures/cli.js';
import { filesContaining } from '../fixtures/files.js';
import { git } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';
import { realVagrantValidate } from '../fixtures/vagrant.js';
import { requireTool } from '../fixtures/tools.js';

t.test('create makes a git repository that lints and dry-runs for both providers', async (t) => {
  const home = tempDir(t, 'nepho-create-home-');
  const cwd = tempDir(t, 'nepho-create-cwd-');
  const r = await nepho(['cloudlet:create', 'my-app'], { home, cwd });
  t.equal(r.code, 0, r.stderr);
  const dir = join(cwd, 'my-app');
  for (const f of [
    'cloudlet.yaml',
    'scenarios/default.yaml',
    'patterns/aws/single-host.cf',
    'patterns/vagrant/single-host.rb',
    'provisioners/bootstrap.sh',
    'README.md',
  ]) {
    t.ok(existsSync(join(dir, f)), `${f} written`);
    t.match(r.stdout, f, `${f} listed`);
  }
  t.ok(statSync(join(dir, 'provisioners', 'bootstrap.sh')).mode & 0o100, 'bootstrap.sh is executable');
  t.match(git(dir, 'ls-files', '-s', 'provisioners/bootstrap.sh'), /^100755 /, 'and committed as executable');
  t.equal(git(dir, 'rev-list', '--count', 'HEAD').trim(), '1', 'one commit');
  t.equal(git(dir, 'status', '--porcelain').trim(), '', 'everything committed');
  for (const f of git(dir, 'ls-files').trim().split('\n')) t.notMatch(readFileSync(join(dir, f), 'utf8'), /__NAME__/, `no placeholder left in ${f}`);
  t.match(git(dir, 'show', 'HEAD:cloudlet.yaml'), /^name: my-app$/m, 'the name is filled in');

  const lint = await nepho(['cloudlet:lint', dir], { home, cwd });
  t.equal(lint.code, 0, lint.stdout + lint.stderr);
  t.match(lint.stdout, /^ok: /m);

  const install = await nepho(['cloudlet:install', dir], { home, cwd });
  t.equal(install.code, 0, install.stderr);
  // The scaffold's one parameter without a default is its secret, AppSecret.
  const missing = await nepho(['formation:create', 'local/my-app', '--provider', 'cloudformation', '--dry-run', '--no-input'], { home, cwd });
  assertUserError(t, missing, /missing parameter AppSecret /, 'the secret is asked for');
  const secret = '-p AppSecret=scaffolded-secret-value';
  const cfnOut = join(cwd, 'cfn-out');
  const cfn = await nepho(['formation:create', 'local/my-app', '--provider', 'cloudformation', '--dry-run', '--out', cfnOut, ...secret.split(' ')], {
    home,
    cwd,
  });
  t.equal(cfn.code, 0, cfn.stderr);
  t.match(cfn.stdout, /Dry run: nothing was created/);
  const sent = JSON.parse(readFileSync(join(cfnOut, 'template.json'), 'utf8'));
  t.match(
    sent.Resources.Instance.Properties.UserData,
    { 'Fn::Base64': { 'Fn::Join': ['', [String, { Ref: 'AppSecretSecret' }, String]] } },
    'the host reads the secret from Secrets Manager at boot, by its ARN',
  );
  t.same(
    sent.Resources.HostRole.Properties.Policies[0].PolicyDocument.Statement[0].Resource,
    { Ref: 'AppSecretSecret' },
    "the host's role may read that secret only",
  );
  const out = join(cwd, 'vagrant-out');
  const vagrant = await nepho(['formation:create', 'local/my-app', '--provider', 'vagrant', '--dry-run', '--out', out, ...secret.split(' ')], { home, cwd });
  t.equal(vagrant.code, 0, vagrant.stderr);
  t.ok(existsSync(join(out, 'Vagrantfile')), 'Vagrantfile rendered');
  t.match(
    readFileSync(join(out, 'Vagrantfile'), 'utf8'),
    /ENV\.fetch\('NEPHO_SECRET_AppSecret'/,
    'the Vagrantfile takes the secret from the environment of vagrant',
  );
  t.same(
    [...filesContaining(cfnOut, 'scaffolded-secret'), ...filesContaining(out, 'scaffolded-secret'), ...filesContaining(home, 'scaffolded-secret')],
    [],
    'the secret is written nowhere',
  );
  if (requireTool(t, 'vagrant')) {
    const v = realVagrantValidate(t, out);
    t.equal(v.code, 0, `the rendered Vagrantfile passes vagrant validate -p: ${v.output}`);
  }
});

t.test('create --directory writes there; an empty directory is fine', async (t) => {
  const home = tempDir(t, 'nepho-create-home-');
  const cwd = tempDir(t, 'nepho-create-cwd-');
  mkdirSync(join(cwd, 'empty'));
  const r = await nepho(['cloudlet:create', 'web', '--directory', 'empty'], { home, cwd });
  t.equal(r.code, 0, r.stderr);
  t.ok(existsSync(join(cwd, 'empty', 'cloudlet.yaml')));
  t.notOk(existsSync(join(cwd, 'web')));
});

t.test('create refuses a bad name and a non-empty directory, writing nothing', async (t) => {
  const home = tempDir(t, 'nepho-create-home-');
  const cwd = tempDir(t, 'nepho-create-cwd-');
  for (const bad of ['My_App', '-x', 'a/b', 'x'.repeat(64)]) {
    const r = await nepho(['cloudlet:create', '--', bad], { home, cwd });
    assertUserError(t, r, /is not a cloudlet name/, `refuses ${bad}`);
  }
  mkdirSync(join(cwd, 'busy'));
  writeFileSync(join(cwd, 'busy', 'keep.txt'), 'mine\n');
  const busy = await nepho(['cloudlet:create', 'busy'], { home, cwd });
  assertUserError(t, busy, /busy exists and is not empty/, 'refuses a non-empty directory');
  t.notOk(existsSync(join(cwd, 'busy', 'cloudlet.yaml')), 'nothing written into it');
  writeFileSync(join(cwd, 'afile'), 'x');
  assertUserError(t, await nepho(['cloudlet:create', 'ok', '--directory', 'afile'], { home, cwd }), /is not a directory/, 'refuses a file');
});
