import { isNephoError } from '../errors.js';
import type { JournalEntry } from '../formations/journal.js';
import type { ResourceFailure } from '../providers/types.js';
import { formationOf, type FormationDescription } from './query.js';
import type { EngineContext, OperationKind, OperationResult, UpdateSummary } from './types.js';

/**
 * One operation as data, the same object whichever way it ended: what
 * `-o json|yaml` prints for create, update, provision, destroy and watch.
 * Fields that do not apply to how it ended are null, never absent.
 */
export interface OperationFacts {
  /** The team server's operation id; on this machine, `NAME@STARTED`, the journal's start of it. Null when nothing ran (an update with nothing to change). */
  id: string | null;
  kind: OperationKind;
  /** The formation's name. */
  formation: string;
  /**
   * `succeeded`, `failed` (the provider's verdict), `errored` (it could not
   * be carried out), `unchanged` or `previewed` (an update that changed
   * nothing), `detached` (it goes on; `accepted` says whether the provider
   * has taken it).
   */
  outcome: OperationResult['outcome'];
  /** The provider's final status word, when it ended. */
  status: string | null;
  startedAt: string | null;
  endedAt: string | null;
  /** Milliseconds it took, when it ended at the provider. */
  took: number | null;
  /** Who started it (`user@host`, or the token at a team server). */
  by: string | null;
  /** Whether the provider had accepted it when this host stopped following (always true once it ended). */
  accepted: boolean;
  failures: ResourceFailure[];
  error: { code: string; message: string; hint: string | null } | null;
  /** The exit status of the command a provisioning run ran on the machines. */
  exitCode: number | null;
  /** The background process carrying it on this machine (for scripts: people follow it with formation:watch). */
  pid: number | null;
  /** The team server carrying it. */
  server: string | null;
}

/**
 * An operation and the formation as it left it: its final state, outputs and
 * URL (a destroy's: the formation as it was, with no outputs and no
 * resources; a detached run's: none yet, nor an update's that changed
 * nothing). `changes` is an update's preview when that is all it did.
 */
export interface OperationReport {
  operation: OperationFacts;
  formation: FormationDescription | null;
  changes: UpdateSummary | null;
}

/** The start of the latest operation in `entries`, and how it ended (undefined while it runs). */
function latestRun(entries: JournalEntry[]): { start?: Extract<JournalEntry, { kind: 'start' }>; end?: JournalEntry } {
  const at = entries.findLastIndex((e) => e.kind === 'start');
  if (at < 0) return {};
  const start = entries[at] as Extract<JournalEntry, { kind: 'start' }>;
  return { start, end: entries.slice(at).find((e) => e.kind === 'end' || e.kind === 'error') };
}

/** When and by whom the operation `result` tells of ran, from this machine's journal. */
function localTimes(ctx: EngineContext, result: OperationResult): Pick<OperationFacts, 'id' | 'startedAt' | 'endedAt' | 'by' | 'pid'> {
  const none = { id: null, startedAt: null, endedAt: null, by: null, pid: null };
  if (result.outcome === 'unchanged' || result.outcome === 'previewed') return none;
  const { start, end } = latestRun(ctx.store.entries(result.name).entries);
  if (!start || start.operation !== result.kind) return none;
  return { id: `${result.name}@${start.time}`, startedAt: start.time, endedAt: end?.time ?? null, by: start.by ?? null, pid: start.pid };
}

/** The operation part of a report. `times` says when it ran and by whom, where the host knows. */
export function operationFacts(result: OperationResult, times: Pick<OperationFacts, 'id' | 'startedAt' | 'endedAt' | 'by' | 'pid'>): OperationFacts {
  const ended = result.outcome === 'succeeded' || result.outcome === 'failed';
  return {
    id: times.id,
    kind: result.kind,
    formation: result.name,
    outcome: result.outcome,
    status: ended ? result.status : null,
    startedAt: times.startedAt,
    endedAt: times.endedAt,
    took: ended ? result.took : null,
    by: times.by,
    accepted: result.outcome === 'detached' ? result.accepted : true,
    failures: ended ? result.failures : [],
    error: result.outcome === 'errored' ? { code: result.error.code, message: result.error.message, hint: result.error.hint ?? null } : null,
    exitCode: ended ? (result.exitCode ?? null) : null,
    pid: result.outcome === 'detached' ? (result.pid ?? times.pid) : times.pid,
    server: result.outcome === 'detached' ? (result.server ?? null) : null,
  };
}

/**
 * The formation as `result` left it: described now (its final state,
 * outputs and URL), or, after a successful destroy, `before` (the formation
 * as it was) with the provider's last status and nothing left at it. None
 * while a detached operation goes on, when nothing ran, or when it cannot
 * be described.
 */
export async function formationAfter(
  result: OperationResult,
  before: FormationDescription | undefined,
  describe: () => Promise<FormationDescription>,
): Promise<FormationDescription | null> {
  // Nothing ran (an update with nothing to change, or only previewed): asking the provider would be a call the preview did not need.
  if (result.outcome === 'detached' || result.outcome === 'unchanged' || result.outcome === 'previewed') return null;
  if (result.kind === 'destroy' && result.outcome === 'succeeded') {
    return before ? { ...before, status: result.status, exists: false, inProgress: false, url: null, ssh: null, outputs: {}, resources: [] } : null;
  }
  try {
    return await describe();
  } catch (error) {
    // A create that never got as far as a record: the operation says why.
    if (isNephoError(error)) return null;
    throw error;
  }
}

/** The formation `name` as recorded on this machine, before an operation changes it; undefined when there is no record. */
export function recordedFormation(ctx: EngineContext, name: string): FormationDescription | undefined {
  const record = ctx.store.read(name);
  return record ? formationOf(ctx, record, { exists: true, status: record.status, inProgress: false, outputs: {}, resources: [] }) : undefined;
}

/** The report of an operation carried on this machine. */
export async function localReport(
  ctx: EngineContext,
  result: OperationResult,
  before: FormationDescription | undefined,
  describe: () => Promise<FormationDescription>,
): Promise<OperationReport> {
  return {
    operation: operationFacts(result, localTimes(ctx, result)),
    formation: await formationAfter(result, before, describe),
    changes: result.outcome === 'unchanged' || result.outcome === 'previewed' ? result.summary : null,
  };
}
