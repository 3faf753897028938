/**
 * The server's schema, as forward-only numbered migrations. Each runs once,
 * in order, in the transaction that records it; a released migration is never
 * edited (a change is a new one). Replicas starting together take turns on an
 * advisory lock, so each migration runs exactly once.
 */
import { NephoError } from '../errors.js';
import type { Database } from './db.js';

/** One step of the schema. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The advisory lock key replicas take while migrating (any constant: "nepho" in ASCII). */
const MIGRATION_LOCK = 0x6e6570686f;

/** Channel the database notifies on, with an operation id as payload, whenever that operation has news. */
export const EVENTS_CHANNEL = 'nepho_events';
/** Channel the database notifies on when a token is revoked or replaced (payload: the token's hash). */
export const TOKENS_CHANNEL = 'nepho_tokens';

/** A timestamptz as SQL text in the format of `Date.prototype.toISOString()` (UTC, milliseconds, `Z`). */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Every migration, oldest first (exported so tests can build a database as an older nepho left it). */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'formations, operations, events, tokens',
    sql: `
      CREATE TABLE formations (
        name text PRIMARY KEY,
        record jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE operations (
        id text PRIMARY KEY,
        formation text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('create', 'update', 'provision', 'destroy')),
        state text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'errored')),
        request jsonb NOT NULL,
        started_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        ended_at timestamptz,
        lease_owner text,
        lease_expires_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        result jsonb
      );
      -- The formation's lock: at most one operation not yet ended per formation, whichever replica asks.
      CREATE UNIQUE INDEX operations_one_active ON operations (formation) WHERE state IN ('queued', 'running');
      CREATE INDEX operations_by_formation ON operations (formation, created_at DESC);
      CREATE INDEX operations_leases ON operations (lease_expires_at) WHERE state IN ('queued', 'running');
      CREATE TABLE events (
        id bigserial PRIMARY KEY,
        operation_id text NOT NULL REFERENCES operations (id),
        formation text NOT NULL,
        -- false: said while planning (not part of the formation's journal, which starts at 'start').
        journal boolean NOT NULL,
        entry jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX events_by_operation ON events (operation_id, id);
      CREATE INDEX events_journal ON events (formation, id) WHERE journal;
      CREATE TABLE tokens (
        name text PRIMARY KEY,
        role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );
      CREATE FUNCTION nepho_notify_event() RETURNS trigger AS $$
      BEGIN
        PERFORM pg_notify('${EVENTS_CHANNEL}', NEW.operation_id);
        RETURN NULL;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION nepho_notify_event();
      CREATE FUNCTION nepho_notify_operation() RETURNS trigger AS $$
      BEGIN
        IF NEW.state IS DISTINCT FROM OLD.state THEN PERFORM pg_notify('${EVENTS_CHANNEL}', NEW.id); END IF;
        RETURN NULL;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER operations_notify AFTER UPDATE ON operations FOR EACH ROW EXECUTE FUNCTION nepho_notify_operation();
      CREATE FUNCTION nepho_notify_token() RETURNS trigger AS $$
      BEGIN
        PERFORM pg_notify('${TOKENS_CHANNEL}', OLD.hash);
        RETURN NULL;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER tokens_notify AFTER UPDATE OR DELETE ON tokens FOR EACH ROW EXECUTE FUNCTION nepho_notify_token();
    `,
  },
  {
    version: 2,
    name: "the list of formations as JSON kept by the writes: each formation's public fields, each name's last operation",
    // The list of formations looked up each one's newest operation, read
    // whole records and turned every field into JSON again, on every request.
    // The database now keeps, beside each record and for each name's newest
    // operation, the JSON the list shows, written by triggers in the
    // transaction that writes them: whatever writes (any replica, a replica of
    // the previous version during a rolling restart, an operator's SQL) keeps
    // it true, and a read joins ready text. The last operation has a table of
    // its own, not columns of formations: a formation's row appears only once
    // its first operation records it and goes when it is destroyed, while the
    // list shows names whose first operation is still under way.
    sql: `
      -- The Formation of the API (without lastOperation) for a record: only these fields, whatever else a record holds.
      CREATE FUNCTION nepho_listed_formation(name text, record jsonb) RETURNS text AS $$
        SELECT json_build_object(
          'name', name, 'cloudlet', record->'cloudlet', 'version', record->'version', 'commit', record->'commit',
          'scenario', record->'scenario', 'provider', record->'provider', 'status', coalesce(nullif(record->'status', 'null'), '"PENDING"'),
          'parameters', coalesce(nullif(record->'parameters', 'null'), '{}'), 'secrets', coalesce(nullif(record->'secrets', 'null'), '[]'),
          'createdAt', record->'createdAt', 'updatedAt', record->'updatedAt')::text
      $$ LANGUAGE sql STABLE;
      ALTER TABLE formations ADD COLUMN listed text;
      UPDATE formations SET listed = nepho_listed_formation(name, record);
      ALTER TABLE formations ALTER COLUMN listed SET NOT NULL;
      CREATE FUNCTION nepho_list_formation() RETURNS trigger AS $$
      BEGIN
        NEW.listed := nepho_listed_formation(NEW.name, NEW.record);
        RETURN NEW;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER formations_listed BEFORE INSERT OR UPDATE ON formations FOR EACH ROW EXECUTE FUNCTION nepho_list_formation();

      CREATE TABLE last_operations (
        formation text PRIMARY KEY,
        operation_id text NOT NULL,
        state text NOT NULL,
        created_at timestamptz NOT NULL,
        -- The API's lastOperation, times as Date.prototype.toISOString writes them.
        listed text NOT NULL,
        -- From the request: what the list shows for a formation its first operation has not recorded yet.
        cloudlet text,
        scenario text,
        provider text
      );
      CREATE INDEX last_operations_active ON last_operations (formation) WHERE state IN ('queued', 'running');
      CREATE FUNCTION nepho_listed_operation(o operations) RETURNS text AS $$
        SELECT json_build_object('id', o.id, 'kind', o.kind, 'state', o.state, 'startedBy', o.started_by,
          'createdAt', ${iso('o.created_at')}, 'endedAt', ${iso('o.ended_at')})::text
      $$ LANGUAGE sql STABLE;
      CREATE FUNCTION nepho_last_operation() RETURNS trigger AS $$
      BEGIN
        INSERT INTO last_operations AS l (formation, operation_id, state, created_at, listed, cloudlet, scenario, provider)
        VALUES (NEW.formation, NEW.id, NEW.state, NEW.created_at, nepho_listed_operation(NEW),
          NEW.request->>'cloudlet', NEW.request->>'scenario', NEW.request->>'provider')
        ON CONFLICT (formation) DO UPDATE SET
          operation_id = EXCLUDED.operation_id, state = EXCLUDED.state, created_at = EXCLUDED.created_at, listed = EXCLUDED.listed,
          cloudlet = EXCLUDED.cloudlet, scenario = EXCLUDED.scenario, provider = EXCLUDED.provider
        -- The same operation changing, or a newer one: an older operation written late never hides a newer one.
        WHERE l.operation_id = EXCLUDED.operation_id OR l.created_at <= EXCLUDED.created_at;
        RETURN NULL;
      END $$ LANGUAGE plpgsql;
      -- Not on lease renewals (lease_owner, lease_expires_at, attempts): they change nothing the list shows.
      CREATE TRIGGER operations_last AFTER INSERT OR UPDATE OF formation, kind, state, started_by, created_at, ended_at, request ON operations
        FOR EACH ROW EXECUTE FUNCTION nepho_last_operation();
      INSERT INTO last_operations (formation, operation_id, state, created_at, listed, cloudlet, scenario, provider)
      SELECT DISTINCT ON (formation) formation, id, state, created_at, nepho_listed_operation(o), request->>'cloudlet', request->>'scenario', request->>'provider'
      FROM operations o ORDER BY formation, created_at DESC, id DESC;
    `,
  },
];

/** The schema version this nepho writes. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/**
 * Bring the schema up to date, applying the migrations it lacks. A database
 * whose schema is newer than this nepho knows is refused: an older server
 * must not write to tables it does not understand.
 */
export async function migrate(db: Database): Promise<{ applied: number[] }> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS nepho_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM nepho_migrations')).map((r) => Number(r.version)));
    const newest = Math.max(0, ...done);
    if (newest > SCHEMA_VERSION) {
      throw new NephoError('DATABASE_TOO_NEW', `the database ${db.where} has schema version ${newest}; this nepho knows up to ${SCHEMA_VERSION}`, {
        hint: 'run the newer nepho that migrated it, or upgrade this one',
      });
    }
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await tx.script(m.sql);
      await tx.query('INSERT INTO nepho_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return { applied };
  });
}
