import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError } from '../errors.js';
import { removePath, writeFileAtomicSync } from '../fs.js';
import type { NephoHome } from '../home.js';
import type { FormationRef, ProviderOptions, ResourceFailure } from '../providers/types.js';

/** The file that holds a formation's record, inside `$NEPHO_HOME/formations/<name>/`. */
export const FORMATION_RECORD = 'formation.json';

/** Formation names: they become stack names, directory names and host names. */
export const FORMATION_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** How a formation is reached, as the scenario declared it (placeholders unresolved). */
export interface AccessTemplate {
  url?: string;
  ssh?: { host: string; port?: number | string; user?: string; bastion?: string; bastion_port?: number | string; bastion_user?: string };
}

/** The last operation run on a formation. */
export interface OperationRecord {
  kind: 'create' | 'destroy' | 'update' | 'provision';
  startedAt: string;
  endedAt?: string;
  ok?: boolean;
  status?: string;
  /** Why it failed, resource by resource, when it did. */
  failures?: ResourceFailure[];
}

/**
 * What this machine knows of a formation: enough to describe, reach and
 * destroy it. Secret values are never in it, only their names.
 */
export interface FormationRecord {
  name: string;
  /** `owner/name` of the cloudlet. */
  cloudlet: string;
  version: string;
  /** The exact commit of the cloudlet deployed, when it came from git. */
  commit?: string;
  scenario: string;
  provider: string;
  pattern: string;
  /** Non-secret parameter values as created. */
  parameters: Record<string, string | number | boolean>;
  /** Names of secret parameters that were supplied (never their values). */
  secrets: string[];
  access: AccessTemplate;
  options: ProviderOptions;
  /** What the provider needs to find it again (stack id, region, working directory). */
  state: Record<string, unknown>;
  /** The provider's last reported status. */
  status: string;
  operation?: OperationRecord;
  createdAt: string;
  updatedAt: string;
}

/** The part of a formation record every command can rely on, even in old records. */
export interface FormationSummary {
  name: string;
  cloudlet: string;
}

/** The directory of one formation. The name is checked, so the path cannot leave `$NEPHO_HOME`. */
export function formationDir(home: NephoHome, name: string): string {
  if (!FORMATION_NAME.test(name)) {
    throw new NephoError('BAD_FORMATION_NAME', `'${name}' is not a formation name (lowercase letters, digits and '-', starting with a letter)`);
  }
  return join(home.formations, name);
}

/** The reference providers use to find a recorded formation. */
export function refOf(record: FormationRecord, dir: string): FormationRef {
  return { name: record.name, dir, state: record.state, options: record.options };
}

/** The error for a formation nobody has recorded or discovered; `where` narrows it (`on this machine`). */
export function formationNotFound(name: string, where = '', hint?: string): NephoError {
  return new NephoError('FORMATION_NOT_FOUND', `no formation named '${name}'${where ? ` ${where}` : ''}`, { hint: hint ?? 'see nepho formation:list' });
}

/** Read a formation's record, or undefined when there is none. */
export function readRecord(home: NephoHome, name: string): FormationRecord | undefined {
  return readRecordFile<FormationRecord>(join(formationDir(home, name), FORMATION_RECORD), 'the formation');
}

/** A record file nepho keeps (JSON), or undefined when there is none; RECORD_INVALID names it when it does not parse. */
export function readRecordFile<T>(file: string, what: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new NephoError('RECORD_INVALID', `${file}: not valid JSON`, { hint: `restore it, or remove the directory if ${what} is gone` });
  }
}

/** Write a formation's record atomically (readers never see half of it). */
export function writeRecord(home: NephoHome, record: FormationRecord): void {
  const dir = formationDir(home, record.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomicSync(join(dir, FORMATION_RECORD), `${JSON.stringify({ ...record, updatedAt: new Date().toISOString() }, null, 2)}\n`, 0o600);
}

/** Update fields of a record in place (read, change, write atomically). */
export function updateRecord(home: NephoHome, name: string, change: (record: FormationRecord) => void): FormationRecord {
  const record = readRecord(home, name);
  if (!record) throw formationNotFound(name, 'on this machine');
  change(record);
  writeRecord(home, record);
  return record;
}

/**
 * Remove a formation's record: the formation no longer exists. The rest of
 * its directory (the journal, the lock) stays, so `formation:watch` can still
 * show how it ended.
 */
export async function removeRecord(home: NephoHome, name: string): Promise<void> {
  await removePath(join(formationDir(home, name), FORMATION_RECORD));
}

/** A formation's record, or FORMATION_NOT_FOUND. */
export function requireRecord(home: NephoHome, name: string): FormationRecord {
  const record = readRecord(home, name);
  if (!record) throw formationNotFound(name, 'on this machine');
  return record;
}

/** Every formation recorded on this machine, by name. Unreadable records are skipped. */
export function listRecords(home: NephoHome): FormationRecord[] {
  let entries: string[];
  try {
    entries = readdirSync(home.formations);
  } catch {
    return [];
  }
  const out: FormationRecord[] = [];
  for (const name of entries.sort()) {
    if (!FORMATION_NAME.test(name)) continue;
    try {
      const record = readRecord(home, name);
      if (record && typeof record.cloudlet === 'string') out.push(record);
    } catch {
      /* an unreadable record is reported by describe, not by list */
    }
  }
  return out;
}

/** Formations recorded on this machine, as far as uninstall needs to know. */
export function listFormationSummaries(home: NephoHome): FormationSummary[] {
  return listRecords(home).map((r) => ({ name: r.name, cloudlet: r.cloudlet }));
}

/** What is shown in place of a secret parameter's value in a formation's answers. */
export const SECRET_ANSWER = '(secret)';
