import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { link, mkdir, readdir, readFile, readlink, realpath, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { delimiter, dirname, join, posix, relative, resolve, sep } from 'node:path';
import { NephoError, type ErrorCode } from './errors.js';

/**
 * Write a file so that readers see either the old content or the new, never a
 * half-written one: write a sibling temp file, flush it, rename it over.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // rename(2) is atomic within one filesystem, and tmp is a sibling.
    renameSync(tmp, path);
  } catch (error) {
    unlinkSyncQuiet(tmp);
    throw error;
  }
}

/** Why `readSmallFile` refused a file: the file is missing, not a regular file, too large, or unreadable. */
export class SmallFileError extends Error {
  constructor(
    /** `missing`, `not-regular`, `too-large` or `unreadable`. */
    readonly reason: 'missing' | 'not-regular' | 'too-large' | 'unreadable',
    message: string,
  ) {
    super(message);
  }
}

/** What a stat says a non-regular file is, in words. */
function kindOf(stats: import('node:fs').Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Read a file a user pointed nepho at, in bounded time and memory: only a
 * regular file is read (a FIFO would block, /dev/zero never ends), and never
 * more than `maxBytes`. Opened without blocking, and judged again once open,
 * in case the path was swapped between the stat and the open. Throws a
 * SmallFileError whose message says what is wrong, for the caller to name the file.
 */
export function readSmallFile(path: string, maxBytes: number): Buffer {
  const refuse = (stats: import('node:fs').Stats) => {
    if (!stats.isFile()) throw new SmallFileError('not-regular', `not a regular file (${kindOf(stats)})`);
    if (stats.size > maxBytes) throw new SmallFileError('too-large', `larger than the ${maxBytes}-byte limit (${stats.size} bytes)`);
  };
  let fd: number;
  try {
    refuse(statSync(path));
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (error instanceof SmallFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new SmallFileError(code === 'ENOENT' ? 'missing' : 'unreadable', code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(error)})`);
  }
  try {
    refuse(fstatSync(fd));
    // Read to the end, stopping one byte past the limit: the file may have grown since the stat.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes + 1 - length));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      length += n;
      if (length > maxBytes) throw new SmallFileError('too-large', `larger than the ${maxBytes}-byte limit`);
    }
    return Buffer.concat(chunks, length);
  } catch (error) {
    if (error instanceof SmallFileError) throw error;
    throw new SmallFileError('unreadable', `cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  } finally {
    closeSync(fd);
  }
}

function unlinkSyncQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** Remove a file or tree, ignoring its absence. */
export async function removePath(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 2 });
}

/** Move a directory into place in one step (rename), replacing nothing: the target must not exist. */
export async function moveIntoPlace(from: string, to: string): Promise<void> {
  await rename(from, to);
}

/**
 * Replace the directory (or link) `to` with `from`, moving the old one to
 * `aside`. Both renames run synchronously, back to back, so no signal handler
 * can run between them and find neither copy in place; when the second fails,
 * the old one is put back before the error is thrown.
 */
export function swapIntoPlaceSync(from: string, to: string, aside: string): void {
  renameSync(to, aside);
  try {
    renameSync(from, to);
  } catch (error) {
    renameSync(aside, to);
    throw error;
  }
}

/** One file of a tree, as recorded in an install manifest. */
export type ManifestEntry = `${'file' | 'exec' | 'link'}:${string}`;

/** The content of a tree: each relative POSIX path mapped to its kind and sha256. */
export type Manifest = Record<string, ManifestEntry>;

/** What `readManifest` does with a symbolic link that points outside the tree. */
export interface ReadManifestOptions {
  /**
   * `refuse` (the default, for content about to be installed) throws naming the
   * link; `record` lists it like any other link (for verify, which reports
   * what a user changed rather than refusing to look at it).
   */
  outsideLinks?: 'refuse' | 'record';
}

/**
 * Read a directory tree into a manifest. `exclude` names top-level entries to
 * skip (`.git`, nepho's own install record). Symbolic links are allowed only
 * when they point inside the tree, both as written and as the filesystem
 * resolves them (a link may pass through another link); anything else is
 * refused, naming the link.
 */
export async function readManifest(root: string, exclude: ReadonlySet<string> = new Set(), options: ReadManifestOptions = {}): Promise<Manifest> {
  const manifest: Manifest = {};
  const rootAbs = resolve(root);
  const rootReal = await realpath(rootAbs);
  const inside = (path: string, top: string) => path === top || path.startsWith(top + sep);
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const abs = join(dir, entry.name);
      const rel = relative(rootAbs, abs).split(sep).join(posix.sep);
      if (dir === rootAbs && exclude.has(entry.name)) continue;
      if (entry.isSymbolicLink()) {
        const target = await readlink(abs);
        // A dangling or looping link resolves to nothing, so only its text can be judged.
        const real = await realpath(abs).catch(() => undefined);
        const escapes = !inside(resolve(dirname(abs), target), rootAbs) || (real !== undefined && !inside(real, rootReal));
        if (escapes && options.outsideLinks !== 'record') {
          throw new NephoError('UNSAFE_SYMLINK', `${rel}: symbolic link points outside the cloudlet (${target})`, {
            hint: 'a cloudlet may only link to files inside itself',
          });
        }
        manifest[rel] = `link:${sha256(target)}`;
      } else if (entry.isDirectory()) {
        await walk(abs);
      } else if (entry.isFile()) {
        // Synchronous on purpose: cloudlets are small files, and two awaits per
        // file made hashing a 200-file tree six times slower.
        manifest[rel] = `${lstatSync(abs).mode & 0o111 ? 'exec' : 'file'}:${sha256(readFileSync(abs))}`;
      }
      // sockets, fifos and devices are not content; they are left out
    }
  }
  await walk(rootAbs);
  return manifest;
}

/**
 * The digest of a tree as the registry records it: sha256 over the sorted
 * manifest lines `<kind>:<sha256> <path>`. Independent of timestamps, owners
 * and the order the filesystem lists files in.
 */
export function manifestDigest(manifest: Manifest): string {
  const hash = createHash('sha256');
  for (const path of Object.keys(manifest).sort(compareBytes)) {
    hash.update(`${manifest[path]} ${path}\n`);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** Paths whose content differs between two manifests, with what happened to each. */
export function diffManifests(recorded: Manifest, actual: Manifest): { path: string; change: 'modified' | 'added' | 'removed' }[] {
  const changes: { path: string; change: 'modified' | 'added' | 'removed' }[] = [];
  for (const path of Object.keys(recorded)) {
    if (!(path in actual)) changes.push({ path, change: 'removed' });
    else if (actual[path] !== recorded[path]) changes.push({ path, change: 'modified' });
  }
  for (const path of Object.keys(actual)) if (!(path in recorded)) changes.push({ path, change: 'added' });
  return changes.sort((a, b) => compareBytes(a.path, b.path));
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Who holds a lock, written into the lock file. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** What the holder is doing, in words (`installing huit/mediawiki`). */
  operation: string;
}

/** A held lock; release it when done (also released if the process exits). */
export interface Lock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Take an exclusive lock file. When another live process holds it, throws a
 * NephoError with `code` saying who and since when (with `waitMs`, after
 * trying again until that much time has passed); a lock left by a dead
 * process on this host is taken over (see tryAcquireLock).
 */
export async function acquireLock(path: string, operation: string, code: ErrorCode, options: { waitMs?: number; hint?: string } = {}): Promise<Lock> {
  const until = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    const { lock, holder } = await tryAcquireLock(path, operation);
    if (lock) return lock;
    if (Date.now() >= until) {
      if (holder) throw lockBusyError(holder, path, code, options.hint);
      throw new NephoError(code, `could not take the lock ${path}`, { hint: 'another nepho process is racing for it; try again' });
    }
    // Busy (or lost a race): wait a moment and try again, while the caller is willing to wait.
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
  }
}

/**
 * Take an exclusive lock file, or say why not, as data: for callers to whom
 * a busy lock is an answer rather than a failure. `holder` is the live
 * process holding it; neither `lock` nor `holder` means other processes kept
 * taking it first.
 *
 * A lock left by a dead process on this host is taken over. The lock file
 * appears with its content in one step (written aside, then hard-linked into
 * place), so a reader never sees an empty lock and mistakes it for a stale one. A stale lock is taken over by renaming it aside and
 * checking that what was moved is the stale lock that was judged, so two
 * processes taking over at once cannot both win.
 */
export async function tryAcquireLock(path: string, operation: string): Promise<{ lock: Lock; holder?: undefined } | { lock?: undefined; holder?: LockInfo }> {
  const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), operation };
  const aside = () => `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const tmp = aside();
    await writeFile(tmp, JSON.stringify(info), { mode: 0o644, flag: 'wx' });
    try {
      await link(tmp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const seen = await readFile(path, 'utf8').catch(() => undefined);
      if (seen === undefined) continue; // released meanwhile: try again
      const holder = parseLockInfo(seen);
      if (holder && isAlive(holder)) return { holder };
      // The holder is gone (or the file is junk): move it aside, and drop it
      // only if it is still the lock that was judged stale.
      const stale = aside();
      try {
        await rename(path, stale);
      } catch {
        continue; // someone else moved it first
      }
      const moved = await readFile(stale, 'utf8').catch(() => undefined);
      if (moved !== seen) {
        // A live process took the lock in between: give it back.
        await link(stale, path).catch(() => undefined);
        await unlink(stale).catch(() => undefined);
        const current = moved === undefined ? undefined : parseLockInfo(moved);
        if (current) return { holder: current };
        continue;
      }
      await unlink(stale).catch(() => undefined);
      continue;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    const release = () => unlinkSyncQuiet(path);
    process.once('exit', release);
    const forget = onInterrupt(release);
    return {
      lock: {
        path,
        async release() {
          process.removeListener('exit', release);
          forget();
          await unlink(path).catch(() => undefined);
        },
      },
    };
  }
  return {};
}

/**
 * The error for a lock a live process holds: what it is doing, where, since
 * when, and what to do about it (`hint`: how to follow it, where there is a
 * way). The holder's pid stays in the lock file: nobody acts on it.
 */
export function lockBusyError(holder: LockInfo, path: string, code: ErrorCode, hint?: string): NephoError {
  return new NephoError(code, `${holder.operation} is already under way (on ${holder.host}, since ${holder.since})`, {
    hint: hint ?? `wait for it to finish; if no nepho process is doing it any more, remove ${path}`,
  });
}

function parseLockInfo(text: string): LockInfo | undefined {
  try {
    const parsed = JSON.parse(text) as LockInfo;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The holder of a lock file, or undefined when there is none or it cannot be read. */
export async function readLockInfo(path: string): Promise<LockInfo | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseLockInfo(text);
}

/** Whether the process holding a lock still runs (always assumed for other hosts). */
export function isAlive(holder: LockInfo): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process its parent has not collected yet (a zombie) answers
  // kill(0) but holds nothing; where pid 1 never collects, it never will.
  try {
    const stat = readFileSync(`/proc/${holder.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): kill(0) is all we know
  }
}

const INTERRUPTS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const cleanups: (() => void)[] = [];
let graceful: ((signal: NodeJS.Signals) => void) | undefined;
let listening = false;

/** Listen to the interrupts while anything needs them, and leave them to their default (death) otherwise. */
function syncListeners(): void {
  const wanted = cleanups.length > 0 || graceful !== undefined;
  if (wanted === listening) return;
  for (const s of INTERRUPTS) {
    if (wanted) process.on(s, onSignal);
    else process.removeListener(s, onSignal);
  }
  listening = wanted;
}

function onSignal(signal: NodeJS.Signals): void {
  if (graceful) {
    // A process that stops gracefully lets the code holding cleanups finish and release them itself; a second signal is not graceful.
    const stop = graceful;
    graceful = undefined;
    syncListeners();
    stop(signal);
    return;
  }
  // Newest first: stop child processes before removing the directories they
  // write into, and those before the locks that guard them.
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {
      /* the rest must still run */
    }
  }
  syncListeners();
  // Die of the same signal, as if we had not caught it.
  process.kill(process.pid, signal);
}

/**
 * Run `cleanup` (synchronously) if the process is interrupted by SIGINT,
 * SIGTERM or SIGHUP before the returned function is called; the process
 * then dies of that signal. Cleanups run newest first.
 */
export function onInterrupt(cleanup: () => void): () => void {
  cleanups.push(cleanup);
  syncListeners();
  return () => {
    const i = cleanups.lastIndexOf(cleanup);
    if (i >= 0) cleanups.splice(i, 1);
    syncListeners();
  };
}

/**
 * For a long-running process that stops gracefully (the server): the first
 * SIGINT, SIGTERM or SIGHUP calls `stop` instead of running the cleanups and
 * dying, so locks and scratch directories are released by the code holding
 * them as it winds down; a second interrupt is handled as usual. Returns a
 * function that stops waiting for the interrupt.
 */
export function stopOnInterrupt(stop: (signal: NodeJS.Signals) => void): () => void {
  graceful = stop;
  syncListeners();
  return () => {
    if (graceful === stop) graceful = undefined;
    syncListeners();
  };
}

/**
 * Run `fn` with a fresh scratch directory under `parent` that is removed
 * afterwards, also when the process is interrupted (SIGINT, SIGTERM, SIGHUP):
 * an interrupted install leaves nothing behind. Scratch directories left by a
 * process that died harder (SIGKILL) are swept the next time.
 */
export async function withScratchDir<T>(parent: string, fn: (dir: string) => Promise<T>): Promise<T> {
  await sweepScratch(parent);
  const dir = join(parent, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Retries: a git child stopped a moment ago may still be removing its own files (ENOTEMPTY).
  const forget = onInterrupt(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }));
  try {
    return await fn(dir);
  } finally {
    forget();
    await removePath(dir);
  }
}

/**
 * withScratchDir, with the directory made only when `fn` first asks for it
 * (`dir()`): a run that turns out to need none (a registry that has not
 * changed) creates and removes nothing.
 */
export async function withLazyScratchDir<T>(parent: string, fn: (dir: () => string) => Promise<T>): Promise<T> {
  let made: string | undefined;
  let forget = () => undefined as void;
  const dir = () => {
    if (made === undefined) {
      const path = join(parent, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
      mkdirSync(path, { recursive: true, mode: 0o700 });
      made = path;
      forget = onInterrupt(() => rmSync(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }));
    }
    return made;
  };
  try {
    return await fn(dir);
  } finally {
    forget();
    if (made !== undefined) {
      await removePath(made);
      await sweepScratch(parent);
    }
  }
}

async function sweepScratch(parent: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = /^\.staging-(\d+)-/.exec(entry);
    if (m && !isAlive({ pid: Number(m[1]), host: hostname(), since: '', operation: '' })) {
      await removePath(join(parent, entry));
    }
  }
}

/** An executable on the PATH of `env`, or undefined. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      /* not here */
    }
  }
  return undefined;
}
