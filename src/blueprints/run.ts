/**
 * Blueprint operations as hosts run them: plan, then carry out here
 * (`foreground`) or in a background nanny that the host follows through the
 * blueprint's journal; watching one again; and what an applied blueprint
 * stands at now.
 */
import { NephoError } from '../errors.js';
import type { LockInfo } from '../fs.js';
import { startBlueprintNanny } from '../operations/background.js';
import { followEntries, lockReleased } from '../operations/follow.js';
import type { RunMode } from '../operations/types.js';
import { carryBlueprint, claimBlueprint } from './execute.js';
import { planApply, planBlueprintDestroy, requireBlueprint } from './plan.js';
import { blueprintDir } from './store.js';
import type {
  ApplyRequest,
  BlueprintContext,
  RecordedEntry,
  BlueprintDestroyRequest,
  BlueprintIo,
  BlueprintJournalEntry,
  BlueprintPlan,
  BlueprintResult,
  StepResult,
} from './types.js';

type Ended = Extract<BlueprintJournalEntry, { kind: 'finish' | 'abort' }>;
const isEnd = (e: BlueprintJournalEntry): e is Ended => e.kind === 'finish' || e.kind === 'abort';

/** The result an operation's last journal entry says. */
function resultOf(name: string, entry: Ended): BlueprintResult {
  if (entry.kind === 'abort') {
    return {
      outcome: 'errored',
      kind: entry.operation,
      name,
      error: { code: entry.code, message: entry.message, ...(entry.hint ? { hint: entry.hint } : {}) },
    };
  }
  return { outcome: entry.ok ? 'succeeded' : 'failed', kind: entry.operation, name, steps: entry.steps, took: entry.took };
}

/** The process carrying a blueprint's operation is gone before its end. */
function interrupted(kind: string, name: string, pid?: number): NephoError {
  return new NephoError('BLUEPRINT_INTERRUPTED', `the process carrying the ${kind} of blueprint ${name}${pid ? ` (pid ${pid})` : ''} stopped before the end`, {
    hint: `nepho blueprint:status ${name} shows where its formations stand; nepho formation:watch NAME picks up one under way; apply again to continue`,
  });
}

/**
 * Carry out a planned blueprint operation the way the host asked: all here
 * (`foreground`), or handed to a nanny that this host follows through the
 * blueprint's journal until it ends, the host detaches (`signal`), or, in
 * `detach` mode, as soon as the nanny has claimed the blueprint.
 */
export async function executeBlueprint(ctx: BlueprintContext, plan: BlueprintPlan, io: BlueprintIo, run: RunMode): Promise<BlueprintResult> {
  if (run.mode === 'foreground') {
    const lock = await claimBlueprint(ctx, plan);
    try {
      return await carryBlueprint(ctx, plan, io);
    } finally {
      await lock.release();
    }
  }
  const { offset } = ctx.blueprints.entries(plan.name);
  const pid = await startBlueprintNanny(ctx, plan, blueprintDir(ctx.home, plan.name));
  if (run.mode === 'detach') return { outcome: 'detached', kind: plan.kind, name: plan.name, pid };
  const followed = await followEntries(ctx.blueprints, plan.name, offset, (e) => io.notify(e), isEnd, run.signal);
  if (followed.kind === 'ended') {
    await lockReleased(ctx.blueprints, plan.name);
    return resultOf(plan.name, followed.entry);
  }
  if (followed.kind === 'orphaned') throw interrupted(plan.kind, plan.name, pid);
  return { outcome: 'detached', kind: plan.kind, name: plan.name, pid };
}

/** Plan an apply (asking what is missing, and agreement to change what exists) and carry it out as `run` says. */
export async function applyBlueprint(ctx: BlueprintContext, request: ApplyRequest, io: BlueprintIo, run: RunMode): Promise<BlueprintResult> {
  const { plan } = await planApply(ctx, request, io);
  return executeBlueprint(ctx, plan, io, run);
}

/** Plan the destroy of an applied blueprint (asking first) and carry it out as `run` says. */
export async function destroyBlueprint(ctx: BlueprintContext, request: BlueprintDestroyRequest, io: BlueprintIo, run: RunMode): Promise<BlueprintResult> {
  return executeBlueprint(ctx, await planBlueprintDestroy(ctx, request, io), io, run);
}

/** The entries of a blueprint's latest operation (from its `begin` on), and the offset after them. */
function latestOperation(ctx: BlueprintContext, name: string): { entries: BlueprintJournalEntry[]; offset: number } {
  const { entries, offset } = ctx.blueprints.entries(name);
  const start = entries.map((e) => e.kind).lastIndexOf('begin');
  return { entries: start < 0 ? [] : entries.slice(start), offset };
}

/**
 * Replay a blueprint's latest operation to the host and follow it to its
 * end. Aborting `signal` stops watching; the operation goes on.
 */
export async function watchBlueprint(ctx: BlueprintContext, name: string, io: BlueprintIo, signal?: AbortSignal): Promise<BlueprintResult> {
  blueprintDir(ctx.home, name);
  const { entries, offset } = latestOperation(ctx, name);
  const begin = entries[0];
  // A nanny that has claimed the blueprint but not yet begun its journal
  // (a watch right after `--detach`): the operation to follow is that one,
  // not the last that ended. The lock of the last one was taken before its
  // begin; a newer claim's, after.
  const holder = begin?.kind !== 'begin' || entries.some(isEnd) ? await ctx.blueprints.holder(name) : undefined;
  if (holder && (begin?.kind !== 'begin' || holder.since > begin.time)) return follow(ctx, name, offset, io, signal, holder.pid);
  if (begin?.kind !== 'begin') {
    throw new NephoError('BLUEPRINT_NOT_APPLIED', `no blueprint operation has run under the name '${name}' on this machine`);
  }
  for (const entry of entries) {
    io.notify(entry);
    if (isEnd(entry)) return resultOf(name, entry);
  }
  return follow(ctx, name, offset, io, signal, begin.pid, begin.operation);
}

/** Follow the blueprint's journal from `offset` to the end of the operation under way. */
async function follow(
  ctx: BlueprintContext,
  name: string,
  offset: number,
  io: BlueprintIo,
  signal: AbortSignal | undefined,
  pid: number,
  kind?: 'apply' | 'destroy',
): Promise<BlueprintResult> {
  let operation = kind;
  const followed = await followEntries(
    ctx.blueprints,
    name,
    offset,
    (e) => {
      if (e.kind === 'begin') operation = e.operation;
      io.notify(e);
    },
    isEnd,
    signal,
  );
  if (followed.kind === 'ended') return resultOf(name, followed.entry);
  if (followed.kind === 'orphaned') throw interrupted(operation ?? 'operation', name, pid);
  return { outcome: 'detached', kind: operation ?? 'apply', name };
}

/** One formation of an applied blueprint as `blueprint:status` shows it. */
export interface EntryStatus extends Omit<RecordedEntry, 'removed'> {
  entry: string;
  /** Its record's status here, `absent` when it has none (never created, or destroyed). */
  status: string;
  /** Its last operation, and whether it ended well (undefined while under way). */
  operation?: { kind: string; startedAt: string; endedAt?: string; ok?: boolean };
  /** No longer in the blueprint; kept because the last apply had no --prune. */
  removed: boolean;
}

/** An applied blueprint as `blueprint:status` shows it. */
export interface BlueprintStatus {
  name: string;
  cloudlet: string;
  blueprint: string;
  version: string;
  createdAt: string;
  updatedAt: string;
  /** The operation under way, by whom; undefined when none is. */
  running?: LockInfo;
  /** How the latest operation ended, when it has. */
  last?: { operation: 'apply' | 'destroy'; startedAt: string; endedAt?: string; ok?: boolean; steps?: StepResult[] };
  entries: EntryStatus[];
}

/** Where an applied blueprint stands: its formations' records here, and its latest operation. */
export async function blueprintStatus(ctx: BlueprintContext, name: string): Promise<BlueprintStatus> {
  const record = requireBlueprint(ctx, name);
  const { entries: journal } = latestOperation(ctx, name);
  const begin = journal[0];
  const end = journal.find(isEnd);
  const running = await ctx.blueprints.holder(name);
  return {
    name,
    cloudlet: record.cloudlet,
    blueprint: record.blueprint,
    version: record.version,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(running ? { running } : {}),
    ...(begin?.kind === 'begin'
      ? {
          last: {
            operation: begin.operation,
            startedAt: begin.time,
            ...(end ? { endedAt: end.time, ok: end.kind === 'finish' && end.ok, ...(end.kind === 'finish' ? { steps: end.steps } : {}) } : {}),
          },
        }
      : {}),
    entries: Object.entries(record.entries).map(([entry, e]) => {
      const formation = ctx.store.read(e.formation);
      return {
        entry,
        formation: e.formation,
        cloudlet: e.cloudlet,
        scenario: e.scenario,
        provider: e.provider,
        options: e.options,
        after: e.after,
        status: formation?.status ?? 'absent',
        removed: e.removed === true,
        ...(formation?.operation ? { operation: formation.operation } : {}),
      };
    }),
  };
}
