import type { JournalEntry } from '../formations/journal.js';
import { sleep } from '../timers.js';
import type { FormationStore } from './store.js';

/** How following a journal stopped. */
export type FollowResult =
  | { kind: 'ended'; entry: Extract<JournalEntry, { kind: 'end' | 'error' }> }
  /** The host detached (the signal was aborted); the operation goes on. */
  | { kind: 'detached' }
  /** Nobody holds the operation lock and the journal has no end: the process carrying it died. */
  | { kind: 'orphaned' };

/** The entries of the latest operation (from its `start` on), and the offset after them. */
export function latestOperation(store: FormationStore, name: string): { entries: JournalEntry[]; offset: number } {
  const { entries, offset } = store.entries(name);
  let start = -1;
  entries.forEach((e, i) => {
    if (e.kind === 'start') start = i;
  });
  return { entries: start < 0 ? [] : entries.slice(start), offset };
}

/** The entry that ended an operation, if it has ended. */
export function endOf(entries: JournalEntry[]): Extract<JournalEntry, { kind: 'end' | 'error' }> | undefined {
  return entries.find((e): e is Extract<JournalEntry, { kind: 'end' | 'error' }> => e.kind === 'end' || e.kind === 'error');
}

/**
 * Follow a formation's journal from `offset`, handing each new entry to
 * `onEntry`, until the operation ends, the host detaches, or the process
 * carrying it is found dead. Polls the journal; entries are whole lines.
 */
export async function followJournal(
  store: FormationStore,
  name: string,
  offset: number,
  onEntry: (entry: JournalEntry) => void,
  signal?: AbortSignal,
  pollMs = 200,
): Promise<FollowResult> {
  return followEntries(
    store,
    name,
    offset,
    onEntry,
    (e): e is Extract<JournalEntry, { kind: 'end' | 'error' }> => e.kind === 'end' || e.kind === 'error',
    signal,
    pollMs,
  );
}

/** A journal that can be followed: its entries by byte offset, and who holds the lock of what it records. */
export interface FollowableJournal<E> {
  entries(name: string, offset?: number): { entries: E[]; offset: number };
  holder(name: string): Promise<unknown>;
}

/**
 * Follow any journal nepho keeps (a formation's, a blueprint's) from
 * `offset`, handing each new entry to `onEntry`, until an entry `isEnd`
 * says it ended, the host detaches (`signal`), or nobody holds its lock
 * and no end was written (the process carrying it died).
 */
export async function followEntries<E, End extends E>(
  journal: FollowableJournal<E>,
  name: string,
  offset: number,
  onEntry: (entry: E) => void,
  isEnd: (entry: E) => entry is End,
  signal?: AbortSignal,
  pollMs = 200,
): Promise<{ kind: 'ended'; entry: End } | { kind: 'detached' } | { kind: 'orphaned' }> {
  let at = offset;
  let deadChecks = 0;
  for (;;) {
    const { entries, offset: next } = journal.entries(name, at);
    at = next;
    for (const entry of entries) {
      onEntry(entry);
      if (isEnd(entry)) return { kind: 'ended', entry };
    }
    if (signal?.aborted) return { kind: 'detached' };
    if (await journal.holder(name)) {
      deadChecks = 0;
    } else if (++deadChecks >= 2) {
      // Twice in a row, with a read of the journal in between: not a race with an operation just finishing.
      return { kind: 'orphaned' };
    }
    await sleep(pollMs, signal);
  }
}

/**
 * After the journal says an operation ended, wait (at most `boundMs`) for the
 * process that carried it to let go of its lock. A nanny writes the end and
 * then releases the lock: without this, a command run right after the one
 * that followed it (`formation:create web && formation:update web ...`)
 * could find the formation still busy.
 */
export async function lockReleased(journal: Pick<FollowableJournal<unknown>, 'holder'>, name: string, boundMs = 5000, pollMs = 10): Promise<void> {
  const until = Date.now() + boundMs;
  while ((await journal.holder(name)) && Date.now() < until) await sleep(pollMs);
}
