import { NephoError } from '../../errors.js';
import type { Output } from '../../output.js';
import type { FormationEvent, Outcome } from '../../providers/types.js';
import type { JournalEntry } from '../../nanny/journal.js';
import type { OperationRequest } from '../../nanny/operation.js';
import type { NephoCommand } from '../base.js';

/** One event as a line: time, status, resource, type, reason. Colour follows the status. */
export function eventLine(out: Output, event: FormationEvent): string {
  const time = event.time.slice(11, 19);
  const paint = /FAILED|ROLLBACK/.test(event.status) ? out.style.red : /COMPLETE$|running|ready/.test(event.status) ? out.style.green : out.style.yellow;
  return [out.style.dim(time), paint(event.status.padEnd(20)), event.resource, event.type ? out.style.dim(event.type) : '', event.reason ?? '']
    .filter((part) => part !== '')
    .join('  ');
}

/** How long something took, for people: `42s`, `3m07s`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Print the failed resources of an outcome and throw the error that ends the command. */
export function failWith(out: Output, what: string, name: string, outcome: Pick<Outcome, 'status' | 'failures'>, took: number): never {
  for (const f of outcome.failures) out.stderr.write(`  ${out.style.red('✗')} ${f.resource}${f.type ? ` (${f.type})` : ''}: ${f.reason}\n`);
  throw new NephoError(`${what.toUpperCase()}_FAILED`, `formation ${name}: ${what} failed with ${outcome.status} after ${duration(took)}${outcome.failures.length > 0 ? `; ${outcome.failures.length} resource(s) failed (above)` : ''}`, {
    hint: `nepho formation:describe ${name} shows what is left`,
  });
}

/** Print one journal entry for a person following along. */
export function printEntry(out: Output, entry: JournalEntry): void {
  switch (entry.kind) {
    case 'event': out.stderr.write(`${eventLine(out, entry.event)}\n`); break;
    case 'accepted': out.notice('accepted by the provider'); break;
    case 'resumed': out.notice(`resumed: ${entry.reason}`); break;
    case 'start': out.notice(`${entry.operation} started at ${entry.time} (pid ${entry.pid} on ${entry.host})`); break;
    default: break;
  }
}

/**
 * Settle a finished operation for the terminal: the summary line and status 0,
 * or the failed resources and an error (status 1).
 */
export function finish(out: Output, name: string, entry: Extract<JournalEntry, { kind: 'end' | 'error' }>): number {
  if (entry.kind === 'error') throw new NephoError(entry.code, entry.message, entry.hint ? { hint: entry.hint } : {});
  if (!entry.ok) failWith(out, entry.operation, name, entry, entry.took);
  out.line(`${entry.operation === 'create' ? 'created' : 'destroyed'} ${name} in ${duration(entry.took)} (${entry.status})`);
  return 0;
}

/** How `operate` runs an operation. */
export interface OperateOptions {
  /** Return as soon as the provider has accepted the operation. */
  detach: boolean;
  /** Run in this process: no nanny, no detaching. */
  foreground: boolean;
  env: NodeJS.ProcessEnv;
}

type Asker = Pick<NephoCommand, 'confirmQuestion'>;

/**
 * Run a create or destroy the nanny way: hand it to a background process and
 * follow its journal; Ctrl-C detaches without cancelling; `--detach` returns
 * once the provider has accepted; `--foreground` runs it all here. A stack
 * left in ROLLBACK_COMPLETE, or one already in progress, is offered for
 * re-creation or following.
 */
export async function operate(command: Asker, out: Output, request: OperationRequest, options: OperateOptions, yes: boolean): Promise<number> {
  try {
    return await operateOnce(out, request, options);
  } catch (error) {
    if (!(error instanceof NephoError) || request.kind !== 'create') throw error;
    if (error.code === 'STACK_ROLLBACK_COMPLETE') {
      await command.confirmQuestion(`A stack named ${request.record.name} is left in ROLLBACK_COMPLETE by an earlier attempt. Delete it and create again?`, yes);
      return operateOnce(out, { ...request, recreate: true }, options);
    }
    if (error.code === 'STACK_IN_PROGRESS') {
      await command.confirmQuestion(`A stack named ${request.record.name} is already being created. Follow it?`, yes);
      return operateOnce(out, { ...request, adopt: true }, options);
    }
    throw error;
  }
}

async function operateOnce(out: Output, request: OperationRequest, options: OperateOptions): Promise<number> {
  const { readEntries } = await import('../../nanny/journal.js');
  const { followJournal } = await import('../../nanny/follow.js');
  const name = request.record.name;
  const verb = request.kind === 'create' ? 'Creating' : 'Destroying';
  // Said once the formation is claimed: a refused request is one error line, not a start that never happened.
  const announce = () => out.notice(`${verb} formation ${name} (${request.record.cloudlet}, scenario ${request.record.scenario}) with ${request.record.provider} ...`);
  const { offset } = readEntries(request.home, name);

  if (options.foreground) {
    const { claimOperation, runOperation } = await import('../../nanny/operation.js');
    const { loadPlugins } = await import('../../plugins.js');
    const { loadConfig } = await import('../../config.js');
    const registry = await loadPlugins(request.home, loadConfig(request.home));
    const lock = await claimOperation(request);
    announce();
    const running = runOperation(request, registry, options.env).finally(() => lock.release());
    const result = await followJournal(request.home, name, offset, (e) => printEntry(out, e), undefined, 100);
    await running;
    if (result.kind !== 'ended') throw new NephoError('OPERATION_LOST', `the ${request.kind} of ${name} ended without a result`);
    return finish(out, name, result.entry);
  }

  const { startNanny } = await import('../../nanny/spawn.js');
  const pid = await startNanny(request, options.env);
  announce();
  const detach = new AbortController();
  const onInterrupt = () => detach.abort();
  process.once('SIGINT', onInterrupt);
  let accepted = false;
  try {
    const result = await followJournal(request.home, name, offset, (entry) => {
      printEntry(out, entry);
      if (entry.kind === 'accepted') {
        accepted = true;
        if (options.detach) detach.abort();
      }
    }, detach.signal);
    if (result.kind === 'ended') return finish(out, name, result.entry);
    if (result.kind === 'orphaned') {
      throw new NephoError('NANNY_DIED', `the background process carrying the ${request.kind} of ${name} (pid ${pid}) stopped without finishing`, {
        hint: `nepho formation:watch ${name} picks the operation up again`,
      });
    }
    out.line(`${accepted ? 'detached' : 'detached before the provider answered'}: the ${request.kind} of ${name} goes on in the background (pid ${pid})`);
    out.line(`re-attach with: nepho formation:watch ${name}`);
    return 0;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}
