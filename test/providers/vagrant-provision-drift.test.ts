// formation:provision and formation:drift of a vagrant formation through the
// built CLI. The `vagrant` first on PATH is a STAND-IN (no hypervisor runs
// here): its `provision` replays what the real vagrant 2.3.4 printed running
// nepho's provisioning script over ssh, its exit status set by
// STANDIN_PROVISION_EXIT, and STANDIN_STATE stops its machine behind nepho's
// back (see test/fixtures/vagrant/CAPTURED.md).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { stderrLines } from '../fixtures/cli.js';
import { filesContaining } from '../fixtures/files.js';
import { latestEntries, readJournal } from '../fixtures/nanny.js';
import { vagrantFormation } from '../fixtures/vagrant.js';

t.test('formation:provision: vagrant provision runs the bootstrap again, its lines on stdout and in the journal, its exit status passed through', async (t) => {
  const f = await vagrantFormation(t);
  writeFileSync(join(f.cloudlet.dir, 'provisioners', 'bootstrap.sh'), '#!/bin/sh\necho "edited after create"\n');
  f.newCalls();
  const ok = await f.run(['formation:provision', f.name, '-p', `Token=${f.secret}`]);
  t.equal(ok.code, 0, ok.stderr);
  t.same(f.newCalls(), [['provision', '--provision-with', 'nepho-provision']], 'only the provisioning run is asked for');
  t.equal(
    ok.stdout.split('\n').slice(0, 4).join('\n'),
    'hello from the bootstrap of web\ninstalling packages...\na warning on stderr\ndone',
    "the script's lines, streamed to stdout",
  );
  t.notMatch(ok.stdout + ok.stderr, /nepho-provision-exit-status/, "the exit status line is nepho's own, not shown");
  t.match(ok.stderr, /provisioned web in .* \(PROVISIONED\)/, "the summary beside the script's output, on stderr");
  const entries = latestEntries(readJournal(f.home, f.name));
  t.same(
    entries.filter((e) => e.kind === 'output').map((e) => [e.stream, e.line]),
    [
      ['stdout', 'hello from the bootstrap of web'],
      ['stdout', 'installing packages...'],
      ['stdout', 'a warning on stderr'],
      ['stdout', 'done'],
    ],
    'and into the journal',
  );
  t.match(entries.at(-1), { kind: 'end', operation: 'provision', ok: true, exitCode: 0 });
  t.same(
    f.vagrant.calls().at(-1)?.secrets,
    { NEPHO_SECRET_Token: Buffer.from(f.secret).toString('base64') },
    'a secret given for the run goes to vagrant in its environment (test/providers/vagrant-secrets.test.ts follows it to the script)',
  );
  t.same(filesContaining(f.home, f.secret), [], 'and is written nowhere');
  const script = f.files()['nepho-provision.sh'];
  t.match(script, /nepho shell provisioning run for formation web/, "the script vagrant ran is the bootstrap's rerun");
  t.match(script, /^echo "edited after create"$/m, 'rendered from the installed cloudlet');
  t.match(await f.describe(), { status: 'running' }, "the formation's status is untouched");

  const failed = await f.run(['formation:provision', f.name], { STANDIN_PROVISION_EXIT: '3' });
  t.equal(failed.code, 3, "the script's exit status 3 is nepho's");
  t.match(failed.stdout, /^step 2 failed: no space left on device$/m, 'its output is shown');
  t.match(stderrLines(failed.stderr).errors, [/formation web: the bootstrap exited with status 3/]);
  t.match(latestEntries(readJournal(f.home, f.name)).at(-1), { kind: 'end', operation: 'provision', ok: false, exitCode: 3 });

  const stopped = await f.run(['formation:provision', f.name], { STANDIN_STATE: 'poweroff' });
  t.equal(stopped.code, 1, 'a machine that is not running: exit 1');
  t.match(stopped.stderr, /vagrant ran no provisioner: VM is not currently running/, 'saying why nothing ran');
});

t.test('formation:drift: all running is in sync (exit 0); a stopped machine has drifted (exit 2)', async (t) => {
  const f = await vagrantFormation(t);
  f.newCalls();
  const inSync = await f.run(['formation:drift', f.name]);
  t.equal(inSync.code, 0, inSync.stderr);
  t.equal(inSync.stdout, 'web: in sync\n');
  t.same(f.newCalls(), [['status']], 'vagrant status tells');

  const stopped = await f.run(['formation:drift', f.name], { STANDIN_STATE: 'poweroff' });
  t.equal(stopped.code, 2, 'drifted: exit 2');
  t.match(stopped.stdout, /^web: drifted$/m);
  t.match(stopped.stdout, /^default\s+vagrant machine\s+poweroff\s+state\s+running\s+poweroff$/m, 'the stopped machine listed, expected running');
  const json = await f.run(['formation:drift', f.name, '-o', 'json'], { STANDIN_STATE: 'poweroff' });
  t.equal(json.code, 2);
  t.same(JSON.parse(json.stdout), {
    name: f.name,
    provider: 'vagrant',
    drifted: true,
    resources: [
      { resource: 'default', type: 'vagrant machine', status: 'poweroff', differences: [{ path: 'state', expected: 'running', actual: 'poweroff' }] },
    ],
  });
  const missing = await f.run(['formation:drift', f.name], { STANDIN_STATE: 'not_created' });
  t.equal(missing.code, 2, "a machine destroyed behind nepho's back has drifted too");
  t.match(missing.stdout, /^default\s+vagrant machine\s+not_created/m);
});
