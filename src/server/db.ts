/**
 * The server's one door to its state: the same SQL against a real Postgres
 * (`pg`, for teams and replicas) or an embedded PGlite (Postgres compiled to
 * WASM, for one server on a laptop). Everything above this module speaks
 * plain SQL with `$1` parameters and never knows which one it talks to.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError, messageOf } from '../errors.js';
import { acquireLock, type Lock } from '../fs.js';
import type { NephoHome } from '../home.js';
import { redactUrl } from '../output.js';

/** Something SQL can be sent to: the database, or one transaction on it. */
export interface Queryable {
  /** Run one statement; rows come back as plain objects (int8 as numbers, jsonb parsed, timestamptz as Date). */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Run several statements with no parameters (a migration). */
  script(sql: string): Promise<void>;
}

/** A database the server keeps its state in. */
export interface Database extends Queryable {
  /** `postgres` or `pglite`, for logs and /readyz. */
  readonly kind: 'postgres' | 'pglite';
  /** Where it is, with any password removed: safe to log. */
  readonly where: string;
  /** Run `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Call `onPayload` for every NOTIFY on `channel`, and `onReconnect` when
   * notifications may have been missed (a dropped connection came back), so
   * the caller can look again. Resolves with a function that stops listening.
   */
  listen(channel: string, onPayload: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /** Close every connection (and release the embedded database's lock). */
  close(): Promise<void>;
}

/** The embedded database's directory under a home. */
export function embeddedDatabaseDir(home: NephoHome): string {
  return join(home.root, 'server', 'db');
}

/**
 * Open the server's database: Postgres at `url` (a `postgres://` URL) when
 * given, otherwise PGlite under `$NEPHO_HOME/server/db`. PGlite is one
 * process's: a second process opening it while the first has it is refused
 * (DATABASE_BUSY) rather than let two of them write the same files.
 */
export async function openDatabase(url: string | undefined, home: NephoHome): Promise<Database> {
  return url ? openPostgres(url) : openEmbedded(home);
}

async function openPostgres(url: string): Promise<Database> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NephoError('BAD_URL', `--database '${redactUrl(url)}' is not a URL`, { hint: 'for example postgres://nepho@db.example.org:5432/nepho' });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new NephoError('BAD_URL', `--database '${redactUrl(url)}' is not a postgres:// URL`, {
      hint: 'for example postgres://nepho@db.example.org:5432/nepho',
    });
  }
  const where = redactUrl(url);
  const pg = (await import('pg')).default;
  // int8 (bigserial ids, counts) as numbers: ids stay far below 2^53.
  pg.types.setTypeParser(20, (value: string) => Number(value));
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  // An idle connection that dies (the database restarted) must not take the server down: the pool replaces it.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new NephoError('DATABASE_UNAVAILABLE', `cannot reach the database at ${where}: ${messageOf(error)}`);
  }
  const query = async <R>(q: { query: (sql: string, params?: unknown[]) => Promise<{ rows: unknown[] }> }, sql: string, params?: unknown[]) =>
    (await q.query(sql, params)).rows as R[];
  return {
    kind: 'postgres',
    where,
    query: (sql, params) => query(pool, sql, params),
    script: async (sql) => {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: (sql, params) => query(client, sql, params),
          script: async (sql) => {
            await client.query(sql);
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload, onReconnect) {
      let stopped = false;
      let client: InstanceType<typeof pg.Client> | undefined;
      const connect = async (): Promise<void> => {
        const c = new pg.Client({ connectionString: url });
        c.on('notification', (n) => {
          if (n.channel === channel) onPayload(n.payload ?? '');
        });
        c.on('error', () => undefined);
        c.on('end', () => {
          if (stopped) return;
          // Reconnect after a pause; what was notified meanwhile is looked up again by the caller.
          setTimeout(
            () =>
              void connect().then(
                () => onReconnect?.(),
                () => c.emit('end'),
              ),
            1000,
          ).unref();
        });
        await c.connect();
        await c.query(`LISTEN ${channel}`);
        client = c;
      };
      await connect();
      return async () => {
        stopped = true;
        await client?.end().catch(() => undefined);
      };
    },
    close: () => pool.end(),
  };
}

async function openEmbedded(home: NephoHome): Promise<Database> {
  const dir = embeddedDatabaseDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock: Lock = await acquireLock(join(home.root, 'server', 'db.lock'), `using the embedded database ${dir}`, 'DATABASE_BUSY');
  let db: import('@electric-sql/pglite').PGlite;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    db = await PGlite.create(dir);
  } catch (error) {
    await lock.release();
    throw new NephoError('DATABASE_UNAVAILABLE', `cannot open the embedded database in ${dir}: ${messageOf(error)}`);
  }
  return {
    kind: 'pglite',
    where: dir,
    query: async (sql, params) => (await db.query(sql, params as unknown[])).rows as never,
    script: async (sql) => {
      await db.exec(sql);
    },
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          query: async (sql, params) => (await tx.query(sql, params as unknown[])).rows as never,
          script: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
    async listen(channel, onPayload) {
      const stop = await db.listen(channel, onPayload);
      return async () => {
        await stop();
      };
    },
    async close() {
      try {
        await db.close();
      } finally {
        await lock.release();
      }
    },
  };
}
