// Secret parameters on Vagrant: nepho gives them to the `vagrant` process in
// its environment (NEPHO_SECRET_<Name>, base64), the rendered Vagrantfile
// passes them to its shell provisioners with `env:` read from ENV, and the
// bootstrap decodes them into NEPHO_<Name>. No hypervisor runs here, so the
// `vagrant` nepho runs is the STAND-IN (test/fixtures/vagrant/stand-in-vagrant.mjs),
// which logs the NEPHO_SECRET_* variables it was given; with STANDIN_GUEST it
// runs Vagrant's REAL shell provisioner on this machine in place of a guest
// (stand-in-guest.rb: the real Vagrantfile loader, the real quoting of `env:`
// values, the command fed to a real `bash -l`). `vagrant validate -p` is the
// real one.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { nepho } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { filesContaining } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';
import { requireTool } from '../fixtures/tools.js';
import { standInVagrant } from '../fixtures/vagrant.js';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

t.test('a secret reaches the bootstrap through the environment of vagrant, and is written nowhere', async (t) => {
  if (!requireTool(t, 'ruby') || !requireTool(t, 'vagrant')) return;
  const home = tempDir(t, 'nepho-vagrant-secrets-');
  const guest = tempDir(t, 'nepho-stand-in-guest-');
  const marker = join(tempDir(t), 'expanded');
  // Everything a shell, Ruby or Vagrant's double quotes could act on, and newlines at the end.
  const secret = `$(touch ${marker}) \`touch ${marker}\` 'single' "double" \\" #{x} %s \\ ünï\nsecond line\n\n`;
  const cloudlet = await installDevCloudlet(t, home, 'keeper', {
    'scenarios/default.yaml': [
      'summary: a machine that receives a secret',
      'providers:\n  vagrant: {pattern: single}',
      'provisioner: {type: shell, script: provisioners/bootstrap.sh}',
      'parameters:',
      '  Greeting: {type: string, default: hello}',
      '  Token: {type: string, secret: true}',
      '',
    ].join('\n'),
    'patterns/vagrant/single.rb': 'Vagrant.configure("2") do |config|\n  config.vm.box = "nepho-test/box"\nend\n',
    // Writes what it received, and whether the encoded form was left in its environment.
    'provisioners/bootstrap.sh': [
      '#!/bin/sh',
      'echo "$NEPHO_Greeting"',
      'if [ -n "${NEPHO_Token+set}" ]; then printf %s "$NEPHO_Token" >received; else printf unset >received; fi',
      'env | grep NEPHO_SECRET_ >leftover || true',
      '',
    ].join('\n'),
  });
  const vagrant = standInVagrant(t, 'ok');
  const env = { ...vagrant.env, STANDIN_GUEST: guest };
  const dir = join(home, 'formations', 'box');
  const received = () => readFileSync(join(guest, 'nepho', 'received'), 'utf8');
  const runs = () =>
    readFileSync(join(guest, 'runs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  const created = await nepho(['formation:create', cloudlet.id, '--name', 'box', '-p', `Token=${secret}`, '--no-input'], { home, env });
  t.equal(created.code, 0, created.stderr);
  const calls = vagrant.calls();
  t.same(
    calls.map((c) => [c.args[0], c.secrets]),
    [
      ['validate', {}],
      ['up', { NEPHO_SECRET_Token: base64(secret) }],
      ['status', {}],
    ],
    'only the run that provisions (up) is given the secret, base64-encoded',
  );
  t.match(runs(), [{ provisioner: 'nepho-bootstrap', status: 0 }], "Vagrant's shell provisioner ran the bootstrap on the stand-in guest");
  t.equal(received(), secret, 'the bootstrap received the secret exactly, trailing newlines included');
  t.notOk(existsSync(marker), 'nothing in it was run: not by Ruby, not by the guest shell');
  t.equal(readFileSync(join(guest, 'nepho', 'leftover'), 'utf8'), '', "the encoded variable is gone from the script's environment");

  const vagrantfile = readFileSync(join(dir, 'Vagrantfile'), 'utf8');
  t.match(vagrantfile, "nepho_secrets = { 'NEPHO_SECRET_Token' => ENV.fetch('NEPHO_SECRET_Token', '') }", 'the Vagrantfile names the secret, no more');
  t.match(vagrantfile, /"nepho-bootstrap", type: "shell", privileged: true, path: 'nepho-bootstrap\.sh', env: nepho_secrets, sensitive: true\n/);
  t.match(vagrantfile, /"nepho-provision", .*run: "never", env: nepho_secrets, sensitive: true\n/);
  for (const text of [secret, base64(secret), `touch ${marker}`, 'second line']) {
    t.same(filesContaining(home, text), [], `${JSON.stringify(text.slice(0, 12))} is in no file under NEPHO_HOME: Vagrantfile, scripts, record, journal`);
  }
  const validate = spawnSync('/usr/bin/vagrant', ['validate', '-p'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, VAGRANT_HOME: tempDir(t), VAGRANT_CWD: dir, NEPHO_SECRET_Token: base64(secret) },
  });
  t.equal(validate.status, 0, `the real vagrant validate -p accepts it, the secret in its environment: ${validate.stdout}${validate.stderr}`);
  t.notOk(existsSync(marker));

  // formation:provision: the secret given for this run reaches it; without one, the script sees none.
  const other = `it's "another" $(touch ${marker})`;
  const provisioned = await nepho(['formation:provision', 'box', '-p', `Token=${other}`], { home, env });
  t.equal(provisioned.code, 0, provisioned.stderr);
  t.same(vagrant.calls().at(-1)?.secrets, { NEPHO_SECRET_Token: base64(other) });
  t.match(runs().at(-1), { provisioner: 'nepho-provision', status: 0 }, 'the provisioning run ran on the stand-in guest');
  t.equal(received(), other, 'the provisioning run received the secret given for it');
  const without = await nepho(['formation:provision', 'box'], { home, env });
  t.equal(without.code, 0, without.stderr);
  t.match(without.stderr, /secret parameters are not kept, so this run goes without Token/, 'the run says it goes without the secret');
  t.same(vagrant.calls().at(-1)?.secrets, {});
  t.equal(received(), 'unset', 'and the script sees no NEPHO_Token');

  // An update that runs the bootstrap again without the secret says so.
  const updated = await nepho(['formation:update', 'box', '-p', 'Greeting=bonjour', '-y'], { home, env });
  t.equal(updated.code, 0, updated.stderr);
  t.match(updated.stderr, /Token: not given again, and nepho keeps no secrets, so the bootstrap runs without it this time/);
  t.equal(received(), 'unset');
  const again = await nepho(['formation:update', 'box', '-p', 'Greeting=hallo', '-p', `Token=${secret}`, '-y'], { home, env });
  t.equal(again.code, 0, again.stderr);
  t.equal(received(), secret, 'given again with the update, it reaches the bootstrap');
  t.notOk(existsSync(marker), 'nothing in any of them was run');
  for (const text of [secret, other, base64(secret), base64(other)]) t.same(filesContaining(home, text), [], 'still written nowhere');
  t.same(readdirSync(guest).sort(), ['nepho', 'nepho-bootstrap.log', 'output', 'runs.jsonl', 'vagrant-shell'].sort());
});

t.test('a formation whose scenario has no secret renders as before: no env, no decoding', async (t) => {
  const home = tempDir(t, 'nepho-vagrant-secrets-');
  const cloudlet = await installDevCloudlet(t, home, 'plain', {
    'scenarios/default.yaml': 'providers:\n  vagrant: {pattern: single}\nprovisioner: {type: shell, script: provisioners/bootstrap.sh}\n',
    'patterns/vagrant/single.rb': 'Vagrant.configure("2") do |config|\n  config.vm.box = "nepho-test/box"\nend\n',
    'provisioners/bootstrap.sh': '#!/bin/sh\necho hello\n',
  });
  const out = join(tempDir(t), 'out');
  mkdirSync(out);
  const r = await nepho(['formation:create', cloudlet.id, '--provider', 'vagrant', '--dry-run', '--out', out], { home });
  t.equal(r.code, 0, r.stderr);
  t.notMatch(readFileSync(join(out, 'Vagrantfile'), 'utf8'), /nepho_secrets|env:|sensitive/);
  t.notMatch(readFileSync(join(out, 'nepho-bootstrap.sh'), 'utf8'), /NEPHO_SECRET_|base64/);
});
