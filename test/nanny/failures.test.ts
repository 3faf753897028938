// A nanny that died is detected, and the nanny's own failures end up in the
// journal and in watch, never silently. This file covers providers whose work
// happens on this machine (no follow(), like Vagrant); cloudformation.test.ts
// covers the cloud side.
import t, { type Test } from 'tap';
import { running, stderrLines, waitForProcessGone } from '../fixtures/cli.js';
import { journalEnded, nannyHome, readJournal, waitForJournal, type JournalLine, type NannyHome } from '../fixtures/nanny.js';

/** `formation:list -o json`, parsed. */
async function listed(h: NannyHome): Promise<Record<string, any>[]> {
  const r = await h.run(['formation:list', '-o', 'json']);
  if (r.code !== 0) throw new Error(`formation:list failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

t.test('a killed nanny of a provider that cannot resume: list shows the operation interrupted, watch says so and ends the journal', async (t) => {
  // Long enough that the kill lands mid-way however loaded the machine is.
  const h = await nannyHome(t, { NEPHO_SLOW_STEPS: '100', NEPHO_SLOW_STEP_MS: '100' });
  const follower = running(h.spawn(['formation:create', 'local/slowapp', '--name', 'dead', '--no-input']));
  const entries = await waitForJournal(h.home, 'dead', (e) => e.some((x) => x.kind === 'event'), 'an event');
  const start = entries[0]!;
  process.kill(start.pid, 'SIGKILL');
  await waitForProcessGone(start.pid);

  // The terminal that was following notices, and says how to pick the operation up.
  const followed = await follower.done;
  t.equal(followed.code, 1, 'the following nepho exits 1');
  t.match(stderrLines(followed.stderr).errors, [
    new RegExp(`^error: the background process carrying the create of dead \\(pid ${start.pid}\\) stopped without finishing$`),
  ]);
  t.match(stderrLines(followed.stderr).hints, ['hint: nepho formation:watch dead picks the operation up again']);
  const killedAt = readJournal(h.home, 'dead').length;
  t.notOk(journalEnded(readJournal(h.home, 'dead')), 'the nanny died without a word');

  const list = await listed(h);
  t.match(list, [{ name: 'dead', operation: { kind: 'create', pid: start.pid, since: start.time, state: 'interrupted' } }], 'list: interrupted, not running');
  const table = await h.run(['formation:list']);
  t.match(table.stdout, /^dead .* create interrupted: run formation:watch /m);
  t.equal(readJournal(h.home, 'dead').length, killedAt, 'list alone does not settle what only watch can report');

  const watched = await h.run(['formation:watch', 'dead']);
  t.equal(watched.code, 1, 'watch exits 1');
  const lines = stderrLines(watched.stderr);
  t.match(lines.other.join('\n'), /step 1 of 100/, 'what happened before is replayed');
  t.match(lines.errors, [
    new RegExp(`^error: the process carrying the create of dead \\(pid ${start.pid} on .+\\) died and slow cannot resume it; the formation is GONE$`),
  ]);
  t.match(lines.hints, [/nepho formation:destroy dead/]);
  t.same(lines.stackFrames, []);

  const after = readJournal(h.home, 'dead');
  t.match(after.at(-1), { kind: 'error', operation: 'create', code: 'NANNY_DIED' }, 'the journal ends with an error entry');
  t.equal(after.length, killedAt + 1, 'one entry added');
  t.equal((await listed(h))[0]!.operation, undefined, 'no longer shown as interrupted');
  const again = await h.run(['formation:watch', 'dead']);
  t.equal(again.code, 1, 'watch later says the same');
  t.same(stderrLines(again.stderr).errors, lines.errors);
  t.equal(readJournal(h.home, 'dead').length, after.length, 'and adds nothing');

  // The formation can be cleaned up and made again.
  t.equal((await h.run(['formation:destroy', 'dead', '--yes'])).code, 0);
  const remade = await h.run(['formation:create', 'local/slowapp', '--name', 'dead', '--no-input'], { NEPHO_SLOW_STEPS: '1' });
  t.equal(remade.code, 0, remade.stderr);
});

/** Run a gated create to the gate, open it with `verdict`, and return what the following nepho, the journal and watch say. */
async function failInside(t: Test, h: NannyHome, name: string, verdict: string): Promise<{ end: JournalLine; watchErrors: string[]; watchHints: string[] }> {
  const create = running(h.spawn(['formation:create', 'local/slowapp', '--provider', 'gated', '--name', name, '--no-input']));
  await waitForJournal(h.home, name, (e) => e.some((x) => x.kind === 'event'), 'the first event');
  h.openGate(name, verdict);
  const followed = await create.done;
  t.equal(followed.code, 1, `${verdict}: the following nepho exits 1`);
  const entries = await waitForJournal(h.home, name, journalEnded, 'the end');
  const watched = await h.run(['formation:watch', name]);
  t.equal(watched.code, 1, `${verdict}: watch exits 1`);
  const lines = stderrLines(watched.stderr);
  t.same(lines.stackFrames, [], `${verdict}: no stack frames on the terminal`);
  t.same(stderrLines(followed.stderr).errors, lines.errors, `${verdict}: the nepho that followed and watch say the same`);
  return { end: entries.at(-1)!, watchErrors: lines.errors, watchHints: lines.hints };
}

t.test("an unexpected error in the provider's create ends up in the journal and in watch", async (t) => {
  const h = await nannyHome(t);
  const thrown = await failInside(t, h, 'oops', 'throw');
  t.match(thrown.end, { kind: 'error', operation: 'create', code: 'OPERATION_CRASHED', message: /the gated provider tripped over its own feet/ });
  t.match(thrown.watchErrors, [/^error: .*the gated provider tripped over its own feet$/]);
  const record = (await h.run(['formation:list', '-o', 'json'])).stdout;
  t.match(
    JSON.parse(record),
    [{ name: 'oops', status: 'CREATE_FAILED', failed: { operation: 'create', reason: /tripped over its own feet/, next: /formation:destroy oops/ } }],
    'the record stays (the provider had accepted), listed as failed with why and what next: nothing is lost',
  );
});

t.test('an exception that takes the nanny process down ends up in the journal and in watch', async (t) => {
  const h = await nannyHome(t);
  const escaped = await failInside(t, h, 'boom', 'escape');
  t.match(escaped.end, { kind: 'error', operation: 'create', message: /the gated provider blew up outside the operation/ }, 'the reason, not just "it died"');
  t.match(escaped.watchErrors, [/the gated provider blew up outside the operation/]);
});
