// Credentials in URLs (`http://user:password@host/...`): used for the command
// they were given to, never stored (not in install records, not in
// config.yaml) and never printed, errors and warnings included. Later
// commands authenticate as git and curl do: ~/.netrc (git also asks its
// credential helper). Real servers: git's own smart-HTTP backend and a node
// registry server, both behind HTTP Basic authentication on 127.0.0.1.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { expectUserError, type RunResult } from '../fixtures/cli.js';
import { cloudletFiles } from '../fixtures/cloudlets.js';
import { filesContaining, writeConfig, writeFiles } from '../fixtures/files.js';
import { git, makeCloudletRepo } from '../fixtures/git.js';
import { serveHttp } from '../fixtures/http.js';
import { tempDir } from '../fixtures/paths.js';
import { indexDoc } from '../fixtures/registry.js';
import { serveGitHttp } from '../fixtures/git-http.js';
import { runBounded } from '../fixtures/processes.js';

const USER = 'alice';
const PASSWORD = 's3cret-Pa55';

function noSecret(t: Tap, r: RunResult, what: string): void {
  t.notMatch(r.stdout + r.stderr, new RegExp(PASSWORD), `${what}: the password is not printed`);
}
type Tap = typeof t;

/** `~/.netrc` of a test home (runs get HOME=home), as a user would write it. */
function writeNetrc(home: string): void {
  writeFileSync(join(home, '.netrc'), `machine 127.0.0.1\n  login ${USER}\n  password ${PASSWORD}\n`, { mode: 0o600 });
}

t.test('a git URL with a user and password: installed with them, stored and shown without them; update then uses ~/.netrc', async (t) => {
  const root = tempDir(t);
  const repo = makeCloudletRepo(root, 'private', ['1.0.0']);
  const host = await serveGitHttp(t, root, USER, PASSWORD);
  const home = join(tempDir(t), 'home');
  const secretUrl = host.url('private-repo').replace('http://', `http://${USER}:${PASSWORD}@`);

  const wrong = await runBounded(['cloudlet:install', secretUrl.replace(PASSWORD, 'wrong-guess')], { home });
  t.equal(wrong.code, 1, 'a wrong password fails');
  t.notMatch(wrong.stderr, /wrong-guess/, 'and is not printed either');

  const install = await runBounded(['cloudlet:install', secretUrl], { home });
  t.equal(install.code, 0, install.stderr);
  noSecret(t, install, 'install');
  t.match(
    install.stderr,
    /^warning: the user and password in http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/private-repo are used for this install but not saved; cloudlet:update will authenticate through git's credential helper or ~\/\.netrc$/m,
  );
  t.ok(
    host.requests.some((q) => q.user === USER),
    'git authenticated with them',
  );
  t.same(filesContaining(home, PASSWORD), [], 'no file under the home holds the password');
  t.same(filesContaining(home, `${USER}:`), [], 'nor the user');
  const record = JSON.parse(readFileSync(join(home, 'cloudlets', 'local-private', '.nepho-install.json'), 'utf8'));
  t.equal(record.source, host.url('private-repo'), 'the record keeps the URL without credentials');

  // A new version on the branch; without credentials anywhere, update cannot fetch it.
  writeFiles(repo.dir, cloudletFiles('private', '1.1.0'));
  git(repo.dir, 'commit', '--quiet', '-am', 'release 1.1.0');
  const denied = await runBounded(['cloudlet:update', 'local/private'], { home });
  t.equal(denied.code, 1, 'update fails without credentials');
  noSecret(t, denied, 'update without credentials');
  t.match(denied.stdout + denied.stderr, /local\/private/, 'naming the cloudlet');

  writeNetrc(home);
  const updated = await runBounded(['cloudlet:update', 'local/private', '-o', 'json'], { home });
  t.equal(updated.code, 0, `with ~/.netrc, git authenticates: ${updated.stderr}`);
  t.match(JSON.parse(updated.stdout), [{ name: 'local/private', from: '1.0.0', to: '1.1.0', action: 'updated' }]);
  t.same(filesContaining(join(home, 'cloudlets'), PASSWORD), [], 'still nothing stored');
});

t.test('a registry URL with a user and password: added with them, config.yaml without them; later fetches use ~/.netrc', async (t) => {
  const index = indexDoc({});
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const seen: (string | undefined)[] = [];
  const server = await serveHttp(t, (req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization !== expected) res.writeHead(401, { 'www-authenticate': 'Basic realm="nepho"' }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(index);
  });
  const home = tempDir(t);
  writeConfig(home, 'registry_ttl: 0\nhttp:\n  retries: 0\n');
  const url = `http://${USER}:${PASSWORD}@127.0.0.1:${server.port}/index.json`;

  const wrong = await runBounded(['registry:add', 'private', url.replace(PASSWORD, 'wrong-guess')], { home });
  expectUserError(t, wrong, /^error: registry 'private': http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/index\.json answered HTTP 401$/, 'a wrong password');
  t.notMatch(wrong.stderr, /wrong-guess/);
  t.match(wrong.stderr, /hint: it wants credentials: put them in ~\/\.netrc \(machine 127\.0\.0\.1 login USER password PASSWORD\)/);

  const add = await runBounded(['registry:add', 'private', url], { home });
  t.equal(add.code, 0, add.stderr);
  noSecret(t, add, 'add');
  t.match(
    add.stderr,
    /^warning: registry 'private': the user and password in the URL are used now but not saved; later fetches send those of ~\/\.netrc for 127\.0\.0\.1$/m,
  );
  const config = readFileSync(join(home, 'config.yaml'), 'utf8');
  t.match(config, new RegExp(`url: http://127\\.0\\.0\\.1:${server.port}/index\\.json`), 'config.yaml has the URL without credentials');
  t.same(filesContaining(home, PASSWORD), [], 'no file under the home holds the password');

  const denied = await runBounded(['registry:update'], { home });
  expectUserError(
    t,
    denied,
    /registry 'private': http:\/\/127\.0\.0\.1:\d+\/index\.json answered HTTP 401 \(the previous copy is kept\)/,
    'update without credentials',
  );
  writeNetrc(home);
  const update = await runBounded(['registry:update'], { home });
  t.equal(update.code, 0, `with ~/.netrc: ${update.stderr}`);
  t.equal(seen.at(-1), expected, 'the credentials of ~/.netrc were sent');
  noSecret(t, update, 'update');
});

t.test('a registry that lists a source with a password: the install record keeps it out', async (t) => {
  const root = tempDir(t);
  const repo = makeCloudletRepo(root, 'listed', ['1.0.0']);
  const host = await serveGitHttp(t, root, USER, PASSWORD);
  const source = host.url('listed-repo').replace('http://', `http://${USER}:${PASSWORD}@`);
  const registry = await serveHttp(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      indexDoc({
        'acme/listed': { summary: 'x', source, versions: [{ version: '1.0.0', ref: 'v1.0.0', commit: repo.commits['1.0.0'] }] },
      }),
    );
  });
  const home = tempDir(t);
  writeConfig(home, `registries:\n  - {name: r, url: "${registry.origin}/index.json"}\n`);
  const install = await runBounded(['cloudlet:install', 'acme/listed'], { home });
  t.equal(install.code, 0, install.stderr);
  noSecret(t, install, 'install');
  t.same(filesContaining(join(home, 'cloudlets'), PASSWORD), [], 'not in the install record');
  const listed = await runBounded(['cloudlet:list', '-o', 'json'], { home });
  t.match(JSON.parse(listed.stdout), [{ name: 'acme/listed', source: host.url('listed-repo') }]);
});
