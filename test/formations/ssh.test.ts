// formation:ssh end to end: the built CLI runs the system ssh through a real
// bastion sshd to a real target sshd, both on 127.0.0.1 with throwaway keys.
// The formation's provider is the stand-in cloud plugin (test/fixtures/
// stand-in-cloud.mjs), whose outputs point at the two servers.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { expectUserError, nepho } from '../fixtures/cli.js';
import { serveSilence } from '../fixtures/git.js';
import { freePort } from '../fixtures/http.js';
import { tempDir } from '../fixtures/paths.js';
import { shellQuote } from '../../src/formations/ssh.js';
import { makeSshKey, SSH_FROM_OUTPUTS, standInFormation, startSshd, type Sshd } from '../fixtures/ssh.js';

const base = tempDir(t, 'nepho-ssh-');
const client = makeSshKey(base, 'client');
const user = userInfo().username;
let target = await startSshd(t, { authorizedKey: client.publicKey });
const bastion = await startSshd(t, { authorizedKey: client.publicKey, forwarding: true });

function outputs(over: Record<string, string> = {}): Record<string, string> {
  return { Host: '127.0.0.1', Port: String(target.port), Bastion: '127.0.0.1', BastionPort: String(bastion.port), ...over };
}

/** A fresh home with formation `web` behind the bastion. */
function homeWithWeb(root = tempDir(t, 'nepho-ssh-home-'), over: Record<string, string> = {}): string {
  const home = join(root, 'home');
  standInFormation(home, 'web', { access: SSH_FROM_OUTPUTS, parameters: { AdminUser: user }, state: { outputs: outputs(over) } });
  return home;
}

/** The lines of the bastion's log about a channel it forwarded to `port`. */
function forwardedTo(sshd: Sshd, port: number): string[] {
  return sshd
    .log()
    .split(/\r?\n/)
    .filter((l) => new RegExp(`direct_tcpip: .*target 127\\.0\\.0\\.1 port ${port}$`).test(l));
}

function knownHosts(home: string): string[] {
  return readFileSync(join(home, 'known_hosts'), 'utf8').split('\n').filter(Boolean);
}

const home = homeWithWeb();

t.test('a command runs on the host through the bastion; both host keys are remembered', async (t) => {
  const before = forwardedTo(bastion, target.port).length;
  const r = await nepho(['formation:ssh', 'web', '-i', client.privateKey, '--', 'echo', 'hello'], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'hello\n');
  t.equal(forwardedTo(bastion, target.port).length, before + 1, 'the bastion forwarded one channel to the target');
  t.match(target.log(), new RegExp(`Accepted publickey for ${user} from 127\\.0\\.0\\.1`), 'the target let the client in by its key');

  const lines = knownHosts(home);
  t.equal(lines.length, 2, 'two hosts learnt on first use');
  t.ok(
    lines.some((l) => l.includes(`/127.0.0.1:${target.port} `) && l.endsWith(target.hostKey)),
    "the target's key, under the formation's name",
  );
  t.ok(
    lines.some((l) => l.includes(`/127.0.0.1:${bastion.port} `) && l.endsWith(bastion.hostKey)),
    "the bastion's key",
  );
  t.match(r.stderr, /Permanently added/, 'ssh said it learnt them');
  t.equal(
    r.stderr.split('\n')[0],
    `connecting to ${user}@127.0.0.1:${target.port} (through ${user}@127.0.0.1:${bastion.port})`,
    'nepho said first where it connects, on stderr',
  );

  const config = join(home, 'formations', 'web', 'ssh_config');
  t.equal(statSync(config).mode & 0o777, 0o600, 'the ssh config file is private');
  const text = readFileSync(config, 'utf8');
  t.match(text, /^Host nepho-web\n(?: {2}.*\n)* {2}ProxyJump nepho-web-bastion\n/m, 'the host jumps through the bastion entry');
  t.match(text, /^Host nepho-web-bastion\n/m);
  t.match(text, /StrictHostKeyChecking accept-new/);
  t.match(text, `UserKnownHostsFile "${join(home, 'known_hosts')}"`);
  t.equal(text.match(/IdentitiesOnly yes/g)?.length, 2, '-i is used for both hops, and only it');
  t.equal(text.match(/^ {2}ConnectTimeout 15$/gm)?.length, 2, 'both hops time out after 15 s by default');
});

t.test('the exit status passes through', async (t) => {
  const seven = await nepho(['formation:ssh', 'web', '-i', client.privateKey, '--', 'sh', '-c', 'exit 7'], { home });
  t.equal(seven.code, 7, 'sh -c "exit 7" on the host: nepho exits 7');
  const missing = await nepho(['ssh', 'web', '-i', client.privateKey, '--', 'no-such-command-here'], { home });
  t.equal(missing.code, 127, 'a command the host does not have: 127, as its shell says');
  const words = await nepho(['formation', 'ssh', 'web', '-i', client.privateKey, '--', 'printf', '[%s]', 'a  b', "it's", '$HOME', '-v'], { home });
  t.equal(words.code, 0, words.stderr);
  t.equal(words.stdout, "[a  b][it's][$HOME][-v]", 'each word reaches the host as it was given, unexpanded');
});

t.test('a second connection uses the remembered keys and asks nothing', async (t) => {
  const before = readFileSync(join(home, 'known_hosts'), 'utf8');
  const r = await nepho(['ssh', 'web', '-i', client.privateKey, '--', 'echo', 'again'], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'again\n');
  t.notMatch(r.stderr, /Permanently added|yes\/no/, 'nothing new learnt, nothing asked');
  t.equal(readFileSync(join(home, 'known_hosts'), 'utf8'), before, 'known_hosts unchanged');
});

t.test('--print prints ssh -p PORT USER@HOST with -J through the bastion, and -o json the same as data', async (t) => {
  const r = await nepho(['formation:ssh', 'web', '-i', client.privateKey, '--print', '--', 'sh', '-c', `echo "$0 it's"`], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '');
  const knownHostsFile = join(home, 'known_hosts');
  const line = r.stdout.replace(/HostKeyAlias=nepho-web-[0-9a-f]{8}\//, 'HostKeyAlias=nepho-web-ID/');
  t.equal(
    line,
    `ssh -p ${target.port} -o ConnectTimeout=15 -i ${client.privateKey} -o IdentitiesOnly=yes -o UserKnownHostsFile=${knownHostsFile} ` +
      `-o StrictHostKeyChecking=accept-new -o HostKeyAlias=nepho-web-ID/127.0.0.1:${target.port} ` +
      `-J ${user}@127.0.0.1:${bastion.port} ${user}@127.0.0.1 -- ${shellQuote(`sh -c ${shellQuote(`echo "$0 it's"`)}`)}\n`,
    'no generated config file: every option on the line',
  );
  t.notMatch(r.stdout, /ssh_config|-F /);
  t.equal(r.stderr, '', 'no "connecting to" line: nothing connects');

  const json = await nepho(['formation:ssh', 'web', '--print', '-o', 'json'], { home });
  t.equal(json.code, 0, json.stderr);
  const data = JSON.parse(json.stdout) as { command: string[] };
  t.same(Object.keys(data), ['user', 'host', 'port', 'bastion', 'command']);
  t.match(data, { user, host: '127.0.0.1', port: target.port, bastion: { user, host: '127.0.0.1', port: bastion.port } });
  t.same(
    data.command.slice(-3),
    ['-J', `${user}@127.0.0.1:${bastion.port}`, `${user}@127.0.0.1`],
    'the bastion user is the host user when the scenario names none',
  );
  const yaml = await nepho(['formation:ssh', 'web', '--print', '-o', 'yaml'], { home });
  t.match(yaml.stdout, /^user: .*\nhost: 127\.0\.0\.1\n/);
  expectUserError(t, await nepho(['formation:ssh', 'web', '-o', 'json'], { home }), /-o json goes with --print/, '-o without --print');
});

t.test('the printed command works when pasted into a shell', async (t) => {
  // The bastion hop of -J takes no command-line options (ssh's rule): it would log in with the real
  // user's agent and ~/.ssh, which a test must not touch. A formation reached directly shows the
  // printed line doing the whole job: key, known hosts, user, port and the remote command.
  const h = join(tempDir(t), 'home');
  standInFormation(h, 'box', { provider: 'stand-in-local', state: { endpoint: { host: '127.0.0.1', port: target.port, user } } });
  const r = await nepho(['ssh', 'box', '-i', client.privateKey, '--print', '--', 'sh', '-c', `echo "$0 it's"`], { home: h });
  t.equal(r.code, 0, r.stderr);
  const line = r.stdout.trim();
  t.match(line, new RegExp(`^ssh -p ${target.port} -o ConnectTimeout=15 -i \\S+ .* ${user}@127\\.0\\.0\\.1 -- `));
  t.notMatch(line, / -J /, 'no bastion, no -J');
  const out = execFileSync('sh', ['-c', line], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.equal(out, "sh it's\n", 'the printed command ran the same command on the host');
  t.ok(readFileSync(join(h, 'known_hosts'), 'utf8').includes(target.hostKey), "the host's key went into nepho's known_hosts, where formation:ssh finds it");
  const again = await nepho(['ssh', 'box', '-i', client.privateKey, '--', 'echo', 'same key'], { home: h });
  t.equal(again.stdout, 'same key\n', 'formation:ssh accepts what the pasted command learnt');
  const timed = await nepho(['ssh', 'web', '--print', '--connect-timeout', '7'], { home });
  t.match(timed.stdout, /^ssh -p \d+ -o ConnectTimeout=7 /);
  t.equal(readFileSync(join(home, 'formations', 'web', 'ssh_config'), 'utf8').match(/^ {2}ConnectTimeout 7$/gm)?.length, 2, 'the bastion hop too');
});

t.test('an unreachable host ends with one line and exit status 255, never a hang', async (t) => {
  const closed = await freePort();
  const errorLine = (r: { stderr: string }) => r.stderr.split('\n').filter((l) => l !== '');

  const direct = join(tempDir(t), 'home');
  standInFormation(direct, 'box', { provider: 'stand-in-local', state: { endpoint: { host: '127.0.0.1', port: closed, user } } });
  const refused = await nepho(['ssh', 'box', '-i', client.privateKey, '--', 'echo', 'no'], { home: direct });
  t.equal(refused.code, 255, "a closed port: ssh's own exit status");
  t.equal(refused.stdout, '');
  t.same(errorLine(refused), [`connecting to ${user}@127.0.0.1:${closed}`, `error: could not connect to ${user}@127.0.0.1:${closed}: Connection refused`]);

  const behind = homeWithWeb(undefined, { Port: String(closed) });
  const onward = await nepho(['ssh', 'web', '-i', client.privateKey, '--', 'echo', 'no'], { home: behind });
  t.equal(onward.code, 255, 'a closed port behind the bastion');
  t.same(
    errorLine(onward).filter((l) => !/Permanently added/.test(l)),
    [
      `connecting to ${user}@127.0.0.1:${closed} (through ${user}@127.0.0.1:${bastion.port})`,
      `error: could not connect to ${user}@127.0.0.1:${closed} (through ${user}@127.0.0.1:${bastion.port}): the bastion could not connect onward: connect failed: Connection refused`,
    ],
    "the bastion's refusal, in one line",
  );

  // A bastion that accepts the connection and never says a word (a host
  // behind a firewall that drops packets looks the same to ssh once the
  // connect timeout runs out): no real sshd can be made to do this.
  const silent = await serveSilence(t);
  const hung = homeWithWeb(undefined, { BastionPort: String(silent.port) });
  const r = await nepho(['ssh', 'web', '-i', client.privateKey, '--connect-timeout', '2', '--', 'echo', 'no'], { home: hung });
  t.equal(r.code, 255, 'a silent bastion: ssh gives up after the connect timeout');
  t.ok(silent.connections() >= 1, 'ssh did reach the silent bastion');
  const lines = errorLine(r);
  t.equal(lines.length, 2, `two lines in all: ${JSON.stringify(lines)}`);
  t.equal(lines[0], `connecting to ${user}@127.0.0.1:${target.port} (through ${user}@127.0.0.1:${silent.port})`);
  t.match(
    lines[1],
    new RegExp(
      `^error: could not connect to ${user}@127\\.0\\.0\\.1:${target.port} \\(through ${user}@127\\.0\\.0\\.1:${silent.port}\\): (the bastion 127\\.0\\.0\\.1:${silent.port}: )?no answer within 2 s$`,
    ),
  );
});

t.test('--user changes the host user only; the bastion keeps its own', async (t) => {
  const h = homeWithWeb();
  const r = await nepho(['ssh', 'web', '--user', 'deploy', '--print'], { home: h });
  t.equal(r.code, 0, r.stderr);
  const text = readFileSync(join(h, 'formations', 'web', 'ssh_config'), 'utf8');
  const [hostPart, bastionPart] = text.split('Host nepho-web-bastion');
  t.match(hostPart, /\n {2}User deploy\n/);
  t.match(bastionPart, new RegExp(`\\n {2}User ${user}\\n`));
});

t.test('a provider that knows its ssh endpoint is connected to directly', async (t) => {
  const h = join(tempDir(t), 'home');
  standInFormation(h, 'box', { provider: 'stand-in-local', state: { endpoint: { host: '127.0.0.1', port: target.port, user } } });
  const before = forwardedTo(bastion, target.port).length;
  const r = await nepho(['ssh', 'box', '-i', client.privateKey, '--', 'echo', 'direct'], { home: h });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'direct\n');
  t.equal(forwardedTo(bastion, target.port).length, before, 'the bastion was not used');
  t.notMatch(readFileSync(join(h, 'formations', 'box', 'ssh_config'), 'utf8'), /ProxyJump|ProxyCommand|bastion/);
});

t.test('a NEPHO_HOME with a blank in its path still reaches the host through the bastion', async (t) => {
  const h = homeWithWeb(join(tempDir(t), 'my files'));
  const r = await nepho(['ssh', 'web', '-i', client.privateKey, '--', 'echo', 'spaced'], { home: h });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'spaced\n');
  t.match(readFileSync(join(h, 'formations', 'web', 'ssh_config'), 'utf8'), /ProxyCommand ssh -F '.*my files.*' -W '\[%h\]:%p' nepho-web-bastion/);
  t.equal(knownHosts(h).length, 2);
});

t.test('host, port and user values that could smuggle ssh options are refused', async (t) => {
  const pwned = join(tempDir(t), 'pwned');
  const cases: [Record<string, string>, RegExp][] = [
    [{ Host: `-oProxyCommand=touch ${pwned}` }, /access\.ssh\.host "-oProxyCommand=touch .*" is not a host name/],
    [{ Host: `127.0.0.1\n  ProxyCommand touch ${pwned}` }, /access\.ssh\.host "127\.0\.0\.1\\n {2}ProxyCommand touch .*" is not a host name/],
    [{ Host: '127.0.0.1 -oProxyCommand=x' }, /access\.ssh\.host/],
    [{ Bastion: '-J evil' }, /access\.ssh\.bastion "-J evil"/],
    [{ Bastion: 'host%h' }, /access\.ssh\.bastion "host%h"/],
    [{ BastionPort: '22 -oX=y' }, /access\.ssh\.bastion_port '22 -oX=y' is not a port/],
    [{ Port: '0' }, /access\.ssh\.port '0' is not a port/],
  ];
  for (const [over, pattern] of cases) {
    const h = homeWithWeb(undefined, over);
    const r = await nepho(['ssh', 'web', '-i', client.privateKey, '--', 'echo', 'no'], { home: h });
    expectUserError(t, r, pattern, JSON.stringify(over));
    t.notOk(existsSync(join(h, 'formations', 'web', 'ssh_config')), 'no config file was written');
  }
  const h = homeWithWeb();
  standInFormation(h, 'web', { access: SSH_FROM_OUTPUTS, parameters: { AdminUser: 'root\nProxyCommand x' }, state: { outputs: outputs() } });
  expectUserError(
    t,
    await nepho(['ssh', 'web', '--print'], { home: h }),
    /access\.ssh\.user "root\\nProxyCommand x" is not a user name/,
    'a user with a line break',
  );
  expectUserError(
    t,
    await nepho(['ssh', 'web', '--print', '--user=-oProxyCommand=x'], { home: homeWithWeb() }),
    /--user "-oProxyCommand=x" is not a user name/,
    '--user starting with -',
  );
  expectUserError(t, await nepho(['ssh', 'web', '--print', '--user', 'a b'], { home: homeWithWeb() }), /--user "a b"/, '--user with a blank');

  const local = join(tempDir(t), 'home');
  standInFormation(local, 'box', { provider: 'stand-in-local', state: { endpoint: { host: '-oProxyCommand=x', port: 22 } } });
  expectUserError(
    t,
    await nepho(['ssh', 'box', '--print'], { home: local }),
    /the ssh host reported by provider stand-in-local "-oProxyCommand=x"/,
    'a provider endpoint is checked too',
  );
  t.notOk(existsSync(pwned), 'nothing ran');
});

t.test('clear errors before anything is run', async (t) => {
  expectUserError(t, await nepho(['ssh', 'nope'], { home }), /no formation named 'nope'/, 'no such formation');
  expectUserError(t, await nepho(['ssh', 'web', '-i', join(base, 'no-such-key')], { home }), /-i .*no-such-key: no such readable file/, 'a missing key');
  expectUserError(t, await nepho(['ssh', 'web', '-i', base], { home }), /-i .*: not a file/, 'a directory as key');
  for (const bad of ['0', 'soon', '1.5', '99999']) {
    expectUserError(
      t,
      await nepho(['ssh', 'web', '--connect-timeout', bad], { home }),
      /--connect-timeout ".*": not a whole number of seconds from 1 to 3600/,
      `--connect-timeout ${bad}`,
    );
  }

  const noPath = await nepho(['ssh', 'web', '-i', client.privateKey, '--', 'true'], { home, env: { PATH: tempDir(t) } });
  expectUserError(t, noPath, /ssh: no such program on PATH/, 'no ssh on PATH');
  const printed = await nepho(['ssh', 'web', '--print'], { home, env: { PATH: tempDir(t) } });
  t.equal(printed.code, 0, '--print does not need ssh here');

  const h = join(tempDir(t), 'home');
  standInFormation(h, 'web', { access: { url: 'http://x/' }, state: {} });
  expectUserError(t, await nepho(['ssh', 'web'], { home: h }), /formation web: scenario default of local\/stand-in declares no access\.ssh/, 'no access.ssh');
  standInFormation(h, 'web', {
    access: SSH_FROM_OUTPUTS,
    parameters: { AdminUser: user },
    state: { outputs: { Host: '127.0.0.1', Port: '22' }, inProgress: true, status: 'CREATE_IN_PROGRESS' },
  });
  expectUserError(t, await nepho(['ssh', 'web'], { home: h }), /access\.ssh\.bastion \(\{\{outputs\.Bastion\}\}\) has no value yet/, 'an output not there yet');
  standInFormation(h, 'web', { access: SSH_FROM_OUTPUTS, parameters: { AdminUser: user }, state: { outputs: outputs(), gone: true } });
  expectUserError(t, await nepho(['ssh', 'web'], { home: h }), /formation web: provider stand-in-cloud no longer has it/, 'a formation gone at the provider');
});

// Last: it replaces the target server.
t.test('a host key that changed is refused', async (t) => {
  const before = readFileSync(join(home, 'known_hosts'), 'utf8');
  await target.stop();
  target = await startSshd(t, { authorizedKey: client.publicKey, port: target.port });
  const r = await nepho(['ssh', 'web', '-i', client.privateKey, '--', 'echo', 'should-not-run'], { home });
  t.equal(r.code, 255, 'ssh refused to connect');
  t.equal(r.stdout, '', 'nothing ran on the host');
  t.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  t.equal(readFileSync(join(home, 'known_hosts'), 'utf8'), before, 'the remembered key was not replaced');
});
