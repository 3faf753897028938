import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError, isNephoError, messageOf } from '../errors.js';
import { acquireLock, type Lock } from '../fs.js';
import type { NephoHome } from '../home.js';
import { createFormation, destroyFormation, type Driver } from '../formations/operations.js';
import { formationDir, readRecord, updateRecord, writeRecord, type FormationRecord } from '../formations/records.js';
import { findProvider, type PluginRegistry } from '../plugins.js';
import type { FormationEvent, FormationSpec, Outcome, Provider } from '../providers/types.js';
import { appendEntry, OPERATION_LOCK, type OperationKind } from './journal.js';

/**
 * What an operation needs, all of it serialisable: the nanny receives it over
 * IPC, so secret values travel in memory only, never through a file.
 */
export type OperationRequest =
  | {
    kind: 'create'; home: NephoHome; record: FormationRecord; spec: FormationSpec;
    /** The user agreed to delete a stack an earlier attempt left in ROLLBACK_COMPLETE, then create again. */
    recreate?: boolean;
    /** The user agreed to follow a stack of this name that is already being created. */
    adopt?: boolean;
  }
  | { kind: 'destroy'; home: NephoHome; record: FormationRecord };

/** Take the formation's operation lock; the error says what is running and since when. */
export async function lockFormation(home: NephoHome, name: string, kind: OperationKind): Promise<Lock> {
  const dir = formationDir(home, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return acquireLock(join(dir, OPERATION_LOCK), `${kind === 'create' ? 'creating' : 'destroying'} formation ${name}`, 'FORMATION_BUSY');
}

/**
 * Checks made before an operation is journaled, so a refused request never
 * writes into the journal of a formation that belongs to someone else's
 * operation: the lock, and for create, that the name is free.
 */
export async function claimOperation(request: OperationRequest): Promise<Lock> {
  const lock = await lockFormation(request.home, request.record.name, request.kind);
  if (request.kind === 'create') {
    const existing = readRecord(request.home, request.record.name);
    if (existing) {
      await lock.release();
      throw new NephoError('FORMATION_EXISTS', `a formation named '${existing.name}' already exists (${existing.status}, from ${existing.cloudlet}/${existing.scenario})`, {
        hint: `choose another --name, or destroy it first: nepho formation:destroy ${existing.name}`,
      });
    }
  }
  return lock;
}

/**
 * Create, and when the user agreed to it: delete a stack left in
 * ROLLBACK_COMPLETE first, or follow a stack of this name already in progress.
 */
async function createWithRecovery(request: Extract<OperationRequest, { kind: 'create' }>, provider: Provider, driver: Driver): Promise<Outcome> {
  const { home, record, spec } = request;
  try {
    return await createFormation(home, record, provider, spec, driver);
  } catch (error) {
    if (!isNephoError(error)) throw error;
    const ctx = { dir: formationDir(home, record.name), options: record.options, env: driver.env, emit: driver.emit, accepted: () => undefined };
    const byName = { name: record.name, state: {}, options: record.options };
    if (error.code === 'STACK_ROLLBACK_COMPLETE' && request.recreate) {
      const deleted = await provider.destroy(byName, ctx);
      if (!deleted.ok) return deleted;
      return createFormation(home, record, provider, spec, driver);
    }
    if (error.code === 'STACK_IN_PROGRESS' && request.adopt && provider.follow) {
      writeRecord(home, { ...record, status: 'CREATE_IN_PROGRESS' });
      const outcome = await provider.follow(byName, { ...ctx, accepted: (state) => { updateRecord(home, record.name, (r) => { r.state = { ...r.state, ...state }; }); } });
      updateRecord(home, record.name, (r) => {
        r.state = { ...r.state, ...outcome.state };
        r.status = outcome.status;
        r.operation = { ...r.operation!, endedAt: new Date().toISOString(), ok: outcome.ok, status: outcome.status };
      });
      return outcome;
    }
    throw error;
  }
}

/**
 * Carry an operation to its end, journaling every event and status change.
 * Runs in the nanny, or in the command's own process with --foreground; the
 * caller holds the lock from `claimOperation`. Never throws: failures, the
 * provider's or nepho's own (credentials expired, network gone), end up in
 * the journal as `error`.
 */
export async function runOperation(request: OperationRequest, registry: PluginRegistry, env: NodeJS.ProcessEnv): Promise<Outcome | undefined> {
  const { home, record } = request;
  const started = Date.now();
  appendEntry(home, record.name, { kind: 'start', operation: request.kind, pid: process.pid, host: (await import('node:os')).hostname() });
  const driver = {
    env,
    emit: (event: FormationEvent) => void appendEntry(home, record.name, { kind: 'event', event }),
    onAccepted: (updated: FormationRecord) => void appendEntry(home, record.name, { kind: 'accepted', state: updated.state }),
  };
  try {
    const outcome = request.kind === 'create'
      ? await createWithRecovery(request, findProvider(registry, record.provider), driver)
      : await destroyFormation(home, record, registry, driver);
    appendEntry(home, record.name, { kind: 'end', operation: request.kind, ok: outcome.ok, status: outcome.status, failures: outcome.failures, took: Date.now() - started });
    return outcome;
  } catch (error) {
    const entry = isNephoError(error)
      ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
      : { code: 'NANNY_CRASHED', message: `unexpected failure, a bug in nepho: ${messageOf(error)}`, hint: (error as Error).stack?.split('\n').slice(0, 4).join(' | ') ?? '' };
    appendEntry(home, record.name, { kind: 'error', operation: request.kind, ...entry });
    return undefined;
  }
}
