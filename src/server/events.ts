/**
 * Live events for watchers. Each replica listens once (LISTEN) for the
 * database's word that an operation has news (a trigger notifies on every
 * event inserted and every state change), then reads what is new for that
 * operation once, however many watchers it has, and hands each watcher the
 * events it has not seen. Nothing polls: a watcher's first read (its replay
 * from `Last-Event-ID`) and every later one go through the same path, so an
 * event is never skipped nor sent twice.
 */
import type { JournalEntry } from '../formations/journal.js';
import type { OperationMessage } from '../operations/types.js';
import type { Database } from './db.js';
import { EVENTS_CHANNEL } from './migrations.js';
import type { OperationState } from './operations.js';

/** One event of an operation, as watchers receive it: its id orders it and resumes a stream. */
export interface OperationEvent {
  id: number;
  /** Whether it belongs to the formation's journal (false: said while planning). */
  journal: boolean;
  entry: JournalEntry | OperationMessage;
}

/** A watcher of one operation. */
export interface Watcher {
  /** The id of the last event it has; only later ones are sent. */
  last: number;
  /** New events, in order. */
  send(events: OperationEvent[]): void;
  /** The operation has ended and every event was sent. */
  end(state: OperationState): void;
}

interface Channel {
  watchers: Set<Watcher>;
  reading: boolean;
  again: boolean;
}

const ENDED = new Set<OperationState>(['succeeded', 'failed', 'errored']);

/** The replica's fan-out of operation events to its watchers. */
export class EventHub {
  private readonly channels = new Map<string, Channel>();
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly db: Database) {}

  /** Start listening to the database. */
  async start(): Promise<void> {
    this.unlisten = await this.db.listen(
      EVENTS_CHANNEL,
      (operation) => this.poke(operation),
      () => {
        // Notifications may have been missed while disconnected: read again for everyone.
        for (const operation of this.channels.keys()) this.poke(operation);
      },
    );
  }

  /** Stop listening; watchers are left to their connections closing. */
  async stop(): Promise<void> {
    await this.unlisten?.();
  }

  /** How many watchers there are, over all operations. */
  get watchers(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.watchers.size;
    return n;
  }

  /** Watch an operation from `watcher.last` on; returns the function that stops watching. */
  watch(operation: string, watcher: Watcher): () => void {
    let channel = this.channels.get(operation);
    if (!channel) {
      channel = { watchers: new Set(), reading: false, again: false };
      this.channels.set(operation, channel);
    }
    channel.watchers.add(watcher);
    this.poke(operation);
    return () => this.unwatch(operation, watcher);
  }

  private unwatch(operation: string, watcher: Watcher): void {
    const channel = this.channels.get(operation);
    if (!channel) return;
    channel.watchers.delete(watcher);
    if (channel.watchers.size === 0 && !channel.reading) this.channels.delete(operation);
  }

  /** The operation has news: read it for its watchers (once at a time; news during a read makes one more read). */
  private poke(operation: string): void {
    const channel = this.channels.get(operation);
    if (!channel) return;
    if (channel.reading) {
      channel.again = true;
      return;
    }
    channel.reading = true;
    void this.read(operation, channel)
      .then(
        () => true,
        () => false,
      )
      .then((ok) => {
        channel.reading = false;
        // The database failed this read: try again in a moment, not in a loop.
        if (!ok) setTimeout(() => this.poke(operation), 1000).unref();
        else if (channel.again) {
          channel.again = false;
          this.poke(operation);
        } else if (channel.watchers.size === 0) {
          this.channels.delete(operation);
        }
      });
  }

  private async read(operation: string, channel: Channel): Promise<void> {
    if (channel.watchers.size === 0) return;
    const from = Math.min(...[...channel.watchers].map((w) => w.last));
    // The state first: an operation seen ended here has all its events in the database already.
    const [op] = await this.db.query<{ state: OperationState }>('SELECT state FROM operations WHERE id = $1', [operation]);
    const rows = await this.db.query<{ id: number; journal: boolean; entry: OperationEvent['entry'] }>(
      'SELECT id, journal, entry FROM events WHERE operation_id = $1 AND id > $2 ORDER BY id',
      [operation, from],
    );
    for (const watcher of channel.watchers) {
      const fresh = rows.filter((r) => Number(r.id) > watcher.last).map((r) => ({ id: Number(r.id), journal: r.journal, entry: r.entry }));
      if (fresh.length > 0) {
        watcher.last = fresh.at(-1)!.id;
        watcher.send(fresh);
      }
      if (op && ENDED.has(op.state)) watcher.end(op.state);
    }
    if (op && ENDED.has(op.state)) channel.watchers.clear();
  }
}
