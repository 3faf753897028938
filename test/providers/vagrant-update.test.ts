// formation:update of a vagrant formation through the built CLI: the preview
// is a unified diff of the Vagrantfile and the bootstrap; applying it runs
// `vagrant reload --provision`, or only the bootstrap provisioner when only
// the bootstrap changed. No hypervisor runs on these machines: a STAND-IN
// `vagrant` is first on PATH (test/fixtures/vagrant/stand-in-vagrant.mjs);
// its `provision` replays what the real vagrant 2.3.4 printed running nepho's
// scripts over ssh, its `reload` is crafted in the same format (see
// CAPTURED.md). Its `validate` runs the REAL `vagrant validate -p`, and the
// tests run it themselves on every Vagrantfile an update wrote.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { filesContaining } from '../fixtures/files.js';
import { latestEntries, readJournal } from '../fixtures/nanny.js';
import { realVagrantValidate, vagrantFormation } from '../fixtures/vagrant.js';

/** The real `vagrant validate -p` accepts the Vagrantfile in `dir`. */
function validates(t: Test, dir: string, what: string): void {
  const v = realVagrantValidate(t, dir);
  t.equal(v.code, 0, `${what}: the real vagrant validate -p accepts the Vagrantfile: ${v.output}`);
}

t.test('update with a changed parameter: a diff of the Vagrantfile, --dry-run writes nothing, -y applies it with reload --provision', async (t) => {
  const f = await vagrantFormation(t);
  f.newCalls();
  const before = f.files();

  const json = await f.run(['formation:update', f.name, '-p', 'Box=debian/bookworm64', '--dry-run', '-o', 'json']);
  t.equal(json.code, 0, `dry run: ${json.stderr}`);
  const preview = JSON.parse(json.stdout);
  t.match(
    preview,
    {
      operation: { outcome: 'previewed', kind: 'update', formation: f.name },
      changes: { empty: false, parameters: [{ name: 'Box', from: 'nepho-test/box', to: 'debian/bookworm64' }] },
    },
    'the preview as data',
  );
  const diff: string = preview.changes.diff;
  t.match(diff, /^--- a\/Vagrantfile\n\+\+\+ b\/Vagrantfile\n@@ /m, 'a unified diff of the Vagrantfile');
  t.match(diff, /^-  config\.vm\.box = 'nepho-test\/box'$/m, 'the old box removed');
  t.match(diff, /^\+  config\.vm\.box = 'debian\/bookworm64'$/m, 'the new box added');
  t.match(diff, /^--- a\/nepho-bootstrap\.sh\n\+\+\+ b\/nepho-bootstrap\.sh$/m, 'and of the bootstrap, which exports the parameters');
  t.match(diff, /^\+export NEPHO_Box='debian\/bookworm64'$/m);

  const text = await f.run(['formation:update', f.name, '-p', 'Box=debian/bookworm64', '--dry-run']);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /parameter Box: nepho-test\/box → debian\/bookworm64/, 'the text names the parameter change');
  t.match(text.stdout, /^-  config\.vm\.box = 'nepho-test\/box'\n\+  config\.vm\.box = 'debian\/bookworm64'$/m, 'and shows the diff');
  t.match(text.stdout, /Dry run: nothing was changed\./);
  t.same(f.newCalls(), [], 'a preview runs no vagrant command');
  t.same(f.files(), before, '--dry-run wrote nothing: the files are byte for byte the same');
  t.match(await f.describe(), { parameters: { Box: 'nepho-test/box' } }, 'and the record is unchanged');
  f.newCalls();

  const applied = await f.run(['formation:update', f.name, '-p', 'Box=debian/bookworm64', '-y']);
  t.equal(applied.code, 0, `applied: ${applied.stderr}`);
  t.match(applied.stdout, /^-  config\.vm\.box = 'nepho-test\/box'$/m, 'the diff is shown before applying');
  t.match(applied.stdout, /updated web in .* \(running\)/);
  t.same(f.newCalls(), [['validate'], ['reload', '--provision'], ['status']], 'validate, then reload --provision, then status');
  t.match(f.files().Vagrantfile, "config.vm.box = 'debian/bookworm64'", 'the new Vagrantfile is written');
  t.match(f.files()['nepho-bootstrap.sh'], "export NEPHO_Box='debian/bookworm64'");
  validates(t, f.dir, 'after the update');
  const entries = latestEntries(readJournal(f.home, f.name));
  t.ok(
    entries.some((e) => e.kind === 'event' && /Attempting graceful shutdown/.test(e.event?.reason ?? '')),
    "reload's lines became events",
  );
  t.match(entries.at(-1), { kind: 'end', operation: 'update', ok: true, status: 'running' });
  t.match(
    await f.describe(),
    { status: 'running', parameters: { Box: 'debian/bookworm64', Greeting: 'hello', Token: '(secret)' } },
    'describe shows the new value; the secret kept',
  );
  t.same(filesContaining(f.home, f.secret), [], 'the secret, not given again, is written nowhere');
});

t.test('only the bootstrap changed: its diff alone, applied by the bootstrap provisioner without a reload', async (t) => {
  const f = await vagrantFormation(t);
  writeFileSync(
    join(f.cloudlet.dir, 'provisioners', 'bootstrap.sh'),
    '#!/bin/sh\necho "$NEPHO_Greeting from the bootstrap of $NEPHO_FORMATION"\napt-get install -y nginx\n',
  );
  f.newCalls();
  const vagrantfile = f.files().Vagrantfile;

  const json = await f.run(['formation:update', f.name, '--dry-run', '-o', 'json']);
  t.equal(json.code, 0, json.stderr);
  const diff: string = JSON.parse(json.stdout).changes.diff;
  t.match(diff, /^--- a\/nepho-bootstrap\.sh$/m, 'the bootstrap differs');
  t.match(diff, /^\+apt-get install -y nginx$/m, 'by the new line');
  t.notMatch(diff, /Vagrantfile/, 'the Vagrantfile does not');

  const applied = await f.run(['formation:update', f.name, '-y']);
  t.equal(applied.code, 0, applied.stderr);
  t.same(f.newCalls(), [['validate'], ['provision', '--provision-with', 'nepho-bootstrap'], ['status']], 'provision, no reload');
  t.match(f.files()['nepho-bootstrap.sh'], /^apt-get install -y nginx$/m, 'the new bootstrap is in place');
  t.equal(f.files().Vagrantfile, vagrantfile, 'the Vagrantfile is as it was');
  validates(t, f.dir, 'after a bootstrap-only update');
});

t.test('no change: `no changes`, exit 0, no vagrant command, nothing written', async (t) => {
  const f = await vagrantFormation(t);
  f.newCalls();
  const before = f.files();
  const r = await f.run(['formation:update', f.name, '-p', 'Greeting=hello']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^no changes$/m);
  const json = await f.run(['formation:update', f.name, '-o', 'json']);
  t.match(JSON.parse(json.stdout), { operation: { outcome: 'unchanged' }, changes: { empty: true } });
  t.same(f.newCalls(), [], 'vagrant never ran: the preview needs none');
  t.same(f.files(), before, 'nothing was written');
});
