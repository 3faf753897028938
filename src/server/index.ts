/**
 * `nepho server`: the team control plane, put together. Open the database
 * (Postgres, or the embedded PGlite), migrate it, start the operation runner
 * and the event fan-out, and serve the API until told to stop.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config.js';
import { NephoError, messageOf, quoted } from '../errors.js';
import type { NephoHome } from '../home.js';
import { loadPlugins } from '../plugins.js';
import { buildApp } from './app.js';
import { openDatabase, type Database } from './db.js';
import { EventHub } from './events.js';
import { migrate } from './migrations.js';
import { DEFAULT_LEASES, OperationRunner, type LeaseTimes, type Log } from './operations.js';
import { leaseOwner } from './store.js';
import { createToken, listTokens, revokeToken, type TokenInfo } from './tokens.js';

export { stopOnInterrupt } from '../fs.js';

/** Where the server listens unless told otherwise: this machine only. */
export const DEFAULT_LISTEN = '127.0.0.1:8340';

/** How to run a server. */
export interface ServerOptions {
  home: NephoHome;
  env: NodeJS.ProcessEnv;
  /** `HOST:PORT` (`[::1]:8340` for IPv6; port 0: any free one). */
  listen: string;
  /** A `postgres://` URL; the embedded database when left out. */
  database?: string;
  /** PEM files: serve HTTPS. */
  tls?: { cert: string; key: string };
  /** Requests a token may make per minute on this replica. */
  rateLimit?: number;
  leases?: Partial<LeaseTimes>;
  /** pino's level: info by default. */
  logLevel?: string;
}

/** A running server. */
export interface RunningServer {
  /** `http(s)://HOST:PORT`, with the port it really got. */
  url: string;
  database: string;
  /** Stop gracefully: no new requests, operations left to other replicas, connections closed. */
  close(): Promise<void>;
}

/** Split `HOST:PORT`, naming the option when it is not that. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new NephoError('BAD_ARGUMENT', `--listen ${quoted(listen)} is not HOST:PORT`, { hint: `for example ${DEFAULT_LISTEN}, 0.0.0.0:8340 or [::1]:8340` });
  }
  return { host: (m[1] ?? m[2])!, port };
}

function readPem(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new NephoError('FILE_UNREADABLE', `${option} ${file}: cannot be read (${messageOf(error)})`);
  }
}

/** Start a server; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { host, port } = parseListen(options.listen);
  const https = options.tls ? { cert: readPem(options.tls.cert, '--tls-cert'), key: readPem(options.tls.key, '--tls-key') } : undefined;
  const db = await openDatabase(options.database, options.home);
  try {
    await migrate(db);
    const registry = await loadPlugins(options.home, loadConfig(options.home, options.env));
    const engine = { home: options.home, registry, env: options.env };
    const owner = leaseOwner();
    const hub = new EventHub(db);
    await hub.start();
    const logger = { level: options.logLevel ?? 'info', redact: ['req.headers.authorization'] };
    // The runner logs through the app's logger, which exists once the app is built; nothing runs before.
    const log: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const runner = new OperationRunner(db, engine, owner, log, { ...DEFAULT_LEASES, ...options.leases });
    const app = await buildApp({ db, runner, hub, engine, logger, rateLimit: options.rateLimit ?? 600, ...(https ? { https } : {}) });
    const child = app.log.child({ component: 'runner' });
    Object.assign(log, { info: child.info.bind(child), warn: child.warn.bind(child), error: child.error.bind(child) });
    let address: string;
    try {
      address = await app.listen({ host, port });
    } catch (error) {
      await app.close();
      await hub.stop();
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'EADDRINUSE'
          ? 'the port is in use'
          : code === 'EADDRNOTAVAIL'
            ? 'no such address on this machine'
            : code === 'EACCES'
              ? 'not allowed (a port under 1024?)'
              : messageOf(error);
      throw new NephoError('SERVER_FAILED', `cannot listen on ${options.listen}: ${why}`, { hint: 'choose another --listen HOST:PORT' });
    }
    runner.start();
    app.log.info({ url: address, database: db.kind, where: db.where, owner }, 'nepho server ready');
    let closing: Promise<void> | undefined;
    return {
      url: address,
      database: db.where,
      close: () =>
        (closing ??= (async () => {
          app.log.info({ operations: runner.active }, 'stopping: running operations are left to other replicas');
          await runner.stop();
          await app.close();
          await hub.stop();
          await db.close();
        })()),
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

/** Run `fn` on the server's database (for the token commands), closing it after. */
async function withDatabase<T>(home: NephoHome, database: string | undefined, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(database, home);
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** `server:token:create`: a new token, shown once. */
export function tokenCreate(home: NephoHome, database: string | undefined, name: string, role: string): Promise<{ token: string; info: TokenInfo }> {
  return withDatabase(home, database, (db) => createToken(db, name, role));
}

/** `server:token:list`. */
export function tokenList(home: NephoHome, database: string | undefined): Promise<TokenInfo[]> {
  return withDatabase(home, database, (db) => listTokens(db));
}

/** `server:token:revoke`. */
export function tokenRevoke(home: NephoHome, database: string | undefined, name: string): Promise<TokenInfo> {
  return withDatabase(home, database, (db) => revokeToken(db, name));
}
