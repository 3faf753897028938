import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError } from '../errors.js';
import { formationDir } from '../formations/records.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { NannyReply } from './main.js';
import type { OperationRequest } from './operation.js';

/**
 * Start a nanny for an operation and wait until it has claimed the
 * formation (or refused: another operation is running, the name is taken).
 * The nanny runs in its own session, so the terminal's Ctrl-C never reaches
 * it; its own output goes to `nanny.log` beside the journal.
 */
export async function startNanny(request: OperationRequest, env: NodeJS.ProcessEnv): Promise<number> {
  const dir = formationDir(request.home, request.record.name);
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
    child.send({ ...request, env });
  });
  child.unref();
  child.channel?.unref();
  if (answer.type === 'refused') throw new NephoError(answer.code, answer.message, answer.hint ? { hint: answer.hint } : {});
  if (answer.type === 'died') {
    throw new NephoError('NANNY_FAILED', `the background process for ${request.record.name} exited before starting (status ${answer.code})`, {
      hint: `see ${join(dir, 'nanny.log')}, or run with --foreground`,
    });
  }
  return answer.pid;
}
