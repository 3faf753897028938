// Failure paths in the engine, in-process with the FAKE provider of
// test/fixtures/engine.ts: what is missing on this machine is found before
// anything is written; a failed create or destroy is listed as failed, with
// the reason and what to do next, never as gone; a formation that never came
// up is said to be one when destroyed; after a destroy only the history stays.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { formationHistory } from '../../src/operations/history.js';
import { listFormations } from '../../src/operations/inventory.js';
import { runOperation } from '../../src/operations/run.js';
import { fakeCreate, fakeEngine, RecordingIo } from '../fixtures/engine.js';

const create = fakeCreate;

t.test('a provider this machine cannot use is refused before anything is written', async (t) => {
  const { ctx, cloud } = await fakeEngine(t);
  cloud.notReady = 'the fake provider has no credentials here';
  const refused = await runOperation(ctx, create(), new RecordingIo(), { mode: 'follow' }).catch((e: unknown) => e);
  t.match(refused, { message: 'the fake provider has no credentials here' });
  t.notOk(existsSync(join(ctx.home.root, 'formations', 'thing')), 'no formation directory, no nanny started');
  t.same(cloud.calls, [], 'the provider was not asked to do anything');
});

t.test('a create that breaks off after the provider took it is listed as failed, with why and what next; destroying it says it never came up', async (t) => {
  const { ctx, cloud } = await fakeEngine(t);
  cloud.failCreate = 'after-accept';
  t.match(await runOperation(ctx, create(), new RecordingIo(), { mode: 'foreground' }), { outcome: 'errored' });
  const { formations } = await listFormations(ctx, {});
  t.match(
    formations,
    [
      {
        name: 'thing',
        status: 'CREATE_FAILED',
        exists: false,
        failed: { operation: 'create', reason: /the fake provider fails after accepting/, next: 'nepho formation:destroy thing, then create it again' },
      },
    ],
    'failed, not GONE',
  );

  const io = new RecordingIo({ destroy: true });
  t.match(await runOperation(ctx, { kind: 'destroy', name: 'thing', options: {} }, io, { mode: 'foreground' }), { outcome: 'succeeded' });
  t.match(io.questions, [{ id: 'destroy', text: /^Formation thing .* never came up, or is already gone at fake\. Remove what is left of it\?$/ }]);
  t.ok(
    io.messages.some((m) => m.kind === 'notice' && /fake has nothing of thing/.test(m.text)),
    'and says so',
  );
  t.same(readdirSync(join(ctx.home.root, 'formations', 'thing')), ['journal.jsonl'], 'only the history is left');
  t.same((await listFormations(ctx, {})).formations, [], 'listed nowhere');
});

t.test('a destroy that fails leaves the formation listed as failed with the reasons, never gone', async (t) => {
  const { ctx, cloud } = await fakeEngine(t);
  t.match(await runOperation(ctx, create(), new RecordingIo(), { mode: 'foreground' }), { outcome: 'succeeded' });
  cloud.failDestroy = true;
  const result = await runOperation(ctx, { kind: 'destroy', name: 'thing', options: {} }, new RecordingIo({ destroy: true }), { mode: 'foreground' });
  t.match(result, { outcome: 'failed', status: 'DELETE_FAILED', failures: [{ reason: 'a dependency is still in use' }] });
  t.match(JSON.parse(readFileSync(join(ctx.home.root, 'formations', 'thing', 'formation.json'), 'utf8')), {
    status: 'DELETE_FAILED',
    operation: { kind: 'destroy', ok: false, failures: [{ reason: 'a dependency is still in use' }] },
  });
  t.match((await listFormations(ctx, {})).formations, [
    {
      name: 'thing',
      status: 'DELETE_FAILED',
      failed: { operation: 'destroy', reason: 'Thing: a dependency is still in use', next: 'fix what stands in the way, then nepho formation:destroy thing' },
    },
  ]);
  cloud.failDestroy = false;
  t.match(
    await runOperation(ctx, { kind: 'destroy', name: 'thing', options: {} }, new RecordingIo({ destroy: true }), { mode: 'foreground' }),
    { outcome: 'succeeded' },
    'once fixed, the next destroy ends it',
  );
  t.same(
    (await formationHistory(ctx, 'thing')).map((h) => `${h.operation} ${h.result}`),
    ['destroy succeeded', 'destroy failed', 'create succeeded'],
    'the history keeps all three',
  );
});
