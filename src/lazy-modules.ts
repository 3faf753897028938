/**
 * Loads the modules commands import on demand (dist/lazy/**, CommonJS made
 * by scripts/bundle.js) through a V8 code cache, as src/boot.ts loads the
 * start-up bundle: on Node 20 an ES module is compiled again on every run and
 * its loader brings crypto, streams and fs/promises with it, which cost a
 * search or an install more than the rest of its start-up together.
 *
 * One cache file per command word holds the compiled code of every module
 * that command loaded (`lazyCacheFile`), each under its path and on-disk
 * stamp: a module rebuilt or edited in place is compiled afresh, never run
 * from the code of its former self. The file is written when the command is
 * done, whole or not at all, and only when a module had no usable entry.
 * Failing to read or write it never fails a command.
 */
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Script } from 'node:vm';
import { homeRefused, makeDirs } from './home.js';

/** What a module under dist/lazy is called with: Node's CommonJS wrapper, plus its import() (see scripts/bundle.js). */
const WRAPPER_PARAMS = 'exports, require, module, __filename, __dirname, __nephoImport';

/** First bytes of a cache file: its format. */
const MAGIC = Buffer.from('nepho-lazy-cache-1\n');

/**
 * The text of `file`, and its stamp (size and modification time) taken
 * before and after the read: undefined when the file changed meanwhile, and
 * then nothing is looked up in or written to a cache for it. Read by path
 * (Node's one-call read, faster than through a descriptor).
 */
export function readStamped(file: string): { text: string; stamp: string | undefined } {
  const stampOf = () => {
    const { size, mtimeMs } = statSync(file);
    return `${size}.${Math.trunc(mtimeMs)}`;
  };
  const before = stampOf();
  const text = readFileSync(file, 'utf8');
  return { text, stamp: stampOf() === before ? before : undefined };
}

/** `text`, the CommonJS module at `file`, compiled in a function of `params` as Node wraps a module, from `cachedData` when V8 accepts it. */
export function compileWrapped(file: string, params: string, text: string, cachedData: Buffer | undefined): Script {
  return new Script(`(function (${params}) { ${text}\n})`, { filename: file, ...(cachedData ? { cachedData } : {}) });
}

/** The cache file of `slot` (a command word) for build `buildId` on this Node and architecture. */
export function lazyCacheFile(dir: string, buildId: string, slot: string): string {
  return join(dir, `lazy-${buildId}-${process.version}-${process.arch}-${slot.replace(':', '.')}.bin`);
}

/** How `LazyModules` finds and keeps its cache. */
export interface LazyCacheOptions {
  /** The cache file, asked for on first load; undefined to compile without one (a word that is no command, a bundle replaced while read). */
  file: () => string | undefined;
  /** The root the modules' keys are relative to (dist/). */
  root: string;
  /** Names in the cache directory starting with `lazy-` but not with this are other builds' caches, removed on write. */
  current: string;
  /** node:module's createRequire, for packages and Node's own modules. */
  createRequire: (path: string) => NodeJS.Require;
}

interface Loaded {
  exports: unknown;
}

/** The modules of dist/lazy, each loaded once, compiled through the code cache. */
export class LazyModules {
  readonly #loaded = new Map<string, Loaded>();
  /** Cached code by key, read on first use. */
  #entries: Map<string, Buffer> | undefined;
  /** Scripts compiled this run, by key, for the cache written at exit. */
  readonly #compiled = new Map<string, Script>();
  #stale = false;
  #file: string | undefined | null = null;

  constructor(readonly options: LazyCacheOptions) {}

  /** `import(specifier)` as seen from the module in `dir`: nepho's own modules through the cache, anything else through Node. */
  import(dir: string, specifier: string): Promise<unknown> {
    if (specifier.startsWith('./') || specifier.startsWith('../')) {
      return new Promise((done) => done(this.load(resolve(dir, specifier))));
    }
    if (specifier.startsWith('node:')) {
      // Node's own module as import() would give it: its exports, and themselves as the default.
      return new Promise((done) => {
        const builtin = process.getBuiltinModule(specifier) as Record<string, unknown> | undefined;
        done(builtin ? { ...builtin, default: builtin } : import(specifier));
      });
    }
    return import(specifier);
  }

  /** The exports of the CommonJS module at `file`, loading it (and what it requires) on first call. */
  load(file: string): unknown {
    const known = this.#loaded.get(file);
    if (known) return known.exports;
    const module: Loaded = { exports: {} };
    this.#loaded.set(file, module);
    try {
      this.#run(file, module);
    } catch (error) {
      this.#loaded.delete(file);
      throw error;
    }
    return module.exports;
  }

  #run(file: string, module: Loaded): void {
    const { text, stamp } = readStamped(file);
    // A module replaced while it was read is compiled, not looked up, and not cached.
    const key = stamp === undefined ? undefined : `${relative(this.options.root, file)}\0${stamp}`;
    const cachedData = key === undefined ? undefined : this.#cached(key);
    const script = compileWrapped(file, WRAPPER_PARAMS, text, cachedData);
    if (key !== undefined && this.#cacheFile() !== undefined) {
      this.#compiled.set(key, script);
      if (cachedData === undefined || script.cachedDataRejected === true) this.#markStale();
    }
    const dir = dirname(file);
    let nodeRequire: NodeJS.Require | undefined;
    const fromNode = () => (nodeRequire ??= this.options.createRequire(file));
    const require = Object.assign(
      (id: string): unknown => (id.startsWith('./') || id.startsWith('../') ? this.load(resolve(dir, id)) : (process.getBuiltinModule(id) ?? fromNode()(id))),
      { resolve: (id: string, options?: { paths?: string[] }) => fromNode().resolve(id, options) },
    );
    const run = script.runInThisContext() as (...args: unknown[]) => void;
    run(module.exports, require, module, file, dir, (specifier: string) => this.import(dir, specifier));
  }

  #cacheFile(): string | undefined {
    if (this.#file === null) this.#file = this.options.file();
    return this.#file;
  }

  #cached(key: string): Buffer | undefined {
    if (this.#entries === undefined) {
      const file = this.#cacheFile();
      this.#entries = file === undefined ? new Map() : readCache(file);
    }
    return this.#entries.get(key);
  }

  #markStale(): void {
    if (this.#stale) return;
    this.#stale = true;
    // Written when the command is done, so the cache holds every function it compiled; not
    // into a home the command refused as unusable, which is left as it was found.
    process.once('exit', () => {
      if (!homeRefused()) this.#write();
    });
  }

  #write(): void {
    const file = this.#cacheFile();
    if (file === undefined) return;
    // What this run compiled, and what earlier runs of this command left of modules this one did not load.
    const pathOf = (key: string) => key.slice(0, key.indexOf('\0'));
    const loaded = new Set([...this.#compiled.keys()].map(pathOf));
    const entries = new Map<string, Buffer>();
    for (const [key, data] of this.#entries ?? []) if (!loaded.has(pathOf(key))) entries.set(key, data);
    for (const [key, script] of this.#compiled) entries.set(key, script.createCachedData());
    writeCache(file, this.options.current, entries);
  }
}

/** The entries of a cache file; none when it is missing, of another format or cut short. */
function readCache(file: string): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return entries;
  }
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return entries;
  let at = MAGIC.length;
  while (at + 8 <= bytes.length) {
    const keyLength = bytes.readUInt32LE(at);
    const dataLength = bytes.readUInt32LE(at + 4);
    const end = at + 8 + keyLength + dataLength;
    if (end > bytes.length) return new Map();
    entries.set(bytes.toString('utf8', at + 8, at + 8 + keyLength), bytes.subarray(at + 8 + keyLength, end));
    at = end;
  }
  return at === bytes.length ? entries : new Map();
}

/** Write `entries` to `file` in the format readCache reads. */
function writeCache(file: string, current: string, entries: Map<string, Buffer>): void {
  const parts: Buffer[] = [MAGIC];
  for (const [key, data] of entries) {
    const head = Buffer.alloc(8);
    const name = Buffer.from(key);
    head.writeUInt32LE(name.length, 0);
    head.writeUInt32LE(data.length, 4);
    parts.push(head, name, data);
  }
  replaceCacheFile(file, Buffer.concat(parts), 'lazy-', current);
}

/**
 * Write `bytes` to the code cache file `file` whole or not at all, then drop
 * the caches of other builds: the names in its directory that start with
 * `family` but not with `current`. Failing is left for the next run to try
 * again (a read-only or full disk, no directory).
 */
export function replaceCacheFile(file: string, bytes: Uint8Array, family: string, current: string): void {
  const dir = dirname(file);
  const partial = `${file}.${process.pid}.tmp`;
  try {
    // Bounded: Node's recursive mkdir never returns under /proc.
    makeDirs(dir);
    writeFileSync(partial, bytes, { mode: 0o600 });
    renameSync(partial, file);
    for (const name of readdirSync(dir)) {
      if (name.startsWith(family) && !name.startsWith(current)) rmSync(join(dir, name), { force: true });
    }
  } catch {
    try {
      rmSync(partial, { force: true });
    } catch {
      /* nothing was written */
    }
  }
}
