// Day two in the engine, in-process with the FAKE provider of
// test/fixtures/engine.ts: update (preview, question, apply; answers kept only
// when it succeeds), provision (output and exit status through the journal),
// drift under the lock, and the history the journal keeps.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { formationHistory } from '../../src/operations/history.js';
import { driftOf } from '../../src/operations/query.js';
import { runOperation } from '../../src/operations/run.js';
import type { EngineContext, UpdateRequest } from '../../src/operations/types.js';
import { fakeEngine, RecordingIo } from '../fixtures/engine.js';

const update = (extra: Partial<UpdateRequest> = {}): UpdateRequest => ({
  kind: 'update',
  name: 'thing',
  params: [],
  paramsFiles: [],
  noInput: true,
  dryRun: false,
  options: {},
  ...extra,
});

async function created(t: Parameters<typeof fakeEngine>[0]) {
  const engine = await fakeEngine(t);
  const result = await runOperation(
    engine.ctx,
    {
      kind: 'create',
      target: 'faked',
      name: 'thing',
      params: ['Owner=ops', 'Token=first-secret'],
      paramsFiles: [],
      noInput: true,
      options: {},
    },
    new RecordingIo(),
    { mode: 'foreground' },
  );
  if (result.outcome !== 'succeeded') throw new Error(`create failed: ${JSON.stringify(result)}`);
  return engine;
}

const record = (ctx: EngineContext) => JSON.parse(readFileSync(join(ctx.home.root, 'formations', 'thing', 'formation.json'), 'utf8'));
const journal = (ctx: EngineContext) =>
  readFileSync(join(ctx.home.root, 'formations', 'thing', 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

t.test('update: the preview reaches the host, one question, then applied; the record takes the new answers', async (t) => {
  const { ctx, cloud } = await created(t);
  const io = new RecordingIo({ update: true });
  const result = await runOperation(ctx, update({ params: ['Size=5'] }), io, { mode: 'foreground' });
  t.match(result, { outcome: 'succeeded', kind: 'update', status: 'UPDATE_COMPLETE' });
  const preview = io.messages.find((m) => m.kind === 'preview');
  t.match(preview, {
    summary: {
      name: 'thing',
      version: { from: '1.0.0', to: '1.0.0' },
      parameters: [{ name: 'Size', from: 1, to: 5, secret: false }],
      changes: [{ action: 'Modify', resource: 'Thing' }],
      empty: false,
    },
  });
  t.same(
    io.questions.map((q) => q.id),
    ['update'],
    'asked once, after the preview',
  );
  t.ok(io.kinds().indexOf('preview') < io.kinds().indexOf('start'), 'the preview came before anything started');
  t.same(cloud.calls.slice(-2), ['preview thing', 'update thing']);
  t.match(record(ctx), { status: 'UPDATE_COMPLETE', parameters: { Owner: 'ops', Size: 5 }, secrets: ['Token'], operation: { kind: 'update', ok: true } });
  t.match(cloud.given.get('thing')?.Token, { value: 'first-secret', secret: true }, 'the secret not given again is kept by the provider');
  const start = journal(ctx)
    .filter((e) => e.kind === 'start')
    .at(-1);
  t.match(start, { operation: 'update', version: '1.0.0', by: /.+@.+/, changes: [{ name: 'Size', from: 1, to: 5 }] });
  t.notOk(readFileSync(join(ctx.home.root, 'formations', 'thing', 'journal.jsonl'), 'utf8').includes('first-secret'), 'the secret is in no journal');
});

t.test('a secret not given again goes to the provider as previous, never as a value; one given again is sent', async (t) => {
  const { ctx, cloud } = await created(t);
  const seen: unknown[] = [];
  const fake = ctx.registry.providers.find((p) => p.name === 'fake')!;
  const preview = fake.preview!.bind(fake);
  fake.preview = async (ref, spec, options, env) => {
    seen.push(spec.parameters.Token);
    return preview(ref, spec, options, env);
  };
  await runOperation(ctx, update({ params: ['Size=2'] }), new RecordingIo({ update: true }), { mode: 'foreground' });
  await runOperation(ctx, update({ params: ['Token=second-secret'] }), new RecordingIo({ update: true }), { mode: 'foreground' });
  t.same(seen, [
    { value: '', secret: true, previous: true },
    { value: 'second-secret', secret: true },
  ]);
  t.match(cloud.given.get('thing')?.Token, { value: 'second-secret' });
});

t.test('no change: nothing applied, nothing asked, the preview discarded; a dry run likewise', async (t) => {
  const { ctx, cloud } = await created(t);
  const before = readFileSync(join(ctx.home.root, 'formations', 'thing', 'formation.json'), 'utf8');
  const io = new RecordingIo();
  t.match(await runOperation(ctx, update(), io, { mode: 'foreground' }), { outcome: 'unchanged', summary: { empty: true } });
  t.same(io.questions, []);
  t.same(cloud.calls.slice(-2), ['preview thing', 'discard thing']);
  t.match(await runOperation(ctx, update({ params: ['Size=7'], dryRun: true }), new RecordingIo(), { mode: 'foreground' }), {
    outcome: 'previewed',
    summary: { empty: false, parameters: [{ name: 'Size', to: 7 }] },
  });
  t.same(cloud.calls.slice(-2), ['preview thing', 'discard thing'], 'a dry run leaves nothing at the provider');
  t.equal(readFileSync(join(ctx.home.root, 'formations', 'thing', 'formation.json'), 'utf8'), before, 'the record is untouched');
  t.equal(journal(ctx).filter((e) => e.kind === 'start').length, 1, 'and no operation journaled');

  const no = new RecordingIo({ update: false });
  t.match(await runOperation(ctx, update({ params: ['Size=7'] }), no, { mode: 'foreground' }).catch((e: unknown) => e), { code: 'CANCELLED' });
  t.equal(cloud.calls.at(-1), 'discard thing', 'declined: the preview is discarded');
});

t.test('a failed update keeps the answers really deployed', async (t) => {
  const { ctx, cloud } = await created(t);
  cloud.failUpdate = true;
  const result = await runOperation(ctx, update({ params: ['Size=9'] }), new RecordingIo({ update: true }), { mode: 'foreground' });
  t.match(result, { outcome: 'failed', status: 'UPDATE_ROLLBACK_COMPLETE', failures: [{ resource: 'Thing', reason: 'told to fail' }] });
  t.match(record(ctx), { status: 'UPDATE_ROLLBACK_COMPLETE', parameters: { Size: 1 }, operation: { kind: 'update', ok: false } });
});

t.test('a new version: an added parameter is asked for (or named), a removed one dropped with a note', async (t) => {
  const { ctx, cloudlet } = await created(t);
  writeFileSync(join(cloudlet.dir, 'cloudlet.yaml'), 'name: faked\nversion: 1.1.0\nsummary: the next version\n');
  const scenario = join(cloudlet.dir, 'scenarios', 'default.yaml');
  writeFileSync(
    scenario,
    readFileSync(scenario, 'utf8').replace('  Owner: {type: string, description: who owns it}\n', '  Zone: {type: string, description: where it runs}\n'),
  );
  t.match(await runOperation(ctx, update(), new RecordingIo(), { mode: 'foreground' }).catch((e: unknown) => e), {
    code: 'MISSING_PARAMETERS',
    message: /Zone \(where it runs\)/,
  });
  const io = new RecordingIo({ update: true }, { Zone: 'eu' });
  const result = await runOperation(ctx, update({ noInput: false }), io, { mode: 'foreground' });
  t.equal(result.outcome, 'succeeded');
  t.same(
    io.prompted.map((specs) => specs.map((s) => s.name)),
    [['Zone']],
  );
  t.match(
    io.messages.find((m) => m.kind === 'notice' && /Owner/.test(m.text)),
    { text: "Owner: the cloudlet's 1.1.0 no longer has this parameter; it is dropped" },
  );
  t.match(
    io.messages.find((m) => m.kind === 'preview'),
    { summary: { version: { from: '1.0.0', to: '1.1.0' }, dropped: ['Owner'] } },
  );
  const after = record(ctx);
  t.equal(after.version, '1.1.0');
  t.same(Object.keys(after.parameters).sort(), ['ExitWith', 'Size', 'Zone']);
});

t.test('provision: output and exit status through the journal; the status stays', async (t) => {
  const { ctx } = await created(t);
  const io = new RecordingIo();
  const ok = await runOperation(ctx, { kind: 'provision', name: 'thing', params: [], options: {} }, io, { mode: 'foreground' });
  t.match(ok, { outcome: 'succeeded', kind: 'provision', exitCode: 0 });
  t.match(
    io.messages.filter((m) => m.kind === 'output'),
    [
      { stream: 'stdout', line: 'bootstrap of thing as ops' },
      { stream: 'stderr', line: 'a warning' },
    ],
  );
  t.match(
    io.messages.find((m) => m.kind === 'notice' && /secret/.test(m.text)),
    { text: /without Token/ },
    'says the secret is not there',
  );
  const failed = await runOperation(ctx, { kind: 'provision', name: 'thing', params: ['ExitWith=3'], options: {} }, new RecordingIo(), { mode: 'foreground' });
  t.match(failed, { outcome: 'failed', exitCode: 3 });
  t.match(
    record(ctx),
    { status: 'CREATE_COMPLETE', parameters: { ExitWith: 0 }, operation: { kind: 'provision', ok: false } },
    'the formation is what it was; -p for a run is not recorded',
  );
});

t.test('history: every operation, newest first, with who, version and changes', async (t) => {
  const { ctx } = await created(t);
  await runOperation(ctx, update({ params: ['Size=4'] }), new RecordingIo({ update: true }), { mode: 'foreground' });
  await runOperation(ctx, { kind: 'provision', name: 'thing', params: [], options: {} }, new RecordingIo(), { mode: 'foreground' });
  const history = await formationHistory(ctx, 'thing');
  t.match(history, [
    { operation: 'provision', result: 'succeeded', status: 'PROVISIONED' },
    { operation: 'update', result: 'succeeded', version: '1.0.0', changes: [{ name: 'Size', from: 1, to: 4 }] },
    { operation: 'create', result: 'succeeded', status: 'CREATE_COMPLETE' },
  ]);
  t.ok(
    history.every((h) => /.+@.+/.test(h.by)),
    'by user@host',
  );
  await runOperation(ctx, { kind: 'destroy', name: 'thing', options: {} }, new RecordingIo({ destroy: true }), { mode: 'foreground' });
  t.equal((await formationHistory(ctx, 'thing'))[0]?.operation, 'destroy', 'the history outlives the formation');
  t.match(await formationHistory(ctx, 'never').catch((e: unknown) => e), { code: 'FORMATION_NOT_FOUND' });
});

t.test('update, provision and drift take the lock: refused while another operation runs, before any preview', async (t) => {
  const { ctx, cloud } = await created(t);
  cloud.drift = { drifted: true, resources: [{ resource: 'Thing', status: 'MODIFIED', differences: [{ path: '/Size', expected: '1', actual: '2' }] }] };
  t.match(await driftOf(ctx, 'thing'), { name: 'thing', provider: 'fake', drifted: true });
  const lock = await ctx.store.lock('thing', 'provision');
  try {
    const calls = cloud.calls.length;
    for (const attempt of [
      () => runOperation(ctx, update({ params: ['Size=2'] }), new RecordingIo({ update: true }), { mode: 'foreground' }),
      () => runOperation(ctx, { kind: 'provision', name: 'thing', params: [], options: {} }, new RecordingIo(), { mode: 'foreground' }),
      () => driftOf(ctx, 'thing'),
    ]) {
      t.match(await attempt().catch((e: unknown) => e), { code: 'FORMATION_BUSY', message: /^provisioning formation thing is already under way/ });
    }
    t.equal(cloud.calls.length, calls, 'the provider was not asked anything');
  } finally {
    await lock.release();
  }
});
