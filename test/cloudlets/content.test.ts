// Content that is not a valid cloudlet, or that links outside itself, is
// refused from a registry, a URL, a path and as a develop link, leaving
// nothing behind.
import { mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { nepho } from '../fixtures/cli.js';
import { cloudletFiles, listedCloudlets, readInstallRecord, refuseInstall } from '../fixtures/cloudlets.js';
import { writeFiles } from '../fixtures/files.js';
import { git, makeCloudletRepo } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';
import { homeWithRegistry, indexEntry } from '../fixtures/registry.js';

t.test('content that is not a valid cloudlet, from a registry, a URL, a path and linked', async (t) => {
  const parent = tempDir(t);
  const without = (file: string) => (v: string) => {
    const files = cloudletFiles('demo', v);
    delete files[file];
    return files;
  };
  const cases: [string, (v: string) => Record<string, string>, RegExp][] = [
    ['no-manifest', without('cloudlet.yaml'), /cloudlet\.yaml: file not found/],
    ['no-default', without('scenarios/default.yaml'), /scenarios\/default\.yaml: file not found/],
    [
      'bad-semver',
      (v) => ({ ...cloudletFiles('demo', v), 'cloudlet.yaml': 'name: demo\nversion: one\n' }),
      /cloudlet\.yaml: version 'one' is not a semver version/,
    ],
    ['bad-name', (v) => ({ ...cloudletFiles('demo', v), 'cloudlet.yaml': `name: Demo_Wiki\nversion: ${v}\n` }), /cloudlet\.yaml: name is required: lowercase/],
    ['no-name', (v) => ({ ...cloudletFiles('demo', v), 'cloudlet.yaml': `version: ${v}\n` }), /cloudlet\.yaml: name is required/],
    ['not-yaml', (v) => ({ ...cloudletFiles('demo', v), 'cloudlet.yaml': 'name: [demo\n' }), /cloudlet\.yaml(:\d+)?: not valid YAML/],
    [
      'bad-nepho',
      (v) => ({ ...cloudletFiles('demo', v), 'cloudlet.yaml': `name: demo\nversion: ${v}\nnepho: banana\n` }),
      /cloudlet\.yaml: nepho must be a semver range/,
    ],
    [
      'future',
      (v) => ({ ...cloudletFiles('demo', v), 'cloudlet.yaml': `name: demo\nversion: ${v}\nnepho: ">=99"\n` }),
      /needs nepho >=99; this is nepho \d+\.\d+\.\d+/,
    ],
  ];
  const registry: Record<string, unknown> = {};
  const repos: Record<string, ReturnType<typeof makeCloudletRepo>> = {};
  for (const [name, files] of cases) {
    repos[name] = makeCloudletRepo(parent, name, ['1.0.0'], { files });
    registry[`acme/${name}`] = indexEntry(repos[name]!);
  }
  const { home } = await homeWithRegistry(t, registry);
  // Develop links read cloudlet.yaml in place; registry, URL and path installs
  // check the fetched copy with one shared check. Every case goes through the
  // first; the commonest mistakes also through a registry; one through a
  // URL and a path, to show they share that check.
  const viaRegistry = new Set(['no-manifest', 'no-default', 'bad-semver', 'bad-name', 'future']);
  for (const [name, , pattern] of cases) {
    await refuseInstall(t, home, [repos[name]!.dir, '--develop'], pattern, `${name} linked`);
    if (!viaRegistry.has(name)) continue;
    const r = await refuseInstall(t, home, [`acme/${name}`], pattern, `${name} from a registry`);
    t.notMatch(r.stderr, /\.staging-/, `${name}: the scratch path is not shown`);
  }
  const [, , missing] = cases[0]!;
  await refuseInstall(t, home, [`${repos['no-manifest']!.url}#v1.0.0`], missing, 'no-manifest from a URL');
  await refuseInstall(t, home, [repos['no-manifest']!.dir], missing, 'no-manifest from a path');
  t.same(await listedCloudlets(home), [], 'nothing is listed');
});

t.test('symbolic links pointing outside the cloudlet are refused, naming the link', async (t) => {
  const parent = tempDir(t);
  const cases: [string, string, string][] = [
    ['abs', 'patterns/passwd', '/etc/passwd'],
    ['up', 'provisioners/escape', '../../x'],
    ['deep', 'a/b/c', '../../../../outside'],
  ];
  const registry: Record<string, unknown> = {};
  const repos: Record<string, ReturnType<typeof makeCloudletRepo>> = {};
  for (const [name, link, target] of cases) {
    const repo = makeCloudletRepo(parent, name, [], {});
    writeFiles(repo.dir, cloudletFiles(name, '1.0.0'));
    mkdirSync(dirname(join(repo.dir, link)), { recursive: true });
    symlinkSync(target, join(repo.dir, link));
    git(repo.dir, 'add', '--all');
    git(repo.dir, 'commit', '--quiet', '-m', 'release');
    git(repo.dir, 'tag', 'v1.0.0');
    repo.commits['1.0.0'] = git(repo.dir, 'rev-parse', 'HEAD');
    repos[name] = repo;
    registry[`acme/${name}`] = indexEntry(repo);
  }
  const { home } = await homeWithRegistry(t, registry);
  for (const [name, link, target] of cases) {
    const pattern = new RegExp(`${link.replace(/\//g, '\\/')}: symbolic link points outside the cloudlet \\(${target.replace(/[./]/g, '\\$&')}\\)`);
    await refuseInstall(t, home, [`acme/${name}`], pattern, `${name} from a registry`);
    await refuseInstall(t, home, [repos[name]!.dir, '--develop'], pattern, `${name} linked`);
    if (name === 'abs') {
      await refuseInstall(t, home, [`${repos[name]!.url}#v1.0.0`], pattern, `${name} from a URL`);
      await refuseInstall(t, home, [repos[name]!.dir], pattern, `${name} from a path`);
    }
  }
  t.same(await listedCloudlets(home), [], 'nothing is listed');
});

t.test('a link that only looks inside, through another link, is refused', async (t) => {
  // `here -> .` is harmless, but `sneak -> here/scenarios/../..` reads as
  // inside the cloudlet while it really resolves to the directory above it.
  const src = join(tempDir(t), 'work');
  writeFiles(src, cloudletFiles('demo', '1.0.0'));
  symlinkSync('.', join(src, 'here'));
  symlinkSync('here/scenarios/../..', join(src, 'sneak'));
  const home = join(tempDir(t), 'home');
  await refuseInstall(t, home, [src], /sneak: symbolic link points outside the cloudlet/, 'a link through a link');
  await refuseInstall(t, home, [src, '--develop'], /sneak: symbolic link points outside the cloudlet/, 'a link through a link, linked');
});

t.test('symbolic links that stay inside the cloudlet are fine', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', [], {});
  writeFiles(repo.dir, cloudletFiles('demo', '1.0.0'));
  symlinkSync('default.yaml', join(repo.dir, 'scenarios', 'alias.yaml'));
  symlinkSync('../provisioners/bootstrap.sh', join(repo.dir, 'patterns', 'boot.sh'));
  symlinkSync('patterns', join(repo.dir, 'p'));
  git(repo.dir, 'add', '--all');
  git(repo.dir, 'commit', '--quiet', '-m', 'release');
  git(repo.dir, 'tag', 'v1.0.0');
  repo.commits['1.0.0'] = git(repo.dir, 'rev-parse', 'HEAD');
  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  const r = await nepho(['cloudlet:install', 'acme/demo'], { home });
  t.equal(r.code, 0, r.stderr);
  const record = readInstallRecord(home, 'acme-demo');
  t.match(record.files['scenarios/alias.yaml'], /^link:/, 'the link is recorded as a link');
  t.equal((await nepho(['cloudlet:verify'], { home })).code, 0);
});
