import { NephoError } from '../errors.js';
import type { JournalEntry } from '../formations/journal.js';
import { startNanny } from './background.js';
import { abandonPlan, carryOperation, claimOperation, resultOf } from './execute.js';
import { followJournal, latestOperation, lockReleased } from './follow.js';
import { planCreate, planDestroy, planProvision, planUpdate } from './plan.js';
import { recoverOperation } from './recover.js';
import type { EngineContext, OperationIo, OperationPlan, OperationRequest, OperationResult, RunMode } from './types.js';

const VERB = { create: 'Creating', destroy: 'Destroying', update: 'Updating', provision: 'Provisioning' } as const;

function notice(io: OperationIo, text: string): void {
  io.notify({ kind: 'notice', time: new Date().toISOString(), text });
}

/** Said once the formation is claimed: a refused request is one error, not a start that never happened. */
function announce(io: OperationIo, plan: OperationPlan): void {
  const r = plan.record;
  notice(io, `${VERB[plan.kind]} formation ${r.name} (${r.cloudlet}, scenario ${r.scenario}) with ${r.provider} ...`);
}

/**
 * Run a planned operation the way the host asked: all here (`foreground`),
 * or handed to a background nanny that this host follows through the
 * journal until it ends, the host detaches (`signal`), or, in `detach` mode,
 * the provider has accepted it.
 */
export async function executePlan(ctx: EngineContext, plan: OperationPlan, io: OperationIo, run: RunMode): Promise<OperationResult> {
  const name = plan.record.name;
  if (run.mode === 'foreground') {
    const lock = await claimOperation(ctx, plan).catch(async (error: unknown) => {
      await abandonPlan(ctx, plan);
      throw error;
    });
    announce(io, plan);
    try {
      return await carryOperation(ctx, plan, io);
    } finally {
      await lock.release();
    }
  }
  const { offset } = ctx.store.entries(name);
  const pid = await startNanny(ctx, plan).catch(async (error: unknown) => {
    await abandonPlan(ctx, plan);
    throw error;
  });
  announce(io, plan);
  const accepted = new AbortController();
  const signals = [...(run.signal ? [run.signal] : []), ...(run.mode === 'detach' ? [accepted.signal] : [])];
  let wasAccepted = false;
  const followed = await followJournal(
    ctx.store,
    name,
    offset,
    (entry) => {
      io.notify(entry);
      if (entry.kind === 'accepted') {
        wasAccepted = true;
        accepted.abort();
      }
    },
    signals.length > 0 ? AbortSignal.any(signals) : undefined,
  );
  if (followed.kind === 'ended') {
    await lockReleased(ctx.store, name);
    return resultOf(name, followed.entry);
  }
  if (followed.kind === 'orphaned') {
    throw new NephoError('NANNY_DIED', `the background process carrying the ${plan.kind} of ${name} (pid ${pid}) stopped without finishing`, {
      hint: `nepho formation:watch ${name} picks the operation up again`,
    });
  }
  return { outcome: 'detached', kind: plan.kind, name, accepted: wasAccepted, pid };
}

/**
 * Carry a request from plan to end: plan it (asking the host what is
 * missing: parameters, confirmations), then execute it as `run` says.
 * Returns how it ended as data; throws a user error when it never started
 * (bad input, refused, cancelled).
 */
export async function runOperation(ctx: EngineContext, request: OperationRequest, io: OperationIo, run: RunMode): Promise<OperationResult> {
  switch (request.kind) {
    case 'create':
      return executePlan(ctx, await planCreate(ctx, request, io), io, run);
    case 'destroy':
      return executePlan(ctx, await planDestroy(ctx, request, io), io, run);
    case 'provision':
      return executePlan(ctx, await planProvision(ctx, request, io), io, run);
    case 'update': {
      const { plan, summary } = await planUpdate(ctx, request, io);
      if (!plan) return { outcome: summary.empty ? 'unchanged' : 'previewed', kind: 'update', name: request.name, summary };
      return executePlan(ctx, plan, io, run);
    }
  }
}

/**
 * Replay a formation's latest operation to the host and follow it to its
 * end. When the process carrying it has died, the operation is picked up
 * from the provider (`recoverOperation`) and followed on. Aborting `signal`
 * stops watching; the operation goes on.
 */
export async function watchOperation(ctx: EngineContext, name: string, io: OperationIo, signal?: AbortSignal): Promise<OperationResult> {
  ctx.store.dir(name); // checks the name
  const { entries, offset } = latestOperation(ctx.store, name);
  const start = entries[0];
  if (start?.kind !== 'start') {
    throw new NephoError('NO_OPERATION', `formation ${name} has no operation to watch`, { hint: 'see nepho formation:list' });
  }
  for (const entry of entries) {
    io.notify(entry);
    if (entry.kind === 'end' || entry.kind === 'error') return resultOf(name, entry);
  }
  const show = (entry: JournalEntry) => io.notify(entry);
  let followed = await followJournal(ctx.store, name, offset, show, signal);
  if (followed.kind === 'orphaned') {
    notice(io, 'the background process carrying this operation is gone; picking it up from the provider ...');
    const at = ctx.store.entries(name).offset;
    const recovering = recoverOperation(ctx, name);
    followed = await followJournal(ctx.store, name, at, show, signal);
    await recovering;
  }
  if (followed.kind === 'ended') return resultOf(name, followed.entry);
  if (followed.kind === 'detached') return { outcome: 'detached', kind: start.operation, name, accepted: true };
  throw new NephoError('OPERATION_LOST', `the operation on ${name} ended without a result`);
}
