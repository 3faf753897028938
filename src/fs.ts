import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, readlink, rename, rm, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { NephoError } from './errors.js';

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

function unlinkSyncQuiet(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}

/** Remove a file or tree, ignoring its absence. */
export async function removePath(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 2 });
}

/** Move a directory into place in one step (rename), replacing nothing: the target must not exist. */
export async function moveIntoPlace(from: string, to: string): Promise<void> {
  await rename(from, to);
}

/** One file of a tree, as recorded in an install manifest. */
export type ManifestEntry = `${'file' | 'exec' | 'link'}:${string}`;

/** The content of a tree: each relative POSIX path mapped to its kind and sha256. */
export type Manifest = Record<string, ManifestEntry>;

/**
 * Read a directory tree into a manifest. `exclude` names top-level entries to
 * skip (`.git`, nepho's own install record). Symbolic links are allowed only
 * when they point inside the tree; anything else is refused, naming the link.
 */
export async function readManifest(root: string, exclude: ReadonlySet<string> = new Set()): Promise<Manifest> {
  const manifest: Manifest = {};
  const rootAbs = resolve(root);
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const abs = join(dir, entry.name);
      const rel = relative(rootAbs, abs).split(sep).join(posix.sep);
      if (dir === rootAbs && exclude.has(entry.name)) continue;
      if (entry.isSymbolicLink()) {
        const target = await readlink(abs);
        const landed = resolve(dirname(abs), target);
        if (landed !== rootAbs && !landed.startsWith(rootAbs + sep)) {
          throw new NephoError('UNSAFE_SYMLINK', `${rel}: symbolic link points outside the cloudlet (${target})`, {
            hint: 'a cloudlet may only link to files inside itself',
          });
        }
        manifest[rel] = `link:${sha256(target)}`;
      } else if (entry.isDirectory()) {
        await walk(abs);
      } else if (entry.isFile()) {
        const [content, stats] = await Promise.all([readFile(abs), lstat(abs)]);
        manifest[rel] = `${stats.mode & 0o111 ? 'exec' : 'file'}:${sha256(content)}`;
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
 * NephoError saying who and since when; a lock left by a dead process on this
 * host is taken over.
 */
export async function acquireLock(path: string, operation: string, code = 'LOCKED'): Promise<Lock> {
  const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), operation };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o644);
      await handle.writeFile(JSON.stringify(info));
      await handle.close();
      const onExit = () => unlinkSyncQuiet(path);
      process.once('exit', onExit);
      return {
        path,
        async release() {
          process.removeListener('exit', onExit);
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readLockInfo(path);
      if (holder && isAlive(holder)) {
        throw new NephoError(code, `${holder.operation} is already under way (pid ${holder.pid} on ${holder.host}, since ${holder.since})`, {
          hint: `wait for it to finish; if no such process exists, remove ${path}`,
        });
      }
      // The holder is gone (or the file is unreadable junk): clear it and try once more.
      await unlink(path).catch(() => undefined);
    }
  }
  throw new NephoError(code, `could not take the lock ${path}`, { hint: 'another nepho process is racing for it; try again' });
}

/** The holder of a lock file, or undefined when there is none or it cannot be read. */
export async function readLockInfo(path: string): Promise<LockInfo | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as LockInfo;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process holding a lock still runs (always assumed for other hosts). */
export function isAlive(holder: LockInfo): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(dir, { recursive: true, force: true });
    for (const s of signals) process.removeListener(s, onSignal);
    // Die of the same signal, as if we had not caught it.
    process.kill(process.pid, signal);
  };
  for (const s of signals) process.on(s, onSignal);
  try {
    return await fn(dir);
  } finally {
    for (const s of signals) process.removeListener(s, onSignal);
    await removePath(dir);
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
