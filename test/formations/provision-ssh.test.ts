// formation:provision over ssh, end to end: a formation whose provider has
// no provisioning of its own (the stand-in cloud plugin, whose outputs point
// at real sshd servers on 127.0.0.1) gets its bootstrap run again as root on
// the host, through the bastion, by the built CLI and the system ssh. The
// bootstrap's directory and log are set by the target sshd (SetEnv), so the
// test writes nothing outside its own directories.
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { nepho, stderrLines } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { readJournal } from '../fixtures/nanny.js';
import { tempDir } from '../fixtures/paths.js';
import { makeSshKey, SSH_FROM_OUTPUTS, standInFormation, startSshd } from '../fixtures/ssh.js';

const base = tempDir(t, 'nepho-provision-');
const client = makeSshKey(base, 'client');
const user = userInfo().username;
const bootstrapDir = join(base, 'var-lib-nepho');
const target = await startSshd(t, {
  authorizedKey: client.publicKey,
  setEnv: { NEPHO_BOOTSTRAP_DIR: bootstrapDir, NEPHO_BOOTSTRAP_LOG: join(bootstrapDir, 'bootstrap.log') },
});
const bastion = await startSshd(t, { authorizedKey: client.publicKey, forwarding: true });

/** A home with formation `web` of cloudlet local/stand-in, whose bootstrap says who it is and exits with ExitWith. */
async function homeWithWeb(): Promise<string> {
  const home = join(tempDir(t, 'nepho-provision-home-'), 'home');
  standInFormation(home, 'web', {
    access: SSH_FROM_OUTPUTS,
    parameters: { AdminUser: user, Greeting: 'hello', ExitWith: 0 },
    state: { outputs: { Host: '127.0.0.1', Port: String(target.port), Bastion: '127.0.0.1', BastionPort: String(bastion.port) } },
  });
  await installDevCloudlet(t, home, 'stand-in', {
    'scenarios/default.yaml': [
      'providers:',
      '  stand-in-cloud: {pattern: single}',
      'provisioner: {type: shell, script: provisioners/bootstrap.sh}',
      'parameters:',
      '  AdminUser: {type: string}',
      '  Greeting: {type: string}',
      '  ExitWith: {type: number, default: 0}',
      '  Token: {type: string, secret: true, default: not-this-one}',
      '',
    ].join('\n'),
    'patterns/stand-in/single.json': '{}\n',
    'provisioners/bootstrap.sh':
      '#!/bin/sh\necho "I am $(id -u) in $NEPHO_FORMATION saying $NEPHO_Greeting with ${NEPHO_Token:-no token}"\necho "to stderr" >&2\nexit "$NEPHO_ExitWith"\n',
  });
  return home;
}

t.test('the bootstrap runs again as root on the host, through the bastion; its output streams here and into the journal', async (t) => {
  const home = await homeWithWeb();
  const r = await nepho(['formation:provision', 'web', '-i', client.privateKey], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(
    r.stdout,
    'I am 0 in web saying hello with no token\nto stderr\n',
    "the script's output (both streams, in order, as the log has them), run as root with the recorded values",
  );
  t.match(r.stderr, /^provisioned web in \d+s \(PROVISIONED\)$/m, 'the summary beside it, on stderr');
  t.notMatch(r.stderr, /Warning: Permanently added/, "ssh's own chatter stays out");
  t.match(r.stderr, /secret parameters are not kept, so this run goes without Token/);
  t.match(readFileSync(join(bootstrapDir, 'bootstrap.log'), 'utf8'), /I am 0 in web saying hello/, 'and in the bootstrap log on the host');
  const journal = readJournal(home, 'web');
  t.match(
    journal.filter((e) => e.kind === 'output'),
    [
      { stream: 'stdout', line: 'I am 0 in web saying hello with no token' },
      { stream: 'stdout', line: 'to stderr' },
    ],
  );
  t.match(journal.at(-1), { kind: 'end', operation: 'provision', ok: true, exitCode: 0 });
  t.ok(target.log().includes(`Accepted publickey for ${user}`), 'it went through the target sshd');
});

t.test("the bootstrap's exit status passes through; a secret given with -p reaches this run only, and no file keeps it", async (t) => {
  const home = await homeWithWeb();
  const r = await nepho(['formation:provision', 'web', '-i', client.privateKey, '--foreground', '-p', 'ExitWith=3', '-p', 'Token=tok-5ecret'], { home });
  t.equal(r.code, 3, 'the script exited 3');
  t.match(r.stdout, /with tok-5ecret/, 'the secret reached the script');
  t.match(stderrLines(r.stderr).errors, [/formation web: the bootstrap exited with status 3/]);
  t.same(stderrLines(r.stderr).hints, ['hint: nepho formation:describe web shows what is left'], 'the hint names the formation');
  const record = JSON.parse(readFileSync(join(home, 'formations', 'web', 'formation.json'), 'utf8'));
  t.match(
    record,
    { status: 'CREATE_COMPLETE', parameters: { ExitWith: 0 }, operation: { kind: 'provision', ok: false } },
    'nothing of the run is recorded as an answer',
  );
  t.notOk(readFileSync(join(home, 'formations', 'web', 'formation.json'), 'utf8').includes('tok-5ecret'));
});

t.test("an unreachable host ends with ssh's status and one line", async (t) => {
  const home = await homeWithWeb();
  const record = join(home, 'formations', 'web', 'formation.json');
  const { writeFileSync } = await import('node:fs');
  const r0 = JSON.parse(readFileSync(record, 'utf8'));
  r0.state.outputs.Port = '1'; // nothing listens there
  writeFileSync(record, JSON.stringify(r0));
  const r = await nepho(['formation:provision', 'web', '-i', client.privateKey, '--foreground'], { home });
  t.equal(r.code, 255);
  t.match(stderrLines(r.stderr).errors, [/formation web: ssh could not run the bootstrap \(exit status 255\)/]);
  t.notOk(existsSync(join(bootstrapDir, 'never')), 'nothing ran');
});
