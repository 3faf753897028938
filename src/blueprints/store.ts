import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError } from '../errors.js';
import { acquireLock, isAlive, readLockInfo, removePath, writeFileAtomicSync, type Lock, type LockInfo } from '../fs.js';
import { appendJournalLine, readJournalLines, type WithoutTime } from '../formations/journal.js';
import { FORMATION_NAME, readRecordFile } from '../formations/records.js';
import type { NephoHome } from '../home.js';
import type { EngineContext } from '../operations/types.js';
import type { BlueprintContext, BlueprintJournalEntry, BlueprintRecord } from './types.js';

/** The file that holds an applied blueprint's record, in its directory. */
export const BLUEPRINT_RECORD = 'blueprint.json';
/** Its journal, beside the record. */
export const BLUEPRINT_JOURNAL = 'journal.jsonl';
/** The lock the process applying or destroying it holds. */
export const BLUEPRINT_LOCK = 'operation.lock';

/**
 * Where applied blueprints are kept: their records (which formations belong
 * to each), journals and the one-operation lock. Blueprint operations touch
 * their own state only through this, so a server can keep it elsewhere.
 */
export interface BlueprintStore {
  /** The record of the blueprint applied under `name`, if any. */
  read(name: string): BlueprintRecord | undefined;
  /** Write the whole record at once. */
  write(record: BlueprintRecord): void;
  /** Every formation of it is gone: the record goes, the journal stays for history. */
  remove(name: string): Promise<void>;
  /** Append one entry to its journal. */
  append(name: string, entry: WithoutTime<BlueprintJournalEntry>): BlueprintJournalEntry;
  /** Journal entries after `offset`, and where to read next. */
  entries(name: string, offset?: number): { entries: BlueprintJournalEntry[]; offset: number };
  /** Take its operation lock; refused (BLUEPRINT_BUSY) with what runs, by whom and since when. */
  lock(name: string, doing: string): Promise<Lock>;
  /** Who holds the lock, when a live process does. */
  holder(name: string): Promise<LockInfo | undefined>;
}

/** The directory of the blueprint applied under `name`: the name is checked, so the path stays under `$NEPHO_HOME`. */
export function blueprintDir(home: NephoHome, name: string): string {
  if (!FORMATION_NAME.test(name)) {
    throw new NephoError(
      'BAD_BLUEPRINT_NAME',
      `'${name}' is not a name to apply a blueprint under (lowercase letters, digits and '-', starting with a letter)`,
    );
  }
  return join(home.root, 'blueprints', name);
}

/** The store of this machine: `$NEPHO_HOME/blueprints/<name>/`. */
export function localBlueprints(home: NephoHome): BlueprintStore {
  const dir = (name: string) => blueprintDir(home, name);
  return {
    read: (name) => readRecordFile<BlueprintRecord>(join(dir(name), BLUEPRINT_RECORD), 'every formation of it'),
    write(record) {
      mkdirSync(dir(record.name), { recursive: true, mode: 0o700 });
      writeFileAtomicSync(join(dir(record.name), BLUEPRINT_RECORD), `${JSON.stringify({ ...record, updatedAt: new Date().toISOString() }, null, 2)}\n`, 0o600);
    },
    async remove(name) {
      await removePath(join(dir(name), BLUEPRINT_RECORD));
    },
    append: (name, entry) => appendJournalLine(dir(name), BLUEPRINT_JOURNAL, entry) as BlueprintJournalEntry,
    entries: (name, offset) => readJournalLines<BlueprintJournalEntry>(join(dir(name), BLUEPRINT_JOURNAL), offset),
    async lock(name, doing) {
      mkdirSync(dir(name), { recursive: true, mode: 0o700 });
      return acquireLock(join(dir(name), BLUEPRINT_LOCK), doing, 'BLUEPRINT_BUSY');
    },
    async holder(name) {
      const info = await readLockInfo(join(dir(name), BLUEPRINT_LOCK));
      return info && isAlive(info) ? info : undefined;
    },
  };
}

/** A blueprint context on this machine's store, for an engine context that has none. */
export function blueprintContext(ctx: EngineContext): BlueprintContext {
  return { ...ctx, blueprints: localBlueprints(ctx.home) };
}
