// A vagrant update applies exactly what was previewed: the operation engine
// in-process plans the update (the provider's preview), then the formation's
// directory or the cloudlet changes before it runs. The `vagrant` first on
// PATH is the STAND-IN (test/fixtures/vagrant/stand-in-vagrant.mjs): no
// hypervisor runs here.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { nephoHome } from '../../src/home.js';
import { engineContext, executePlan } from '../../src/operations/index.js';
import { planUpdate } from '../../src/operations/plan.js';
import type { UpdateRequest } from '../../src/operations/types.js';
import { RecordingIo } from '../fixtures/engine.js';
import { vagrantFormation, type VagrantFormation } from '../fixtures/vagrant.js';

/** Plan the update `-p Box=debian/bookworm64 -y` of `f`, let `meanwhile` change something, then run it here. */
async function updateAfter(t: Test, f: VagrantFormation, meanwhile: () => void) {
  const ctx = await engineContext(nephoHome({ NEPHO_HOME: f.home }), { ...process.env, ...f.vagrant.env, NEPHO_HOME: f.home });
  const request: UpdateRequest = {
    kind: 'update',
    name: f.name,
    params: ['Box=debian/bookworm64'],
    paramsFiles: [],
    noInput: true,
    dryRun: false,
    options: {},
  };
  const io = new RecordingIo({ update: true });
  const { plan } = await planUpdate(ctx, request, io);
  t.ok(plan, 'planned: the preview has changes');
  meanwhile();
  f.newCalls();
  return executePlan(ctx, plan!, io, { mode: 'foreground' });
}

t.test("the formation's Vagrantfile changed after the preview: nothing is applied", async (t) => {
  const f = await vagrantFormation(t);
  const vagrantfile = join(f.dir, 'Vagrantfile');
  const result = await updateAfter(t, f, () => appendFileSync(vagrantfile, '# edited by hand\n'));
  t.match(result, {
    outcome: 'failed',
    kind: 'update',
    status: 'running',
    failures: [{ reason: /Vagrantfile changed since the preview; nothing was applied$/ }],
  });
  t.same(f.newCalls(), [['status']], "no validate, reload or provision: only the machines' state was asked");
  t.match(readFileSync(vagrantfile, 'utf8'), /'nepho-test\/box'[\s\S]*# edited by hand\n$/, 'the edited Vagrantfile is left as it is');
  t.match(await f.describe(), { status: 'running', parameters: { Box: 'nepho-test/box' } }, 'the record keeps the deployed answers');
});

t.test('the cloudlet renders differently after the preview: nothing is applied', async (t) => {
  const f = await vagrantFormation(t);
  const before = f.files();
  const pattern = join(f.cloudlet.dir, 'patterns', 'vagrant', 'single.rb');
  const result = await updateAfter(t, f, () => writeFileSync(pattern, `${readFileSync(pattern, 'utf8')}# a later edit\n`));
  t.match(result, { outcome: 'failed', failures: [{ reason: /the cloudlet now renders Vagrantfile differently from the preview; nothing was applied$/ }] });
  t.same(f.newCalls(), [['status']]);
  t.same(f.files(), before, 'nothing was written');
});
