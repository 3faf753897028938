import { isNephoError, messageOf } from '../errors.js';
import type { NephoHome } from '../home.js';
import { refOf } from '../formations/operations.js';
import { formationDir, listRecords, readRecord, removeRecord, updateRecord } from '../formations/records.js';
import type { PluginRegistry } from '../plugins.js';
import { appendEntry, isFinished, latestOperation, type JournalEntry } from './journal.js';
import { operationHolder } from './follow.js';
import { lockFormation } from './operation.js';

/**
 * Pick up an operation whose nanny died (killed, machine rebooted). The cloud
 * holds the truth: a provider that can `follow` is followed from its own side
 * to the end; one that cannot (its work happened in the dead process) gets an
 * `error` entry saying what is known. Either way the journal ends and the
 * record says how things stand. Throws FORMATION_BUSY when someone else holds
 * the operation (a live nanny, another watcher that got there first).
 */
export async function recoverOperation(home: NephoHome, name: string, registry: PluginRegistry, env: NodeJS.ProcessEnv): Promise<JournalEntry | undefined> {
  const before = latestOperation(home, name).entries;
  const start = before.find((e) => e.kind === 'start');
  if (!start || start.kind !== 'start' || isFinished(before)) return before.at(-1);
  const lock = await lockFormation(home, name, start.operation);
  try {
    const entries = latestOperation(home, name).entries;
    if (isFinished(entries)) return entries.at(-1);
    const kind = start.operation;
    const record = readRecord(home, name);
    if (!record) {
      return appendEntry(home, name, { kind: 'error', operation: kind, code: 'NANNY_DIED', message: `the process carrying the ${kind} of ${name} (pid ${start.pid}) died before the provider accepted it; nothing was created` });
    }
    const provider = registry.providers.find((p) => p.name === record.provider);
    const started = Date.now();
    if (provider?.follow && Object.keys(record.state).length > 0) {
      appendEntry(home, name, { kind: 'resumed', pid: process.pid, reason: `the nanny (pid ${start.pid} on ${start.host}) died; following ${provider.name} from its side` });
      try {
        const outcome = await provider.follow(refOf(record), {
          dir: formationDir(home, name), options: record.options, env,
          emit: (event) => void appendEntry(home, name, { kind: 'event', event }),
          accepted: () => undefined,
        });
        if (kind === 'destroy' && outcome.ok) await removeRecord(home, name);
        else updateRecord(home, name, (r) => {
          r.status = outcome.status;
          r.operation = { ...(r.operation ?? { kind, startedAt: start.time }), endedAt: new Date().toISOString(), ok: outcome.ok, status: outcome.status };
        });
        return appendEntry(home, name, { kind: 'end', operation: kind, ok: outcome.ok, status: outcome.status, failures: outcome.failures, took: Date.now() - started });
      } catch (error) {
        return appendEntry(home, name, { kind: 'error', operation: kind, code: isNephoError(error) ? error.code : 'RECOVERY_FAILED', message: `could not follow ${name} after its nanny died: ${messageOf(error)}` });
      }
    }
    let status = record.status;
    try {
      if (provider) {
        const state = await provider.describe(refOf(record), record.options, env);
        status = state.exists ? state.status : 'GONE';
      }
    } catch {
      /* status stays as recorded */
    }
    updateRecord(home, name, (r) => { r.status = status; });
    return appendEntry(home, name, {
      kind: 'error', operation: kind, code: 'NANNY_DIED',
      message: `the process carrying the ${kind} of ${name} (pid ${start.pid} on ${start.host}) died and ${record.provider} cannot resume it; the formation is ${status}`,
      hint: kind === 'create' ? `destroy it and create it again: nepho formation:destroy ${name}` : `run the destroy again: nepho formation:destroy ${name}`,
    });
  } finally {
    await lock.release();
  }
}

/** What `formation:list` shows about operations. */
export interface OperationState {
  name: string;
  /** `create`/`destroy` under way (by a live nanny), or interrupted (its nanny died, still running at the provider). */
  operation?: { kind: string; since: string; pid: number; state: 'running' | 'interrupted' };
}

/**
 * For each recorded formation: the operation in progress, if any. An
 * orphaned operation whose provider has finished is settled on the way (its
 * journal ended, its record updated), so `list` picks it up from the cloud.
 */
export async function operationStates(home: NephoHome, registry: PluginRegistry, env: NodeJS.ProcessEnv): Promise<OperationState[]> {
  const out: OperationState[] = [];
  for (const record of listRecords(home)) {
    const { entries } = latestOperation(home, record.name);
    const start = entries.find((e) => e.kind === 'start');
    if (!start || start.kind !== 'start' || isFinished(entries)) {
      out.push({ name: record.name });
      continue;
    }
    const holder = await operationHolder(home, record.name);
    if (holder) {
      out.push({ name: record.name, operation: { kind: start.operation, since: start.time, pid: holder.pid, state: 'running' } });
      continue;
    }
    const provider = registry.providers.find((p) => p.name === record.provider);
    let settled = false;
    if (provider?.follow && Object.keys(record.state).length > 0) {
      try {
        const state = await provider.describe(refOf(record), record.options, env);
        if (!state.inProgress) {
          await recoverOperation(home, record.name, registry, env);
          settled = true;
        }
      } catch {
        /* not reachable now: shown as interrupted */
      }
    }
    out.push(settled ? { name: record.name } : { name: record.name, operation: { kind: start.operation, since: start.time, pid: start.pid, state: 'interrupted' } });
  }
  return out;
}
