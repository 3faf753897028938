import { hostname } from 'node:os';
import { isNephoError, messageOf, type ErrorCode } from '../errors.js';
import type { Lock } from '../fs.js';
import type { JournalEntry, WithoutTime } from '../formations/journal.js';
import { refOf, type FormationRecord } from '../formations/records.js';
import { findProvider } from '../plugins.js';
import type { FormationRef, OperationContext, Outcome, Provider } from '../providers/types.js';
import { assertNameFree } from './plan.js';
import type { FormationStore } from './store.js';
import type { EngineContext, OperationIo, OperationPlan, OperationResult } from './types.js';

/** Journal an entry and tell the host: everything an operation reports goes both ways. */
type Say = (entry: WithoutTime<JournalEntry>) => JournalEntry;

/**
 * Take the formation's operation lock for a planned operation, and check
 * under it what must still hold (a create's name is free). A refused claim
 * writes nothing, so it never touches the journal of someone else's operation.
 */
export async function claimOperation(ctx: EngineContext, plan: OperationPlan): Promise<Lock> {
  const lock = await ctx.store.lock(plan.record.name, plan.kind);
  try {
    if (plan.kind === 'create') assertNameFree(ctx, plan.record.name);
  } catch (error) {
    await lock.release();
    throw error;
  }
  return lock;
}

/** Record how an operation ended: provider state, status and the operation's end. */
export function settle(store: FormationStore, name: string, outcome: Pick<Outcome, 'ok' | 'status' | 'state'>): void {
  store.update(name, (r) => {
    r.state = { ...r.state, ...outcome.state };
    r.status = outcome.status;
    r.operation = { ...(r.operation ?? { kind: 'create', startedAt: r.createdAt }), endedAt: new Date().toISOString(), ok: outcome.ok, status: outcome.status };
  });
}

/** Record that an operation broke off after the provider had accepted it: what it holds is unknown. */
function settleBroken(store: FormationStore, name: string, error: unknown): void {
  store.update(name, (r) => {
    r.status = 'UNKNOWN';
    r.operation = { ...(r.operation ?? { kind: 'create', startedAt: r.createdAt }), endedAt: new Date().toISOString(), ok: false, status: `failed: ${messageOf(error)}` };
  });
}

/** The journal entry for an operation that could not be carried out. */
export function errorEntry(error: unknown): { code: ErrorCode; message: string; hint?: string } {
  if (isNephoError(error)) return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  return {
    code: 'OPERATION_CRASHED',
    message: `unexpected failure, a bug in nepho or a plugin: ${messageOf(error)}`,
    hint: (error as Error)?.stack?.split('\n').slice(0, 4).join(' | ') ?? '',
  };
}

/** The result of an operation, from the journal entry that ended it. */
export function resultOf(name: string, entry: Extract<JournalEntry, { kind: 'end' | 'error' }>): OperationResult {
  if (entry.kind === 'error') {
    return { outcome: 'errored', kind: entry.operation, name, error: { code: entry.code, message: entry.message, ...(entry.hint ? { hint: entry.hint } : {}) } };
  }
  return { outcome: entry.ok ? 'succeeded' : 'failed', kind: entry.operation, name, status: entry.status, failures: entry.failures, took: entry.took };
}

/** The context a provider is given for one call: events and acceptance go to `say`. */
function providerContext(ctx: EngineContext, record: FormationRecord, say: Say, accepted: (state: Record<string, unknown>) => void): OperationContext {
  return {
    dir: ctx.store.dir(record.name), options: record.options, env: ctx.env,
    emit: (event) => void say({ kind: 'event', event }), accepted,
  };
}

/**
 * Create, writing the record before the provider is called so a formation is
 * never lost: if the provider refuses before accepting anything, the record
 * goes again; if it fails after, the record stays and says so. What preflight
 * found and the user agreed to comes first: a stack to delete (recreate), or
 * one to follow instead of creating (adopt).
 */
async function create(ctx: EngineContext, plan: Extract<OperationPlan, { kind: 'create' }>, provider: Provider, say: Say): Promise<Outcome> {
  const { store } = ctx;
  const { record, spec } = plan;
  const byName: FormationRef = { name: record.name, dir: store.dir(record.name), state: {}, options: record.options };
  if (plan.existing?.action === 'recreate') {
    const cleared = await provider.destroy(byName, providerContext(ctx, record, say, () => undefined));
    if (!cleared.ok) return cleared;
  }
  const adopt = plan.existing?.action === 'adopt' && provider.follow;
  store.write(adopt ? { ...record, status: 'CREATE_IN_PROGRESS' } : record);
  let accepted = Boolean(adopt);
  const onAccepted = (state: Record<string, unknown>) => {
    accepted = true;
    const updated = store.update(record.name, (r) => {
      r.state = { ...r.state, ...state };
      r.status = 'CREATE_IN_PROGRESS';
    });
    say({ kind: 'accepted', state: updated.state });
  };
  try {
    const pc = providerContext(ctx, record, say, onAccepted);
    const outcome = adopt ? await provider.follow!(byName, pc) : await provider.create(spec, pc);
    settle(store, record.name, outcome);
    return outcome;
  } catch (error) {
    if (accepted) settleBroken(store, record.name, error);
    else await store.remove(record.name);
    throw error;
  }
}

/** Destroy; the record goes only once the provider says the formation is gone. */
async function destroy(ctx: EngineContext, plan: Extract<OperationPlan, { kind: 'destroy' }>, provider: Provider, say: Say): Promise<Outcome> {
  const { store } = ctx;
  const { record } = plan;
  // A formation found only at the provider (made on another machine) gets a record here for the operation.
  if (!store.read(record.name)) store.write(record);
  store.update(record.name, (r) => {
    r.status = 'DELETE_REQUESTED';
    r.operation = { kind: 'destroy', startedAt: new Date().toISOString() };
  });
  let outcome: Outcome;
  try {
    outcome = await provider.destroy(refOf(record, store.dir(record.name)), providerContext(ctx, record, say, (state) => {
      const updated = store.update(record.name, (r) => {
        r.state = { ...r.state, ...state };
        r.status = 'DELETE_IN_PROGRESS';
      });
      say({ kind: 'accepted', state: updated.state });
    }));
  } catch (error) {
    settleBroken(store, record.name, error);
    throw error;
  }
  if (outcome.ok) await store.remove(record.name);
  else settle(store, record.name, outcome);
  return outcome;
}

/**
 * Carry a claimed operation to its end, journaling every event and status
 * change and telling the host as it goes. Runs wherever the lock was taken:
 * the nanny, the command's own process (`--foreground`), a server worker.
 * Never throws: failures, the provider's or nepho's own (credentials expired,
 * network gone), end the journal as `error` and come back as data.
 */
export async function carryOperation(ctx: EngineContext, plan: OperationPlan, io: OperationIo): Promise<OperationResult> {
  const name = plan.record.name;
  const say: Say = (entry) => {
    const full = ctx.store.append(name, entry);
    io.notify(full);
    return full;
  };
  const started = Date.now();
  say({ kind: 'start', operation: plan.kind, pid: process.pid, host: hostname() });
  try {
    const provider = findProvider(ctx.registry, plan.record.provider, `formation ${name}: provider`);
    const outcome = plan.kind === 'create' ? await create(ctx, plan, provider, say) : await destroy(ctx, plan, provider, say);
    return resultOf(name, say({ kind: 'end', operation: plan.kind, ok: outcome.ok, status: outcome.status, failures: outcome.failures, took: Date.now() - started }) as Extract<JournalEntry, { kind: 'end' }>);
  } catch (error) {
    return resultOf(name, say({ kind: 'error', operation: plan.kind, ...errorEntry(error) }) as Extract<JournalEntry, { kind: 'error' }>);
  }
}
