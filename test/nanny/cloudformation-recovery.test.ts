// A nanny carrying a CloudFormation create is killed: the cloud holds the
// truth, so the next watch or list picks the operation up from the stack
// itself. Real AWS SDK against a real moto server. moto completes stacks
// at once; an in-progress stack is made the way the provider tests make one
// (gateTemplate: a custom resource moto waits for, answered with releaseGate).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { gateCloudletHome, listedFormation, releaseGate, startMoto, waitForStackStatus, type GateCloudletHome, type Moto } from '../fixtures/aws.js';
import { waitForProcessGone } from '../fixtures/cli.js';
import { journalEnded, readJournal, waitForJournal, type JournalLine } from '../fixtures/nanny.js';

let moto: Moto;
t.before(async () => {
  moto = await startMoto(t);
});

/** Start a gated stack with --detach and SIGKILL its nanny: an orphaned create whose stack is still in progress. */
async function orphanedCreate(t: Test, h: GateCloudletHome, name: string): Promise<{ stackId: string; start: JournalLine; killedAt: number }> {
  const detached = await h.run(['formation:create', 'local/gatecf', '--name', name, '--no-input', '--detach']);
  t.equal(detached.code, 0, detached.stderr);
  const entries = readJournal(h.home, name);
  const start = entries[0]!;
  const stackId = entries.find((e) => e.kind === 'accepted')!.state.stackId as string;
  t.match(stackId, /^arn:aws:cloudformation:us-east-1:/, 'accepted with the stack id');
  process.kill(start.pid, 'SIGKILL');
  await waitForProcessGone(start.pid);
  const now = readJournal(h.home, name);
  t.notOk(journalEnded(now), 'the nanny died mid-way, without a word in the journal');
  return { stackId, start, killedAt: now.length };
}

t.test('list shows the create interrupted; once the stack has finished, watch picks it up from the stack and exits 0', async (t) => {
  const h = await gateCloudletHome(t, moto);
  const { stackId, start, killedAt } = await orphanedCreate(t, h, 'cf1');

  t.match(
    await listedFormation(h.run, 'cf1'),
    { source: 'local', operation: { kind: 'create', pid: start.pid, since: start.time, state: 'interrupted' } },
    'interrupted while the stack is still at work',
  );
  t.equal(readJournal(h.home, 'cf1').length, killedAt, 'list leaves an operation still under way alone');

  await releaseGate(moto.endpoint, stackId);
  await waitForStackStatus(moto, stackId, 'CREATE_COMPLETE');
  const watch = h.spawn(['formation:watch', 'cf1']);
  const watched = await watch.done;
  t.equal(watched.code, 0, `watch exits 0: the stack was created (${watched.stderr})`);
  t.match(watched.stdout, /created cf1 in \d+s \(CREATE_COMPLETE\)/);
  t.match(watched.stderr, /the background process carrying this operation is gone; picking it up from the provider/);
  t.match(watched.stderr, new RegExp(`resumed: the process carrying it \\(pid ${start.pid} on .+\\) died; following cloudformation from its side`));

  const added = readJournal(h.home, 'cf1').slice(killedAt);
  t.match(added[0], { kind: 'resumed', pid: watch.pid }, "the watch took the operation over: 'resumed', with its own pid");
  t.ok(
    added.slice(1, -1).every((e) => e.kind === 'event'),
    'then the stack events',
  );
  t.match(added.at(-1), { kind: 'end', operation: 'create', ok: true, status: 'CREATE_COMPLETE' }, 'then the end');
  const record = JSON.parse(readFileSync(join(h.home, 'formations', 'cf1', 'formation.json'), 'utf8'));
  t.match(record, { status: 'CREATE_COMPLETE', operation: { kind: 'create', ok: true } }, 'the record says how it stands');
  const after = await listedFormation(h.run, 'cf1');
  t.match(after, { status: 'CREATE_COMPLETE', source: 'local' });
  t.equal(after?.operation, undefined, 'nothing in progress any more');
});

t.test('watched while the stack is still at work: watch follows it from the stack to the end', async (t) => {
  const h = await gateCloudletHome(t, moto);
  const { stackId, killedAt } = await orphanedCreate(t, h, 'cf2');
  const watch = h.spawn(['formation:watch', 'cf2']);
  await waitForJournal(h.home, 'cf2', (e) => e.slice(killedAt).some((x) => x.kind === 'resumed'), 'the watch to take over');
  t.match(
    await listedFormation(h.run, 'cf2'),
    { operation: { kind: 'create', pid: watch.pid, state: 'running' } },
    'list: running again, carried by the watch',
  );
  await releaseGate(moto.endpoint, stackId);
  const watched = await watch.done;
  t.equal(watched.code, 0, watched.stderr);
  t.match(watched.stdout, /created cf2/);
  t.match(readJournal(h.home, 'cf2').at(-1), { kind: 'end', ok: true, status: 'CREATE_COMPLETE' });
});

t.test('formation:list alone settles an orphaned operation whose stack has finished', async (t) => {
  const h = await gateCloudletHome(t, moto);
  const { stackId, killedAt } = await orphanedCreate(t, h, 'cf3');
  await releaseGate(moto.endpoint, stackId);
  await waitForStackStatus(moto, stackId, 'CREATE_COMPLETE');
  const row = await listedFormation(h.run, 'cf3');
  t.match(row, { status: 'CREATE_COMPLETE', source: 'local' });
  t.equal(row?.operation, undefined, 'not shown as in progress');
  const added = readJournal(h.home, 'cf3').slice(killedAt);
  t.match(added[0], { kind: 'resumed' });
  t.match(added.at(-1), { kind: 'end', operation: 'create', ok: true, status: 'CREATE_COMPLETE' }, 'the journal got its end from list');
  const length = readJournal(h.home, 'cf3').length;
  const watched = await h.run(['formation:watch', 'cf3']);
  t.equal(watched.code, 0);
  t.match(watched.stdout, /created cf3/);
  t.equal(readJournal(h.home, 'cf3').length, length, 'watch after that only replays');
});
