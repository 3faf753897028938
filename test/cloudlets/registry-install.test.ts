// Installing from a registry served over real HTTP, with the cloudlets in real
// git repositories reached by file:// URLs.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertUserError, nepho } from '../fixtures/cli.js';
import { cloudletEntries, readInstallRecord } from '../fixtures/cloudlets.js';
import { git, makeCloudletRepo } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';
import { homeWithRegistry, indexDoc, indexEntry } from '../fixtures/registry.js';

t.test("NAME installs the newest version, pinned to the tag's commit", async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0', '1.1.0', '2.0.0']);
  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  const r = await nepho(['cloudlet:install', 'acme/demo'], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `${join(home, 'cloudlets')}\n└── acme-demo (v2.0.0)\n`);
  const record = readInstallRecord(home, 'acme-demo');
  t.match(record, { id: 'acme/demo', version: '2.0.0', registry: 'test', ref: 'v2.0.0', source: repo.url, range: '^2.0.0' });
  t.equal(record.commit, repo.commits['2.0.0'], 'the commit the tag points to');
  t.equal(record.commit, git(repo.dir, 'rev-parse', 'v2.0.0^{commit}'));
  t.notOk(existsSync(join(home, 'cloudlets', 'acme-demo', '.git')), 'no .git in the installed tree');
  t.same(cloudletEntries(home), ['acme-demo'], 'no scratch directory is left');
});

t.test('NAME@RANGE installs the newest version in the range and records the range', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0', '1.1.0', '2.0.0']);
  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  const r = await nepho(['cloudlet:install', 'acme/demo@^1.0'], { home });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /acme-demo \(v1\.1\.0\)/);
  const record = readInstallRecord(home, 'acme-demo');
  t.equal(record.version, '1.1.0');
  t.equal(record.range, '^1.0');
  t.equal(record.commit, repo.commits['1.1.0']);

  const exact = await nepho(['cloudlet:install', 'acme/demo@1.0.0'], { home });
  t.equal(exact.code, 0, exact.stderr);
  t.match(exact.stderr, /replaced v1\.1\.0/, 'an exact version replaces the installed one');
  t.equal(readInstallRecord(home, 'acme-demo').commit, repo.commits['1.0.0']);
  t.same(cloudletEntries(home), ['acme-demo']);
});

t.test('annotated tags are peeled to their commit', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0'], { annotated: true });
  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  const r = await nepho(['cloudlet:install', 'acme/demo'], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(readInstallRecord(home, 'acme-demo').commit, repo.commits['1.0.0']);
});

t.test('a short name works when one registry entry has it; an ambiguous one lists the candidates', async (t) => {
  const parent = tempDir(t);
  const demo = makeCloudletRepo(parent, 'demo', ['1.0.0']);
  const wiki = makeCloudletRepo(parent, 'wiki', ['1.0.0']);
  const { home, server } = await homeWithRegistry(t, { 'acme/demo': indexEntry(demo), 'acme/wiki': indexEntry(wiki) });
  const r = await nepho(['cloudlet:install', 'demo'], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(readInstallRecord(home, 'acme-demo').id, 'acme/demo');

  server.body = indexDoc({ 'acme/wiki': indexEntry(wiki), 'other/wiki': indexEntry(wiki) });
  const before = cloudletEntries(home);
  const ambiguous = await nepho(['cloudlet:install', 'wiki'], { home });
  assertUserError(t, ambiguous, /'wiki' could be acme\/wiki or other\/wiki/, 'ambiguous short name');
  t.match(ambiguous.stderr, /hint: name it as owner\/name/);
  t.same(cloudletEntries(home), before, 'nothing was installed');
});

t.test('the fetch is shallow: only the tagged commit is needed', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0'], { history: 50 });
  // Drop the first commit of the long history from the repository. A full
  // clone now fails ("Failed to traverse parents"); a shallow fetch of the
  // tag never asks for it, so the install still works.
  const first = git(repo.dir, 'rev-list', '--max-parents=0', 'HEAD');
  rmSync(join(repo.dir, '.git', 'objects', first.slice(0, 2), first.slice(2)));
  t.throws(() => git(tempDir(t), 'clone', '--quiet', repo.url, 'full'), 'a full clone cannot get the whole history');

  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  const r = await nepho(['cloudlet:install', 'acme/demo'], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(readInstallRecord(home, 'acme-demo').commit, repo.commits['1.0.0']);
  t.notOk(existsSync(join(home, 'cloudlets', 'acme-demo', '.git')));
  t.same(cloudletEntries(home), ['acme-demo']);
});

t.test('describe shows what the registry knows; a range narrows the versions', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0', '1.1.0', '2.0.0']);
  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  const r = await nepho(['cloudlet:describe', 'acme/demo@^1', '-o', 'json'], { home });
  t.equal(r.code, 0, r.stderr);
  const data = JSON.parse(r.stdout);
  t.equal(data.name, 'acme/demo');
  t.same(
    data.versions.map((v: { version: string }) => v.version),
    ['1.1.0', '1.0.0'],
  );
});
