/**
 * The nanny: a background process that carries one planned operation (or a
 * blueprint's, the operations of its formations) to its end while the user's
 * terminal is free. It is a host of the operation
 * engine like the command line, with an IO port that only journals: every
 * question was answered before it started. It receives the plan over IPC
 * (secret values never touch the disk), claims the formation's operation
 * lock, tells its parent whether it could, and detaches.
 */
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { isNephoError, messageOf } from '../errors.js';
import type { BlueprintNannyRequest, NannyReply, NannyRequest } from '../operations/background.js';
import { claimOperation, carryOperation } from '../operations/execute.js';
import { endOf, latestOperation } from '../operations/follow.js';
import { localStore } from '../operations/store.js';
import type { BlueprintContext } from '../blueprints/types.js';
import type { Lock } from '../fs.js';
import type { EngineContext, OperationIo } from '../operations/types.js';
import { loadPlugins } from '../plugins.js';
import { errorData } from '../error-catalogue.js';

function reply(message: NannyReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, () => {
      process.disconnect?.();
      resolve();
    });
  });
}

/** The nanny's IO port: the journal is its only output, and nothing may be asked. */
const journalOnly: OperationIo = {
  notify: () => undefined,
  confirm: async (question) => {
    throw new Error(`the nanny was asked "${question.text}"; questions are answered before it starts`);
  },
  prompt: async () => {
    throw new Error('the nanny was asked for parameters; they are resolved before it starts');
  },
};

/**
 * An exception that escapes the operation (a plugin's stray callback or
 * promise) takes the process down, as it should; on the way, say why in the
 * journal of the operation this nanny started, so `watch` reports the reason
 * and not only that the process died. The stack goes to nanny.log as usual.
 */
function journalCrash(ctx: EngineContext, request: NannyRequest, error: unknown): void {
  try {
    const name = request.plan.record.name;
    const { entries } = latestOperation(ctx.store, name);
    const start = entries[0];
    if (start?.kind !== 'start' || start.pid !== process.pid || endOf(entries)) return;
    ctx.store.append(name, {
      kind: 'error',
      operation: request.plan.kind,
      code: 'NANNY_CRASHED',
      message: `the background process carrying the ${request.plan.kind} of ${name} crashed (a bug in nepho or a plugin): ${messageOf(error)}`,
      hint: `its log: ${join(ctx.store.dir(name), 'nanny.log')}`,
    });
  } catch {
    /* going down anyway: the log has the stack */
  }
}

/** Tell the parent why the claim was refused, and end. */
async function refuse(error: unknown): Promise<void> {
  await reply(
    isNephoError(error)
      ? { type: 'refused', ...errorData(error) }
      : { type: 'refused', code: 'NANNY_CRASHED', message: `unexpected failure, a bug in nepho: ${messageOf(error)}` },
  );
  process.exitCode = 1;
}

/**
 * What the nanny does for any request: claim (making its context on the
 * way), tell the parent whether it could, carry the work to its end, and
 * let go of the claim. The exit status says whether the work succeeded.
 */
async function claimThenCarry(claim: () => Promise<Lock>, carry: () => Promise<{ outcome: string }>): Promise<void> {
  let lock: Lock;
  try {
    lock = await claim();
  } catch (error) {
    await refuse(error);
    return;
  }
  await reply({ type: 'claimed', pid: process.pid });
  try {
    const result = await carry();
    process.exitCode = result.outcome === 'succeeded' ? 0 : 1;
  } finally {
    await lock.release();
  }
}

async function engineContextOf(request: NannyRequest | BlueprintNannyRequest): Promise<EngineContext> {
  return { home: request.home, store: localStore(request.home), registry: await loadPlugins(request.home, loadConfig(request.home)), env: request.env };
}

/**
 * A blueprint's operation: the blueprint claimed, then each of its
 * formations' operations carried here with its own lock and journal. A crash
 * that escapes is said in the blueprint's journal on the way down.
 */
async function carryBlueprintHere(request: BlueprintNannyRequest): Promise<void> {
  const { blueprintContext } = await import('../blueprints/store.js');
  const { carryBlueprint, claimBlueprint } = await import('../blueprints/execute.js');
  let ctx: BlueprintContext;
  await claimThenCarry(
    async () => {
      ctx = blueprintContext(await engineContextOf(request));
      const journal = ctx.blueprints;
      process.on('uncaughtExceptionMonitor', (error) => {
        try {
          journal.append(request.plan.name, {
            kind: 'abort',
            operation: request.plan.kind,
            code: 'NANNY_CRASHED',
            message: `the background process carrying blueprint ${request.plan.name} crashed (a bug in nepho or a plugin): ${messageOf(error)}`,
          });
        } catch {
          /* going down anyway: the log has the stack */
        }
      });
      return claimBlueprint(ctx, request.plan);
    },
    () => carryBlueprint(ctx, request.plan, { notify: () => undefined, confirm: journalOnly.confirm, prompt: journalOnly.prompt }),
  );
}

process.once('message', (request: NannyRequest | BlueprintNannyRequest) => {
  if (request.kind === 'blueprint') {
    void carryBlueprintHere(request);
    return;
  }
  let ctx: EngineContext;
  void claimThenCarry(
    async () => {
      ctx = await engineContextOf(request);
      process.on('uncaughtExceptionMonitor', (error) => journalCrash(ctx, request, error));
      return claimOperation(ctx, request.plan);
    },
    () => carryOperation(ctx, request.plan, journalOnly),
  );
});
