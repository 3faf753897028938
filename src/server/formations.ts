/**
 * What the server answers about a formation by asking its provider now,
 * with the credentials only the server holds: its description (outputs,
 * resources, URL, ssh endpoint) and its drift. Nothing is cached: each
 * answer is the provider's word at that moment, as on the command line.
 */
import { formationNotFound, type FormationRecord } from '../formations/records.js';
import { describeRecord, driftOfRecord, type DescribedFormation, type FormationDrift } from '../operations/query.js';
import type { EngineContext } from '../operations/types.js';
import type { Database } from './db.js';
import type { EngineBase } from './operations.js';
import { readOnlyStore } from './store.js';

/** The engine's context over a formation's record as the database has it now, and that record. */
async function recorded(engine: EngineBase, db: Database, name: string): Promise<{ ctx: EngineContext; record: FormationRecord }> {
  const store = await readOnlyStore(db, engine.home, name);
  const record = store.read(name);
  if (!record) throw formationNotFound(name, 'on this server', 'see GET /v1/formations');
  return { ctx: { ...engine, store }, record };
}

/**
 * `GET /v1/formations/{name}/describe`: what `formation:describe` shows, and
 * how the formation is reached. A key file a provider names is a path on
 * this server, of no use to a client: it is left out.
 */
export async function describeOnServer(engine: EngineBase, db: Database, name: string): Promise<DescribedFormation> {
  const { ctx, record } = await recorded(engine, db, name);
  const described = await describeRecord(ctx, record);
  if ('endpoint' in described.reach.ssh) delete described.reach.ssh.endpoint.identityFile;
  return described;
}

/**
 * `POST /v1/formations/{name}/drift`: the provider's drift check. Refused
 * (FORMATION_BUSY, a 409) while an operation holds the formation, since a
 * formation being changed drifts by definition.
 */
export async function driftOnServer(engine: EngineBase, db: Database, name: string): Promise<FormationDrift> {
  const { ctx, record } = await recorded(engine, db, name);
  const busy = await ctx.store.busy(name);
  if (busy) throw busy;
  return driftOfRecord(ctx, record);
}
