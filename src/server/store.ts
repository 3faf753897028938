/**
 * The engine's FormationStore on the server's database, for one operation.
 *
 * The engine reads and writes its store synchronously (the command line's is
 * files), so this one holds the formation's record and journal in memory,
 * loaded when the operation starts, and writes every change to the database
 * in order, as soon as it is made, without making the engine wait. `flush()`
 * waits for the writes; the server calls it before anything depends on them
 * (the claim, the operation's end). Only the replica holding the operation's
 * lease changes its formation, so the memory copy is the truth while it
 * does; every write is fenced by that lease, and a replica that lost it (it
 * stalled and another took over) writes nothing more.
 */
import { hostname } from 'node:os';
import { NephoError, messageOf } from '../errors.js';
import type { Lock, LockInfo } from '../fs.js';
import { removePath } from '../fs.js';
import type { JournalEntry, OperationKind, WithoutTime } from '../formations/journal.js';
import { formationDir, formationNotFound, type FormationRecord } from '../formations/records.js';
import type { NephoHome } from '../home.js';
import { DOING, type FormationStore } from '../operations/store.js';
import type { OperationMessage } from '../operations/types.js';
import type { Database, Queryable } from './db.js';

/** Operation states in which an operation holds its formation. */
export const ACTIVE = `('queued', 'running')`;

/** The SQL condition "operation $A is still ours": its lease is held by owner $B and it has not ended. */
const FENCE = (op: string, owner: string) => `EXISTS (SELECT 1 FROM operations WHERE id = ${op}::text AND lease_owner = ${owner}::text AND state IN ${ACTIVE})`;

/** What a store is bound to: one operation on one formation, run by one replica. */
export interface StoreBinding {
  db: Database;
  home: NephoHome;
  formation: string;
  operationId: string;
  /** The replica's lease owner id (`host:pid:random`). */
  owner: string;
}

/** An operation holding a formation, as the database has it. */
interface Holder {
  id: string;
  kind: OperationKind;
  lease_owner: string | null;
  started_at: Date | null;
  created_at: Date;
}

/** The error for a formation another operation holds: it names that operation, for the 409 and for the engine. */
export function busyError(formation: string, holder: { id: string; kind: string }): NephoError {
  return new NephoError('FORMATION_BUSY', `formation ${formation} is busy: operation ${holder.id} (${holder.kind}) is in progress`, {
    hint: `follow it: GET /v1/operations/${holder.id}/events, then try again`,
  });
}

/** A replica's lease owner as a lock holder, for `holder()`: `host:pid:…`. */
function lockInfo(h: Holder, formation: string): LockInfo {
  const [host = 'unknown', pid = '0'] = (h.lease_owner ?? '').split(':');
  return {
    pid: Number(pid) || 0,
    host,
    since: (h.started_at ?? h.created_at).toISOString(),
    operation: `${DOING[h.kind]} formation ${formation} (operation ${h.id})`,
  };
}

/** The operations holding a formation now, whose lease is live. */
async function holders(db: Queryable, formation: string): Promise<Holder[]> {
  return db.query<Holder>(`SELECT id, kind, lease_owner, started_at, created_at FROM operations WHERE formation = $1 AND state IN ${ACTIVE}`, [formation]);
}

/** A formation store on the database for one operation (see the module's comment). */
export class DatabaseStore implements FormationStore {
  private record: FormationRecord | undefined;
  private readonly journal: JournalEntry[];
  private writes: Promise<void> = Promise.resolve();
  private failure: NephoError | undefined;

  private constructor(
    private readonly b: StoreBinding,
    record: FormationRecord | undefined,
    journal: JournalEntry[],
  ) {
    this.record = record;
    this.journal = journal;
  }

  /** Load the formation's record and journal for an operation. */
  static async open(binding: StoreBinding): Promise<DatabaseStore> {
    formationDir(binding.home, binding.formation); // checks the name
    const [records, events] = await Promise.all([
      binding.db.query<{ record: FormationRecord }>('SELECT record FROM formations WHERE name = $1', [binding.formation]),
      binding.db.query<{ entry: JournalEntry }>('SELECT entry FROM events WHERE formation = $1 AND journal ORDER BY id', [binding.formation]),
    ]);
    return new DatabaseStore(
      binding,
      records[0]?.record,
      events.map((e) => e.entry),
    );
  }

  /** The operation this store writes for. */
  get operationId(): string {
    return this.b.operationId;
  }

  private only(name: string): void {
    if (name !== this.b.formation) throw new Error(`a store for formation ${this.b.formation} was asked about ${name}`);
  }

  /**
   * Queue a write. Writes run one after the other in the order they were
   * made (so event ids follow journal order); one the lease no longer allows
   * stops all that follow. A database that fails is tried a few more times.
   */
  private persist(write: (db: Queryable) => Promise<boolean>): void {
    this.writes = this.writes.then(async () => {
      if (this.failure) return;
      for (let attempt = 1; ; attempt++) {
        try {
          if (!(await write(this.b.db))) {
            this.failure = new NephoError(
              'LEASE_LOST',
              `operation ${this.b.operationId} on ${this.b.formation} was taken over by another replica; this one stopped writing for it`,
            );
          }
          return;
        } catch (error) {
          if (attempt >= 5) {
            this.failure = new NephoError('DATABASE_UNAVAILABLE', `operation ${this.b.operationId}: could not write to the database: ${messageOf(error)}`);
            return;
          }
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    });
  }

  /** Wait for every write made so far; throws when one could not be made (lease lost, database gone). */
  async flush(): Promise<void> {
    await this.writes;
    if (this.failure) throw this.failure;
  }

  /** Whether a write was refused or failed: this replica must stop carrying the operation. */
  get failed(): NephoError | undefined {
    return this.failure;
  }

  /** Note that the lease was lost (the heartbeat found it gone): nothing more is written. */
  leaseLost(): void {
    this.failure ??= new NephoError('LEASE_LOST', `operation ${this.b.operationId} on ${this.b.formation} was taken over by another replica`);
  }

  /** Record something said while the operation was planned: an event of the operation, not of the formation's journal. */
  note(message: OperationMessage): void {
    this.insertEvent(message, false);
  }

  private insertEvent(entry: object, journal: boolean): void {
    const { operationId, formation, owner } = this.b;
    this.persist(
      async (db) =>
        (
          await db.query(
            `INSERT INTO events (operation_id, formation, journal, entry) SELECT $1::text, $2::text, $3::boolean, $4::jsonb WHERE ${FENCE('$1', '$5')} RETURNING id`,
            [operationId, formation, journal, JSON.stringify(entry), owner],
          )
        ).length === 1,
    );
  }

  dir(name: string): string {
    return formationDir(this.b.home, name);
  }

  read(name: string): FormationRecord | undefined {
    this.only(name);
    return this.record ? structuredClone(this.record) : undefined;
  }

  write(record: FormationRecord): void {
    this.only(record.name);
    this.record = { ...structuredClone(record), updatedAt: new Date().toISOString() };
    const text = JSON.stringify(this.record);
    const { operationId, owner } = this.b;
    this.persist(
      async (db) =>
        (
          await db.query(
            `INSERT INTO formations (name, record, updated_at) SELECT $1::text, $2::jsonb, now() WHERE ${FENCE('$3', '$4')}
       ON CONFLICT (name) DO UPDATE SET record = EXCLUDED.record, updated_at = now() RETURNING 1`,
            [record.name, text, operationId, owner],
          )
        ).length === 1,
    );
  }

  update(name: string, change: (record: FormationRecord) => void): FormationRecord {
    const record = this.read(name);
    if (!record) throw formationNotFound(name, 'on this server');
    change(record);
    this.write(record);
    return record;
  }

  async remove(name: string): Promise<void> {
    this.only(name);
    this.record = undefined;
    const { operationId, owner } = this.b;
    this.persist(async (db) => {
      await db.query(`DELETE FROM formations WHERE name = $1 AND ${FENCE('$2', '$3')}`, [name, operationId, owner]);
      return (await db.query(`SELECT 1 WHERE ${FENCE('$1', '$2')}`, [operationId, owner])).length === 1;
    });
    // What providers kept on this replica for it (the journal lives in the database).
    await removePath(this.dir(name));
    await this.flush();
  }

  append(name: string, entry: WithoutTime<JournalEntry>): JournalEntry {
    this.only(name);
    const full = { time: new Date().toISOString(), ...entry } as JournalEntry;
    this.journal.push(full);
    this.insertEvent(full, true);
    return full;
  }

  entries(name: string, offset = 0): { entries: JournalEntry[]; offset: number } {
    this.only(name);
    return { entries: this.journal.slice(offset), offset: this.journal.length };
  }

  /** The claim: the operation's row already holds the formation (a unique index sees to it); this checks it is still this replica's. */
  async lock(name: string, kind: OperationKind | 'drift'): Promise<Lock> {
    const lock = await this.tryLock(name, kind);
    if (lock) return lock;
    const other = (await holders(this.b.db, name)).find((h) => h.id !== this.b.operationId);
    throw other
      ? busyError(name, other)
      : (this.failure ?? new NephoError('LEASE_LOST', `operation ${this.b.operationId} on ${name} is no longer this replica's`));
  }

  async tryLock(name: string, _kind: OperationKind | 'drift'): Promise<Lock | undefined> {
    this.only(name);
    await this.flush();
    const mine = await this.b.db.query(`SELECT 1 WHERE ${FENCE('$1', '$2')}`, [this.b.operationId, this.b.owner]);
    if (mine.length === 0) return undefined;
    // Released when the operation's row ends, which the server does once the operation is over.
    return { path: `operation ${this.b.operationId}`, release: async () => undefined };
  }

  async holder(name: string): Promise<LockInfo | undefined> {
    this.only(name);
    const live = (await holders(this.b.db, name)).find((h) => h.lease_owner !== null);
    return live ? lockInfo(live, name) : undefined;
  }

  async busy(name: string): Promise<NephoError | undefined> {
    this.only(name);
    const other = (await holders(this.b.db, name)).find((h) => h.id !== this.b.operationId);
    return other ? busyError(name, other) : undefined;
  }
}

/**
 * A store that only reads, for queries (history): the formation's record and
 * journal as the database has them now.
 */
export async function readOnlyStore(db: Database, home: NephoHome, formation: string): Promise<FormationStore> {
  const store = await DatabaseStore.open({ db, home, formation, operationId: '', owner: '' });
  const refuse = (): never => {
    throw new Error('a read-only formation store was asked to change something');
  };
  return {
    dir: (name) => store.dir(name),
    read: (name) => store.read(name),
    entries: (name, offset) => store.entries(name, offset),
    holder: (name) => store.holder(name),
    busy: (name) => store.busy(name),
    write: refuse,
    update: refuse,
    remove: refuse,
    append: refuse,
    lock: refuse,
    tryLock: refuse,
  };
}

/** This replica's lease owner id: host, pid and a random part, so a restarted process never mistakes an old lease for its own. */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
}
