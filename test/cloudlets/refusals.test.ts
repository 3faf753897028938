// Registry installs that must be refused because the content is not what the
// registry pinned or says. Each leaves nothing behind: no new entry in
// cloudlets/ (besides .locks/) and the same `cloudlet:list -o json`.
import { join } from 'node:path';
import t from 'tap';
import { nepho } from '../fixtures/cli.js';
import { cloudletFiles, listedCloudlets, readInstallRecord, refuseInstall } from '../fixtures/cloudlets.js';
import { writeFiles } from '../fixtures/files.js';
import { git, makeCloudletRepo } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';
import { homeWithRegistry, indexDoc, indexEntry } from '../fixtures/registry.js';

t.test('a registry whose commit does not match the tag (the tag was moved)', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  // Moved after the index was built: same version, another commit.
  git(repo.dir, 'commit', '--quiet', '--allow-empty', '-m', 'sneaky');
  git(repo.dir, 'tag', '--force', 'v1.0.0');
  const moved = git(repo.dir, 'rev-parse', 'HEAD');
  const r = await refuseInstall(t, home, ['acme/demo'], /acme\/demo@1\.0\.0: .*pins commit/, 'moved tag');
  t.match(r.stderr, repo.commits['1.0.0']!, 'names the pinned commit');
  t.match(r.stderr, moved, 'and the one found');
  t.same(await listedCloudlets(home), [], 'nothing is listed');
});

t.test('a digest that does not match the content', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const entry = indexEntry(repo) as { versions: Record<string, unknown>[] };
  entry.versions[0]!.digest = `sha256:${'0'.repeat(64)}`;
  const { home } = await homeWithRegistry(t, { 'acme/demo': entry });
  await refuseInstall(t, home, ['acme/demo'], /acme\/demo@1\.0\.0: content digest sha256:[0-9a-f]{64} does not match/, 'wrong digest');
  t.same(await listedCloudlets(home), [], 'nothing is listed');
});

t.test('the right digest is accepted', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  // Learn the digest from an install by URL (the same tree).
  const probe = join(tempDir(t), 'probe');
  t.equal((await nepho(['cloudlet:install', `${repo.url}#v1.0.0`], { home: probe })).code, 0);
  const digest = readInstallRecord(probe, 'local-demo').digest;
  const entry = indexEntry(repo) as { versions: Record<string, unknown>[] };
  entry.versions[0]!.digest = digest;
  const { home } = await homeWithRegistry(t, { 'acme/demo': entry });
  const r = await nepho(['cloudlet:install', 'acme/demo'], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(readInstallRecord(home, 'acme-demo').digest, digest);
});

t.test('cloudlet.yaml that disagrees with the registry', async (t) => {
  const parent = tempDir(t);
  const wrongName = makeCloudletRepo(parent, 'demo', ['1.0.0'], { files: (v) => cloudletFiles('other', v) });
  const wrongVersion = makeCloudletRepo(parent, 'wiki', ['1.0.0'], { files: () => cloudletFiles('wiki', '1.0.1') });
  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(wrongName), 'acme/wiki': indexEntry(wrongVersion) });
  await refuseInstall(t, home, ['acme/demo'], /acme\/demo@1\.0\.0: cloudlet\.yaml name is 'other', expected 'demo'/, 'name mismatch');
  await refuseInstall(t, home, ['acme/wiki'], /acme\/wiki@1\.0\.0: cloudlet\.yaml version is 1\.0\.1/, 'version mismatch');
  t.same(await listedCloudlets(home), [], 'nothing is listed');
});

t.test('a refused install keeps the version that was installed', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const { home, server } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  t.equal((await nepho(['cloudlet:install', 'acme/demo'], { home })).code, 0);
  const before = readInstallRecord(home, 'acme-demo');
  const listBefore = await listedCloudlets(home);
  // 1.1.0 is published with a commit that is not what the tag holds.
  writeFiles(repo.dir, cloudletFiles('demo', '1.1.0'));
  git(repo.dir, 'commit', '--quiet', '-am', 'release 1.1.0');
  git(repo.dir, 'tag', 'v1.1.0');
  const entry = indexEntry(repo) as { versions: Record<string, unknown>[] };
  entry.versions.push({ version: '1.1.0', ref: 'v1.1.0', commit: 'a'.repeat(40) });
  server.body = indexDoc({ 'acme/demo': entry });
  await refuseInstall(t, home, ['acme/demo@1.1.0'], /pins commit/, 'bad new version');
  t.same(readInstallRecord(home, 'acme-demo'), before, 'the installed version is untouched');
  t.same(await listedCloudlets(home), listBefore, 'the list is unchanged');
  t.equal((await nepho(['cloudlet:verify'], { home })).code, 0);
});
