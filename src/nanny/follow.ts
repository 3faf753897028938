import { join } from 'node:path';
import { isAlive, readLockInfo } from '../fs.js';
import type { NephoHome } from '../home.js';
import { formationDir } from '../formations/records.js';
import { OPERATION_LOCK, readEntries, type JournalEntry } from './journal.js';

/** How following a journal stopped. */
export type FollowResult =
  | { kind: 'ended'; entry: Extract<JournalEntry, { kind: 'end' | 'error' }> }
  /** The user detached (the signal was aborted); the operation goes on. */
  | { kind: 'detached' }
  /** Nobody holds the operation lock and the journal has no end: the nanny died. */
  | { kind: 'orphaned' };

/** Whether a live process holds the formation's operation lock. */
export async function operationHolder(home: NephoHome, name: string): Promise<{ pid: number; since: string; operation: string } | undefined> {
  const holder = await readLockInfo(join(formationDir(home, name), OPERATION_LOCK));
  return holder && isAlive(holder) ? holder : undefined;
}

/**
 * Follow a formation's journal from `offset`, handing each new entry to
 * `onEntry`, until the operation ends, the user detaches, or its nanny is
 * found dead. Polls the file; entries are whole lines, never torn.
 */
export async function followJournal(
  home: NephoHome, name: string, offset: number, onEntry: (entry: JournalEntry) => void, signal?: AbortSignal, pollMs = 200,
): Promise<FollowResult> {
  let at = offset;
  let deadChecks = 0;
  for (;;) {
    const { entries, offset: next } = readEntries(home, name, at);
    at = next;
    for (const entry of entries) {
      onEntry(entry);
      if (entry.kind === 'end' || entry.kind === 'error') return { kind: 'ended', entry };
    }
    if (signal?.aborted) return { kind: 'detached' };
    if (await operationHolder(home, name)) {
      deadChecks = 0;
    } else if (++deadChecks >= 2) {
      // Twice in a row, with a read of the journal in between: not a race with a nanny just finishing.
      return { kind: 'orphaned' };
    }
    await new Promise<void>((resolve) => {
      const onAbort = () => { clearTimeout(timer); resolve(); };
      // One listener per wait, removed when the wait ends: a long follow must not pile them up.
      const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, pollMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
