// Ctrl-C in a real terminal detaches without cancelling: nepho says how to
// re-attach and exits, and the nanny carries the create to its end.
// The terminal is tmux; the key press goes through it as a person's would, so
// the signal reaches the terminal's whole foreground process group: what a
// nanny in its own session must be out of.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { journalEnded, nannyHome, readJournal, waitForJournal } from '../fixtures/nanny.js';
import { BIN } from '../fixtures/paths.js';
import { terminal } from '../fixtures/terminal.js';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

t.test('Ctrl-C while following detaches; the create still completes', async (t) => {
  execFileSync('tmux', ['-V']);
  const h = await nannyHome(t);
  // Long enough that Ctrl-C lands mid-way however loaded the machine is; the test waits for the end, not a time.
  const env = { ...h.env, NEPHO_HOME: h.home, HOME: h.home, NO_COLOR: '1', NEPHO_SLOW_STEPS: '40', NEPHO_SLOW_STEP_MS: '100' };
  const exports = Object.entries(env)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(' ');
  const term = terminal(
    t,
    `env ${exports} ${quote(process.execPath)} ${quote(BIN)} formation:create local/slowapp --name tty --no-input; echo "EXIT=$?"; sleep 60`,
  );

  await term.waitForScreen(/CREATE_IN_PROGRESS +tty {2}step 1 of 40/, 30_000);
  t.notOk(journalEnded(readJournal(h.home, 'tty')), 'pressed while the create runs');
  term.send(['C-c']);
  const screen = await term.waitForScreen(/EXIT=\d+/, 30_000);
  t.match(screen, /detached: the create of tty goes on in the background$/m);
  t.match(screen, /re-attach with: nepho formation:watch tty/, 'how to re-attach');
  t.match(screen, /EXIT=0/, 'nepho exits 0: the hand-off succeeded');
  t.notMatch(screen, /created tty in/, 'it did not wait for the end');
  t.notMatch(screen, /pid \d+/, 'no pid: the journal keeps it');

  const entries = await waitForJournal(h.home, 'tty', journalEnded, 'the end', 60_000);
  t.match(entries.at(-1), { kind: 'end', operation: 'create', ok: true, status: 'CREATE_COMPLETE' }, 'the work completed after the terminal let go');
  t.equal(entries.filter((e) => e.kind === 'event').length, 41, 'every step was carried out');
  t.ok(existsSync(join(h.store, 'tty.json')), 'the formation exists');
  const watched = await h.run(['formation:watch', 'tty']);
  t.equal(watched.code, 0);
  t.match(watched.stdout, /created tty/);
});

t.test('Ctrl-C in formation:watch stops watching; the operation goes on', async (t) => {
  const h = await nannyHome(t);
  const detached = await h.run(['formation:create', 'local/slowapp', '--provider', 'gated', '--name', 'seen', '--no-input', '--detach']);
  t.equal(detached.code, 0, detached.stderr);
  const env = { ...h.env, NEPHO_HOME: h.home, HOME: h.home, NO_COLOR: '1' };
  const exports = Object.entries(env)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(' ');
  const term = terminal(t, `env ${exports} ${quote(process.execPath)} ${quote(BIN)} formation:watch seen; echo "EXIT=$?"; sleep 60`);
  await term.waitForScreen(/waiting for the gate/, 30_000);
  term.send(['C-c']);
  const screen = await term.waitForScreen(/EXIT=\d+/, 30_000);
  t.match(screen, /stopped watching; the operation on seen goes on/);
  t.match(screen, /EXIT=0/);
  t.notOk(journalEnded(readJournal(h.home, 'seen')), 'the create is still under way');
  h.openGate('seen');
  const entries = await waitForJournal(h.home, 'seen', journalEnded, 'the end');
  t.match(entries.at(-1), { kind: 'end', ok: true }, 'and completes');
});
