import { NephoError } from '../errors.js';
import type { SshEndpoint } from '../providers/types.js';
import type { FormationRecord } from './records.js';

/** Fill `{{outputs.X}}` and `{{parameters.X}}` in a text; undefined when a value is not there yet. */
export function fillPlaceholders(text: string, outputs: Record<string, string>, parameters: Record<string, unknown>): string | undefined {
  let missing = false;
  const filled = text.replace(/\{\{\s*(outputs|parameters)\.([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g, (_, kind: string, name: string) => {
    const value = kind === 'outputs' ? outputs[name] : parameters[name];
    if (value === undefined || value === '') {
      missing = true;
      return '';
    }
    return String(value);
  });
  return missing ? undefined : filled;
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
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new NephoError('SSH_INVALID', `formation ${record.name}: access.ssh.${field} '${text}' is not a port`);
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
