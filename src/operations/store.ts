import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock, isAlive, removePath, lockBusyError, readLockInfo, tryAcquireLock, type Lock, type LockInfo } from '../fs.js';
import type { NephoError } from '../errors.js';
import type { NephoHome } from '../home.js';
import { appendEntry, JOURNAL_FILE, readEntries, type JournalEntry, type OperationKind, type WithoutTime } from '../formations/journal.js';
import { formationDir, readRecord, removeRecord, updateRecord, writeRecord, type FormationRecord } from '../formations/records.js';

/** The lock a running operation holds, inside the formation's directory. */
export const OPERATION_LOCK = 'operation.lock';

/**
 * Where the engine keeps formations: records, journals and the one-operation
 * lock. The engine touches state only through this, so a server can keep it
 * in a database while the command line keeps it under `$NEPHO_HOME`.
 */
export interface FormationStore {
  /** The formation's own directory on this machine: providers keep files there. */
  dir(name: string): string;
  read(name: string): FormationRecord | undefined;
  /** Write the whole record at once (readers never see half of it). */
  write(record: FormationRecord): void;
  /** Read, change and write a record; FORMATION_NOT_FOUND when there is none. */
  update(name: string, change: (record: FormationRecord) => void): FormationRecord;
  /** The formation is gone: its record and every file kept for it go; its journal stays for history. */
  remove(name: string): Promise<void>;
  /** Append one entry to the formation's journal. */
  append(name: string, entry: WithoutTime<JournalEntry>): JournalEntry;
  /** Journal entries after `offset`, and where to read next. */
  entries(name: string, offset?: number): { entries: JournalEntry[]; offset: number };
  /** Take the formation's operation lock; refused (FORMATION_BUSY) with what runs, by whom and since when. */
  lock(name: string, kind: OperationKind | 'drift'): Promise<Lock>;
  /** Take the operation lock if no one else holds it; undefined when someone does. */
  tryLock(name: string, kind: OperationKind | 'drift'): Promise<Lock | undefined>;
  /** Who holds the operation lock, when a live process does. */
  holder(name: string): Promise<LockInfo | undefined>;
  /** The error `lock` would throw now (FORMATION_BUSY), or undefined when the formation is idle. */
  busy(name: string): Promise<NephoError | undefined>;
}

/** What a formation's lock says its holder is doing, as the start of a sentence (`updating formation x`). */
export const DOING: Record<OperationKind | 'drift', string> = {
  create: 'creating',
  destroy: 'destroying',
  update: 'updating',
  provision: 'provisioning',
  drift: 'checking the drift of',
};

/** The store of this machine: files under `$NEPHO_HOME/formations/<name>/`. */
export function localStore(home: NephoHome): FormationStore {
  const lockFile = (name: string) => join(formationDir(home, name), OPERATION_LOCK);
  const holder = async (name: string) => {
    const info = await readLockInfo(lockFile(name));
    return info && isAlive(info) ? info : undefined;
  };
  return {
    dir: (name) => formationDir(home, name),
    read: (name) => readRecord(home, name),
    write: (record) => writeRecord(home, record),
    update: (name, change) => updateRecord(home, name, change),
    async remove(name) {
      await removeRecord(home, name);
      // ssh_config, the nanny's log, a provider's files: everything but the history and the lock in use.
      let entries: string[] = [];
      try {
        entries = readdirSync(formationDir(home, name));
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry === JOURNAL_FILE || entry.startsWith(OPERATION_LOCK)) continue;
        await removePath(join(formationDir(home, name), entry));
      }
    },
    append: (name, entry) => appendEntry(home, name, entry),
    entries: (name, offset) => readEntries(home, name, offset),
    async lock(name, kind) {
      mkdirSync(formationDir(home, name), { recursive: true, mode: 0o700 });
      return acquireLock(lockFile(name), `${DOING[kind]} formation ${name}`, 'FORMATION_BUSY', { hint: followHint(name) });
    },
    async tryLock(name, kind) {
      mkdirSync(formationDir(home, name), { recursive: true, mode: 0o700 });
      return (await tryAcquireLock(lockFile(name), `${DOING[kind]} formation ${name}`)).lock;
    },
    holder,
    async busy(name) {
      const info = await holder(name);
      return info ? lockBusyError(info, lockFile(name), 'FORMATION_BUSY', followHint(name)) : undefined;
    },
  };
}

/** What to do about a formation another process is working on: follow it. */
function followHint(name: string): string {
  return `follow it: nepho formation:watch ${name}`;
}
