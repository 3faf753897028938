import { hostname, userInfo } from 'node:os';
import { NephoError, isNephoError, messageOf, type ErrorCode } from '../errors.js';
import type { Lock } from '../fs.js';
import type { JournalEntry, WithoutTime } from '../formations/journal.js';
import { refOf, type FormationRecord } from '../formations/records.js';
import { forgetHostKeys, formationInstance, formationSshEndpoint, runScriptOverSsh, shellQuote, systemSsh, writeSshConfig } from '../formations/ssh.js';
import { findProvider } from '../plugins.js';
import type { FormationRef, OperationContext, Outcome, Provider } from '../providers/types.js';
import { assertNameFree } from './plan.js';
import type { FormationStore } from './store.js';
import type { EngineContext, OperationIo, OperationPlan, OperationResult } from './types.js';
import { errorData } from '../error-catalogue.js';

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

/**
 * Record how an operation ended: provider state, status and the operation's
 * end. `keepStatus`: the operation does not change what the formation is
 * (a provisioning run), only its own end is recorded.
 */
export function settle(
  store: FormationStore,
  name: string,
  outcome: Pick<Outcome, 'ok' | 'status' | 'state'> & { failures?: Outcome['failures'] },
  keepStatus = false,
): void {
  store.update(name, (r) => {
    r.state = { ...r.state, ...outcome.state };
    if (!keepStatus) r.status = outcome.status;
    r.operation = {
      ...(r.operation ?? { kind: 'create', startedAt: r.createdAt }),
      endedAt: new Date().toISOString(),
      ok: outcome.ok,
      status: outcome.status,
      ...(outcome.ok || !outcome.failures?.length ? {} : { failures: outcome.failures }),
    };
  });
}

/** The status a formation is left in when an operation of this kind breaks off after the provider took it. */
const BROKEN: Record<OperationPlan['kind'], string> = {
  create: 'CREATE_FAILED',
  destroy: 'DELETE_FAILED',
  update: 'UPDATE_FAILED',
  provision: 'PROVISION_FAILED',
};

/**
 * Record that an operation broke off after the provider had accepted it: the
 * formation is failed, with the reason, never gone (the provider may still
 * hold it all).
 */
function settleBroken(store: FormationStore, name: string, error: unknown): void {
  store.update(name, (r) => {
    const kind = r.operation?.kind ?? 'create';
    if (kind !== 'provision') r.status = BROKEN[kind];
    r.operation = {
      ...(r.operation ?? { kind, startedAt: r.createdAt }),
      endedAt: new Date().toISOString(),
      ok: false,
      status: BROKEN[kind],
      failures: [{ resource: name, status: BROKEN[kind], reason: messageOf(error) }],
    };
  });
}

/** Who runs nepho, for the journal's `by`. */
function userName(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.LOGNAME ?? 'unknown';
  }
}

/** The journal entry for an operation that could not be carried out. */
export function errorEntry(error: unknown): { code: ErrorCode; message: string; hint?: string } {
  if (isNephoError(error)) return errorData(error);
  return {
    code: 'OPERATION_CRASHED',
    message: `unexpected failure, a bug in nepho or a plugin: ${messageOf(error)}`,
    hint: (error as Error)?.stack?.split('\n').slice(0, 4).join(' | ') ?? '',
  };
}

/** The result of an operation, from the journal entry that ended it. */
export function resultOf(name: string, entry: Extract<JournalEntry, { kind: 'end' | 'error' }>): OperationResult {
  if (entry.kind === 'error') {
    return {
      outcome: 'errored',
      kind: entry.operation,
      name,
      error: { code: entry.code, message: entry.message, ...(entry.hint ? { hint: entry.hint } : {}) },
    };
  }
  return {
    outcome: entry.ok ? 'succeeded' : 'failed',
    kind: entry.operation,
    name,
    status: entry.status,
    failures: entry.failures,
    took: entry.took,
    ...(entry.exitCode === undefined ? {} : { exitCode: entry.exitCode }),
  };
}

/** The context a provider is given for one call: events and acceptance go to `say`. */
function providerContext(ctx: EngineContext, record: FormationRecord, say: Say, accepted: (state: Record<string, unknown>) => void): OperationContext {
  return {
    dir: ctx.store.dir(record.name),
    options: record.options,
    env: ctx.env,
    emit: (event) => void say({ kind: 'event', event }),
    accepted,
    output: (stream, line) => void say({ kind: 'output', stream, line }),
  };
}

/** An `accepted` that saves the provider's state in the record with `status`, and journals it. */
function acceptedAs(ctx: EngineContext, name: string, status: string, say: Say): (state: Record<string, unknown>) => void {
  return (state) => {
    const updated = ctx.store.update(name, (r) => {
      r.state = { ...r.state, ...state };
      r.status = status;
    });
    say({ kind: 'accepted', state: updated.state });
  };
}

/** Mark the record: this operation starts now. */
function begin(store: FormationStore, name: string, kind: OperationPlan['kind'], status?: string): void {
  store.update(name, (r) => {
    if (status) r.status = status;
    r.operation = { kind, startedAt: new Date().toISOString() };
  });
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
    const cleared = await provider.destroy(
      byName,
      providerContext(ctx, record, say, () => undefined),
    );
    if (!cleared.ok) return cleared;
  }
  const adopt = plan.existing?.action === 'adopt' && provider.follow;
  store.write(adopt ? { ...record, status: 'CREATE_IN_PROGRESS' } : record);
  let accepted = Boolean(adopt);
  const saveAccepted = acceptedAs(ctx, record.name, 'CREATE_IN_PROGRESS', say);
  const onAccepted = (state: Record<string, unknown>) => {
    accepted = true;
    saveAccepted(state);
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
  begin(store, record.name, 'destroy', 'DELETE_REQUESTED');
  let outcome: Outcome;
  try {
    outcome = await provider.destroy(
      refOf(record, store.dir(record.name)),
      providerContext(ctx, record, say, acceptedAs(ctx, record.name, 'DELETE_IN_PROGRESS', say)),
    );
  } catch (error) {
    settleBroken(store, record.name, error);
    throw error;
  }
  if (outcome.ok) {
    await store.remove(record.name);
    forgetHostKeys(ctx.home, record);
  } else settle(store, record.name, outcome);
  return outcome;
}

/**
 * Update: apply the provider's preview. Only a successful update changes the
 * recorded answers (values, cloudlet version, commit); after a failure the
 * record keeps what is really deployed.
 */
async function update(ctx: EngineContext, plan: Extract<OperationPlan, { kind: 'update' }>, provider: Provider, say: Say): Promise<Outcome> {
  const { store } = ctx;
  const { record, next } = plan;
  if (!provider.update) throw new NephoError('UPDATE_UNSUPPORTED', `formation ${record.name}: provider ${provider.name} cannot update formations`);
  begin(store, record.name, 'update', 'UPDATE_REQUESTED');
  let accepted = false;
  const saveAccepted = acceptedAs(ctx, record.name, 'UPDATE_IN_PROGRESS', say);
  let outcome: Outcome;
  try {
    outcome = await provider.update(
      refOf(record, store.dir(record.name)),
      plan.spec,
      plan.preview,
      providerContext(ctx, record, say, (state) => {
        accepted = true;
        saveAccepted(state);
      }),
    );
  } catch (error) {
    // Refused before the provider took it: the formation is as it was.
    if (accepted) settleBroken(store, record.name, error);
    else settle(store, record.name, { ok: false, status: record.status }, false);
    throw error;
  }
  if (outcome.ok) {
    store.update(record.name, (r) => {
      r.version = next.version;
      if (next.commit) r.commit = next.commit;
      else delete r.commit;
      r.pattern = next.pattern;
      r.parameters = next.parameters;
      r.secrets = next.secrets;
      r.access = next.access;
    });
  }
  settle(store, record.name, outcome);
  return outcome;
}

/**
 * Provision: the bootstrap again, by the provider's own means, or as root
 * over ssh (as `formation:ssh` connects). The formation's status stays what
 * it is; the run's exit status comes back in the outcome.
 */
async function provision(ctx: EngineContext, plan: Extract<OperationPlan, { kind: 'provision' }>, provider: Provider, say: Say): Promise<Outcome> {
  const { store } = ctx;
  const { record, spec } = plan;
  begin(store, record.name, 'provision');
  const ref = refOf(record, store.dir(record.name));
  const pc = providerContext(ctx, record, say, () => undefined);
  const outcome = provider.provision ? await provider.provision(ref, spec, pc) : await provisionOverSsh(ctx, plan, provider, pc);
  settle(store, record.name, outcome, true);
  return outcome;
}

/** The bootstrap run again as root over ssh, secrets given with -p exported for this run only. */
async function provisionOverSsh(
  ctx: EngineContext,
  plan: Extract<OperationPlan, { kind: 'provision' }>,
  provider: Provider,
  pc: OperationContext,
): Promise<Outcome> {
  const { record, spec } = plan;
  const bootstrap = spec.bootstrap!;
  const ssh = systemSsh(ctx.env);
  const endpoint = await formationSshEndpoint(record, refOf(record, ctx.store.dir(record.name)), provider, ctx.env);
  if (plan.user) endpoint.user = plan.user;
  const configFile = writeSshConfig(ctx.home, {
    formation: record.name,
    endpoint,
    instance: formationInstance(record),
    quiet: true,
    ...(plan.identityFile ? { identityFile: plan.identityFile } : {}),
  });
  const secrets = Object.entries(spec.parameters)
    .filter(([, p]) => p.secret && !p.previous)
    .map(([k, p]) => `export NEPHO_${k}=${shellQuote(String(p.value))}\n`)
    .join('');
  const script = (bootstrap.rerun ?? bootstrap.script).replace(/^(#![^\n]*\n)?/, (shebang) => `${shebang}${secrets}`);
  const host = `${endpoint.user ? `${endpoint.user}@` : ''}${endpoint.host}:${endpoint.port}${endpoint.bastion ? ` via ${endpoint.bastion.host}:${endpoint.bastion.port}` : ''}`;
  pc.emit({ time: new Date().toISOString(), resource: record.name, type: 'ssh', status: 'PROVISIONING', reason: `running the bootstrap as root on ${host}` });
  const code = await runScriptOverSsh(ssh, configFile, record.name, script, ctx.env, pc.output);
  const status = code === 0 ? 'PROVISIONED' : code === 255 ? 'SSH_FAILED' : 'PROVISION_FAILED';
  return {
    ok: code === 0,
    status,
    exitCode: code,
    failures:
      code === 0
        ? []
        : [
            {
              resource: record.name,
              type: 'ssh',
              status,
              reason: code === 255 ? 'ssh could not run the bootstrap (exit status 255)' : `the bootstrap exited with status ${code}`,
            },
          ],
  };
}

/** A plan that will not run (its claim was refused): drop what planning left at the provider. */
export async function abandonPlan(ctx: EngineContext, plan: OperationPlan): Promise<void> {
  if (plan.kind !== 'update') return;
  const provider = ctx.registry.providers.find((p) => p.name === plan.record.provider);
  await provider?.discard?.(refOf(plan.record, ctx.store.dir(plan.record.name)), plan.preview, plan.record.options, ctx.env).catch(() => undefined);
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
  say({
    kind: 'start',
    operation: plan.kind,
    pid: process.pid,
    host: hostname(),
    by: ctx.actor ?? `${userName(ctx.env)}@${hostname()}`,
    version: plan.kind === 'update' ? plan.next.version : plan.record.version,
    ...(plan.kind === 'update' ? { changes: plan.summary.parameters } : {}),
  });
  try {
    const provider = findProvider(ctx.registry, plan.record.provider, `formation ${name}: provider`);
    const outcome =
      plan.kind === 'create'
        ? await create(ctx, plan, provider, say)
        : plan.kind === 'destroy'
          ? await destroy(ctx, plan, provider, say)
          : plan.kind === 'update'
            ? await update(ctx, plan, provider, say)
            : await provision(ctx, plan, provider, say);
    const end = say({
      kind: 'end',
      operation: plan.kind,
      ok: outcome.ok,
      status: outcome.status,
      failures: outcome.failures,
      took: Date.now() - started,
      ...(outcome.exitCode === undefined ? {} : { exitCode: outcome.exitCode }),
    });
    return resultOf(name, end as Extract<JournalEntry, { kind: 'end' }>);
  } catch (error) {
    return resultOf(name, say({ kind: 'error', operation: plan.kind, ...errorEntry(error) }) as Extract<JournalEntry, { kind: 'error' }>);
  }
}
