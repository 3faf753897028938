// Bad input, part one: names and paths that try to leave $NEPHO_HOME or are
// not what they claim. Each is one `error:` line naming the argument, exit 1,
// no stack, and nothing changed.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertUserError, nepho } from '../fixtures/cli.js';
import { cloudletEntries, cloudletFiles } from '../fixtures/cloudlets.js';
import { writeFiles } from '../fixtures/files.js';
import { makeCloudletRepo } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';

t.test('names that try to leave $NEPHO_HOME, for every command that takes a name', async (t) => {
  const home = join(tempDir(t), 'home');
  t.equal((await nepho(['cloudlet:install', 'huit/mediawiki'], { home })).code, 0);
  const listBefore = (await nepho(['cloudlet:list', '-o', 'json'], { home })).stdout;
  const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const runs: [string, string][] = [];
  for (const name of ['../x', '/etc', 'a/b/c', 'UPPER/case']) {
    for (const command of ['uninstall', 'verify', 'describe']) runs.push([command, name]);
  }
  // More ways out, for the command that deletes; and the commands that take several names.
  for (const name of ['../../huit-mediawiki', 'huit/../../x', '.', 'huit/mediawiki/..']) runs.push(['uninstall', name]);
  for (const name of ['../x', 'a/b/c']) runs.push(['update', name], ['outdated', name]);
  for (const [command, name] of runs) {
    const r = await nepho([`cloudlet:${command}`, name, ...(command === 'uninstall' ? ['--yes', '--force'] : [])], { home });
    assertUserError(t, r, new RegExp(`'${quote(name)}'`), `${command} ${name}`);
  }
  t.same(cloudletEntries(home), ['huit-mediawiki']);
  t.equal((await nepho(['cloudlet:list', '-o', 'json'], { home })).stdout, listBefore, 'still installed, unchanged');
  t.equal((await nepho(['cloudlet:verify'], { home })).code, 0);
});

t.test('install: a name that is not owner/name, or a path that is not a cloudlet', async (t) => {
  const home = join(tempDir(t), 'home');
  const cwd = tempDir(t);
  mkdirSync(join(cwd, 'empty'));
  const cases: [string, RegExp][] = [
    ['a/b/c', /'a\/b\/c' is not a cloudlet name/],
    ['UPPER/case', /'UPPER\/case' is not a cloudlet name/],
    ['owner/na_me', /'owner\/na_me' is not a cloudlet name/],
    ['../x', new RegExp(`${join(cwd, '..', 'x').replace(/\//g, '\\/')}: no such directory`)],
    ['./empty', /empty\/cloudlet\.yaml: file not found/],
    // A directory that is not a cloudlet is named before anything is copied.
    ['/etc', /\/etc\/cloudlet\.yaml: file not found/],
    [home, /cloudlet\.yaml: file not found/],
  ];
  for (const [arg, pattern] of cases) {
    const r = await nepho(['cloudlet:install', arg], { home, cwd });
    assertUserError(t, r, pattern, `install ${arg}`);
    t.same(cloudletEntries(home), [], `install ${arg}: nothing left`);
  }
  for (const arg of ['/etc', home]) {
    const r = await nepho(['cloudlet:install', arg, '--develop'], { home, cwd });
    assertUserError(t, r, /cloudlet\.yaml: file not found/, `install ${arg} --develop`);
  }
  t.same(cloudletEntries(home), []);
  t.same(JSON.parse((await nepho(['cloudlet:list', '-o', 'json'], { home })).stdout), []);
});

t.test('install --as must be owner/name', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const home = join(tempDir(t), 'home');
  for (const as of ['../x', 'a/b/c', 'x', 'UP/per', '/etc/x']) {
    const r = await nepho(['cloudlet:install', repo.dir, '--as', as], { home });
    assertUserError(t, r, new RegExp(`--as '${as.replace(/[./]/g, '\\$&')}' is not owner/name`), `--as ${as}`);
  }
  const registry = await nepho(['cloudlet:install', 'huit/mediawiki', '--as', 'me/wiki'], { home });
  assertUserError(t, registry, /--as/, 'a registry install keeps its name');
  t.same(cloudletEntries(home), []);
});

t.test("a directory inside nepho's cloudlets, or one holding them, is not copied into itself", async (t) => {
  // NEPHO_HOME inside the cloudlet being installed: a copy would copy itself.
  const src = join(tempDir(t), 'work');
  writeFiles(src, cloudletFiles('demo', '1.0.0'));
  const inner = join(src, '.nepho');
  const copy = await nepho(['cloudlet:install', src], { home: inner });
  assertUserError(t, copy, new RegExp(`${src}: is or holds nepho's own cloudlets directory`), 'home inside the source');
  t.same(cloudletEntries(inner), []);
  const link = await nepho(['cloudlet:install', src, '--develop'], { home: inner });
  t.equal(link.code, 0, `a link is harmless: ${link.stderr}`);

  // An installed copy installed again from its own directory.
  const home = join(tempDir(t), 'home');
  t.equal((await nepho(['cloudlet:install', 'huit/mediawiki'], { home })).code, 0);
  const installed = join(home, 'cloudlets', 'huit-mediawiki');
  for (const extra of [[], ['--develop'], ['--as', 'me/wiki']]) {
    const r = await nepho(['cloudlet:install', installed, ...extra], { home });
    assertUserError(t, r, /huit-mediawiki: is or holds nepho's own cloudlets directory/, `installed copy ${extra.join(' ')}`);
  }
  t.same(cloudletEntries(home), ['huit-mediawiki']);
  t.equal((await nepho(['cloudlet:verify'], { home })).code, 0);
});
