import type { ChildProcess } from 'node:child_process';
import { NephoError } from '../errors.js';
import type { FormationState, SshEndpoint } from '../providers/types.js';
import type { FormationRecord } from './records.js';

/** `{{outputs.X}}` and `{{parameters.X}}` in an access text. */
const ACCESS_PLACEHOLDER = /\{\{\s*(outputs|parameters)\.([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

function valueOf(kind: string, name: string, outputs: Record<string, string>, parameters: Record<string, unknown>): string | undefined {
  const value = kind === 'outputs' ? outputs[name] : parameters[name];
  return value === undefined || value === '' ? undefined : String(value);
}

/** Fill `{{outputs.X}}` and `{{parameters.X}}` in a text; undefined when a value is not there yet. */
export function fillPlaceholders(text: string, outputs: Record<string, string>, parameters: Record<string, unknown>): string | undefined {
  return unfilledPlaceholders(text, outputs, parameters).length > 0
    ? undefined
    : text.replace(ACCESS_PLACEHOLDER, (_, kind: string, name: string) => valueOf(kind, name, outputs, parameters)!);
}

/** The placeholders of `text` that have no value yet, as `outputs.X` / `parameters.X`. */
export function unfilledPlaceholders(text: string, outputs: Record<string, string>, parameters: Record<string, unknown>): string[] {
  const missing = new Set<string>();
  for (const [, kind, name] of text.matchAll(ACCESS_PLACEHOLDER)) {
    if (valueOf(kind!, name!, outputs, parameters) === undefined) missing.add(`${kind}.${name}`);
  }
  return [...missing];
}

/** Throw when the provider no longer has the formation. */
export function assertExists(record: FormationRecord, state: FormationState): void {
  if (!state.exists) {
    throw new NephoError('FORMATION_GONE', `formation ${record.name}: provider ${record.provider} no longer has it`, {
      hint: `remove the record with nepho formation:destroy ${record.name}`,
    });
  }
}

/** The formation's URL, once its outputs are known. */
export function formationUrl(record: FormationRecord, outputs: Record<string, string>): string | undefined {
  return record.access.url === undefined ? undefined : fillPlaceholders(record.access.url, outputs, record.parameters);
}

/**
 * Where to ssh, from the scenario's `access.ssh` and the formation's outputs.
 * Throws a NephoError naming what is missing (no access.ssh, an output not there yet).
 */
export function sshEndpointFromAccess(record: FormationRecord, outputs: Record<string, string>): SshEndpoint {
  const ssh = record.access.ssh;
  if (!ssh) {
    throw new NephoError('NO_SSH', `formation ${record.name}: scenario ${record.scenario} of ${record.cloudlet} declares no access.ssh`);
  }
  const fill = (field: string, value: string | number | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const text = fillPlaceholders(String(value), outputs, record.parameters);
    if (text === undefined) {
      throw new NephoError('SSH_NOT_READY', `formation ${record.name}: access.ssh.${field} (${value}) has no value yet`, {
        hint: `see nepho formation:describe ${record.name}`,
      });
    }
    return text;
  };
  const port = (field: string, value: string | number | undefined): number => {
    const text = fill(field, value);
    if (text === undefined) return 22;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new NephoError('SSH_INVALID', `formation ${record.name}: access.ssh.${field} '${text}' is not a port`);
    return n;
  };
  const user = fill('user', ssh.user);
  const endpoint: SshEndpoint = { host: fill('host', ssh.host)!, port: port('port', ssh.port), ...(user ? { user } : {}) };
  const bastion = fill('bastion', ssh.bastion);
  if (bastion) {
    const bastionUser = fill('bastion_user', ssh.bastion_user) ?? user;
    endpoint.bastion = { host: bastion, port: port('bastion_port', ssh.bastion_port), ...(bastionUser ? { user: bastionUser } : {}) };
  }
  return endpoint;
}

/** How long a browser opener (xdg-open, open, start) may take to say it failed before nepho assumes it worked. */
const OPENER_GRACE_MS = 2000;

/**
 * Start the desktop's browser on `url` with the `open` package. Resolves with
 * why it could not (the opener is missing, or exited non-zero, as xdg-open
 * does on a machine without a browser), or undefined when it started. An
 * opener still running after a short grace period is taken to have worked.
 */
export async function openInBrowser(url: string): Promise<string | undefined> {
  let child: ChildProcess;
  try {
    const { default: open } = await import('open');
    child = await open(url);
  } catch (error) {
    return (error as Error).message;
  }
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => finish(undefined), OPENER_GRACE_MS);
    const finish = (failure: string | undefined) => {
      clearTimeout(timer);
      child.removeAllListeners('error');
      child.removeAllListeners('exit');
      child.on('error', () => undefined);
      resolvePromise(failure);
    };
    child.once('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ENOENT' ? `${child.spawnfile}: not found` : error.message));
    child.once('exit', (code, signal) => finish(code === 0 ? undefined : `${child.spawnfile} exited with ${code ?? signal}`));
  });
}
