// uninstall asks (or wants --yes), refuses while formations use the cloudlet
// or its files were edited (--force overrides), and leaves develop
// directories alone.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertUserError, nepho } from '../fixtures/cli.js';
import { cloudletEntries, cloudletFiles, readInstallRecord } from '../fixtures/cloudlets.js';
import { writeFiles } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';
import { homeWithDemo } from '../fixtures/registry.js';

t.test('uninstall without a terminal and without --yes refuses; --yes removes', async (t) => {
  const { home, dir } = await homeWithDemo(t);
  const r = await nepho(['cloudlet:uninstall', 'acme/demo'], { home });
  assertUserError(t, r, /Uninstall acme\/demo 1\.0\.0 from .*\? Not confirmed: no terminal to ask on/, 'no terminal');
  t.match(r.stderr, /hint: pass --yes/);
  t.ok(existsSync(join(dir, 'cloudlet.yaml')), 'still installed');

  const yes = await nepho(['cloudlet:uninstall', 'demo', '--yes'], { home });
  t.equal(yes.code, 0, yes.stderr);
  t.equal(yes.stdout, 'uninstalled acme/demo 1.0.0\n');
  t.same(cloudletEntries(home), [], 'gone, with no scratch left');
  t.same(JSON.parse((await nepho(['cloudlet:list', '-o', 'json'], { home })).stdout), []);

  const again = await nepho(['cloudlet:uninstall', 'acme/demo', '-y'], { home });
  assertUserError(t, again, /cloudlet 'acme\/demo' is not installed/, 'twice');
});

t.test('uninstall is refused while a formation uses the cloudlet; --force overrides', async (t) => {
  const { home, dir } = await homeWithDemo(t);
  const formation = join(home, 'formations', 'wiki-one');
  mkdirSync(formation, { recursive: true });
  writeFileSync(join(formation, 'formation.json'), JSON.stringify({ name: 'wiki-one', cloudlet: 'acme/demo' }));
  // A formation of another cloudlet does not count.
  mkdirSync(join(home, 'formations', 'other'), { recursive: true });
  writeFileSync(join(home, 'formations', 'other', 'formation.json'), JSON.stringify({ name: 'other', cloudlet: 'huit/mediawiki' }));

  const r = await nepho(['cloudlet:uninstall', 'acme/demo', '--yes'], { home });
  assertUserError(t, r, /acme\/demo is used by formation\(s\) wiki-one$/m, 'in use');
  t.match(r.stderr, /hint: destroy them first, or pass --force/);
  t.ok(existsSync(join(dir, 'cloudlet.yaml')), 'still installed');

  const forced = await nepho(['cloudlet:uninstall', 'acme/demo', '--yes', '--force'], { home });
  t.equal(forced.code, 0, forced.stderr);
  t.same(cloudletEntries(home), []);
  t.ok(existsSync(join(formation, 'formation.json')), 'the formation record is not touched');
});

t.test('uninstall is refused when files were edited, naming them; --force overrides', async (t) => {
  const { home, dir } = await homeWithDemo(t);
  appendFileSync(join(dir, 'scenarios', 'default.yaml'), '# mine\n');
  const r = await nepho(['cloudlet:uninstall', 'acme/demo', '--yes'], { home });
  assertUserError(t, r, /acme\/demo: 1 installed file\(s\) were edited: scenarios\/default\.yaml \(modified\)/, 'edited');
  t.match(r.stderr, /hint: see nepho cloudlet:verify acme\/demo; --force discards the edits/);
  t.ok(existsSync(dir));
  const forced = await nepho(['cloudlet:uninstall', 'acme/demo', '--yes', '--force'], { home });
  t.equal(forced.code, 0, forced.stderr);
  t.same(cloudletEntries(home), []);
});

t.test('uninstalling a develop link removes the link and leaves the directory alone', async (t) => {
  const src = join(tempDir(t), 'work');
  writeFiles(src, cloudletFiles('demo', '0.1.0'));
  const home = join(tempDir(t), 'home');
  t.equal((await nepho(['cloudlet:install', src, '--develop'], { home })).code, 0);
  appendFileSync(join(src, 'scenarios', 'default.yaml'), '# work in progress\n');
  const before = readFileSync(join(src, 'scenarios', 'default.yaml'), 'utf8');

  const r = await nepho(['cloudlet:uninstall', 'local/demo', '--yes'], { home });
  t.equal(r.code, 0, r.stderr);
  t.notOk(existsSync(join(home, 'cloudlets', 'local-demo')), 'the link is gone');
  t.notOk(existsSync(join(home, 'cloudlets', '.develop', 'local-demo.json')), 'and its record');
  t.equal(readFileSync(join(src, 'scenarios', 'default.yaml'), 'utf8'), before, 'the linked directory is untouched');
  for (const file of Object.keys(cloudletFiles('demo', '0.1.0'))) t.ok(existsSync(join(src, file)), `${file} is still there`);
  t.same(JSON.parse((await nepho(['cloudlet:list', '-o', 'json'], { home })).stdout), []);
});

t.test('uninstall then install again gives a clean copy', async (t) => {
  const { home } = await homeWithDemo(t);
  const first = readInstallRecord(home, 'acme-demo');
  t.equal((await nepho(['cloudlet:uninstall', 'acme/demo', '--yes'], { home })).code, 0);
  t.equal((await nepho(['cloudlet:install', 'acme/demo'], { home })).code, 0);
  const second = readInstallRecord(home, 'acme-demo');
  t.equal(second.commit, first.commit);
  t.equal(second.digest, first.digest);
  t.equal((await nepho(['cloudlet:verify'], { home })).code, 0);
});
