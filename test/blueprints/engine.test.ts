// Blueprints on the operation engine, in-process: the order formations are
// created in, the outputs passed, prompts asked once for everything, a
// failure skipping what depends on it, re-apply updating only what changed,
// --prune, and destroy in reverse order. The provider is the FAKE one of
// test/fixtures/engine.ts (answers on demand, a failure for one formation
// only); test/blueprints/aws.test.ts does the same on moto and the stand-in
// vagrant through the binary.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { claimBlueprint, carryBlueprint } from '../../src/blueprints/execute.js';
import { applyBlueprint, blueprintStatus, destroyBlueprint, watchBlueprint } from '../../src/blueprints/run.js';
import { planApply } from '../../src/blueprints/plan.js';
import { blueprintContext } from '../../src/blueprints/store.js';
import type { ApplyRequest, BlueprintContext } from '../../src/blueprints/types.js';
import { fakeEngine, RecordingIo, type FakeCloud } from '../fixtures/engine.js';

const TRIO = [
  'summary: three fake formations',
  'formations:',
  '  a: {parameters: {Owner: ops, Size: 3}}',
  '  b:',
  '    parameters:',
  '      Owner: "owned by {{formations.a.outputs.Size}}"',
  '  c: {provider: fake, parameters: {Owner: solo}}',
  '',
].join('\n');

async function setup(t: Test, blueprint = TRIO): Promise<{ ctx: BlueprintContext; cloud: FakeCloud; dir: string; write(text: string): void }> {
  const { ctx, cloud, cloudlet } = await fakeEngine(t);
  const write = (text: string) => {
    mkdirSync(join(cloudlet.dir, 'blueprints'), { recursive: true });
    writeFileSync(join(cloudlet.dir, 'blueprints', 'trio.yaml'), text);
  };
  write(blueprint);
  return { ctx: blueprintContext(ctx), cloud, dir: cloudlet.dir, write };
}

const apply = (extra: Partial<ApplyRequest> = {}): ApplyRequest => ({
  kind: 'apply',
  target: 'faked/trio',
  name: 'x',
  params: [],
  noInput: true,
  prune: false,
  parallel: 4,
  ...extra,
});

type Entry = { kind: string; time: string; operation?: string; [k: string]: unknown };
function journal(root: string, dir: 'formations' | 'blueprints', name: string): Entry[] {
  return readFileSync(join(root, dir, name, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}
/** When the latest operation of kind `op` on a formation started and ended, by its own journal. */
function span(root: string, formation: string, op: string): { start: string; end: string } {
  const entries = journal(root, 'formations', formation);
  const start = entries.map((e) => e.kind === 'start' && e.operation === op).lastIndexOf(true);
  const end = entries.findIndex((e, i) => i > start && (e.kind === 'end' || e.kind === 'error'));
  return { start: entries[start]!.time, end: entries[end]!.time };
}

t.test('apply: in dependency order, outputs passed, independent ones side by side, journaled per blueprint and per formation', async (t) => {
  const { ctx, cloud } = await setup(t);
  const io = new RecordingIo();
  const result = await applyBlueprint(ctx, apply(), io, { mode: 'foreground' });
  t.match(result, { outcome: 'succeeded', kind: 'apply', name: 'x' });
  t.same(result.outcome === 'succeeded' && result.steps.map((s) => [s.entry, s.outcome]), [
    ['a', 'created'],
    ['b', 'created'],
    ['c', 'created'],
  ]);
  t.equal(cloud.given.get('x-b')?.Owner?.value, 'owned by 3', "b got a's output");
  t.equal(cloud.given.get('x-a')?.Size?.value, 3, "a's own value, read as its parameter's type");

  const root = ctx.home.root;
  const a = span(root, 'x-a', 'create');
  const b = span(root, 'x-b', 'create');
  t.ok(a.end <= b.start, 'b started after a ended');

  // The FAKE provider answers at once, so overlap in time is shown on moto (aws.test.ts); here, that c did not wait for a.
  const bp = journal(root, 'blueprints', 'x');
  const at = (kind: string, entry: string) => bp.findIndex((e) => e.kind === kind && e.entry === entry);
  t.ok(at('step-start', 'c') < at('step-end', 'a'), 'c was started before a ended');
  const kinds = bp.filter((e) => e.kind !== 'formation').map((e) => e.kind);
  t.equal(kinds[0], 'begin');
  t.same([kinds.filter((k) => k === 'step-start').length, kinds.filter((k) => k === 'step-end').length], [3, 3], 'each step starts and ends');
  t.match(bp.at(-1), { kind: 'finish', ok: true });
  t.ok(
    bp.some((e) => e.kind === 'formation' && (e.message as { kind: string }).kind === 'event'),
    "the formations' events are in the blueprint's journal too",
  );
  t.notOk(readFileSync(join(root, 'blueprints', 'x', 'journal.jsonl'), 'utf8').includes('s3cret-value'), 'no secret in the journal');

  const status = await blueprintStatus(ctx, 'x');
  t.match(status, { name: 'x', cloudlet: 'local/faked', blueprint: 'trio', last: { operation: 'apply', ok: true } });
  t.same(
    status.entries.map((e) => [e.entry, e.formation, e.status, e.after]),
    [
      ['a', 'x-a', 'CREATE_COMPLETE', []],
      ['b', 'x-b', 'CREATE_COMPLETE', ['a']],
      ['c', 'x-c', 'CREATE_COMPLETE', []],
    ],
  );
});

t.test('parallel 1: one at a time, still in dependency order', async (t) => {
  const { ctx } = await setup(t);
  await applyBlueprint(ctx, apply({ parallel: 1 }), new RecordingIo(), { mode: 'foreground' });
  const spans = ['x-a', 'x-b', 'x-c'].map((f) => span(ctx.home.root, f, 'create')).sort((p, q) => (p.start < q.start ? -1 : 1));
  for (let i = 1; i < spans.length; i++) t.ok(spans[i - 1]!.end <= spans[i]!.start, `formation ${i + 1} started after the one before ended`);
});

t.test('missing parameters: asked once for every entry, named ENTRY.KEY; with no input, named in one error and nothing written', async (t) => {
  const { ctx, cloud } = await setup(t, 'formations:\n  a: {}\n  b: {parameters: {Size: "{{formations.a.outputs.Size}}"}}\n');
  const refused = await applyBlueprint(ctx, apply(), new RecordingIo(), { mode: 'foreground' }).catch((e: unknown) => e);
  t.match(refused, { code: 'MISSING_PARAMETERS', message: /a\.Owner.*b\.Owner/ });
  t.same(cloud.calls, [], 'no provider call');

  const io = new RecordingIo({}, { 'a.Owner': 'ann', 'b.Owner': 'bob' });
  const result = await applyBlueprint(ctx, apply({ noInput: false }), io, { mode: 'foreground' });
  t.equal(result.outcome, 'succeeded');
  t.same(
    io.prompted.map((specs) => specs.map((s) => s.name)),
    [['a.Owner', 'b.Owner']],
    'one prompt, for both',
  );
  t.equal(cloud.given.get('x-b')?.Owner?.value, 'bob');
  t.equal(cloud.given.get('x-b')?.Size?.value, 1, "b's Size read from a's output, as a number");
});

t.test('a failing formation skips those that depend on it; the others finish; a re-run continues from where it stands', async (t) => {
  const { ctx, cloud } = await setup(t);
  cloud.failCreate = 'rollback';
  cloud.failOnly = new Set(['x-a']);
  const result = await applyBlueprint(ctx, apply(), new RecordingIo(), { mode: 'foreground' });
  t.equal(result.outcome, 'failed');
  t.match(result.outcome === 'failed' && result.steps, [
    { entry: 'a', outcome: 'failed', status: 'ROLLBACK_COMPLETE', reason: 'told to fail' },
    { entry: 'b', outcome: 'skipped', reason: 'x-a failed' },
    { entry: 'c', outcome: 'created' },
  ]);
  t.notOk(cloud.calls.includes('create x-b'), 'b was never created');

  cloud.failCreate = undefined;
  const before = cloud.calls.length;
  const again = new RecordingIo({ apply: true });
  const rerun = await applyBlueprint(ctx, apply({ noInput: false }), again, { mode: 'foreground' });
  t.match(rerun.outcome === 'succeeded' && rerun.steps, [
    { entry: 'a', action: 'recreate', outcome: 'created' },
    { entry: 'b', action: 'create', outcome: 'created' },
    { entry: 'c', action: 'update', outcome: 'unchanged' },
  ]);
  t.match(again.questions, [{ id: 'apply', text: /delete what failed creates left of x-a and create them again/ }], 'asked once, before the start');
  t.same(
    cloud.calls.slice(before),
    ['preflight x-b', 'destroy x-a', 'preflight x-a', 'create x-a', 'preflight x-b', 'create x-b'],
    'looked at the new name first; what the failure left went first; c was not touched',
  );
});

t.test('re-apply after a change updates only what it changes, after one question', async (t) => {
  const { ctx, cloud } = await setup(t);
  await applyBlueprint(ctx, apply(), new RecordingIo(), { mode: 'foreground' });
  const calls = cloud.calls.length;

  const same = await applyBlueprint(ctx, apply(), new RecordingIo(), { mode: 'foreground' });
  t.match(same.outcome === 'succeeded' && same.steps.map((s) => s.outcome), ['unchanged', 'unchanged', 'unchanged'], 'nothing changed, nothing asked');
  t.same(cloud.calls.slice(calls), [], 'and no provider call');

  const { view } = await planApply(ctx, apply({ params: ['c.Owner=someone-else'] }), new RecordingIo(), { dryRun: true });
  t.same(
    view.steps.map((s) => [s.entry, s.action]),
    [
      ['a', 'unchanged'],
      ['b', 'unchanged'],
      ['c', 'update'],
    ],
    'the dry run says what would change',
  );
  t.match(view.steps[2]!.preview, { parameters: [{ name: 'Owner', from: 'solo', to: 'someone-else' }], pending: [] });

  const no = new RecordingIo({ apply: false });
  const refused = await applyBlueprint(ctx, apply({ params: ['c.Owner=someone-else'] }), no, { mode: 'foreground' }).catch((e: unknown) => e);
  t.match(refused, { code: 'CANCELLED' }, 'an update is agreed to first');
  t.match(no.questions, [{ id: 'apply', text: 'Apply blueprint local/faked/trio as x: update x-c where their values changed?' }]);
  const io = new RecordingIo({ apply: true, update: true });
  const changed = await applyBlueprint(ctx, apply({ params: ['c.Owner=someone-else'] }), io, { mode: 'foreground' });
  t.match(changed.outcome === 'succeeded' && changed.steps.map((s) => [s.entry, s.outcome]), [
    ['a', 'unchanged'],
    ['b', 'unchanged'],
    ['c', 'updated'],
  ]);
  t.same(
    cloud.calls.slice(calls).filter((c) => !c.startsWith('discard')),
    ['preview x-c', 'update x-c'],
    'only c was previewed and updated',
  );
  t.ok(
    io.messages.some((m) => m.kind === 'formation' && (m as unknown as { message: { kind: string } }).message.kind === 'preview'),
    "the engine's preview was shown",
  );

  // A change upstream reaches what reads it: a's Size feeds b's Owner.
  const upstream = await applyBlueprint(ctx, apply({ params: ['a.Size=5'] }), new RecordingIo({ apply: true }), { mode: 'foreground' });
  t.match(upstream.outcome === 'succeeded' && upstream.steps.map((s) => [s.entry, s.outcome]), [
    ['a', 'updated'],
    ['b', 'updated'],
    ['c', 'updated'],
  ]);
  t.equal(cloud.given.get('x-b')?.Owner?.value, 'owned by 5');
});

t.test('entries removed from the blueprint are kept, or destroyed with --prune', async (t) => {
  const { ctx, cloud, write } = await setup(t);
  await applyBlueprint(ctx, apply(), new RecordingIo(), { mode: 'foreground' });
  write('formations:\n  a: {parameters: {Owner: ops, Size: 3}}\n');
  const keep = new RecordingIo();
  const kept = await applyBlueprint(ctx, apply(), keep, { mode: 'foreground' });
  t.match(kept.outcome === 'succeeded' && kept.steps.map((s) => s.entry), ['a']);
  t.ok(keep.messages.some((m) => m.kind === 'notice' && /x-b: entry b is no longer in the blueprint; its formation is kept/.test(m.text)));
  t.ok(cloud.formations.has('x-b') && cloud.formations.has('x-c'), 'still there');
  t.same(
    (await blueprintStatus(ctx, 'x')).entries.map((e) => [e.entry, e.removed]),
    [
      ['b', true],
      ['c', true],
      ['a', false],
    ],
    'kept, and said so',
  );

  const prune = new RecordingIo({ apply: true });
  const pruned = await applyBlueprint(ctx, apply({ prune: true }), prune, { mode: 'foreground' });
  t.match(prune.questions, [{ id: 'apply', text: /destroy x-b, x-c \(no longer in the blueprint/ }]);
  t.same(pruned.outcome === 'succeeded' && pruned.steps.map((s) => [s.entry, s.outcome]), [
    ['a', 'unchanged'],
    ['b', 'destroyed'],
    ['c', 'destroyed'],
  ]);
  t.notOk(cloud.formations.has('x-b') || cloud.formations.has('x-c'), 'gone');
  t.same(
    (await blueprintStatus(ctx, 'x')).entries.map((e) => e.entry),
    ['a'],
    'the record holds what is left',
  );
});

t.test('destroy: reverse dependency order, independent ones side by side; the record goes, the journal stays', async (t) => {
  const { ctx, cloud } = await setup(t);
  await applyBlueprint(ctx, apply(), new RecordingIo(), { mode: 'foreground' });
  const refused = await destroyBlueprint(ctx, { kind: 'destroy', name: 'x', parallel: 4 }, new RecordingIo({ destroy: false }), { mode: 'foreground' }).catch(
    (e: unknown) => e,
  );
  t.match(refused, { code: 'CANCELLED' });
  const result = await destroyBlueprint(ctx, { kind: 'destroy', name: 'x', parallel: 4 }, new RecordingIo({ destroy: true }), { mode: 'foreground' });
  t.match(result.outcome === 'succeeded' && result.steps.map((s) => [s.entry, s.outcome]), [
    ['a', 'destroyed'],
    ['b', 'destroyed'],
    ['c', 'destroyed'],
  ]);
  const root = ctx.home.root;
  t.ok(span(root, 'x-b', 'destroy').end <= span(root, 'x-a', 'destroy').start, 'b (which reads a) went before a');
  t.equal(cloud.formations.size, 0);
  t.match(await blueprintStatus(ctx, 'x').catch((e: unknown) => e), { code: 'BLUEPRINT_NOT_APPLIED' }, 'the record is gone');
  t.match(journal(root, 'blueprints', 'x').at(-1), { kind: 'finish', operation: 'destroy', ok: true }, 'the journal stays');
});

t.test('watch right after a claim (a nanny started with --detach, its journal not begun) follows that operation, not the last that ended', async (t) => {
  const { ctx } = await setup(t);
  await applyBlueprint(ctx, apply(), new RecordingIo(), { mode: 'foreground' });
  const { plan } = await planApply(ctx, apply({ params: ['c.Owner=someone-else'] }), new RecordingIo({ apply: true, update: true }), {});
  // The lock as a nanny holds it between its claim and its first journal entry (this process stands in for the nanny).
  const lock = await claimBlueprint(ctx, plan);
  const watcher = new RecordingIo();
  let settled = false;
  const watched = watchBlueprint(ctx, 'x', watcher).finally(() => {
    settled = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.notOk(settled, 'the finished apply is not taken for the one under way');
  const carried = await carryBlueprint(ctx, plan, new RecordingIo());
  await lock.release();
  const result = await watched;
  t.same(result, carried, "the watch ends with the new apply's result");
  t.match(result.outcome === 'succeeded' && result.steps.map((s) => [s.entry, s.outcome]), [
    ['a', 'unchanged'],
    ['b', 'unchanged'],
    ['c', 'updated'],
  ]);
  t.equal(watcher.messages.filter((m) => m.kind === 'begin').length, 1, 'and shows that one only');
});

t.test('refused before any provider call: a cycle, an unknown output, an unknown entry, -p for no entry', async (t) => {
  const cases: [string, string[], RegExp, string][] = [
    [
      'formations:\n  a: {depends_on: [b], parameters: {Owner: x}}\n  b: {parameters: {Owner: "{{formations.a.outputs.Size}}"}}\n',
      [],
      /trio\.yaml:2: formations\.a waits for itself, through depends_on or output references: a -> b -> a/,
      'BLUEPRINT_CYCLE',
    ],
    [
      'formations:\n  a: {parameters: {Owner: x}}\n  b:\n    parameters:\n      Owner: "{{formations.a.outputs.Nope}}"\n',
      [],
      /trio\.yaml:5: formations\.b\.parameters\.Owner reads formations\.a\.outputs\.Nope, but fake pattern thing of local\/faked \(scenario default\) declares no output Nope \(its outputs: Size, HadSecret\)/,
      'BLUEPRINT_REFERENCE',
    ],
    [
      'formations:\n  a: {parameters: {Owner: "{{formations.z.outputs.Size}}"}}\n',
      [],
      /trio\.yaml:2: formations\.a\.parameters\.Owner reads formations\.z\.outputs\.Size, but 'z' is not an entry/,
      'BLUEPRINT_REFERENCE',
    ],
    [TRIO, ['d.Owner=x'], /-p d\.Owner: 'd' is not an entry of blueprint trio \(entries: a, b, c\)/, 'BAD_ARGUMENT'],
    [
      'formations:\n  a: {parameters: {Owner: x, Colour: red}}\n',
      [],
      /trio\.yaml:2: unknown parameter 'Colour' for local\/faked\/default/,
      'UNKNOWN_PARAMETER',
    ],
    [
      'formations:\n  a: {scenario: nope}\n',
      [],
      /trio\.yaml:2: formations\.a\.scenario 'nope' is not a scenario of local\/faked \(scenarios: default\)/,
      'SCENARIO_NOT_FOUND',
    ],
    ['formations:\n  a: {provider: elsewhere}\n', [], /trio\.yaml:2: formations\.a\.provider 'elsewhere' is not a known provider/, 'UNKNOWN_PROVIDER'],
  ];
  for (const [text, params, message, code] of cases) {
    const { ctx, cloud } = await setup(t, text);
    const refused = await applyBlueprint(ctx, apply({ params }), new RecordingIo(), { mode: 'foreground' }).catch((e: unknown) => e);
    t.match(refused, { code, message }, code);
    t.same(cloud.calls, [], `${code}: no provider call`);
  }
});
