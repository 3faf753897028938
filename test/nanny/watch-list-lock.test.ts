// While an operation runs: formation:watch re-attaches from another process,
// formation:list shows it, and a second create or destroy of the same
// formation is refused. watch replays the journal and follows to the end,
// from any terminal, its exit status saying how the operation ended; the
// refusal says what is running and since when.
// The `gated` provider plugin keeps the create running until the test opens
// its gate, so "while it runs" holds however slow this machine is.
import t from 'tap';
import { expectUserError, running, stderrLines, waitFor } from '../fixtures/cli.js';
import { journalBytes, journalEnded, nannyHome, readJournal, waitForJournal, type NannyHome } from '../fixtures/nanny.js';

const CREATE = ['formation:create', 'local/slowapp', '--provider', 'gated', '--no-input'];

/** Start a create (followed, as a user would) and wait until the provider waits at its gate. */
async function startCreate(h: NannyHome, name: string) {
  const create = running(h.spawn([...CREATE, '--name', name]));
  const entries = await waitForJournal(h.home, name, (e) => e.some((x) => x.kind === 'event'), 'the first event');
  return { create, nanny: entries[0]!.pid as number, started: entries[0]!.time as string };
}

/** `formation:list -o json`, parsed. */
async function listed(h: NannyHome): Promise<Record<string, any>[]> {
  const r = await h.run(['formation:list', '-o', 'json']);
  if (r.code !== 0) throw new Error(`formation:list failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

t.test('watch from a second process replays the operation from its start and follows it to the end; list shows it while it runs', async (t) => {
  const h = await nannyHome(t);
  const { create, nanny, started } = await startCreate(h, 'w1');

  const during = await listed(h);
  t.match(
    during,
    [{ name: 'w1', provider: 'gated', status: 'CREATE_IN_PROGRESS', operation: { kind: 'create', pid: nanny, since: started, state: 'running' } }],
    'the operation in progress, with its kind and the pid of its nanny',
  );
  const table = await h.run(['formation:list']);
  t.match(table.stdout, /^NAME .* OPERATION /m);
  t.match(
    table.stdout,
    new RegExp(`^w1 .* create running since ${started.slice(11, 19)} \\(follow: formation:watch\\) `, 'm'),
    'the OPERATION column says how to follow it',
  );
  t.notMatch(table.stdout, /pid/, 'the pid is in -o json only');

  const watch = running(h.spawn(['formation:watch', 'w1']));
  await waitFor(() => /waiting for the gate/.test(watch.stderr()), 'the watcher to catch up');
  const replayed = stderrLines(watch.stderr()).other;
  t.match(
    replayed[0],
    new RegExp(`^create started at ${started.slice(11, 19)}$`),
    'the replay begins at the start of the operation (to the second; the journal keeps pid and host)',
  );
  t.equal(replayed[1], 'accepted by the provider');

  h.openGate('w1');
  const [watched, followed] = await Promise.all([watch.done, create.done]);
  t.equal(watched.code, 0, `watch exits 0 when the create succeeded: ${watched.stderr}`);
  t.match(watched.stdout, /^created w1 in \d+s \(CREATE_COMPLETE\)$/m);
  t.match(watched.stderr, /the gate says ''/, 'events after it attached are shown too');
  t.match(watched.stderr, /CREATE_COMPLETE +w1/);
  t.equal(followed.code, 0, 'and so does the create the user started');

  const after = await listed(h);
  t.equal(after.length, 1);
  t.equal(after[0]!.operation, undefined, 'nothing in progress once it has ended');
  t.equal(after[0]!.status, 'CREATE_COMPLETE');
  t.notMatch((await h.run(['formation:list'])).stdout, /running|interrupted/);

  const again = await h.run(['formation:watch', 'w1']);
  t.equal(again.code, 0, 'watch after the end exits with the same status');
  t.equal(again.stdout, watched.stdout, 'and the same summary');
  t.same(stderrLines(again.stderr).other, stderrLines(watched.stderr).other, 'the whole operation replayed');

  // A later operation: watch shows that one only, from its own start.
  const destroyed = await h.run(['formation:destroy', 'w1', '--yes']);
  t.equal(destroyed.code, 0, destroyed.stderr);
  const latest = await h.run(['formation:watch', 'w1']);
  t.equal(latest.code, 0);
  t.match(latest.stdout, /destroyed w1/);
  t.match(stderrLines(latest.stderr).other[0], /^destroy started at /);
  t.notMatch(latest.stderr, /waiting for the gate/, "the create's events are not replayed");
});

t.test("watch's exit status says the operation failed, during and after it; a name without an operation is a clear error", async (t) => {
  const h = await nannyHome(t);
  const { create } = await startCreate(h, 'w2');
  const watch = running(h.spawn(['formation:watch', 'w2']));
  await waitFor(() => /waiting for the gate/.test(watch.stderr()), 'the watcher to catch up');
  h.openGate('w2', 'fail');
  const [watched, followed] = await Promise.all([watch.done, create.done]);
  t.equal(watched.code, 1, 'watch exits 1: the create failed');
  t.equal(followed.code, 1);
  for (const r of [watched, await h.run(['formation:watch', 'w2'])]) {
    const lines = stderrLines(r.stderr);
    t.equal(r.code, 1);
    t.ok(lines.other.includes('  ✗ Gate (Gated::Gate): the gate said fail'), 'the failed resource and its reason');
    t.match(lines.errors, [/^error: formation w2: create failed with CREATE_FAILED/]);
  }

  expectUserError(
    t,
    await h.run(['formation:watch', 'nothing-here']),
    /formation nothing-here has no operation to watch/,
    'watch of a formation never operated',
  );
  expectUserError(t, await h.run(['formation:watch', '../etc']), /'..\/etc' is not a formation name/, 'watch of a bad name');
});

t.test('one operation per formation: a second create or a destroy is refused while a create runs, and leaves no trace', async (t) => {
  const h = await nannyHome(t);
  const { create, started } = await startCreate(h, 'busy');
  const before = journalBytes(h.home, 'busy');
  const running = new RegExp(`^error: creating formation busy is already under way \\(on [^,]+, since ${started.slice(0, 16)}`);

  const second = await h.run([...CREATE, '--name', 'busy']);
  expectUserError(t, second, running, 'a second create of the same name');
  t.match(second.stderr, /^hint: follow it: nepho formation:watch busy$/m, 'how to follow it, not a pid');
  t.ok(journalBytes(h.home, 'busy').equals(before), 'the refused create wrote nothing to the journal');

  const slowToo = await h.run(['formation:create', 'local/slowapp', '--name', 'busy', '--no-input']);
  expectUserError(t, slowToo, running, 'a create of the same name with another provider');

  const destroy = await h.run(['formation:destroy', 'busy', '--yes']);
  expectUserError(t, destroy, running, 'a destroy while the create runs');
  t.ok(journalBytes(h.home, 'busy').equals(before), 'the refused destroy wrote nothing to the journal');

  const other = await h.run([...CREATE, '--name', 'other', '--detach']);
  t.equal(other.code, 0, `another formation is not held up: ${other.stderr}`);

  h.openGate('busy');
  h.openGate('other');
  t.equal((await create.done).code, 0, 'the first create was not disturbed');
  await waitForJournal(h.home, 'other', journalEnded, 'the end');
  const entries = readJournal(h.home, 'busy');
  t.equal(entries.filter((e) => e.kind === 'start').length, 1, 'one operation in the journal');
  t.match(entries.at(-1), { kind: 'end', ok: true });

  // Once it has ended, the name is taken by the formation itself.
  const taken = await h.run([...CREATE, '--name', 'busy']);
  expectUserError(t, taken, /a formation named 'busy' already exists/, 'a create of an existing formation');
});
