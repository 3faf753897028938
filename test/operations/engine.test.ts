// The operation engine in-process, without spawning nepho: the host sees
// every journal entry through its IO port, questions and prompts go through
// it and nowhere else, records are written before the provider is called
// and never lost, and the lock keeps one operation per formation. The
// provider is the FAKE one of test/fixtures/engine.ts (answers on demand).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runOperation, watchOperation } from '../../src/operations/run.js';
import { dryRunCreate } from '../../src/operations/plan.js';
import type { DestroyRequest } from '../../src/operations/types.js';
import { fakeCreate, fakeEngine, RecordingIo } from '../fixtures/engine.js';

const create = fakeCreate;
const destroy: DestroyRequest = { kind: 'destroy', name: 'thing', options: {} };

function journal(root: string, name: string): { kind: string; [k: string]: unknown }[] {
  return readFileSync(join(root, 'formations', name, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

t.test('create in the foreground: every journal entry reaches the host, the record keeps no secret, nothing is asked', async (t) => {
  const { ctx, cloud } = await fakeEngine(t);
  const io = new RecordingIo();
  const result = await runOperation(ctx, create(), io, { mode: 'foreground' });
  t.match(result, { outcome: 'succeeded', kind: 'create', name: 'thing', status: 'CREATE_COMPLETE', failures: [] });
  t.same(io.kinds(), ['notice', 'start', 'accepted', 'event', 'event', 'end'], 'announced, then the journal as it was written');
  t.same(
    journal(ctx.home.root, 'thing').map((e) => e.kind),
    ['start', 'accepted', 'event', 'event', 'end'],
    'the journal has the same entries',
  );
  t.same(io.questions, [], 'no question');
  t.same(io.prompted, [], 'no prompt: everything was given');
  t.same(cloud.calls, ['preflight thing', 'create thing'], 'the provider was asked what holds the name, then to create');
  const record = JSON.parse(readFileSync(join(ctx.home.root, 'formations', 'thing', 'formation.json'), 'utf8'));
  t.match(record, {
    name: 'thing',
    provider: 'fake',
    status: 'CREATE_COMPLETE',
    parameters: { Owner: 'ops', Size: 1 },
    secrets: ['Token'],
    state: { id: 'fake-thing' },
  });
  t.notOk(readFileSync(join(ctx.home.root, 'formations', 'thing', 'formation.json'), 'utf8').includes('s3cret-value'), 'the secret is not in the record');
  t.notOk(readFileSync(join(ctx.home.root, 'formations', 'thing', 'journal.jsonl'), 'utf8').includes('s3cret-value'), 'nor in the journal');
  t.equal(cloud.formations.get('thing')?.outputs.HadSecret, 'true', 'yet the provider had it');
});

t.test('a missing parameter is asked of the host; with --no-input it is named and nothing is written', async (t) => {
  const { ctx } = await fakeEngine(t);
  const refused = await runOperation(ctx, create({ params: [] }), new RecordingIo(), { mode: 'foreground' }).catch((e: unknown) => e);
  t.match(refused, { code: 'MISSING_PARAMETERS', message: /Owner/ });
  t.notOk(existsSync(join(ctx.home.root, 'formations', 'thing')), 'nothing written');

  const io = new RecordingIo({}, { Owner: 'from-the-prompt' });
  const result = await runOperation(ctx, create({ params: [], noInput: false }), io, { mode: 'foreground' });
  t.equal(result.outcome, 'succeeded');
  t.same(
    io.prompted.map((specs) => specs.map((s) => s.name)),
    [['Owner']],
    'asked once, for exactly what was missing',
  );
  t.match(JSON.parse(readFileSync(join(ctx.home.root, 'formations', 'thing', 'formation.json'), 'utf8')), { parameters: { Owner: 'from-the-prompt' } });
});

t.test("the pattern's own parameters come from the provider's hook, constraints included", async (t) => {
  const { ctx } = await fakeEngine(t);
  const bad = await runOperation(ctx, create({ params: ['Owner=ops', 'Size=12'] }), new RecordingIo(), { mode: 'foreground' }).catch((e: unknown) => e);
  t.match(bad, { code: 'BAD_PARAMETER', message: /Size must be at most 9/ });
  const dry = await dryRunCreate(ctx, create({ params: ['Owner=ops', 'Size=3'] }), new RecordingIo());
  t.same(
    dry.plan.parameters.map((p) => [p.name, p.value, p.source]),
    [
      ['Owner', 'ops', '-p Owner'],
      ['Token', '********', 'scenario default'],
      ['ExitWith', 0, 'scenario default'],
      ['Size', 3, '-p Size'],
    ],
    "the pattern's parameter among the scenario's, the secret masked",
  );
  t.same(
    dry.files.map((f) => f.path),
    ['fake.json'],
  );
});

t.test('preflight: what holds the name becomes one question; no cancels with nothing written, yes recreates or adopts', async (t) => {
  const { ctx, cloud } = await fakeEngine(t);
  cloud.preflight.set('thing', { action: 'recreate', reason: 'a fake stack is left from an earlier attempt' });
  const no = new RecordingIo({ recreate: false });
  t.match(await runOperation(ctx, create(), no, { mode: 'foreground' }).catch((e: unknown) => e), { code: 'CANCELLED' });
  t.match(no.questions, [{ id: 'recreate', text: 'a fake stack is left from an earlier attempt. Delete it and create thing again?' }]);
  t.notOk(existsSync(join(ctx.home.root, 'formations', 'thing', 'formation.json')), 'cancelled: no record');
  t.same(cloud.calls, ['preflight thing'], 'and nothing asked of the provider beyond preflight');

  const yes = new RecordingIo({ recreate: true });
  t.match(await runOperation(ctx, create(), yes, { mode: 'foreground' }), { outcome: 'succeeded' });
  t.same(cloud.calls.slice(1), ['preflight thing', 'destroy thing', 'create thing'], 'deleted by name, then created');

  cloud.preflight.set('other', { action: 'adopt', reason: 'a fake stack is already being created' });
  const adopt = new RecordingIo({ adopt: true });
  t.match(await runOperation(ctx, create({ name: 'other' }), adopt, { mode: 'foreground' }), { outcome: 'succeeded', status: 'CREATE_COMPLETE' });
  t.equal(cloud.calls.at(-1), 'follow other', 'followed instead of created');
  t.match(JSON.parse(readFileSync(join(ctx.home.root, 'formations', 'other', 'formation.json'), 'utf8')), {
    status: 'CREATE_COMPLETE',
    state: { id: 'fake-other' },
  });

  cloud.preflight.set('third', { action: 'refuse', reason: 'a fake stack of someone else', hint: 'pick another --name' });
  const refuse = new RecordingIo();
  t.match(await runOperation(ctx, create({ name: 'third' }), refuse, { mode: 'foreground' }).catch((e: unknown) => e), {
    code: 'FORMATION_CONFLICT',
    message: 'a fake stack of someone else',
    hint: 'pick another --name',
  });
  t.same(refuse.questions, [], 'refused without a question');
});

t.test('failures: refused before accepting leaves no record; failing after keeps it; a rollback is a failed result with reasons', async (t) => {
  const { ctx, cloud } = await fakeEngine(t);
  cloud.failCreate = 'before-accept';
  const early = await runOperation(ctx, create(), new RecordingIo(), { mode: 'foreground' });
  t.match(early, { outcome: 'errored', error: { code: 'BAD_ARGUMENT', message: 'the fake provider refuses before accepting' } });
  t.notOk(existsSync(join(ctx.home.root, 'formations', 'thing', 'formation.json')), 'no record: nothing exists');
  t.equal(journal(ctx.home.root, 'thing').at(-1)?.kind, 'error', 'the journal says how it ended');

  cloud.failCreate = 'after-accept';
  const late = await runOperation(ctx, create(), new RecordingIo(), { mode: 'foreground' });
  t.match(late, { outcome: 'errored', error: { message: 'the fake provider fails after accepting' } });
  t.match(
    JSON.parse(readFileSync(join(ctx.home.root, 'formations', 'thing', 'formation.json'), 'utf8')),
    { status: 'CREATE_FAILED', state: { id: 'fake-thing' } },
    'the record stays, marked failed: something may exist',
  );

  cloud.failCreate = 'rollback';
  const rolled = await runOperation(ctx, create({ name: 'rolled' }), new RecordingIo(), { mode: 'foreground' });
  t.match(rolled, { outcome: 'failed', status: 'ROLLBACK_COMPLETE', failures: [{ resource: 'Thing', reason: 'told to fail' }] });
});

t.test('destroy asks first; no leaves everything as it was, yes removes the record and keeps the journal', async (t) => {
  const { ctx, cloud } = await fakeEngine(t);
  await runOperation(ctx, create(), new RecordingIo(), { mode: 'foreground' });
  const recordFile = join(ctx.home.root, 'formations', 'thing', 'formation.json');
  const before = readFileSync(recordFile, 'utf8');
  const no = new RecordingIo({ destroy: false });
  t.match(await runOperation(ctx, destroy, no, { mode: 'foreground' }).catch((e: unknown) => e), { code: 'CANCELLED' });
  t.match(no.questions, [{ id: 'destroy', text: /^Destroy formation thing \(local\/faked, scenario default, fake\)\?/ }]);
  t.equal(readFileSync(recordFile, 'utf8'), before, 'the record is untouched');

  const result = await runOperation(ctx, destroy, new RecordingIo({ destroy: true }), { mode: 'foreground' });
  t.match(result, { outcome: 'succeeded', kind: 'destroy', status: 'DELETE_COMPLETE' });
  t.notOk(existsSync(recordFile), 'the record goes with the formation');
  t.same(
    journal(ctx.home.root, 'thing')
      .filter((e) => e.kind === 'start')
      .map((e) => e.operation),
    ['create', 'destroy'],
    'the journal keeps both operations',
  );
  t.equal(cloud.formations.size, 0);

  const watched = new RecordingIo();
  t.match(await watchOperation(ctx, 'thing', watched), { outcome: 'succeeded', kind: 'destroy' }, 'watch replays the latest operation');
  t.same(watched.kinds(), ['start', 'accepted', 'end']);
});

t.test('one operation per formation: a second is refused with what runs, and writes nothing', async (t) => {
  const { ctx } = await fakeEngine(t);
  const lock = await ctx.store.lock('thing', 'create');
  try {
    const refused = await runOperation(ctx, create(), new RecordingIo(), { mode: 'foreground' }).catch((e: unknown) => e);
    t.match(refused, {
      code: 'FORMATION_BUSY',
      message: /^creating formation thing is already under way \(on .+, since /,
      hint: 'follow it: nepho formation:watch thing',
    });
    t.notOk(existsSync(join(ctx.home.root, 'formations', 'thing', 'journal.jsonl')), 'no journal entry');
  } finally {
    await lock.release();
  }
  t.match(await runOperation(ctx, create(), new RecordingIo(), { mode: 'foreground' }), { outcome: 'succeeded' }, 'free again once released');
  const again = await runOperation(ctx, create(), new RecordingIo(), { mode: 'foreground' }).catch((e: unknown) => e);
  t.match(again, { code: 'FORMATION_EXISTS', message: "a formation named 'thing' already exists (CREATE_COMPLETE, from local/faked/default)" });
});
