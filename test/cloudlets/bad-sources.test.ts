// Bad input, part two: refs and URLs that would be read as options,
// transports that run commands, credentials in URLs, unknown cloudlets,
// versions and ranges. Each is one `error:` line naming the argument, exit 1,
// no stack, and nothing changed.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertUserError, nepho } from '../fixtures/cli.js';
import { cloudletEntries } from '../fixtures/cloudlets.js';
import { makeCloudletRepo } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';
import { homeWithRegistry, indexEntry } from '../fixtures/registry.js';

t.test('refs and URLs that start with "-" are refused before git runs', async (t) => {
  const home = join(tempDir(t), 'home');
  const scratch = tempDir(t);
  const evil = join(scratch, 'evil');
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const cases: [string[], RegExp][] = [
    [['--', '--upload-pack=touch'], /'--upload-pack=touch' is not a cloudlet name, git URL or path/],
    [['--', `--upload-pack=touch ${evil}`], /'--upload-pack=touch .*evil' is not/],
    [['--', '-x'], /'-x'/],
    [[`file:///tmp/x#--upload-pack=touch ${evil}`], /ref '--upload-pack=touch .*' starts with "-"/],
    [[`${repo.url}#--upload-pack=touch ${evil}`], /ref '--upload-pack=touch .*' starts with "-"/],
    [[`${repo.url}#-b`], /ref '-b' starts with "-"/],
    [[`${repo.url}#../../etc`], /ref '\.\.\/\.\.\/etc' is not a valid ref name/],
    [[`${repo.url}#HEAD@{1}`], /ref 'HEAD@\{1\}' is not a valid ref name/],
    [[`${repo.url}#v1 --upload-pack=x`], /ref 'v1 --upload-pack=x' contains characters/],
    [[`${repo.url}#`], /ref '' is empty/],
    // Hosts that ssh would read as options.
    [['--', 'ssh://-oProxyCommand=touch%20/tmp/x/repo'], /ssh:\/\/-oProxyCommand.*host/],
    [['git@-oProxyCommand=x:repo'], /git@-oProxyCommand=x:repo/],
    [['--', '-oProxyCommand=x@host:repo'], /'-oProxyCommand=x@host:repo'/],
    [['ssh://user@-oProxyCommand=x/repo'], /ssh:\/\/\*\*\*@-oProxyCommand=x\/repo.*host/],
  ];
  for (const [args, pattern] of cases) {
    const r = await nepho(['cloudlet:install', ...args], { home, cwd: scratch });
    assertUserError(t, r, pattern, args.join(' '));
    if (args[0] === '--' && args[1]!.startsWith('-')) t.match(r.stderr, /hint: names, URLs and refs cannot start with "-"/);
    t.notMatch(r.stderr, /Cloning/, `${args.join(' ')}: refused before git ran`);
  }
  t.notOk(existsSync(evil), 'no command ran');
  t.same(readdirSync(scratch), [], 'nothing was created where nepho ran');
  t.same(cloudletEntries(home), []);
});

t.test('transports that make git run commands are refused, and nothing runs', async (t) => {
  const home = join(tempDir(t), 'home');
  const scratch = tempDir(t);
  const pwned = join(scratch, 'pwned');
  const cases = [`ext::sh -c touch% ${pwned}`, `ext::sh -c "touch ${pwned}"#v1.0.0`, 'fd::3', 'fd::0,1', `EXT::sh -c touch% ${pwned}`, `transport::${pwned}`];
  for (const url of cases) {
    const r = await nepho(['cloudlet:install', url], { home, cwd: scratch });
    assertUserError(t, r, /uses a transport that runs commands/, url);
  }
  // The same URLs as a registry's source: the entry is left out with a warning.
  const { home: regHome } = await homeWithRegistry(t, {
    'acme/evil': { source: `ext::sh -c touch% ${pwned}`, versions: [{ version: '1.0.0', ref: 'v1.0.0', commit: 'a'.repeat(40) }] },
  });
  const r = await nepho(['cloudlet:install', 'acme/evil'], { home: regHome, cwd: scratch });
  t.equal(r.code, 1);
  t.match(r.stderr, /warning: registry 'test': entry 'acme\/evil' left out: "source" 'ext::.*' uses a transport that runs commands/);
  t.match(r.stderr, /error: unknown cloudlet 'acme\/evil'/);
  t.notOk(existsSync(pwned), 'no command ran');
  t.same(readdirSync(scratch), []);
  t.same(cloudletEntries(home), []);
  t.same(cloudletEntries(regHome), []);
});

t.test('credentials in a git URL are never printed', async (t) => {
  const home = join(tempDir(t), 'home');
  // Nothing listens on port 9 (discard): the fetch fails at once.
  const r = await nepho(['cloudlet:install', 'https://alice:s3cret@127.0.0.1:9/x.git#v1.0.0'], { home });
  t.equal(r.code, 1);
  t.match(r.stderr, /error: .*cannot fetch 'v1\.0\.0'/);
  t.notMatch(r.stderr, /s3cret/, 'the password is not shown');
  t.notMatch(r.stdout, /s3cret/);
  t.same(cloudletEntries(home), []);
});

t.test('unknown cloudlets, versions and ranges', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0', '1.1.0']);
  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  const cases: [string[], RegExp][] = [
    [['cloudlet:install', 'acme/nothing'], /unknown cloudlet 'acme\/nothing'/],
    [['cloudlet:install', 'nothing'], /unknown cloudlet 'nothing'/],
    [['cloudlet:describe', 'acme/nothing'], /unknown cloudlet 'acme\/nothing'/],
    [['cloudlet:install', 'acme/demo@^2'], /acme\/demo has no version in range '\^2'.*1\.1\.0, 1\.0\.0/],
    [['cloudlet:install', 'acme/demo@3.0.0'], /has no version in range '3\.0\.0'/],
    [['cloudlet:install', 'acme/demo@>>1'], /'>>1' in 'acme\/demo@>>1' is not a semver range/],
    [['cloudlet:install', 'acme/demo@banana'], /'banana' in 'acme\/demo@banana' is not a semver range/],
    [['cloudlet:install', 'acme/demo@'], /'' in 'acme\/demo@' is not a semver range/],
    [['cloudlet:describe', 'acme/demo@>>1'], /'>>1' in 'acme\/demo@>>1' is not a semver range/],
    [['cloudlet:uninstall', 'acme/demo', '--yes'], /cloudlet 'acme\/demo' is not installed/],
    [['cloudlet:verify', 'acme/demo'], /cloudlet 'acme\/demo' is not installed/],
    [['cloudlet:update', 'demo'], /cloudlet 'demo' is not installed/],
  ];
  for (const [args, pattern] of cases) {
    assertUserError(t, await nepho(args, { home }), pattern, args.join(' '));
  }
  t.same(cloudletEntries(home), []);
});
