// formation:update of a vagrant formation that fails, through the built CLI:
// vagrant's provisioner failing during `reload --provision`, and a Vagrantfile
// the REAL `vagrant validate -p` refuses. Either way the old files go back and
// the record keeps the answers really deployed. The `vagrant` first on PATH is
// a STAND-IN (no hypervisor runs here) whose failing provisioner replays what
// the real vagrant 2.3.4 printed (see test/fixtures/vagrant/CAPTURED.md).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { stderrLines } from '../fixtures/cli.js';
import { realVagrantValidate, vagrantFormation } from '../fixtures/vagrant.js';

/** The real `vagrant validate -p` accepts the Vagrantfile in `dir`. */
function validates(t: Test, dir: string, what: string): void {
  const v = realVagrantValidate(t, dir);
  t.equal(v.code, 0, `${what}: the real vagrant validate -p accepts the Vagrantfile: ${v.output}`);
}

t.test('a failed update puts the old files back and keeps the deployed answers; the same update then applies', async (t) => {
  const f = await vagrantFormation(t);
  const before = f.files();
  f.newCalls();
  const failed = await f.run(['formation:update', f.name, '-p', 'Box=debian/bookworm64', '-y'], { STANDIN_PROVISION_EXIT: '3' });
  const lines = stderrLines(failed.stderr);
  t.equal(failed.code, 1, 'exit 1');
  t.match(lines.errors, [/formation web: update failed with running/], 'one error line: the update failed, the machine runs');
  t.match(
    failed.stderr,
    /✗ web \(vagrant\): vagrant reload --provision \(VagrantError\): The SSH command responded with a non-zero exit status/,
    "vagrant's reason",
  );
  t.same(lines.stackFrames, [], 'no stack');
  t.same(f.files(), before, 'the Vagrantfile and the bootstrap are back, byte for byte');
  t.match(await f.describe(), { status: 'running', parameters: { Box: 'nepho-test/box' } }, 'the record keeps the deployed answers');

  f.newCalls();
  const again = await f.run(['formation:update', f.name, '-p', 'Box=debian/bookworm64', '-y']);
  t.equal(again.code, 0, `the same update, once vagrant succeeds: ${again.stderr}`);
  t.same(f.newCalls(), [['validate'], ['reload', '--provision'], ['status']]);
  t.match(await f.describe(), { parameters: { Box: 'debian/bookworm64' } });
});

t.test('a Vagrantfile the real vagrant validate refuses is never applied: the old files go back', async (t) => {
  const f = await vagrantFormation(t);
  const before = f.files();
  writeFileSync(
    join(f.cloudlet.dir, 'patterns', 'vagrant', 'single.rb'),
    'Vagrant.configure("2") do |config|\n  config.vm.box = {{parameters.Box}}\n  config.vm.nonsense_setting = 1\nend\n',
  );
  f.newCalls();
  const r = await f.run(['formation:update', f.name, '-y']);
  t.equal(r.code, 1, 'exit 1');
  t.match(r.stderr, /Vagrantfile: vagrant validate failed: .*nonsense_setting/, "the real validate's reason, naming the Vagrantfile");
  t.same(f.newCalls(), [['validate'], ['status']], 'neither reload nor provision ran');
  t.same(f.files(), before, 'the old files are back');
  validates(t, f.dir, 'the restored Vagrantfile');
});
