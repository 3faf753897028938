// Honest state after a failure, through the command line: what this machine
// lacks is found before anything starts or is written; after a destroy only
// the history stays (ssh config, host keys, rendered files go); hints are
// commands that work as written; a dry run does not claim files it did not
// write. Vagrant runs as the stand-in of test/fixtures/vagrant.ts (no
// hypervisor here); AWS is moto.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startMoto } from '../fixtures/aws.js';
import { nepho, stderrLines } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { tempDir } from '../fixtures/paths.js';
import { vagrantFormation } from '../fixtures/vagrant.js';

const QUEUE = 'Resources:\n  Queue: {Type: "AWS::SQS::Queue"}\n';

t.test('no AWS region: one line before anything starts, nothing written under formations/', async (t) => {
  const moto = await startMoto(t);
  const home = tempDir(t, 'nepho-honest-');
  await installDevCloudlet(t, home, 'queue', { 'scenarios/default.yaml': 'providers:\n  cloudformation: {pattern: q}\n', 'patterns/aws/q.cf': QUEUE });
  const { AWS_REGION: _region, ...noRegion } = moto.env;
  const r = await nepho(['formation:create', 'queue', '--no-input'], {
    home,
    env: { ...noRegion, AWS_DEFAULT_REGION: '', AWS_CONFIG_FILE: join(home, 'no-config') },
  });
  t.equal(r.code, 1);
  const lines = stderrLines(r.stderr);
  t.match(lines.errors, [/no AWS region/]);
  t.same(lines.other, [], 'not "create started", nothing but the error');
  t.notOk(existsSync(join(home, 'formations', 'queue-default')), 'no formation directory');
});

t.test('no vagrant on PATH: one line before anything starts, nothing written under formations/', async (t) => {
  const home = tempDir(t, 'nepho-honest-');
  await installDevCloudlet(t, home, 'boxes', {
    'scenarios/default.yaml': 'providers:\n  vagrant: {pattern: single}\nparameters:\n  Box: {type: string, default: debian/bookworm64}\n',
  });
  const r = await nepho(['formation:create', 'boxes', '--no-input'], { home, env: { PATH: '/nonexistent' } });
  t.equal(r.code, 1);
  t.match(stderrLines(r.stderr).errors, [/vagrant: command not found on PATH/]);
  t.notOk(existsSync(join(home, 'formations', 'boxes-default')), 'no formation directory');
});

t.test('after a destroy only the history stays: no ssh config, no host keys, no rendered files, listed nowhere', async (t) => {
  const f = await vagrantFormation(t);
  const printed = await f.run(['formation:ssh', f.name, '--print']);
  t.equal(printed.code, 0, printed.stderr);
  t.ok(existsSync(join(f.dir, 'ssh_config')), 'formation:ssh wrote its config');
  const record = JSON.parse(readFileSync(join(f.dir, 'formation.json'), 'utf8'));
  const { formationInstance } = await import('../../src/formations/ssh.js');
  const alias = `nepho-${f.name}-${formationInstance(record)}/127.0.0.1:2222`;
  const other = 'nepho-elsewhere-0123abcd/10.0.0.9:22 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherHostKey';
  writeFileSync(join(f.home, 'known_hosts'), `${alias} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIThisFormationsKey\n${other}\n`);

  const destroyed = await f.run(['formation:destroy', f.name, '--yes']);
  t.equal(destroyed.code, 0, destroyed.stderr);
  t.same(readdirSync(f.dir), ['journal.jsonl'], 'the journal alone');
  t.equal(readFileSync(join(f.home, 'known_hosts'), 'utf8'), `${other}\n`, "its host keys are forgotten, others' kept");
  t.same(JSON.parse((await f.run(['formation:list', '-o', 'json'])).stdout), [], 'listed nowhere');
  t.equal((await f.run(['formation:describe', f.name])).code, 1, 'described nowhere');
  const history = JSON.parse((await f.run(['formation:history', f.name, '-o', 'json'])).stdout);
  t.match(
    history,
    [
      { operation: 'destroy', result: 'succeeded' },
      { operation: 'create', result: 'succeeded' },
    ],
    'but its history is there',
  );
});

t.test('a hint is a command that works as written: creating from a registry cloudlet not installed', async (t) => {
  const home = tempDir(t, 'nepho-honest-');
  const r = await nepho(['formation:create', 'huit/mediawiki', '--dry-run', '--no-input'], { home });
  t.equal(r.code, 1);
  const { errors, hints } = stderrLines(r.stderr);
  t.match(errors, [/cloudlet 'huit\/mediawiki' is not installed/]);
  const command = /nepho (cloudlet:install \S+)/.exec(hints[0] ?? '')?.[1];
  t.equal(command, 'cloudlet:install huit/mediawiki', 'the hint names the cloudlet as typed');
  const ran = await nepho(command!.split(' '), { home });
  t.equal(ran.code, 0, `the hint works: ${ran.stderr}`);
  const again = await nepho(['formation:create', 'huit/mediawiki', '--dry-run', '--no-input', '-p', 'AdminPassword=change-me-please'], { home });
  t.equal(again.code, 0, again.stderr);
});

t.test('a dry run without --out says the files are not written', async (t) => {
  const home = tempDir(t, 'nepho-honest-');
  t.equal((await nepho(['cloudlet:install', 'huit/mediawiki'], { home })).code, 0);
  const r = await nepho(['formation:create', 'mediawiki', '--dry-run', '--no-input', '-p', 'AdminPassword=change-me-please'], { home });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^Rendered: +template\.json, user-data\.sh \(not written; --out DIR writes them\)$/m);
  const out = tempDir(t, 'nepho-honest-out-');
  const w = await nepho(['formation:create', 'mediawiki', '--dry-run', '--no-input', '-p', 'AdminPassword=change-me-please', '--out', out], { home });
  t.match(w.stdout, new RegExp(`^Written: +${out}/template\\.json, ${out}/user-data\\.sh$`, 'm'));
});
