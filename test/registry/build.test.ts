// registry:build from real git repositories with tags; its output installed by
// cloudlet:install through file://, which verifies commit and digest.
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { nepho } from '../fixtures/cli.js';
import { cloudletFiles, lintCleanFiles } from '../fixtures/cloudlets.js';
import { writeFiles } from '../fixtures/files.js';
import { git, makeCloudletRepo } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';

const files = lintCleanFiles;

/** A repo `acme/wiki-repo` with 1.0.0, a broken 1.1.0 and 1.2.0, plus a non-semver tag. */
function wikiRepo(parent: string) {
  const repo = makeCloudletRepo(join(parent, 'acme'), 'wiki', ['1.0.0', '1.1.0', '1.2.0'], {
    files: (v) =>
      files('wiki', v, {
        'cloudlet.yaml':
          v === '1.1.0'
            ? 'name: [wiki\nversion: 1.1.0\n'
            : `name: wiki\nversion: ${v}\nsummary: a wiki ${v}\nauthor: Acme\nlicense: MIT\nkeywords: [wiki, php]\n`,
      }),
  });
  git(repo.dir, 'tag', 'not-a-version');
  return repo;
}

t.test('build: semver tags become versions; a broken tag is left out with a warning; install through file:// verifies', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const repo = wikiRepo(dir);
  const out = join(dir, 'public');

  const built = await nepho(['registry:build', repo.dir, '--out', out], { home });
  t.equal(built.code, 0, built.stderr);
  t.match(built.stderr, /warning: .*wiki-repo tag v1\.1\.0 left out: .*cloudlet\.yaml/, 'the broken tag is named');
  t.notMatch(built.stderr, /not-a-version/, 'non-semver tags are ignored quietly');
  t.match(built.stdout, /acme\/wiki: 1\.2\.0, 1\.0\.0/);

  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
  t.equal(index.apiVersion, 'nepho/v1');
  t.match(index.generated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.same(Object.keys(index.cloudlets), ['acme/wiki'], 'owner from the parent directory of the source');
  const entry = index.cloudlets['acme/wiki'];
  t.equal(entry.summary, 'a wiki 1.2.0', 'metadata from the newest version');
  t.equal(entry.author, 'Acme');
  t.equal(entry.license, 'MIT');
  t.same(entry.keywords, ['wiki', 'php']);
  t.equal(entry.source, pathToFileURL(repo.dir).toString(), 'a local path is published as its file:// URL');
  t.same(
    entry.versions.map((v: any) => [v.version, v.ref, v.commit]),
    [
      ['1.2.0', 'v1.2.0', repo.commits['1.2.0']],
      ['1.0.0', 'v1.0.0', repo.commits['1.0.0']],
    ],
    'newest first, each pinned to its commit',
  );
  for (const v of entry.versions) t.match(v.digest, /^sha256:[0-9a-f]{64}$/);
  t.ok(existsSync(join(out, 'index.html')));

  const add = await nepho(['registry:add', 'mine', pathToFileURL(join(out, 'index.json')).toString()], { home });
  t.equal(add.code, 0, add.stderr);
  const install = await nepho(['cloudlet:install', 'acme/wiki'], { home });
  t.equal(install.code, 0, `${install.stdout}${install.stderr}`);
  const record = JSON.parse(readFileSync(join(home, 'cloudlets', 'acme-wiki', '.nepho-install.json'), 'utf8'));
  t.equal(record.version, '1.2.0');
  t.equal(record.commit, repo.commits['1.2.0']);
  t.equal(record.digest, entry.versions[0].digest, 'install computed the same digest the registry recorded');
  const old = await nepho(['cloudlet:install', 'acme/wiki@1.0.0', '--force'], { home });
  t.equal(old.code, 0, `${old.stdout}${old.stderr}`);
});

t.test('build: --owner, annotated tags, tags without v, a version mismatch and an unsafe link are left out', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const repo = makeCloudletRepo(join(dir, 'Not An Owner'), 'blog', ['2.0.0'], { annotated: true, files: (v) => files('blog', v) });
  // 2.1.0 says it is 2.0.5: the tag and cloudlet.yaml disagree.
  writeFiles(repo.dir, files('blog', '2.0.5'));
  git(repo.dir, 'commit', '--quiet', '-am', 'mismatch');
  git(repo.dir, 'tag', '2.1.0');
  // 2.2.0 has a link that leaves the cloudlet.
  writeFiles(repo.dir, files('blog', '2.2.0'));
  symlinkSync('/etc/passwd', join(repo.dir, 'passwd'));
  git(repo.dir, 'add', '--all');
  git(repo.dir, 'commit', '--quiet', '-m', 'link');
  git(repo.dir, 'tag', 'v2.2.0');
  // 2.3.0 names a pattern that does not exist.
  writeFiles(repo.dir, files('blog', '2.3.0', { 'scenarios/default.yaml': 'summary: x\nproviders:\n  vagrant: {pattern: missing}\n' }));
  git(repo.dir, 'rm', '--quiet', 'passwd');
  git(repo.dir, 'commit', '--quiet', '-am', 'missing pattern');
  git(repo.dir, 'tag', 'v2.3.0');
  // 2.4.0 installs fine but fails lint: its Vagrant pattern uses a parameter no one declares.
  writeFiles(repo.dir, cloudletFiles('blog', '2.4.0'));
  git(repo.dir, 'commit', '--quiet', '-am', 'undeclared parameter');
  git(repo.dir, 'tag', 'v2.4.0');
  const out = join(dir, 'out');

  const noOwner = await nepho(['registry:build', repo.url, '--out', out], { home });
  t.equal(noOwner.code, 1);
  t.match(noOwner.stdout + noOwner.stderr, /cannot tell the cloudlet's owner.*--owner/s);
  t.notOk(existsSync(join(out, 'index.json')));

  const built = await nepho(['registry:build', repo.url, '--owner', 'acme', '--out', out], { home });
  t.equal(built.code, 0, built.stderr);
  t.match(built.stderr, /tag 2\.1\.0 left out: .*version is 2\.0\.5, but the tag names 2\.1\.0/);
  t.match(built.stderr, /tag v2\.2\.0 left out: .*passwd: symbolic link points outside/);
  t.match(built.stderr, /tag v2\.3\.0 left out: .*pattern/);
  t.match(built.stderr, /tag v2\.4\.0 left out: fails lint: patterns\/vagrant\/single\.rb .*unknown parameter 'Box'/);
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
  t.same(
    index.cloudlets['acme/blog'].versions.map((v: any) => [v.version, v.ref, v.commit]),
    [['2.0.0', 'v2.0.0', repo.commits['2.0.0']]],
    'annotated tag peeled to its commit',
  );

  const add = await nepho(['registry:add', 'mine', pathToFileURL(join(out, 'index.json')).toString()], { home });
  t.equal(add.code, 0, add.stderr);
  const install = await nepho(['cloudlet:install', 'acme/blog'], { home });
  t.equal(install.code, 0, `${install.stdout}${install.stderr}`);
});

t.test('build: nothing usable, or an unreadable source, is one clear error and writes nothing', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const out = join(dir, 'out');
  const broken = makeCloudletRepo(join(dir, 'acme'), 'bad', ['1.0.0'], { files: (v) => files('bad', v, { 'cloudlet.yaml': 'version: 1.0.0\n' }) });
  const r = await nepho(['registry:build', broken.dir, '--out', out], { home });
  t.equal(r.code, 1);
  t.match(r.stderr, /tag v1\.0\.0 left out: .*name/);
  t.match(r.stdout + r.stderr, /no source yielded a cloudlet version/);
  t.notOk(existsSync(join(out, 'index.json')));

  const missing = await nepho(['registry:build', join(dir, 'nowhere'), '--out', out], { home });
  t.equal(missing.code, 1);
  t.match(missing.stdout + missing.stderr, /cannot list tags of file:\/\/\S*nowhere/);
  t.notOk(existsSync(join(out, 'index.json')));

  const none = await nepho(['registry:build', '--out', out], { home });
  t.equal(none.code, 2, 'SOURCE is required: a usage error');
});

t.test('build: cloudlet text is escaped in the listing page', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const evil = '<script>alert(1)</script> & "quotes" \'single\'';
  const repo = makeCloudletRepo(join(dir, 'acme'), 'evil', ['1.0.0'], {
    files: (v) =>
      files('evil', v, {
        'cloudlet.yaml': `name: evil\nversion: ${v}\nsummary: ${JSON.stringify(evil)}\nauthor: "<img src=x onerror=alert(2)>"\nproject_page: "javascript:alert(3)"\nkeywords: ["<b>k</b>"]\n`,
      }),
  });
  const out = join(dir, 'out');
  const built = await nepho(['registry:build', repo.dir, '--out', out], { home });
  t.equal(built.code, 0, built.stderr);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  t.notMatch(html, /<script>alert/);
  t.notMatch(html, /<img/);
  t.notMatch(html, /<b>k/);
  t.notMatch(html, /href="javascript:/i, 'a javascript: project page is not a link');
  t.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot; &#39;single&#39;/);
  t.match(html, /nepho cloudlet:install acme\/evil/);
  t.notMatch(html, /(src|href)="(https?:)?\/\//, 'no external assets');
  t.equal((html.match(/<script>/g) ?? []).length, 1, "only the page's own inline script");
});

t.test('owner, tag versions and escaping, as functions', async (t) => {
  const { escapeHtml, ownerOf, tagVersion } = await import('../../src/registry/build.js');
  t.equal(ownerOf('https://github.com/HUIT/nepho-mediawiki.git'), 'huit', 'the parent directory of the URL, lowercased');
  t.equal(ownerOf('git@github.com:acme/blog.git'), 'acme');
  t.equal(ownerOf('file:///srv/git/acme/blog'), 'acme');
  t.equal(ownerOf('https://example.org/x.git', 'mine'), 'mine', '--owner wins');
  t.match(
    thrownMessage(() => ownerOf('https://example.org/x.git')),
    /cannot tell the cloudlet's owner/,
    'no parent directory',
  );
  t.match(
    thrownMessage(() => ownerOf('https://example.org/a/x.git', 'Bad Owner')),
    /--owner 'Bad Owner' is not an owner name/,
  );
  t.same(['v1.2.3', '1.2.3', 'v1.0.0-rc.1', 'v1.2', 'release-1.0.0', 'vv1.0.0', 'latest'].map(tagVersion), [
    '1.2.3',
    '1.2.3',
    '1.0.0-rc.1',
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}
