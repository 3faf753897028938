// The vagrant provider through the built CLI. No hypervisor runs on these
// machines, so `vagrant up` cannot really run: these tests put a STAND-IN
// `vagrant` first on PATH (test/fixtures/vagrant/stand-in-vagrant.mjs) that
// replays output captured from the real vagrant 2.3.4, or crafted in its
// format where the real one cannot get that far (see CAPTURED.md). Its
// `validate` runs the REAL `vagrant validate -p`, so the Vagrantfiles nepho
// writes are still checked for real.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { expectUserError, stderrLines, nepho } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { filesContaining } from '../fixtures/files.js';
import { latestEntries, readJournal } from '../fixtures/nanny.js';
import { tempDir } from '../fixtures/paths.js';
import { realVagrantValidate, standInVagrant, type StandInVagrant } from '../fixtures/vagrant.js';

const SECRET = 'correct horse battery staple';

/** A home with the official huit/mediawiki installed from the built-in registry. */
async function mediawikiHome(t: Test): Promise<string> {
  const home = tempDir(t, 'nepho-vagrant-home-');
  const r = await nepho(['cloudlet:install', 'huit/mediawiki'], { home });
  t.equal(r.code, 0, `huit/mediawiki installs: ${r.stderr}`);
  return home;
}

/**
 * A failed create followed in the terminal: exit 1, one `error:` line that
 * says why, a hint, no stack (the nanny's progress lines come before it).
 */
function expectCreateError(t: Test, r: { code: number | null; stderr: string }, pattern: RegExp, hint: RegExp, what: string): void {
  const lines = stderrLines(r.stderr);
  t.equal(r.code, 1, `${what}: exit 1`);
  t.equal(lines.errors.length, 1, `${what}: one error line`);
  t.match(lines.errors[0] ?? '', pattern, `${what}: the error says why`);
  t.match(lines.hints[0] ?? '', hint, `${what}: the hint says what to do`);
  t.same(lines.stackFrames, [], `${what}: no stack trace`);
}

/** Run nepho with the stand-in vagrant first on PATH. */
function run(home: string, vagrant: StandInVagrant, args: string[], env: Record<string, string> = {}) {
  return nepho(args, { home, env: { ...vagrant.env, ...env } });
}

t.test('create, describe, ssh, list and destroy a vagrant formation (stand-in vagrant)', async (t) => {
  const home = await mediawikiHome(t);
  const vagrant = standInVagrant(t, 'ok');
  const dir = join(home, 'formations', 'wiki');
  const created = await run(home, vagrant, [
    'formation:create',
    'huit/mediawiki',
    '--provider',
    'vagrant',
    '--name',
    'wiki',
    '-p',
    `AdminPassword=${SECRET}`,
    '-p',
    `WikiName=Bob's "wiki" #{x}`,
    '--no-input',
  ]);
  t.equal(created.code, 0, `created: ${created.stderr}`);
  t.match(created.stdout, /created wiki .*\(running\)/);
  const last = latestEntries(readJournal(home, 'wiki')).at(-1) as Record<string, unknown>;
  t.match(last, { kind: 'end', operation: 'create', ok: true, status: 'running' }, 'the journal ends ok');
  t.match(
    latestEntries(readJournal(home, 'wiki'))[0],
    { kind: 'start', resources: ['default'] },
    'the start names the machine the Vagrantfile defines (the progress total)',
  );
  t.ok(
    latestEntries(readJournal(home, 'wiki')).some((e: any) => e.kind === 'event' && /Running provisioner: nepho-bootstrap/.test(e.event?.reason ?? '')),
    'vagrant ui lines became events',
  );

  const calls = vagrant.calls();
  t.same(
    calls.map((c) => c.args),
    [
      ['validate', '--machine-readable'],
      ['up', '--machine-readable'],
      ['status', '--machine-readable'],
    ],
    'validate before up, then status',
  );
  for (const c of calls) t.match(c, { cwd: dir, VAGRANT_CWD: dir }, `${c.args[0]} runs in the formation's own directory`);
  t.ok(
    existsSync(join(dir, 'Vagrantfile')) && existsSync(join(dir, 'nepho-bootstrap.sh')),
    'the Vagrantfile and the bootstrap copy are in the formation directory',
  );
  t.match(readFileSync(join(dir, 'Vagrantfile'), 'utf8'), "config.vm.box = 'generic/debian12'");
  t.same(filesContaining(home, SECRET), [], 'the secret is written nowhere under NEPHO_HOME');
  t.equal(realVagrantValidate(t, dir).code, 0, 'the written Vagrantfile passes the real vagrant validate -p');

  const described = await run(home, vagrant, ['formation:describe', 'wiki', '-o', 'json']);
  t.equal(described.code, 0, described.stderr);
  const d = JSON.parse(described.stdout);
  t.match(d, { status: 'running', provider: 'vagrant' }, 'describe shows running');
  t.match(JSON.stringify(d), /"SshHost":"127\.0\.0\.1"/, 'with the ssh-config address among the outputs');

  const ssh = await run(home, vagrant, ['formation:ssh', 'wiki', '--print']);
  t.equal(ssh.code, 0, ssh.stderr);
  t.match(ssh.stdout, /^ssh -p 2222 /, 'a pasteable command with the port from vagrant ssh-config');
  t.match(ssh.stdout, / vagrant@127\.0\.0\.1\n$/, 'the user and address from vagrant ssh-config');
  t.match(ssh.stdout, /-i '[^']*my project\/\.vagrant\/machines\/default\/virtualbox\/private_key'/, 'the key from vagrant ssh-config, quoted');

  const listed = await run(home, vagrant, ['formation:list', '-o', 'json']);
  t.match(JSON.parse(listed.stdout), [{ name: 'wiki', provider: 'vagrant', status: 'running' }], 'list shows it');

  const destroyed = await run(home, vagrant, ['formation:destroy', 'wiki', '--yes']);
  t.equal(destroyed.code, 0, `destroyed: ${destroyed.stderr}`);
  t.same(vagrant.calls().at(-1)?.args, ['destroy', '-f', '--machine-readable'], 'destroy runs vagrant destroy -f');
  t.notOk(existsSync(join(dir, 'Vagrantfile')), 'the Vagrantfile is gone');
  t.notOk(existsSync(join(dir, 'nepho-bootstrap.sh')), 'the bootstrap copy is gone');
  const after = await run(home, vagrant, ['formation:list', '-o', 'json']);
  t.same(JSON.parse(after.stdout), [], 'and the formation is no longer listed');
});

t.test('failures give clear errors: no provider, provider not usable, box missing, no vagrant', async (t) => {
  const home = await mediawikiHome(t);
  const args = (name: string) => ['formation:create', 'huit/mediawiki', '--provider', 'vagrant', '--name', name, '-p', `AdminPassword=${SECRET}`, '--no-input'];

  const none = await run(home, standInVagrant(t, 'no-provider'), args('none'));
  expectCreateError(t, none, /vagrant validate: no usable Vagrant provider on this machine/, /install VirtualBox/, 'no provider at all');

  const vbox = await run(home, standInVagrant(t, 'virtualbox'), args('vbox'));
  expectCreateError(
    t,
    vbox,
    /vagrant up: the 'virtualbox' provider is not usable on this machine: Vagrant could not detect VirtualBox!$/,
    /install VirtualBox .* VBoxManage/,
    'virtualbox not usable: says which provider, why and how to fix it',
  );

  const box = await run(home, standInVagrant(t, 'box-missing'), args('boxless'));
  expectCreateError(
    t,
    box,
    /vagrant up: box 'nepho-test\/box' is not installed/,
    /add it with: vagrant box add --name nepho-test\/box .*box_url/,
    'box missing: names the box',
  );

  const noVagrant = await nepho(args('novagrant'), { home, env: { PATH: tempDir(t, 'nepho-empty-path-') } });
  expectCreateError(t, noVagrant, /vagrant: command not found on PATH/, /install Vagrant/, 'vagrant not installed');
  t.notMatch(`${none.stderr}${vbox.stderr}${box.stderr}${noVagrant.stderr}`, SECRET, 'no secret in any error');
});

t.test("a missing box is added from the scenario's box_url, then up goes on (stand-in vagrant)", async (t) => {
  const home = tempDir(t, 'nepho-vagrant-home-');
  const cloudlet = await installDevCloudlet(t, home, 'boxy', {
    'scenarios/default.yaml':
      'summary: the default\nproviders:\n  vagrant: {pattern: single, box_url: "https://boxes.example/nepho-test.box"}\nprovisioner: {type: shell, script: provisioners/bootstrap.sh}\nparameters:\n  Box: {type: string, default: nepho-test/box}\n',
  });
  const vagrant = standInVagrant(t, 'box-missing');
  const r = await run(home, vagrant, ['formation:create', cloudlet.id, '--name', 'boxy', '--no-input']);
  t.equal(r.code, 0, `created: ${r.stderr}`);
  t.same(
    vagrant.calls().map((c) => c.args.slice(0, -1)),
    [['validate'], ['up'], ['box', 'add', '--name', 'nepho-test/box', 'https://boxes.example/nepho-test.box'], ['up'], ['status']],
    'box add from box_url, then up again',
  );
});

t.test('formation:create --provider vagrant --dry-run --out DIR writes the Vagrantfile and the bootstrap, no secret', async (t) => {
  const home = await mediawikiHome(t);
  const out = join(tempDir(t, 'nepho-vagrant-out-'), 'out');
  const r = await nepho(
    [
      'formation:create',
      'huit/mediawiki',
      '--provider',
      'vagrant',
      '--dry-run',
      '--out',
      out,
      '-p',
      `AdminPassword=${SECRET}`,
      '-p',
      `Box=it's "#{x}" \\ box`,
      '--no-input',
    ],
    { home, env: { PATH: tempDir(t, 'nepho-empty-path-') } },
  );
  t.equal(r.code, 0, `dry run without vagrant on PATH: ${r.stderr}`);
  t.same(readdirSync(out).sort(), ['Vagrantfile', 'nepho-bootstrap.sh', 'nepho-provision.sh']);
  t.match(readFileSync(join(out, 'Vagrantfile'), 'utf8'), `config.vm.box = 'it\\'s "#{x}" \\\\ box'`);
  t.match(readFileSync(join(out, 'nepho-bootstrap.sh'), 'utf8'), "export NEPHO_FORMATION='mediawiki-default'");
  t.same(filesContaining(out, SECRET), [], 'the secret is not in DIR');
  t.notOk(existsSync(join(home, 'formations', 'mediawiki-default')), 'nothing was created');
  const v = realVagrantValidate(t, out);
  t.equal(v.code, 0, `the real vagrant validate -p accepts DIR: ${v.output}`);
});

t.test('an unknown placeholder stops create before vagrant runs, naming file and line', async (t) => {
  const home = tempDir(t, 'nepho-vagrant-home-');
  const cloudlet = await installDevCloudlet(t, home, 'broken', {
    'patterns/vagrant/single.rb':
      'Vagrant.configure("2") do |config|\n  config.vm.box = {{parameters.Box}}\n  config.vm.hostname = {{ parameters.Host }}\nend\n',
    'scenarios/default.yaml': 'summary: the default\nproviders:\n  vagrant: {pattern: single}\nparameters:\n  Box: {type: string, default: b}\n',
  });
  const vagrant = standInVagrant(t, 'ok');
  const r = await run(home, vagrant, ['formation:create', cloudlet.id, '--name', 'broken', '--no-input']);
  expectUserError(t, r, /single\.rb:3: unknown parameter 'Host'/, 'unknown placeholder');
  t.same(vagrant.calls(), [], 'vagrant never ran');
});

t.test('destroy: a machine vagrant never made can always be removed; a made one that vagrant cannot destroy is an error', async (t) => {
  const home = await mediawikiHome(t);
  const args = (name: string) => ['formation:create', 'huit/mediawiki', '--provider', 'vagrant', '--name', name, '-p', `AdminPassword=${SECRET}`, '--no-input'];
  const failed = await run(home, standInVagrant(t, 'box-missing'), args('failed'));
  t.equal(failed.code, 1, 'up failed: the box is missing');
  const listed = await run(home, standInVagrant(t, 'ok'), ['formation:list', '-o', 'json']);
  t.match(JSON.parse(listed.stdout), [{ name: 'failed', provider: 'vagrant' }], 'the formation is recorded, as up had started');
  const gone = await run(home, standInVagrant(t, 'no-provider'), ['formation:destroy', 'failed', '--yes']);
  t.equal(gone.code, 0, `destroyed although vagrant destroy fails (no provider), since no machine was made: ${gone.stderr}`);
  t.notOk(existsSync(join(home, 'formations', 'failed', 'Vagrantfile')));

  const made = await run(home, standInVagrant(t, 'ok'), args('made'));
  t.equal(made.code, 0, made.stderr);
  const refused = await run(home, standInVagrant(t, 'no-provider'), ['formation:destroy', 'made', '--yes']);
  expectCreateError(t, refused, /vagrant destroy: no usable Vagrant provider/, /install VirtualBox/, 'a made machine that cannot be destroyed');
  t.ok(existsSync(join(home, 'formations', 'made', 'Vagrantfile')), 'its Vagrantfile is kept, to destroy it later');
});
