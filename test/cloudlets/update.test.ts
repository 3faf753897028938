// update and outdated: moving within the recorded range as new versions are
// published, refusing edited cloudlets, and following a git branch.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertUserError, nepho } from '../fixtures/cli.js';
import { cloudletEntries, cloudletFiles, readInstallRecord } from '../fixtures/cloudlets.js';
import { writeFiles } from '../fixtures/files.js';
import { git, makeCloudletRepo } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';
import { homeWithRegistry, indexDoc, indexEntry } from '../fixtures/registry.js';

/** Commit and tag a new version in a repository made by makeCloudletRepo. */
function publish(repo: ReturnType<typeof makeCloudletRepo>, version: string): void {
  writeFiles(repo.dir, cloudletFiles('demo', version));
  git(repo.dir, 'add', '--all');
  git(repo.dir, 'commit', '--quiet', '-m', `release ${version}`);
  git(repo.dir, 'tag', `v${version}`);
  repo.commits[version] = git(repo.dir, 'rev-parse', 'HEAD');
}

t.test('outdated and update follow the recorded range as versions are published', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const { home, server } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  const install = await nepho(['cloudlet:install', 'acme/demo@^1.0'], { home });
  t.equal(install.code, 0, install.stderr);

  const none = await nepho(['cloudlet:outdated', '-o', 'json'], { home });
  t.equal(none.code, 0);
  t.same(JSON.parse(none.stdout), [], 'nothing newer yet');
  const upToDate = await nepho(['cloudlet:outdated'], { home });
  t.match(upToDate.stderr, /all cloudlets are up to date/);

  publish(repo, '1.1.0');
  publish(repo, '2.0.0');
  server.body = indexDoc({ 'acme/demo': indexEntry(repo) });

  const outdated = await nepho(['cloudlet:outdated', '-o', 'json'], { home });
  t.equal(outdated.code, 0, outdated.stderr);
  t.same(JSON.parse(outdated.stdout), [{ name: 'acme/demo', current: '1.0.0', wanted: '1.1.0', latest: '2.0.0', registry: 'test' }]);
  const table = await nepho(['cloudlet:outdated'], { home });
  t.match(table.stdout, /CLOUDLET\s+CURRENT\s+WANTED\s+LATEST\s+REGISTRY\nacme\/demo\s+1\.0\.0\s+1\.1\.0\s+2\.0\.0\s+test\n/);

  const update = await nepho(['cloudlet:update', '-o', 'json'], { home });
  t.equal(update.code, 0, update.stderr);
  t.same(JSON.parse(update.stdout), [{ name: 'acme/demo', from: '1.0.0', to: '1.1.0', action: 'updated' }]);
  const record = readInstallRecord(home, 'acme-demo');
  t.equal(record.version, '1.1.0', 'moved to the newest in range, not to 2.0.0');
  t.equal(record.commit, repo.commits['1.1.0']);
  t.equal(record.range, '^1.0', 'the range is kept');
  t.same(cloudletEntries(home), ['acme-demo']);
  t.equal((await nepho(['cloudlet:verify'], { home })).code, 0);

  const again = await nepho(['cloudlet:update', 'demo'], { home });
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, /acme\/demo\s+1\.1\.0\s+1\.1\.0\s+up-to-date/);
  t.equal(readInstallRecord(home, 'acme-demo').installedAt, record.installedAt, 'nothing was reinstalled');

  const after = JSON.parse((await nepho(['cloudlet:outdated', '-o', 'json'], { home })).stdout);
  t.same(after, [{ name: 'acme/demo', current: '1.1.0', wanted: '1.1.0', latest: '2.0.0', registry: 'test' }], 'only the next major is newer');
});

t.test('registry:update refreshes a cached index so outdated sees new versions', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const { home, server } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  // A long TTL: the cached index is used as is until registry:update.
  writeFileSync(join(home, 'config.yaml'), `registries:\n  - {name: test, url: "${server.url}"}\nregistry_ttl: 3600\n`);
  t.equal((await nepho(['cloudlet:install', 'acme/demo'], { home })).code, 0);
  publish(repo, '1.0.1');
  server.body = indexDoc({ 'acme/demo': indexEntry(repo) });
  t.same(JSON.parse((await nepho(['cloudlet:outdated', '-o', 'json'], { home })).stdout), [], 'the cache is still fresh');
  t.equal((await nepho(['registry:update'], { home })).code, 0);
  t.same(JSON.parse((await nepho(['cloudlet:outdated', '-o', 'json'], { home })).stdout), [
    { name: 'acme/demo', current: '1.0.0', wanted: '1.0.1', latest: '1.0.1', registry: 'test' },
  ]);
});

t.test('update refuses a cloudlet whose files were edited, naming the file; --force overrides', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const { home, server } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  t.equal((await nepho(['cloudlet:install', 'acme/demo'], { home })).code, 0);
  const dir = join(home, 'cloudlets', 'acme-demo');
  appendFileSync(join(dir, 'scenarios', 'default.yaml'), '# my local tweak\n');
  publish(repo, '1.0.1');
  server.body = indexDoc({ 'acme/demo': indexEntry(repo) });

  const refused = await nepho(['cloudlet:update'], { home });
  t.equal(refused.code, 1);
  t.match(refused.stdout, /acme\/demo\s+1\.0\.0\s+1\.0\.0\s+failed: acme\/demo: 1 installed file\(s\) were edited: scenarios\/default\.yaml \(modified\)/);
  assertUserError(
    t,
    refused,
    /1 cloudlet\(s\) could not be updated: acme\/demo \(1 installed file\(s\) were edited: scenarios\/default\.yaml \(modified\)\)/,
    'edited',
  );
  t.match(refused.stderr, /^hint: see nepho cloudlet:verify acme\/demo; --force discards the edits$/m, "the edited cloudlet's own hint");
  t.equal(readInstallRecord(home, 'acme-demo').version, '1.0.0', 'still the old version');
  t.same(cloudletEntries(home), ['acme-demo']);

  const forced = await nepho(['cloudlet:update', '--force', '-o', 'json'], { home });
  t.equal(forced.code, 0, forced.stderr);
  t.same(JSON.parse(forced.stdout), [{ name: 'acme/demo', from: '1.0.0', to: '1.0.1', action: 'updated' }]);
  t.equal(readInstallRecord(home, 'acme-demo').version, '1.0.1');
  t.equal((await nepho(['cloudlet:verify'], { home })).code, 0, 'the edit is gone');
});

t.test('a git URL install updates when its branch moves, and refuses when edited', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const home = join(tempDir(t), 'home');
  t.equal((await nepho(['cloudlet:install', `${repo.url}#main`], { home })).code, 0);
  t.equal(readInstallRecord(home, 'local-demo').ref, 'main');

  const same = await nepho(['cloudlet:update', '-o', 'json'], { home });
  t.same(JSON.parse(same.stdout), [{ name: 'local/demo', from: '1.0.0', to: '1.0.0', action: 'up-to-date' }]);

  publish(repo, '1.2.0');
  const moved = await nepho(['cloudlet:update', '-o', 'json'], { home });
  t.equal(moved.code, 0, moved.stderr);
  t.same(JSON.parse(moved.stdout), [{ name: 'local/demo', from: '1.0.0', to: '1.2.0', action: 'updated' }]);
  t.equal(readInstallRecord(home, 'local-demo').commit, repo.commits['1.2.0']);

  publish(repo, '1.3.0');
  writeFileSync(join(home, 'cloudlets', 'local-demo', 'NOTES.txt'), 'mine\n');
  const refused = await nepho(['cloudlet:update', 'local/demo'], { home });
  t.equal(refused.code, 1);
  t.match(refused.stdout, /NOTES\.txt \(added\)/);
  t.equal(readInstallRecord(home, 'local-demo').version, '1.2.0');
  const forced = await nepho(['cloudlet:update', 'local/demo', '--force'], { home });
  t.equal(forced.code, 0, forced.stderr);
  t.equal(readInstallRecord(home, 'local-demo').commit, repo.commits['1.3.0']);
  t.same(cloudletEntries(home), ['local-demo']);
});

t.test('a path install updates from its directory; a develop link is skipped', async (t) => {
  const src = join(tempDir(t), 'work');
  writeFiles(src, cloudletFiles('demo', '0.1.0'));
  const linked = join(tempDir(t), 'linked');
  writeFiles(linked, cloudletFiles('tool', '0.1.0'));
  const home = join(tempDir(t), 'home');
  t.equal((await nepho(['cloudlet:install', src], { home })).code, 0);
  t.equal((await nepho(['cloudlet:install', linked, '--develop'], { home })).code, 0);
  writeFiles(src, cloudletFiles('demo', '0.2.0'));
  const r = await nepho(['cloudlet:update', '-o', 'json'], { home });
  t.equal(r.code, 0, r.stderr);
  t.same(JSON.parse(r.stdout), [
    { name: 'local/demo', from: '0.1.0', to: '0.2.0', action: 'updated' },
    { name: 'local/tool', from: '0.1.0', to: '0.1.0', action: 'skipped', reason: `linked to ${linked}` },
  ]);
  // Outdated is about registries: neither is listed.
  t.same(JSON.parse((await nepho(['cloudlet:outdated', '-o', 'json'], { home })).stdout), []);
});

t.test('a version withdrawn from the registry does not make update go back', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0', '1.1.0']);
  const { home, server } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  t.equal((await nepho(['cloudlet:install', 'acme/demo@^1'], { home })).code, 0);
  const entry = indexEntry(repo) as { versions: { version: string }[] };
  entry.versions = entry.versions.filter((v) => v.version !== '1.1.0');
  server.body = indexDoc({ 'acme/demo': entry });
  const r = await nepho(['cloudlet:update', '-o', 'json'], { home });
  t.equal(r.code, 0, r.stderr);
  t.same(JSON.parse(r.stdout), [{ name: 'acme/demo', from: '1.1.0', to: '1.1.0', action: 'up-to-date' }]);
  t.equal(readInstallRecord(home, 'acme-demo').version, '1.1.0');
  t.same(JSON.parse((await nepho(['cloudlet:outdated', '-o', 'json'], { home })).stdout), []);
});
