/**
 * The nanny: a background process that carries one create or destroy to its
 * end while the user's terminal is free. It receives its request over IPC
 * (secret parameter values never touch the disk), claims the formation's
 * operation lock, tells its parent whether it could, detaches, and journals
 * everything under `$NEPHO_HOME/formations/<name>/`.
 */
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { isNephoError, messageOf } from '../errors.js';
import { formationDir } from '../formations/records.js';
import { loadPlugins } from '../plugins.js';
import { appendEntry, isFinished, latestOperation } from './journal.js';
import { claimOperation, runOperation, type OperationRequest } from './operation.js';

/** What the nanny answers its parent, once. */
export type NannyReply = { type: 'claimed'; pid: number } | { type: 'refused'; code: string; message: string; hint?: string };

function reply(message: NannyReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, () => {
      process.disconnect?.();
      resolve();
    });
  });
}

/**
 * An exception that escapes the operation (a plugin's stray callback or
 * promise) takes the process down, as it should; on the way, say why in the
 * journal of the operation this nanny started, so `watch` reports the reason
 * and not only that the process died. The stack goes to nanny.log as usual.
 */
function journalCrash(request: OperationRequest, error: unknown): void {
  try {
    const name = request.record.name;
    const { entries } = latestOperation(request.home, name);
    const start = entries[0];
    if (start?.kind !== 'start' || start.pid !== process.pid || isFinished(entries)) return;
    appendEntry(request.home, name, {
      kind: 'error', operation: request.kind, code: 'NANNY_CRASHED',
      message: `the background process carrying the ${request.kind} of ${name} crashed (a bug in nepho or a plugin): ${messageOf(error)}`,
      hint: `its log: ${join(formationDir(request.home, name), 'nanny.log')}`,
    });
  } catch {
    /* going down anyway: the log has the stack */
  }
}

process.once('message', (request: OperationRequest & { env: NodeJS.ProcessEnv }) => {
  process.on('uncaughtExceptionMonitor', (error) => journalCrash(request, error));
  void (async () => {
    let lock;
    let registry;
    try {
      registry = await loadPlugins(request.home, loadConfig(request.home));
      lock = await claimOperation(request);
    } catch (error) {
      await reply(isNephoError(error)
        ? { type: 'refused', code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }
        : { type: 'refused', code: 'NANNY_CRASHED', message: `unexpected failure, a bug in nepho: ${messageOf(error)}` });
      process.exitCode = 1;
      return;
    }
    await reply({ type: 'claimed', pid: process.pid });
    try {
      const outcome = await runOperation(request, registry, request.env);
      process.exitCode = outcome?.ok ? 0 : 1;
    } finally {
      await lock.release();
    }
  })();
});
