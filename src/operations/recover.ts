import { isNephoError, messageOf } from '../errors.js';
import type { JournalEntry } from '../formations/journal.js';
import { listRecords, refOf } from '../formations/records.js';
import { forgetHostKeys } from '../formations/ssh.js';
import { settle } from './execute.js';
import { endOf, latestOperation } from './follow.js';
import type { EngineContext } from './types.js';

/**
 * Pick up an operation whose process died (killed, machine rebooted). The
 * provider holds the truth: one that can `follow` is followed from its own
 * side to the end; one that cannot (its work happened in the dead process)
 * gets an `error` entry saying what is known. Either way the journal ends and
 * the record says how things stand. Returns the entry that ended the
 * operation, or undefined when someone else is already carrying it.
 */
export async function recoverOperation(ctx: EngineContext, name: string): Promise<JournalEntry | undefined> {
  const { store } = ctx;
  const before = latestOperation(store, name).entries;
  const start = before[0];
  if (start?.kind !== 'start' || endOf(before)) return endOf(before);
  // Held by someone else (a live nanny, another watcher that got there
  // first): they will end the journal.
  const lock = await ctx.store.tryLock(name, start.operation);
  if (!lock) return undefined;
  try {
    const entries = latestOperation(store, name).entries;
    if (endOf(entries)) return endOf(entries);
    const kind = start.operation;
    const record = store.read(name);
    if (!record) {
      return store.append(name, {
        kind: 'error',
        operation: kind,
        code: 'NANNY_DIED',
        message: `the process carrying the ${kind} of ${name} (pid ${start.pid}) died before the provider accepted it; nothing was created`,
      });
    }
    const provider = ctx.registry.providers.find((p) => p.name === record.provider);
    const started = Date.now();
    if (provider?.follow && Object.keys(record.state).length > 0) {
      store.append(name, {
        kind: 'resumed',
        pid: process.pid,
        reason: `the process carrying it (pid ${start.pid} on ${start.host}) died; following ${provider.name} from its side`,
      });
      try {
        const outcome = await provider.follow(refOf(record, store.dir(name)), {
          dir: store.dir(name),
          options: record.options,
          env: ctx.env,
          emit: (event) => void store.append(name, { kind: 'event', event }),
          accepted: () => undefined,
          output: (stream, line) => void store.append(name, { kind: 'output', stream, line }),
        });
        if (kind === 'destroy' && outcome.ok) {
          await store.remove(name);
          forgetHostKeys(ctx.home, record);
        } else settle(store, name, outcome);
        return store.append(name, {
          kind: 'end',
          operation: kind,
          ok: outcome.ok,
          status: outcome.status,
          failures: outcome.failures,
          took: Date.now() - started,
        });
      } catch (error) {
        return store.append(name, {
          kind: 'error',
          operation: kind,
          code: isNephoError(error) ? error.code : 'RECOVERY_FAILED',
          message: `could not follow ${name} after the process carrying it died: ${messageOf(error)}`,
        });
      }
    }
    let status = record.status;
    try {
      if (provider) {
        const state = await provider.describe(refOf(record, store.dir(name)), record.options, ctx.env);
        status = state.exists ? state.status : 'GONE';
      }
    } catch {
      /* status stays as recorded */
    }
    store.update(name, (r) => {
      r.status = status;
    });
    return store.append(name, {
      kind: 'error',
      operation: kind,
      code: 'NANNY_DIED',
      message: `the process carrying the ${kind} of ${name} (pid ${start.pid} on ${start.host}) died and ${record.provider} cannot resume it; the formation is ${status}`,
      hint: kind === 'create' ? `destroy it and create it again: nepho formation:destroy ${name}` : `run the ${kind} again: nepho formation:${kind} ${name}`,
    });
  } finally {
    await lock.release();
  }
}

/** An operation under way on a formation, as `formation:list` shows it. */
export interface RunningOperation {
  kind: string;
  since: string;
  pid: number;
  /** Who started it, when a team server carries it (`token NAME`); its pid is then 0. */
  by?: string;
  /** `running`: a live process carries it; `interrupted`: that process died while the provider still works on it. */
  state: 'running' | 'interrupted';
}

/**
 * For each recorded formation, the operation under way, if any. An orphaned
 * operation whose provider has finished is settled on the way (its journal
 * ended, its record updated), so `list` picks it up from the provider.
 */
export async function operationStates(ctx: EngineContext): Promise<Map<string, RunningOperation>> {
  const out = new Map<string, RunningOperation>();
  for (const record of listRecords(ctx.home)) {
    const { entries } = latestOperation(ctx.store, record.name);
    const start = entries[0];
    if (start?.kind !== 'start' || endOf(entries)) continue;
    const holder = await ctx.store.holder(record.name);
    if (holder) {
      out.set(record.name, { kind: start.operation, since: start.time, pid: holder.pid, state: 'running' });
      continue;
    }
    const provider = ctx.registry.providers.find((p) => p.name === record.provider);
    if (provider?.follow && Object.keys(record.state).length > 0) {
      try {
        const state = await provider.describe(refOf(record, ctx.store.dir(record.name)), record.options, ctx.env);
        if (!state.inProgress && (await recoverOperation(ctx, record.name))) continue;
      } catch {
        /* not reachable now: shown as interrupted */
      }
    }
    out.set(record.name, { kind: start.operation, since: start.time, pid: start.pid, state: 'interrupted' });
  }
  return out;
}
