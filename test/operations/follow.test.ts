// A command that follows an operation carried by a nanny returns only once
// the nanny has let go of the formation's lock (it writes the journal's end,
// then releases): a command run right after it must not find the formation
// busy. The journal below is a STAND-IN for the lock's holder, to time the
// release: the real window is too short to provoke on demand (CI met it once,
// in test/providers/vagrant-update-previewed.test.ts, planning an update
// right after a create).
import t from 'tap';
import { lockReleased } from '../../src/operations/follow.js';

/** A STAND-IN journal whose lock is held for the first `polls` questions. */
function heldFor(polls: number) {
  let asked = 0;
  return {
    get asked() {
      return asked;
    },
    holder: async () => (asked++ < polls ? { pid: 1 } : undefined),
  };
}

t.test('lockReleased waits until nobody holds the lock', async (t) => {
  const journal = heldFor(3);
  await lockReleased(journal, 'web', 5000, 1);
  t.equal(journal.asked, 4, 'asked until the holder was gone, and no more');
  const free = heldFor(0);
  await lockReleased(free, 'web', 5000, 1);
  t.equal(free.asked, 1, 'a free lock: one question');
});

t.test('lockReleased gives up after its bound when the lock is never released', async (t) => {
  const journal = heldFor(Infinity);
  await lockReleased(journal, 'web', 50, 5);
  t.ok(journal.asked >= 2 && journal.asked <= 12, `bounded (${journal.asked} questions in 50 ms)`);
});
