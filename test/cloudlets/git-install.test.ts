// Installing from git URLs (file:// and a real `git daemon` on 127.0.0.1) and
// from local directories, copied or linked for development.
import { existsSync, lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { nepho } from '../fixtures/cli.js';
import { cloudletEntries, cloudletFiles, readInstallRecord } from '../fixtures/cloudlets.js';
import { writeFiles } from '../fixtures/files.js';
import { git, makeCloudletRepo, serveGit } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';

t.test('file://URL#TAG installs that tag as local/<name>', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0', '1.1.0']);
  const home = join(tempDir(t), 'home');
  const r = await nepho(['cloudlet:install', `${repo.url}#v1.0.0`], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `${join(home, 'cloudlets')}\n└── local-demo (v1.0.0)\n`);
  const record = readInstallRecord(home, 'local-demo');
  t.match(record, { id: 'local/demo', version: '1.0.0', source: repo.url, ref: 'v1.0.0', commit: repo.commits['1.0.0'] });
  t.notOk('registry' in record, 'not a registry install');
  t.notOk(existsSync(join(home, 'cloudlets', 'local-demo', '.git')));
  t.same(cloudletEntries(home), ['local-demo']);
});

t.test('git://127.0.0.1 (a real git daemon) URL#TAG, and --as owner/name', async (t) => {
  const base = tempDir(t);
  const repo = makeCloudletRepo(base, 'demo', ['1.0.0', '1.1.0']);
  const daemon = await serveGit(t, base);
  const home = join(tempDir(t), 'home');
  const url = daemon.url('demo-repo');
  const r = await nepho(['cloudlet:install', `${url}#v1.1.0`, '--as', 'acme/demo'], { home });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /└── acme-demo \(v1\.1\.0\)/);
  t.match(readInstallRecord(home, 'acme-demo'), { id: 'acme/demo', source: url, ref: 'v1.1.0', commit: repo.commits['1.1.0'] });

  const list = JSON.parse((await nepho(['cloudlet:list', '-o', 'json'], { home })).stdout);
  t.match(list, [{ name: 'acme/demo', version: '1.1.0', source: url, ref: 'v1.1.0', registry: null }]);
});

t.test('a URL without a ref installs the remote HEAD', async (t) => {
  const base = tempDir(t);
  const repo = makeCloudletRepo(base, 'demo', ['1.0.0']);
  // HEAD moves past the last tag.
  writeFiles(repo.dir, cloudletFiles('demo', '1.0.1'));
  git(repo.dir, 'commit', '--quiet', '-am', 'unreleased');
  const head = git(repo.dir, 'rev-parse', 'HEAD');
  const daemon = await serveGit(t, base);

  for (const url of [repo.url, daemon.url('demo-repo')]) {
    const home = join(tempDir(t), 'home');
    const r = await nepho(['cloudlet:install', url], { home });
    t.equal(r.code, 0, r.stderr);
    const record = readInstallRecord(home, 'local-demo');
    t.equal(record.commit, head, `${url.split(':')[0]}: HEAD's commit`);
    t.equal(record.version, '1.0.1');
    t.notOk('ref' in record, 'no ref recorded: it follows HEAD');
  }
});

t.test('a commit id as the ref installs exactly that commit', async (t) => {
  const base = tempDir(t);
  const repo = makeCloudletRepo(base, 'demo', ['1.0.0', '1.1.0', '2.0.0']);
  const daemon = await serveGit(t, base);
  for (const url of [repo.url, daemon.url('demo-repo')]) {
    const home = join(tempDir(t), 'home');
    const r = await nepho(['cloudlet:install', `${url}#${repo.commits['1.1.0']}`], { home });
    t.equal(r.code, 0, r.stderr);
    t.match(readInstallRecord(home, 'local-demo'), { version: '1.1.0', commit: repo.commits['1.1.0'], ref: repo.commits['1.1.0'] });
  }
});

t.test('a tag that does not exist is refused and leaves nothing', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const home = join(tempDir(t), 'home');
  const r = await nepho(['cloudlet:install', `${repo.url}#v9.9.9`], { home });
  t.equal(r.code, 1);
  t.match(r.stderr, /error: .*cannot fetch 'v9\.9\.9'/);
  t.notMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m);
  t.same(cloudletEntries(home), []);
});

t.test('PATH copies the directory, without its .git', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const home = join(tempDir(t), 'home');
  const r = await nepho(['cloudlet:install', repo.dir], { home });
  t.equal(r.code, 0, r.stderr);
  const dir = join(home, 'cloudlets', 'local-demo');
  t.notOk(lstatSync(dir).isSymbolicLink(), 'a copy, not a link');
  t.notOk(existsSync(join(dir, '.git')), "the source's .git is not copied");
  t.equal(readFileSync(join(dir, 'cloudlet.yaml'), 'utf8'), readFileSync(join(repo.dir, 'cloudlet.yaml'), 'utf8'));
  t.match(readInstallRecord(home, 'local-demo'), { source: repo.dir, commit: repo.commits['1.0.0'], version: '1.0.0' });

  // The copy does not follow later edits of the source.
  writeFileSync(join(repo.dir, 'scenarios', 'default.yaml'), 'summary: changed\n');
  t.notMatch(readFileSync(join(dir, 'scenarios', 'default.yaml'), 'utf8'), /changed/);
  const verify = await nepho(['cloudlet:verify'], { home });
  t.equal(verify.code, 0, 'the installed copy is unchanged');

  const relative = await nepho(['cloudlet:install', './demo-repo', '--as', 'me/demo'], { home, cwd: join(repo.dir, '..') });
  t.equal(relative.code, 0, relative.stderr);
  t.equal(readInstallRecord(home, 'me-demo').source, repo.dir, 'a relative path is recorded absolute');
});

t.test('--develop links the directory: edits show at once; verify does not check it', async (t) => {
  const src = join(tempDir(t), 'work');
  writeFiles(src, cloudletFiles('demo', '0.1.0'));
  const home = join(tempDir(t), 'home');
  const r = await nepho(['cloudlet:install', src, '--develop'], { home });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, new RegExp(`└── local-demo \\(v0\\.1\\.0\\) -> ${src}`));
  const dir = join(home, 'cloudlets', 'local-demo');
  t.ok(lstatSync(dir).isSymbolicLink(), 'a symbolic link');
  t.equal(readlinkSync(dir), src);
  t.ok(existsSync(join(home, 'cloudlets', '.develop', 'local-demo.json')), "the record lives beside, not in the user's directory");
  t.notOk(existsSync(join(src, '.nepho-install.json')), 'nothing is written into the linked directory');

  writeFileSync(join(src, 'scenarios', 'default.yaml'), 'summary: edited in place\n');
  t.match(readFileSync(join(dir, 'scenarios', 'default.yaml'), 'utf8'), /edited in place/, 'edits are visible through the link');

  const verify = await nepho(['cloudlet:verify'], { home });
  t.equal(verify.code, 0, verify.stderr);
  t.match(verify.stderr, /local\/demo: a develop link, not verified/);

  const json = JSON.parse((await nepho(['cloudlet:verify', '-o', 'json'], { home })).stdout);
  t.same(json, [{ name: 'local/demo', checked: false, changes: [] }]);

  const list = JSON.parse((await nepho(['cloudlet:list', '-o', 'json'], { home })).stdout);
  t.match(list, [{ name: 'local/demo', develop: true, source: src }]);

  // A registry-style name with --develop makes no sense.
  const bad = await nepho(['cloudlet:install', 'acme/demo', '--develop'], { home });
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--develop/);
});

t.test('a develop link is replaced by a copy, and a copy by a link', async (t) => {
  const src = join(tempDir(t), 'work');
  writeFiles(src, cloudletFiles('demo', '0.1.0'));
  const home = join(tempDir(t), 'home');
  t.equal((await nepho(['cloudlet:install', src, '--develop'], { home })).code, 0);
  const copy = await nepho(['cloudlet:install', src], { home });
  t.equal(copy.code, 0, copy.stderr);
  const dir = join(home, 'cloudlets', 'local-demo');
  t.notOk(lstatSync(dir).isSymbolicLink(), 'now a copy');
  t.notOk(existsSync(join(home, 'cloudlets', '.develop', 'local-demo.json')), 'the develop record went with the link');
  t.ok(existsSync(join(src, 'cloudlet.yaml')), 'the linked directory is untouched');

  const link = await nepho(['cloudlet:install', src, '--develop'], { home });
  t.equal(link.code, 0, link.stderr);
  t.ok(lstatSync(dir).isSymbolicLink(), 'a link again');
  t.same(cloudletEntries(home), ['.develop', 'local-demo']);
});

t.test("DEBUG=simple-git shows simple-git's own log, as the debug package writes it", async (t) => {
  // The build gives simple-git a silent stand-in for `debug` unless DEBUG is set (scripts/bundle.js).
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const quiet = await nepho(['cloudlet:install', `${repo.url}#v1.0.0`], { home: join(tempDir(t), 'home') });
  t.equal(quiet.code, 0, quiet.stderr);
  t.notMatch(quiet.stderr, /simple-git/);
  const logged = await nepho(['cloudlet:install', `${repo.url}#v1.0.0`], { home: join(tempDir(t), 'home'), env: { DEBUG: 'simple-git' } });
  t.equal(logged.code, 0, logged.stderr);
  t.match(logged.stderr, /simple-git .*clone/);
});
