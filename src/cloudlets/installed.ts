import { readdirSync, readFileSync, lstatSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError } from '../errors.js';
import type { Manifest } from '../fs.js';
import type { NephoHome } from '../home.js';
import { redactUrl } from '../output.js';
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
  /** The public key that verified the registry index it was installed from (signed registries only). */
  verifiedBy?: string;
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

/** An installed cloudlet as `-o json|yaml` shows it (cloudlet:list's items, cloudlet:install's result); a damaged one has `damaged` set. */
export interface CloudletListing {
  name: string;
  version: string | null;
  path: string;
  source: string | null;
  ref: string | null;
  commit: string | null;
  range: string | null;
  registry: string | null;
  develop: boolean;
  damaged: string | null;
}

/** An installed cloudlet as data, its source's credentials left out. */
export function cloudletListing({ record, dir }: InstalledCloudlet): CloudletListing {
  return {
    name: record.id,
    version: record.version,
    path: dir,
    source: redactUrl(record.source),
    ref: record.ref ?? null,
    commit: record.commit ?? null,
    range: record.range ?? null,
    registry: record.registry ?? null,
    develop: record.develop ?? false,
    damaged: null,
  };
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

/**
 * An entry of `$NEPHO_HOME/cloudlets` whose install record is missing or
 * cannot be read. Never hidden: listed as damaged, with the file and what is
 * wrong with it, and removable with `cloudlet:uninstall --force`.
 */
export interface DamagedInstall {
  /** `$NEPHO_HOME/cloudlets/<owner>-<name>`. */
  dir: string;
  /** The record file at fault. */
  file: string;
  /** What is wrong with it, in words. */
  problem: string;
  /**
   * The id it is installed as, from its directory name and its cloudlet.yaml
   * when that can be read, else from the directory name alone (every reading
   * of `<owner>-<name>` names this same directory, so commands given it work).
   */
  id: string;
  /** For a develop link: the directory it points to, when it still exists. */
  linkTarget?: string;
}

/** Installed cloudlets, sorted by id, and the entries whose record is damaged, sorted by directory. */
export interface InstalledScan {
  installed: InstalledCloudlet[];
  damaged: DamagedInstall[];
}

/** Why an install record cannot be used; `text` is what it holds, when it could be read. */
class RecordProblem extends Error {
  constructor(
    message: string,
    readonly text?: string,
  ) {
    super(message);
  }
}

/** Every entry of the cloudlets directory: the installed cloudlets and the damaged ones. */
export function scanInstalled(home: NephoHome): InstalledScan {
  let entries: string[];
  try {
    entries = readdirSync(home.cloudlets);
  } catch {
    return { installed: [], damaged: [] };
  }
  const installed: InstalledCloudlet[] = [];
  const damaged: DamagedInstall[] = [];
  for (const entry of entries.sort()) {
    if (entry.startsWith('.')) continue; // nepho's own: locks, develop records, scratch directories
    const found = inspectEntry(home, join(home.cloudlets, entry), entry);
    if ('record' in found) installed.push(found);
    else damaged.push(found);
  }
  installed.sort((a, b) => (a.record.id < b.record.id ? -1 : 1));
  return { installed, damaged };
}

/** Every installed cloudlet, sorted by id (damaged entries left out: see `scanInstalled`). */
export function listInstalled(home: NephoHome): InstalledCloudlet[] {
  return scanInstalled(home).installed;
}

/** Where the record of the entry `dir` (named `entry`) is: inside a copy, or under .develop/ for a link. */
function recordPath(home: NephoHome, dir: string, entry: string): { path: string; link: boolean } {
  const link = lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
  return { path: link ? join(home.cloudlets, '.develop', `${entry}.json`) : join(dir, RECORD_FILE), link };
}

function inspectEntry(home: NephoHome, dir: string, entry: string): InstalledCloudlet | DamagedInstall {
  const { path, link } = recordPath(home, dir, entry);
  try {
    return { record: readRecord(path, dir, home), dir };
  } catch (error) {
    if (!(error instanceof RecordProblem)) throw error;
    const target = link ? realTarget(dir) : undefined;
    const id = idFromText(error.text, home, dir) ?? guessId(entry, target ?? dir);
    return { dir, file: path, problem: error.message, id, ...(target ? { linkTarget: target } : {}) };
  }
}

/** Read and check an install record: it must parse, have its fields, and name the directory it lives in. */
function readRecord(path: string, dir: string, home: NephoHome): InstallRecord {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RecordProblem(code === 'ENOENT' ? 'missing' : `unreadable (${code ?? String(error)})`);
  }
  let record: InstallRecord;
  try {
    record = JSON.parse(text) as InstallRecord;
  } catch {
    throw new RecordProblem(text.length === 0 ? 'empty' : `not valid JSON (${text.length} bytes; truncated?)`, text);
  }
  if (record === null || typeof record !== 'object') throw new RecordProblem('not a JSON object');
  for (const field of ['id', 'version', 'source', 'digest', 'installedAt'] as const) {
    if (typeof record[field] !== 'string') throw new RecordProblem(`"${field}" is missing`);
  }
  if (record.files === null || typeof record.files !== 'object') throw new RecordProblem('"files" is missing');
  if (!CLOUDLET_ID.test(record.id) || cloudletDir(home, record.id) !== dir) {
    throw new RecordProblem(`names ${JSON.stringify(record.id)}, which is not installed here`);
  }
  return record;
}

function readRecordAt(home: NephoHome, dir: string, entry: string): InstallRecord | undefined {
  try {
    return readRecord(recordPath(home, dir, entry).path, dir, home);
  } catch (error) {
    if (error instanceof RecordProblem) return undefined;
    throw error;
  }
}

function realTarget(link: string): string | undefined {
  try {
    return realpathSync(link);
  } catch {
    return undefined;
  }
}

/** The id a cut-short record still names in its first lines (records start with it), if it fits the directory. */
function idFromText(text: string | undefined, home: NephoHome, dir: string): string | undefined {
  const id = text === undefined ? undefined : /"id"\s*:\s*"([^"\\]*)"/.exec(text)?.[1];
  return id !== undefined && CLOUDLET_ID.test(id) && cloudletDir(home, id) === dir ? id : undefined;
}

/** The id a damaged entry is most likely installed as: see `DamagedInstall.id`. */
function guessId(entry: string, contentDir: string): string {
  try {
    const name = /^name:\s*["']?([a-z0-9][a-z0-9-]*)["']?\s*$/m.exec(readFileSync(join(contentDir, 'cloudlet.yaml'), 'utf8'))?.[1];
    const owner = name && entry.endsWith(`-${name}`) ? entry.slice(0, -name.length - 1) : undefined;
    if (owner && CLOUDLET_ID.test(`${owner}/${name}`)) return `${owner}/${name}`;
  } catch {
    // no readable cloudlet.yaml: the directory name alone
  }
  const dash = entry.indexOf('-');
  return dash > 0 ? `${entry.slice(0, dash)}/${entry.slice(dash + 1)}` : entry;
}

/** The damaged entry installed as `id`, if its directory holds one. */
export function findDamaged(home: NephoHome, id: string): DamagedInstall | undefined {
  const dir = cloudletDir(home, id);
  if (!lstatSync(dir, { throwIfNoEntry: false })) return undefined;
  const found = inspectEntry(home, dir, dir.slice(home.cloudlets.length + 1));
  return 'record' in found ? undefined : { ...found, id };
}

/** How to put a damaged entry right, as a command line that works. */
export function repairCommand(damaged: DamagedInstall): string {
  // A develop link's record is all derived from the directory it links: linking it again rewrites it.
  if (damaged.linkTarget) return `nepho cloudlet:install --develop ${damaged.linkTarget} --as ${damaged.id}`;
  return `nepho cloudlet:uninstall --force --yes ${damaged.id}, then install it again`;
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

/** Whether any installed cloudlet answers to the short name `name`. */
export function hasInstalledName(home: NephoHome, name: string): boolean {
  return listInstalled(home).some((c) => c.record.id.split('/')[1] === name);
}

/** The error for a cloudlet that is not installed, with the install command that would fix it. */
export function notInstalled(typed: string): NephoError {
  return new NephoError('CLOUDLET_NOT_INSTALLED', `cloudlet '${typed}' is not installed`, {
    hint: `see nepho cloudlet:list, or install it with nepho cloudlet:install ${typed}`,
  });
}

/** The directory a develop link points to. */
export function linkTarget(dir: string): string {
  return realpathSync(dir);
}
