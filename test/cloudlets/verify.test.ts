// verify reports what changed since install, by content, and exits 1 when
// anything did; short names resolve among installed cloudlets.
import { appendFileSync, chmodSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertUserError, nepho } from '../fixtures/cli.js';
import { cloudletEntries, cloudletFiles } from '../fixtures/cloudlets.js';
import { writeFiles } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';
import { homeWithDemo } from '../fixtures/registry.js';

t.test('verify lists modified, added and removed files and exits 1; clean exits 0', async (t) => {
  const { home, dir } = await homeWithDemo(t);
  const clean = await nepho(['cloudlet:verify', '-o', 'json'], { home });
  t.equal(clean.code, 0);
  t.same(JSON.parse(clean.stdout), [{ name: 'acme/demo', checked: true, changes: [] }]);

  const cases: [string, () => void, { path: string; change: string }][] = [
    ['modified', () => appendFileSync(join(dir, 'scenarios', 'default.yaml'), '# edit\n'), { path: 'scenarios/default.yaml', change: 'modified' }],
    ['added', () => writeFileSync(join(dir, 'patterns', 'extra.rb'), '# new\n'), { path: 'patterns/extra.rb', change: 'added' }],
    ['removed', () => rmSync(join(dir, 'provisioners', 'bootstrap.sh')), { path: 'provisioners/bootstrap.sh', change: 'removed' }],
    ['mode', () => chmodSync(join(dir, 'cloudlet.yaml'), 0o755), { path: 'cloudlet.yaml', change: 'modified' }],
    ['link out', () => symlinkSync('/etc/passwd', join(dir, 'passwd')), { path: 'passwd', change: 'added' }],
  ];
  const seen: { path: string; change: string }[] = [];
  for (const [what, change, expected] of cases) {
    change();
    seen.push(expected);
    const r = await nepho(['cloudlet:verify'], { home });
    assertUserError(t, r, new RegExp(`acme/demo \\(${seen.length} file\\(s\\)\\) differ from what was installed`), what);
    for (const c of seen)
      t.match(r.stdout, new RegExp(`acme/demo\\s+${c.change}\\s+${c.path.replace(/[./]/g, '\\$&')}`), `${what}: lists ${c.path} ${c.change}`);
  }
  const json = await nepho(['cloudlet:verify', 'acme/demo', '-o', 'json'], { home });
  t.equal(json.code, 1);
  const sorted = [...seen].sort((a, b) => (a.path < b.path ? -1 : 1));
  t.same(JSON.parse(json.stdout), [{ name: 'acme/demo', checked: true, changes: sorted }]);

  // Putting the content back makes it clean again: the record is of content, not of times.
  const fresh = await nepho(['cloudlet:install', 'acme/demo', '--force'], { home });
  t.equal(fresh.code, 0, fresh.stderr);
  t.equal((await nepho(['cloudlet:verify'], { home })).code, 0);
});

t.test('verify with no names checks every cloudlet and names each that differs', async (t) => {
  const { home, dir } = await homeWithDemo(t);
  t.equal((await nepho(['cloudlet:install', 'huit/mediawiki'], { home })).code, 0);
  writeFileSync(join(dir, 'cloudlet.yaml'), 'name: demo\nversion: 1.0.0\n');
  const r = await nepho(['cloudlet:verify'], { home });
  assertUserError(t, r, /^error: acme\/demo \(1 file\(s\)\) differ/, 'one of two');
  t.notMatch(r.stderr, /huit\/mediawiki/);
  t.equal((await nepho(['cloudlet:verify', 'mediawiki'], { home })).code, 0, 'the other is clean');
});

t.test('a short name shared by two installed cloudlets lists both', async (t) => {
  const { home } = await homeWithDemo(t);
  const src = join(tempDir(t), 'work');
  writeFiles(src, cloudletFiles('demo', '0.1.0'));
  t.equal((await nepho(['cloudlet:install', src], { home })).code, 0);
  for (const command of [
    ['cloudlet:verify', 'demo'],
    ['cloudlet:uninstall', 'demo', '--yes'],
    ['cloudlet:update', 'demo'],
  ]) {
    const r = await nepho(command, { home });
    assertUserError(t, r, /'demo' could be acme\/demo or local\/demo/, command[0]!);
    t.match(r.stderr, /hint: name it as owner\/name/);
  }
  t.same(cloudletEntries(home), ['acme-demo', 'local-demo']);
  t.equal((await nepho(['cloudlet:verify', 'local/demo'], { home })).code, 0, 'owner/name is exact');
});
