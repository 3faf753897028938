// `nepho register` through the built CLI: non-interactive with flags and the
// secret on stdin, the sign-up message when there is nothing to go on, and
// the interactive prompts in a real terminal (tmux). Every run gets its own
// HOME, so the AWS files are temp files; no AWS_* variable leaks in from the
// machine (the helpers pass a clean environment).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { expectUserError, nepho, type RunResult } from './fixtures/cli.js';
import { BIN, ROOT, tempDir, type Teardown } from './fixtures/paths.js';
import { terminal } from './fixtures/terminal.js';

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** A user's home with no AWS files yet, and a nepho home beside it. */
function user(): { home: string; nephoHome: string; credentials: string; config: string } {
  const dir = tempDir(t, 'nepho-register-');
  const home = join(dir, 'user');
  mkdirSync(home);
  return { home, nephoHome: join(dir, 'nepho'), credentials: join(home, '.aws', 'credentials'), config: join(home, '.aws', 'config') };
}

function register(u: ReturnType<typeof user>, args: string[], input?: string, env: Record<string, string> = {}): Promise<RunResult> {
  return nepho(['register', ...args], { home: u.nephoHome, env: { HOME: u.home, ...env }, ...(input === undefined ? {} : { input }) });
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

t.test('flags and the secret on stdin write both files, mode 0600, and never show the secret', async (t) => {
  const u = user();
  const r = await register(u, ['--access-key-id', KEY_ID, '--region', 'eu-west-1', '--secret-access-key-stdin'], `${SECRET}\n`);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `saved profile default: keys in ${u.credentials}, region eu-west-1 in ${u.config}\n`);
  t.notMatch(r.stdout + r.stderr, SECRET, 'the secret is not printed');
  t.equal(readFileSync(u.credentials, 'utf8'), `[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`);
  t.equal(readFileSync(u.config, 'utf8'), '[default]\nregion = eu-west-1\n');
  t.equal(mode(u.credentials), 0o600);
  t.equal(mode(u.config), 0o600);
  t.equal(mode(join(u.home, '.aws')), 0o700, '~/.aws is made private');
});

t.test('other profiles, comments and nested settings are kept', async (t) => {
  const u = user();
  mkdirSync(join(u.home, '.aws'));
  const credentials = '# team keys\n[work]\naws_access_key_id = AKIAWORKWORKWORK0000\naws_secret_access_key = workworkworkworkworkworkworkworkworkwork\n';
  const config = '[profile work]\nregion = ap-south-1\ns3 =\n  max_concurrent_requests = 20\n';
  writeFileSync(u.credentials, credentials, { mode: 0o644 });
  writeFileSync(u.config, config, { mode: 0o644 });
  const r = await register(u, ['--profile', 'dev', '--access-key-id', KEY_ID, '--region', 'us-west-2', '--secret-access-key-stdin'], SECRET);
  t.equal(r.code, 0, r.stderr);
  t.equal(readFileSync(u.credentials, 'utf8'), `${credentials}\n[dev]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`);
  t.equal(readFileSync(u.config, 'utf8'), `${config}\n[profile dev]\nregion = us-west-2\n`, 'a named profile is [profile NAME] in the config file');
  t.equal(mode(u.credentials), 0o600, 'a file that was 0644 is now 0600');
  t.equal(mode(u.config), 0o600);
  t.match(r.stderr, /use it with --profile dev/);
  t.notMatch(r.stdout + r.stderr, SECRET);
});

t.test('AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE are honoured; the region defaults from the environment', async (t) => {
  const u = user();
  const dir = tempDir(t);
  const env = { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'creds'), AWS_CONFIG_FILE: join(dir, 'conf'), AWS_REGION: 'ca-central-1' };
  const r = await register(u, ['--access-key-id', KEY_ID, '--secret-access-key-stdin'], SECRET, env);
  t.equal(r.code, 0, r.stderr);
  t.match(readFileSync(env.AWS_SHARED_CREDENTIALS_FILE, 'utf8'), `aws_access_key_id = ${KEY_ID}`);
  t.equal(readFileSync(env.AWS_CONFIG_FILE, 'utf8'), '[default]\nregion = ca-central-1\n');
  t.notOk(existsSync(join(u.home, '.aws')), '~/.aws untouched');
});

t.test('AWS_PROFILE names the profile when --profile does not', async (t) => {
  const u = user();
  const r = await register(u, ['--access-key-id', KEY_ID, '--region', 'us-east-2', '--secret-access-key-stdin'], SECRET, { AWS_PROFILE: 'ci' });
  t.equal(r.code, 0, r.stderr);
  t.match(readFileSync(u.credentials, 'utf8'), /^\[ci\]\n/);
  t.equal(readFileSync(u.config, 'utf8'), '[profile ci]\nregion = us-east-2\n');
  expectUserError(
    t,
    await register(u, ['--access-key-id', KEY_ID, '--secret-access-key-stdin'], SECRET, { AWS_PROFILE: 'a b' }),
    /^error: AWS_PROFILE 'a b' is not a profile name/,
    'a bad AWS_PROFILE',
  );
});

t.test("replacing a profile's keys needs --yes without a terminal", async (t) => {
  const u = user();
  const args = ['--access-key-id', KEY_ID, '--region', 'us-east-1', '--secret-access-key-stdin'];
  t.equal((await register(u, args, SECRET)).code, 0);
  const before = readFileSync(u.credentials, 'utf8');
  const refused = await register(u, ['--access-key-id', 'AKIANEWNEWNEWNEWNEW0', '--secret-access-key-stdin'], SECRET);
  expectUserError(t, refused, /Replace the access key of profile default in .*credentials\? Not confirmed: no terminal to ask on/, 'not confirmed');
  t.equal(readFileSync(u.credentials, 'utf8'), before, 'nothing changed');
  const replaced = await register(u, ['--access-key-id', 'AKIANEWNEWNEWNEWNEW0', '--secret-access-key-stdin', '--yes'], SECRET);
  t.equal(replaced.code, 0, replaced.stderr);
  t.equal(readFileSync(u.credentials, 'utf8'), `[default]\naws_access_key_id = AKIANEWNEWNEWNEWNEW0\naws_secret_access_key = ${SECRET}\n`, 'replaced in place');
  t.equal(readFileSync(u.config, 'utf8'), '[default]\nregion = us-east-1\n', 'the region kept when not given');
});

t.test('no terminal, no flags, no credentials anywhere: where to sign up, and how to run it without a terminal', async (t) => {
  const u = user();
  const r = await register(u, []);
  expectUserError(
    t,
    r,
    /^error: no AWS credentials found \(AWS_ACCESS_KEY_ID, .*\.aws\/credentials, .*\.aws\/config\) and no terminal to ask for them on$/,
    'nothing to go on',
  );
  t.match(
    r.stderr,
    /^hint: .*https:\/\/portal\.aws\.amazon\.com\/billing\/signup.*https:\/\/console\.aws\.amazon\.com\/iam\/home#\/security_credentials.*nepho register --access-key-id KEY --region REGION --secret-access-key-stdin < secret\.txt; .*run `aws configure sso` instead and pass its profile with --profile$/m,
  );
  t.notOk(existsSync(join(u.home, '.aws')), 'nothing written');

  const only = await register(u, ['--access-key-id', KEY_ID]);
  expectUserError(t, only, /no AWS credentials found/, 'a key id without its secret, and nothing else');
});

t.test('no terminal and credentials already there: the missing flags are named', async (t) => {
  const u = user();
  expectUserError(
    t,
    await register(u, [], undefined, { AWS_ACCESS_KEY_ID: 'AKIAFROMTHEENVIRONME' }),
    /no terminal to ask on: pass --access-key-id and --secret-access-key-stdin$/,
    'from the environment',
  );
  mkdirSync(join(u.home, '.aws'));
  writeFileSync(u.credentials, '[ci]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n');
  const r = await register(u, ['--access-key-id', KEY_ID]);
  expectUserError(t, r, /no terminal to ask on: pass --secret-access-key-stdin$/, 'from the credentials file');
  t.match(r.stderr, /hint: credentials already exist \(.*credentials \[ci\]\)/);
});

t.test('bad input is refused, naming the flag, and the secret never appears', async (t) => {
  const u = user();
  const cases: [string[], string, RegExp, string][] = [
    [['--access-key-id', 'akia-lower', '--secret-access-key-stdin'], SECRET, /^error: --access-key-id: not an access key id/, 'a lower-case key id'],
    [['--access-key-id', KEY_ID, '--region', 'Mars-1', '--secret-access-key-stdin'], SECRET, /^error: --region 'Mars-1' is not an AWS region/, 'a bad region'],
    [
      ['--profile', 'a]b', '--access-key-id', KEY_ID, '--secret-access-key-stdin'],
      SECRET,
      /^error: --profile 'a\]b' is not a profile name/,
      'a profile that would break the file',
    ],
    [
      ['--access-key-id', KEY_ID, '--secret-access-key-stdin'],
      `${SECRET} and more`,
      /^error: --secret-access-key-stdin: not a secret access key/,
      'a bad secret',
    ],
    [
      ['--access-key-id', KEY_ID, '--secret-access-key-stdin'],
      `${SECRET}\n[evil]\nx = y\n`,
      /^error: --secret-access-key-stdin: not a secret access key/,
      'a secret that would add a section',
    ],
    [['--access-key-id', KEY_ID, '--secret-access-key-stdin'], '\n', /^error: --secret-access-key-stdin: nothing on stdin/, 'an empty stdin'],
    [['--provider', 'vagrant'], '', /^error: --provider 'vagrant': only aws needs credentials/, 'another provider'],
  ];
  for (const [args, input, pattern, what] of cases) {
    const r = await register(u, args, input);
    expectUserError(t, r, pattern, what);
    t.notMatch(r.stdout + r.stderr, SECRET.slice(0, 12), `${what}: the secret is not echoed`);
  }
  t.notOk(existsSync(join(u.home, '.aws')), 'nothing written');
  const argv = await register(u, ['--access-key-id', KEY_ID, '--secret-access-key', SECRET]);
  t.equal(argv.code, 2, 'there is no flag that takes the secret on the command line: a usage error');
  t.notMatch(argv.stdout + argv.stderr, SECRET, 'and the refusal does not repeat it');
});

t.test('--provider: aws and cloudformation are one provider; vagrant says itself why it needs none; an unknown one is named', async (t) => {
  const u = user();
  const args = ['--access-key-id', KEY_ID, '--region', 'eu-west-1', '--secret-access-key-stdin'];
  const aws = await register(u, ['--provider', 'aws', ...args], SECRET);
  t.equal(aws.code, 0, aws.stderr);
  t.equal(aws.stdout, `saved profile default: keys in ${u.credentials}, region eu-west-1 in ${u.config}\n`);
  const byName = await register(u, ['--provider', 'cloudformation', '--yes', ...args], SECRET);
  t.equal(byName.code, 0, byName.stderr);
  t.equal(readFileSync(u.config, 'utf8'), '[default]\nregion = eu-west-1\n');

  const vagrant = await register(u, ['--provider', 'vagrant', ...args], SECRET);
  expectUserError(t, vagrant, /^error: --provider 'vagrant': only aws needs credentials$/, 'vagrant');
  t.match(vagrant.stderr, /^hint: vagrant runs on this machine and needs none$/m, "the provider's own line");
  const unknown = await register(u, ['--provider', 'nope']);
  expectUserError(t, unknown, /^error: --provider 'nope' is not a known provider$/, 'an unknown provider');
  t.match(unknown.stderr, /^hint: known providers: cloudformation, vagrant$/m);
});

/** `nepho register ARGS` in a real terminal, in a clean environment; the pane stays open after it exits. */
function registerInTerminal(t: Teardown, u: ReturnType<typeof user>, args = ''): ReturnType<typeof terminal> {
  const env = `env -i PATH='${process.env.PATH ?? '/usr/bin:/bin'}' HOME='${u.home}' NEPHO_HOME='${u.nephoHome}' TERM=xterm NO_COLOR=1`;
  return terminal(t, `cd '${ROOT}' && ${env} '${process.execPath}' '${BIN}' register ${args}; echo "EXIT=$?"; sleep 60`);
}

t.test('on a terminal: asks for the region, the key id and the secret, which shows as * only', async (t) => {
  const u = user();
  const term = registerInTerminal(t, u);
  const first = await term.waitForScreen(/AWS region \(us-east-1\)/);
  t.match(first, /No account\? Sign up at https:\/\/portal\.aws\.amazon\.com\/billing\/signup/, 'with nothing found, where to sign up comes first');
  t.match(first, /SSO \(IAM Identity Center\)\? Press Ctrl-C, run `aws configure sso`/, 'and what SSO users do instead');
  term.send(['Enter']);
  await term.waitForScreen(/AWS access key id/);
  term.send([KEY_ID], true);
  term.send(['Enter']);
  await term.waitForScreen(/AWS secret access key/);
  term.send([SECRET], true);
  const typed = await term.waitForScreen(new RegExp(`AWS secret access key \\*{${SECRET.length}}\\s*$`, 'm'));
  t.notMatch(typed, SECRET.slice(0, 6), 'while typing, the screen shows no character of the secret');
  t.notMatch(typed, /toggle visibility/, 'and offers no key to reveal it');
  term.send(['C-t']);
  await new Promise((r) => setTimeout(r, 300));
  t.notMatch(term.screen(), SECRET.slice(0, 6), 'ctrl+t reveals nothing');
  term.send(['Enter']);
  const done = await term.waitForScreen(/EXIT=\d+/);
  t.match(done, /EXIT=0/, done);
  t.match(done, /saved profile default: keys in .*credentials, region us-east-1 in .*config/);
  t.notMatch(done, SECRET.slice(0, 6), 'nor after');
  t.equal(readFileSync(u.credentials, 'utf8'), `[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`);
  t.equal(readFileSync(u.config, 'utf8'), '[default]\nregion = us-east-1\n');
  t.equal(mode(u.credentials), 0o600);
});

t.test('on a terminal: an invalid answer is asked again; replacing keys is asked first', async (t) => {
  const u = user();
  t.equal((await register(u, ['--access-key-id', KEY_ID, '--region', 'us-east-1', '--secret-access-key-stdin'], SECRET)).code, 0);
  const before = readFileSync(u.credentials, 'utf8');
  const declined = registerInTerminal(t, u);
  await declined.waitForScreen(/Replace the access key of profile default in .*credentials\?/);
  declined.send(['n', 'Enter']);
  t.match(await declined.waitForScreen(/EXIT=\d+/), /cancelled; nothing was changed[^]*EXIT=1/);
  t.equal(readFileSync(u.credentials, 'utf8'), before, 'nothing written');

  const term = registerInTerminal(t, u, '--profile eu --yes');
  await term.waitForScreen(/AWS region/);
  term.send(['C-u'], false);
  term.send(['europe'], true);
  term.send(['Enter']);
  await term.waitForScreen(/region 'europe' is not an AWS region/);
  for (let i = 0; i < 6; i++) term.send(['BSpace']);
  term.send(['eu-west-3'], true);
  term.send(['Enter']);
  await term.waitForScreen(/AWS access key id/);
  term.send([KEY_ID], true);
  term.send(['Enter']);
  await term.waitForScreen(/AWS secret access key/);
  term.send([SECRET], true);
  term.send(['Enter']);
  t.match(await term.waitForScreen(/EXIT=\d+/), /EXIT=0/);
  t.match(readFileSync(u.config, 'utf8'), /\[profile eu\]\nregion = eu-west-3\n/);
});

t.test('on a terminal: Ctrl-C at a question exits 130 and writes nothing', async (t) => {
  const u = user();
  const term = registerInTerminal(t, u);
  await term.waitForScreen(/AWS region/);
  term.send(['Enter']);
  await term.waitForScreen(/AWS access key id/);
  term.send(['C-c']);
  const done = await term.waitForScreen(/EXIT=\d+/);
  t.match(done, /EXIT=130/, done);
  t.match(done, /^error: interrupted at the prompt; nothing was written$/m);
  t.notOk(existsSync(u.credentials), 'no credentials file');
  t.notOk(existsSync(u.config), 'no config file');
});
