import { readdirSync, readFileSync, lstatSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError } from '../errors.js';
import type { Manifest } from '../fs.js';
import type { NephoHome } from '../home.js';
import { CLOUDLET_ID, CLOUDLET_NAME } from './names.js';

/** The install record's file name inside an installed cloudlet's directory. */
export const RECORD_FILE = '.nepho-install.json';

/** Top-level entries that are not part of a cloudlet's content. */
export const NOT_CONTENT: ReadonlySet<string> = new Set(['.git', RECORD_FILE]);

/** What was installed, recorded so that update, outdated and verify work. */
export interface InstallRecord {
  /** `owner/name`. */
  id: string;
  version: string;
  /** Where it came from: a git URL or a local path. */
  source: string;
  /** The registry it was found in, for registry installs. */
  registry?: string;
  /** The ref asked for (a tag, a branch), when there was one. */
  ref?: string;
  /** The exact commit installed, when the source is a git repository. */
  commit?: string;
  /** sha256 of the installed tree, as the registry records digests. */
  digest: string;
  /** The semver range asked for; update moves within it. */
  range?: string;
  /** True when the cloudlet is a link to a directory being developed. */
  develop?: boolean;
  installedAt: string;
  /** Every installed file and its hash, for verify. Empty for develop links. */
  files: Manifest;
}

/** An installed cloudlet: its record and where it lives. */
export interface InstalledCloudlet {
  record: InstallRecord;
  /** `$NEPHO_HOME/cloudlets/<owner>-<name>`. */
  dir: string;
}

/** Split `owner/name`, refusing anything that is not exactly that. */
export function parseCloudletId(id: string, what = 'cloudlet name'): { owner: string; name: string } {
  const m = CLOUDLET_ID.exec(id);
  if (!m) {
    throw new NephoError('BAD_CLOUDLET_NAME', `${what} '${id}' is not owner/name (lowercase letters, digits and "-")`, {
      hint: 'for example huit/mediawiki',
    });
  }
  return { owner: m[1]!, name: m[2]! };
}

/** The directory a cloudlet is installed in. The id is checked, so the path cannot leave `$NEPHO_HOME`. */
export function cloudletDir(home: NephoHome, id: string): string {
  const { owner, name } = parseCloudletId(id);
  return join(home.cloudlets, `${owner}-${name}`);
}

/** Where develop links keep their record (the linked directory is the user's, not ours to write). */
export function developRecordPath(home: NephoHome, id: string): string {
  const { owner, name } = parseCloudletId(id);
  return join(home.cloudlets, '.develop', `${owner}-${name}.json`);
}

/** Every installed cloudlet, sorted by id. Directories without a record (an interrupted install) are skipped. */
export function listInstalled(home: NephoHome): InstalledCloudlet[] {
  let entries: string[];
  try {
    entries = readdirSync(home.cloudlets);
  } catch {
    return [];
  }
  const found: InstalledCloudlet[] = [];
  for (const entry of entries) {
    if (entry.startsWith('.')) continue;
    const dir = join(home.cloudlets, entry);
    const record = readRecordAt(home, dir, entry);
    if (record) found.push({ record, dir });
  }
  return found.sort((a, b) => (a.record.id < b.record.id ? -1 : 1));
}

function readRecordAt(home: NephoHome, dir: string, entry: string): InstallRecord | undefined {
  try {
    const link = lstatSync(dir).isSymbolicLink();
    const path = link ? join(home.cloudlets, '.develop', `${entry}.json`) : join(dir, RECORD_FILE);
    const record = JSON.parse(readFileSync(path, 'utf8')) as InstallRecord;
    return typeof record.id === 'string' && typeof record.version === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The installed cloudlet with this exact id, if any. */
export function findInstalled(home: NephoHome, id: string): InstalledCloudlet | undefined {
  const dir = cloudletDir(home, id);
  const entry = dir.slice(home.cloudlets.length + 1);
  const record = readRecordAt(home, dir, entry);
  return record && record.id === id ? { record, dir } : undefined;
}

/**
 * Resolve what the user typed to an installed cloudlet: `owner/name` exactly,
 * or `name` alone when only one installed cloudlet has it. An ambiguous short
 * name lists the candidates.
 */
export function resolveInstalled(home: NephoHome, typed: string): InstalledCloudlet {
  if (typed.includes('/')) {
    parseCloudletId(typed);
    const found = findInstalled(home, typed);
    if (!found) throw notInstalled(typed);
    return found;
  }
  if (!CLOUDLET_NAME.test(typed)) {
    throw new NephoError('BAD_CLOUDLET_NAME', `cloudlet name '${typed}' is not owner/name or name (lowercase letters, digits and "-")`);
  }
  const matches = listInstalled(home).filter((c) => c.record.id.split('/')[1] === typed);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw notInstalled(typed);
  throw new NephoError('AMBIGUOUS_CLOUDLET', `'${typed}' could be ${matches.map((m) => m.record.id).join(' or ')}`, {
    hint: 'name it as owner/name',
  });
}

function notInstalled(typed: string): NephoError {
  return new NephoError('CLOUDLET_NOT_INSTALLED', `cloudlet '${typed}' is not installed`, {
    hint: `see nepho cloudlet:list, or install it with nepho cloudlet:install ${typed}`,
  });
}

/** The directory a develop link points to. */
export function linkTarget(dir: string): string {
  return realpathSync(dir);
}
