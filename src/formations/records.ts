import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NephoHome } from '../home.js';

/** The file that holds a formation's record, inside `$NEPHO_HOME/formations/<name>/`. */
export const FORMATION_RECORD = 'formation.json';

/** The part of a formation record every command can rely on. */
export interface FormationSummary {
  name: string;
  /** `owner/name` of the cloudlet it was created from. */
  cloudlet: string;
}

/** Formations recorded on this machine (unreadable records are skipped). */
export function listFormationSummaries(home: NephoHome): FormationSummary[] {
  let entries: string[];
  try {
    entries = readdirSync(home.formations);
  } catch {
    return [];
  }
  const out: FormationSummary[] = [];
  for (const name of entries) {
    try {
      const record = JSON.parse(readFileSync(join(home.formations, name, FORMATION_RECORD), 'utf8')) as FormationSummary;
      if (typeof record.cloudlet === 'string') out.push({ name: record.name ?? name, cloudlet: record.cloudlet });
    } catch {
      /* no record: not a formation */
    }
  }
  return out;
}
