import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError, type ErrorCode } from '../errors.js';
import type { NephoHome } from '../home.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { BlueprintPlan } from '../blueprints/types.js';
import type { EngineContext, OperationPlan } from './types.js';

/** What a host hands the nanny: one planned operation, decided, with the environment it runs in. */
export interface NannyRequest {
  kind?: 'operation';
  home: NephoHome;
  plan: OperationPlan;
  env: NodeJS.ProcessEnv;
}

/** What a host hands the nanny for a blueprint: its planned operation, every question answered. */
export interface BlueprintNannyRequest {
  kind: 'blueprint';
  home: NephoHome;
  plan: BlueprintPlan;
  env: NodeJS.ProcessEnv;
}

/**
 * What the nanny answers its parent, once. A refusal carries the error's
 * code as thrown: a catalogued one, or a plugin's own, passed on as is.
 */
export type NannyReply = { type: 'claimed'; pid: number } | { type: 'refused'; code: ErrorCode; message: string; hint?: string };

/**
 * Start a nanny (a background process running `dist/nanny.js`) for a
 * planned operation and wait until it has claimed the formation, or refused
 * (another operation is running, the name is taken). The plan travels over
 * IPC, so secret values never touch the disk. The nanny runs in its own
 * session, so the terminal's Ctrl-C never reaches it; its own output goes to
 * `nanny.log` beside the journal. Returns its pid.
 */
export async function startNanny(ctx: EngineContext, plan: OperationPlan): Promise<number> {
  return spawnNanny(ctx.store.dir(plan.record.name), { home: ctx.home, plan, env: ctx.env }, ctx.env, plan.record.name);
}

/**
 * Start a nanny for a planned blueprint operation (its formations' operations
 * run in it, one after another or side by side), and wait until it has
 * claimed the blueprint, or refused. `dir` is the blueprint's own directory,
 * where its `nanny.log` goes. Returns its pid.
 */
export async function startBlueprintNanny(ctx: EngineContext, plan: BlueprintPlan, dir: string): Promise<number> {
  return spawnNanny(dir, { kind: 'blueprint', home: ctx.home, plan, env: ctx.env }, ctx.env, `blueprint ${plan.name}`);
}

async function spawnNanny(dir: string, request: NannyRequest | BlueprintNannyRequest, env: NodeJS.ProcessEnv, what: string): Promise<number> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const log = openSync(join(dir, 'nanny.log'), 'a', 0o600);
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist', 'nanny.js')], {
    detached: true,
    stdio: ['ignore', log, log, 'ipc'],
    env,
  });
  closeSync(log);
  const answer = await new Promise<NannyReply | { type: 'died'; code: number | null }>((resolve) => {
    child.once('message', (m) => resolve(m as NannyReply));
    child.once('exit', (code) => resolve({ type: 'died', code }));
    child.once('error', () => resolve({ type: 'died', code: null }));
    child.send(request);
  });
  child.unref();
  child.channel?.unref();
  if (answer.type === 'refused') throw new NephoError(answer.code, answer.message, answer.hint ? { hint: answer.hint } : {});
  if (answer.type === 'died') {
    throw new NephoError('NANNY_FAILED', `the background process for ${what} exited before starting (status ${answer.code})`, {
      hint: `see ${join(dir, 'nanny.log')}, or run with --foreground`,
    });
  }
  return answer.pid;
}
