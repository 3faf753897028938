import type { JournalEntry, OperationKind, ParameterChange } from '../formations/journal.js';
import { formationNotFound } from '../formations/records.js';
import type { EngineContext } from './types.js';

/** One operation of a formation's life, as `formation:history` shows it. */
export interface HistoryEntry {
  operation: OperationKind;
  startedAt: string;
  endedAt: string | null;
  /** `user@host`; journals written before nepho recorded users say `pid N on HOST`. */
  by: string;
  /** The cloudlet version it deployed, when known. */
  version: string | null;
  /** Parameter values it changed (secrets masked). */
  changes: ParameterChange[];
  /** How it ended; `running` while a live process carries it, `interrupted` when that process died. */
  result: 'succeeded' | 'failed' | 'errored' | 'running' | 'interrupted';
  /** The provider's final status, or the error's code. */
  status: string | null;
  /** Why it failed, when it did. */
  message: string | null;
}

/**
 * Every operation in a formation's journal, newest first. The journal
 * outlives the formation (a destroy keeps it), and old entries are read as
 * they were written: fields newer nepho versions add are simply absent.
 */
export async function formationHistory(ctx: EngineContext, name: string): Promise<HistoryEntry[]> {
  const { entries } = ctx.store.entries(name);
  if (entries.length === 0 && !ctx.store.read(name)) throw formationNotFound(name, 'with a history on this machine');
  const runs: JournalEntry[][] = [];
  for (const entry of entries) {
    if (entry.kind === 'start') runs.push([entry]);
    else runs.at(-1)?.push(entry);
  }
  const alive = Boolean(await ctx.store.holder(name));
  return runs
    .map((run, i): HistoryEntry => {
      const start = run[0] as Extract<JournalEntry, { kind: 'start' }>;
      const end = run.find((e): e is Extract<JournalEntry, { kind: 'end' | 'error' }> => e.kind === 'end' || e.kind === 'error');
      const latest = i === runs.length - 1;
      return {
        operation: start.operation,
        startedAt: start.time,
        endedAt: end?.time ?? null,
        by: start.by ?? `pid ${start.pid} on ${start.host}`,
        version: start.version ?? null,
        changes: start.changes ?? [],
        result: !end ? (latest && alive ? 'running' : 'interrupted') : end.kind === 'error' ? 'errored' : end.ok ? 'succeeded' : 'failed',
        status: !end ? null : end.kind === 'error' ? end.code : end.status,
        message: end?.kind === 'error' ? end.message : end && !end.ok ? end.failures.map((f) => `${f.resource}: ${f.reason}`).join('; ') || null : null,
      };
    })
    .reverse();
}
