// The nanny carries a create or destroy in a background process and journals
// it; the terminal follows the journal by default, --detach returns once the
// provider has accepted, --foreground runs it all in the one process. The
// journal only ever grows: every event and status change is appended.
// The providers are plugins loaded through config.yaml like any third
// party's: `slow` takes a few short steps; `gated` runs until the test
// opens its gate, so "not ended yet" never depends on this machine's speed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { running, stderrLines } from '../fixtures/cli.js';
import { journalBytes, journalEnded, nannyHome, readJournal, waitForJournal } from '../fixtures/nanny.js';

const CREATE = ['formation:create', 'local/slowapp', '--no-input'];

t.test('create and destroy run in a nanny, not in the nepho process, and the journal is only appended to', async (t) => {
  const h = await nannyHome(t);
  const created = await running(h.spawn([...CREATE, '--name', 'bg'])).done;
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, /^created bg in \d+s \(CREATE_COMPLETE\)$/m);
  t.ok(existsSync(join(h.store, 'bg.json')), 'the provider made the formation');

  const first = readJournal(h.home, 'bg');
  t.same(
    first.map((e) => e.kind),
    ['start', 'accepted', 'event', 'event', 'event', 'event', 'end'],
    'start, accepted, each event, end',
  );
  const [start] = first;
  t.match(start, { kind: 'start', operation: 'create', pid: Number, host: String });
  t.not(start!.pid, created.pid, 'the operation ran in another process than the nepho the user started');
  t.same(
    first.filter((e) => e.kind === 'event').map((e) => e.event.reason ?? e.event.status),
    ['step 1 of 3', 'step 2 of 3', 'step 3 of 3', 'CREATE_COMPLETE'],
  );
  t.match(first.at(-1), { kind: 'end', operation: 'create', ok: true, status: 'CREATE_COMPLETE', failures: [] });
  t.match(first[1], { kind: 'accepted', state: { file: join(h.store, 'bg.json') } });
  const afterCreate = journalBytes(h.home, 'bg');

  const destroyed = await running(h.spawn(['formation:destroy', 'bg', '--yes'])).done;
  t.equal(destroyed.code, 0, destroyed.stderr);
  t.match(destroyed.stdout, /^destroyed bg in \d+s \(DELETE_COMPLETE\)$/m);
  t.notOk(existsSync(join(h.store, 'bg.json')), 'the provider removed it');

  const both = journalBytes(h.home, 'bg');
  t.ok(
    both.length > afterCreate.length && both.subarray(0, afterCreate.length).equals(afterCreate),
    "the create's bytes are unchanged: the destroy was appended after them",
  );
  const second = readJournal(h.home, 'bg').slice(first.length);
  t.same(
    second.map((e) => e.kind),
    ['start', 'accepted', 'event', 'end'],
  );
  t.match(second[0], { kind: 'start', operation: 'destroy' });
  t.not(second[0]!.pid, destroyed.pid, 'the destroy, too, ran in a nanny');
  t.not(second[0]!.pid, start!.pid, 'a nanny per operation');
  t.match(second.at(-1), { kind: 'end', operation: 'destroy', ok: true, status: 'DELETE_COMPLETE' });
});

t.test('following by default: events show as they come, and the exit status says how it ended', async (t) => {
  const h = await nannyHome(t);
  const ok = await h.run([...CREATE, '--name', 'good']);
  t.equal(ok.code, 0, ok.stderr);
  const shown = stderrLines(ok.stderr).other;
  t.match(shown.join('\n'), /Creating formation good \(local\/slowapp, scenario default\) with slow/);
  for (const step of ['step 1 of 3', 'step 2 of 3', 'step 3 of 3']) {
    t.ok(
      shown.some((l) => /^\d\d:\d\d:\d\d {2}CREATE_IN_PROGRESS +good {2}/.test(l) && l.endsWith(step)),
      `event line: ${step}`,
    );
  }
  t.ok(
    shown.some((l) => /CREATE_COMPLETE +good$/.test(l)),
    'the last event',
  );
  t.same(stderrLines(ok.stderr).errors, []);

  // A follow of a dozen polls and more: no listener piles up on the detach signal.
  const long = await h.run([...CREATE, '--name', 'long'], { NEPHO_SLOW_STEPS: '6', NEPHO_SLOW_STEP_MS: '600' });
  t.equal(long.code, 0, long.stderr);
  t.notMatch(long.stderr, /MaxListenersExceeded/, 'no listener leak while following');

  const bad = await h.run([...CREATE, '--name', 'bad'], { NEPHO_SLOW_FAIL: '1' });
  t.equal(bad.code, 1, 'a failed create exits 1');
  const lines = stderrLines(bad.stderr);
  t.ok(
    lines.other.some((l) => /CREATE_FAILED +Thing {2}Slow::Thing {2}told to fail$/.test(l)),
    'the failure event is shown as it happens',
  );
  t.ok(lines.other.includes('  ✗ Thing (Slow::Thing): told to fail'), 'the failed resource with its reason, at the end');
  t.equal(lines.errors.length, 1, 'one error line');
  t.match(lines.errors[0], /^error: formation bad: create failed with CREATE_FAILED after \d+s; 1 resource\(s\) failed \(above\)$/);
  t.same(lines.stackFrames, []);
  t.match(readJournal(h.home, 'bad').at(-1), {
    kind: 'end',
    ok: false,
    status: 'CREATE_FAILED',
    failures: [{ resource: 'Thing', type: 'Slow::Thing', reason: 'told to fail' }],
  });
});

t.test('--detach returns once the provider has accepted; the nanny carries the create to its end', async (t) => {
  const h = await nannyHome(t);
  const detached = await h.run([...CREATE, '--provider', 'gated', '--name', 'later', '--detach']);
  t.equal(detached.code, 0, detached.stderr);
  // Read at once: nepho has exited, and the gate is still shut.
  const atExit = readJournal(h.home, 'later');
  t.same(atExit.map((e) => e.kind).slice(0, 2), ['start', 'accepted']);
  t.notOk(journalEnded(atExit), 'no end yet when nepho returns');
  t.match(detached.stdout, /goes on in the background$/m);
  t.notMatch(detached.stdout, /pid/, 'people get the command to follow it, not a pid');
  t.match(detached.stdout, /re-attach with: nepho formation:watch later/);

  h.openGate('later');
  const entries = await waitForJournal(h.home, 'later', journalEnded, 'the end');
  t.match(entries.at(-1), { kind: 'end', operation: 'create', ok: true, status: 'CREATE_COMPLETE' });
  t.ok(existsSync(join(h.gates, 'store', 'later.json')), 'the formation was created');
  const record = JSON.parse(readFileSync(join(h.home, 'formations', 'later', 'formation.json'), 'utf8'));
  t.match(record, { status: 'CREATE_COMPLETE', operation: { kind: 'create', ok: true } });
});

t.test('--foreground runs everything in the nepho process, still journaling', async (t) => {
  const h = await nannyHome(t);
  const run = await running(h.spawn([...CREATE, '--name', 'here', '--foreground'])).done;
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /created here/);
  t.match(run.stderr, /step 3 of 3/, 'events are shown');
  const entries = readJournal(h.home, 'here');
  t.same(
    entries.map((e) => e.kind),
    ['start', 'accepted', 'event', 'event', 'event', 'event', 'end'],
  );
  t.equal(entries[0]!.pid, run.pid, "the journal's start names the nepho process itself: no fork");
  t.notOk(existsSync(join(h.home, 'formations', 'here', 'nanny.log')), 'no nanny was started (it would log beside the journal)');

  const both = await h.run([...CREATE, '--name', 'either', '--foreground', '--detach']);
  t.equal(both.code, 1);
  t.match(both.stderr, /--detach and --foreground cannot go together/);
});
