import { accessSync, constants, mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NephoError, type ErrorCode } from './errors.js';

/**
 * Where nepho keeps its state: `$NEPHO_HOME`, `~/.nepho` by default.
 * Every path nepho writes to is derived from one of these.
 */
export interface NephoHome {
  /** The root directory. */
  readonly root: string;
  /** `config.yaml`: registries, saved parameters, plugins, settings. */
  readonly configFile: string;
  /** Installed cloudlets, one directory each, named `<owner>-<name>`. */
  readonly cloudlets: string;
  /** Downloaded registry indexes and other re-fetchable data. */
  readonly cache: string;
  /** One directory per formation: its record and journal. */
  readonly formations: string;
}

/** Resolve the home directory from the environment without touching the disk. */
export function nephoHome(env: NodeJS.ProcessEnv = process.env): NephoHome {
  const root = resolve(env.NEPHO_HOME && env.NEPHO_HOME.length > 0 ? env.NEPHO_HOME : join(userHome(), '.nepho'));
  return {
    root,
    configFile: join(root, 'config.yaml'),
    cloudlets: join(root, 'cloudlets'),
    cache: join(root, 'cache'),
    formations: join(root, 'formations'),
  };
}

/**
 * The user's home directory, as `os.homedir()` gives it. That reads HOME
 * (USERPROFILE on Windows) first, so nepho reads it too and loads `node:os`,
 * which a bare Node does not, only when it is unset.
 */
function userHome(): string {
  const fromEnv = process.platform === 'win32' ? process.env.USERPROFILE : process.env.HOME;
  return fromEnv !== undefined && fromEnv.length > 0 ? fromEnv : process.getBuiltinModule('node:os').homedir();
}

/**
 * Filesystems the kernel makes up (statfs magic numbers): files cannot be
 * kept there, and a recursive mkdir under /proc never returns in Node.
 */
const PSEUDO_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
]);

/** Roots already checked by this process: a command asks for its home several times. */
const checked = new Set<string>();

/**
 * Set when `ensureHome` refuses a home. A global symbol, because the start-up
 * loader (dist/boot.cjs) carries its own copy of this module and must not
 * write its code cache into a home the command refused.
 */
const REFUSED = Symbol.for('nepho.home.refused');

/** Whether this process refused its home as unusable (nothing more may be written there). */
export function homeRefused(): boolean {
  return (globalThis as { [REFUSED]?: boolean })[REFUSED] === true;
}

/**
 * Make sure the home directory layout exists and can be written, creating it
 * on first use. Checked once per process, with stat calls only when it is
 * already there; anything wrong (a file in the way, a directory nepho cannot
 * write, a read-only or pseudo filesystem) is one NephoError naming the path.
 */
export function ensureHome(home: NephoHome): NephoHome {
  if (checked.has(home.root)) return home;
  const unusable = (what: string) => {
    (globalThis as { [REFUSED]?: boolean })[REFUSED] = true;
    return new NephoError('HOME_UNUSABLE', `nepho's home ${home.root}: ${what}`, {
      hint: 'set NEPHO_HOME to a directory you can write to',
    });
  };
  const dirs = [home.root, home.cloudlets, home.cache, home.formations];
  // Everything that exists is judged before anything is created: a refused home is left as it was.
  const existing = new Set<string>();
  let rootDevice: number | undefined;
  for (const dir of dirs) {
    const found = existingDirProblem(dir, rootDevice);
    if (found.problem) throw unusable(found.problem);
    if (found.device !== undefined) {
      existing.add(dir);
      rootDevice ??= found.device;
    }
  }
  for (const dir of dirs) {
    if (existing.has(dir)) continue;
    try {
      if (lookUp(dir)) continue;
      makeDirs(dir);
    } catch (error) {
      throw unusable(error instanceof NephoError ? error.message : `cannot create ${dir} (${codeOf(error)})`);
    }
  }
  checked.add(home.root);
  return home;
}

/**
 * What keeps the existing `dir` from being a directory nepho can write into
 * (`problem`), and the device it is on when it exists. Its filesystem's type
 * is asked for only when it is on another device than `knownDevice`, one
 * already found fine.
 */
function existingDirProblem(dir: string, knownDevice: number | undefined): { problem?: string; device?: number } {
  let stats;
  try {
    stats = lookUp(dir);
  } catch (error) {
    // A parent that is a file (ENOTDIR) is found and named when the home is created.
    if (codeOf(error) === 'ENOTDIR') return {};
    return { problem: `${dir} cannot be reached (${codeOf(error)})` };
  }
  if (stats === undefined) return {};
  if (!stats.isDirectory()) return { problem: `${dir} is not a directory` };
  const pseudo = stats.dev === knownDevice ? undefined : pseudoFilesystem(dir);
  if (pseudo) return { problem: pseudo };
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    return { problem: codeOf(error) === 'EROFS' ? `${dir} is on a read-only filesystem` : `${dir} is not writable (${codeOf(error)})` };
  }
  return { device: stats.dev };
}

function pseudoFilesystem(existing: string): string | undefined {
  let type: number;
  try {
    type = statfsSync(existing).type;
  } catch {
    return undefined;
  }
  const name = PSEUDO_FILESYSTEMS.get(type);
  return name === undefined ? undefined : `${existing} is on the kernel's ${name} filesystem, which cannot hold files`;
}

/** stat(2), undefined when nothing is there; a parent that is not a directory counts as nothing there. */
function lookUp(path: string): import('node:fs').Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if (codeOf(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

/**
 * `mkdir -p` in a bounded number of steps: find the nearest directory that
 * exists, refuse a pseudo filesystem, then create each missing level once.
 * Node's own recursive mkdir loops forever where mkdir answers ENOENT under
 * a parent that exists (/proc). Throws a NephoError naming the path, with
 * `code` (a directory the user named, such as --out, is not the home).
 */
export function makeDirs(dir: string, mode = 0o700, code: ErrorCode = 'HOME_UNUSABLE'): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let stats;
    try {
      stats = lookUp(at);
    } catch (error) {
      throw new NephoError(code, `${at} cannot be reached (${codeOf(error)})`);
    }
    if (stats) {
      if (!stats.isDirectory()) throw new NephoError(code, `${at} is not a directory`);
      break;
    }
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  const pseudo = missing.length > 0 ? pseudoFilesystem(at) : undefined;
  if (pseudo) throw new NephoError(code, pseudo);
  for (const path of missing) {
    try {
      mkdirSync(path, { mode });
    } catch (error) {
      const errno = codeOf(error);
      if (errno === 'EEXIST' && statSync(path, { throwIfNoEntry: false })?.isDirectory()) continue; // made by another process meanwhile
      const why = errno === 'EROFS' ? 'on a read-only filesystem' : errno === 'EACCES' || errno === 'EPERM' ? 'permission denied' : errno;
      throw new NephoError(code, `cannot create ${path} (${why})`);
    }
  }
}
