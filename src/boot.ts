/**
 * Loads the start-up bundle (dist/cli.cjs) through a code cache, so that the
 * second and later runs of nepho skip compiling it: about a fifth of a bare
 * `node -e 0` on every command. Which cache depends on the running Node;
 * docs/performance.md ("Code caches") is the one description of both:
 *
 * - Node with `module.enableCompileCache` (22.1 and later): Node's own cache,
 *   switched on here, and the bundle required as a plain CommonJS module.
 * - Node 20: a V8 code cache made by hand. nepho compiles the bundle with
 *   `vm.Script`, hands V8 the cache it wrote last time, and writes one when
 *   there was none or V8 refused it (another Node version, another build).
 *   Kept only while nepho supports a Node without the built-in one. What the
 *   commands load on demand (dist/lazy) comes through the same kind of
 *   cache, one file per command word (src/lazy-modules.ts); under Node's own
 *   cache, Node requires those modules itself.
 *
 * Both live in `$NEPHO_HOME/cache/compile`, the user's own directory: V8
 * runs cached bytecode as it is, so it must not come from a directory that
 * others can write to. Failing to read or write a cache never fails a command.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { homeRefused, makeDirs, nephoHome } from './home.js';
import { compileWrapped, LazyModules, lazyCacheFile, readStamped, replaceCacheFile } from './lazy-modules.js';

/** The content hash of dist/cli.cjs and dist/lazy, written in by scripts/bundle.js: a cache belongs to exactly one build. */
declare const NEPHO_BUILD_ID: string | undefined;
const BUILD_ID = typeof NEPHO_BUILD_ID === 'string' ? NEPHO_BUILD_ID : 'unbuilt';

/** What dist/cli.cjs exports (src/cli.ts). */
export interface CliModule {
  run(argv: string[]): Promise<void>;
  isCommandWord(word: string): boolean;
}

/** The directory code caches are kept in. */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(nephoHome(env).cache, 'compile');
}

/**
 * Which cache a command line uses: one per command word (`cloudlet:list`, or
 * `cloudlet` of the space form), so that each holds the functions its command
 * compiled; `help` for the general help. Undefined for anything else: no
 * cache is read or written for a word that is not a command.
 */
export function cacheSlot(argv: readonly string[]): string | undefined {
  const word = argv[0];
  if (word === undefined || word === '-h' || word === '--help') return 'help';
  return /^[a-z][a-z0-9-]{0,30}(:[a-z][a-z0-9-]{0,30})?$/.test(word) ? word : undefined;
}

/**
 * The cache file for `slot`, for this build of the bundle as it is on disk
 * (`stamp`: its size and modification time, so a bundle edited in place is
 * never run from the code of its former self), on this Node and architecture.
 */
export function compileCacheFile(dir: string, stamp: string, slot: string): string {
  return join(dir, `cli-${BUILD_ID}-${stamp}-${process.version}-${process.arch}-${slot.replace(':', '.')}.bin`);
}

/**
 * What the loader uses of `node:module`: `createRequire`, and the switch of
 * Node's own compile cache, `enableCompileCache`, which exists from Node 22.1
 * (a parameter so that tests on Node 20 can hand in one that has it).
 */
export interface CompileCacheSwitch {
  enableCompileCache?: (directory?: string) => unknown;
  createRequire?: (path: string) => NodeJS.Require;
}

/**
 * This Node's `node:module` (the types are Node 20's). The executable hands
 * in its own module's constructor, which is the same object: asking for
 * `node:module` by name costs a third of a millisecond on every run.
 */
function thisNode(): CompileCacheSwitch {
  return process.getBuiltinModule('node:module') as CompileCacheSwitch;
}

/**
 * Switch Node's own compile cache on in `dir`, where Node has one. `absent`:
 * this Node has none, the hand-made cache is used. `no-directory`: `dir` does
 * not exist yet, and the cache stays off for this run, because Node would
 * create it at once, before the command has judged whether the home can be
 * written to, and its recursive mkdir never returns under /proc. `enabled`:
 * asked for (Node still declines when NODE_DISABLE_COMPILE_CACHE is set, and
 * keeps the directory NODE_COMPILE_CACHE names when that is).
 */
export function startNodeCompileCache(dir: string, node: CompileCacheSwitch = thisNode()): 'absent' | 'no-directory' | 'enabled' {
  if (typeof node.enableCompileCache !== 'function') return 'absent';
  if (!isDirectory(dir)) return 'no-directory';
  node.enableCompileCache(dir);
  return 'enabled';
}

/** Load the start-up bundle at `file` to run `argv`, through a code cache. */
export function loadCli(file: string, argv: readonly string[], node: CompileCacheSwitch = thisNode()): CliModule {
  const dir = compileCacheDir();
  const slot = cacheSlot(argv);
  const known = (cli: CliModule) => slot === 'help' || (slot !== undefined && cli.isCommandWord(slot));
  const nodeCache = startNodeCompileCache(dir, node);
  const requireFrom = (path: string) => (node.createRequire ?? (thisNode().createRequire as (path: string) => NodeJS.Require))(path);
  if (nodeCache !== 'absent') {
    const cli = requireFrom(file)(file) as CliModule;
    if (nodeCache === 'no-directory' && known(cli)) {
      // Made when the command is done, as the hand-made cache is: the next run caches.
      process.once('exit', () => {
        if (!homeRefused()) makeCacheDir(dir);
      });
    }
    return cli;
  }

  // A bundle replaced while it is read runs with no cache at all.
  const { text, stamp } = readStamped(file);
  const cacheFile = slot === undefined || stamp === undefined ? undefined : compileCacheFile(dir, stamp, slot);
  let cachedData: Buffer | undefined;
  try {
    if (cacheFile) cachedData = readFileSync(cacheFile);
  } catch {
    /* none yet */
  }
  // Node's own CommonJS wrapper, plus the import() and the require() of on-demand modules the bundle calls (see scripts/bundle.js).
  const params = 'exports, require, module, __filename, __dirname, __nephoImport, __nephoRequire';
  const script = compileWrapped(file, params, text, cachedData);
  const module = { exports: {} as CliModule };
  // What the commands import on demand: dist/lazy's modules, through a code cache of their own (src/lazy-modules.ts).
  const lazy = new LazyModules({
    root: dirname(file),
    current: `lazy-${BUILD_ID}-`,
    file: () => (slot !== undefined && stamp !== undefined && known(module.exports) ? lazyCacheFile(dir, BUILD_ID, slot) : undefined),
    createRequire: (path) => requireFrom(path),
  });
  const importFromBundle = (specifier: string): Promise<unknown> => lazy.import(dirname(file), specifier);
  const requireFromBundle = (specifier: string): unknown => lazy.load(resolve(dirname(file), specifier));
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    requireFrom(file),
    module,
    file,
    dirname(file),
    importFromBundle,
    requireFromBundle,
  );
  if (cacheFile && known(module.exports) && (cachedData === undefined || script.cachedDataRejected === true)) {
    // Written when the command is done, so the cache holds every function it compiled; not
    // into a home the command refused as unusable, which is left as it was found.
    process.once('exit', () => {
      if (!homeRefused()) replaceCacheFile(cacheFile, script.createCachedData(), 'cli-', `cli-${BUILD_ID}-${stamp}-`);
    });
  }
  return module.exports;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false;
  }
}

/** Create the cache directory, or leave it for another run: a cache is never worth failing for. */
function makeCacheDir(dir: string): void {
  try {
    // Bounded: Node's recursive mkdir never returns under /proc.
    makeDirs(dir);
  } catch {
    /* the next run tries again */
  }
}
