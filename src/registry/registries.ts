import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Config } from '../config.js';
import { NephoError, messageOf } from '../errors.js';
import { removePath, writeFileAtomicSync } from '../fs.js';
import type { NephoHome } from '../home.js';
import { printableUrl } from '../output.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { RegistryCloudlet } from './format.js';
import { IndexFile } from './index-file.js';
import { SCORES, SearchIndex, SearchIndexBuilder } from './search-index.js';
import { DamagedCacheError, peekFooter } from './store.js';
import { trustsCache } from './signing.js';

/** The name of the registry that ships inside nepho. */
export const BUILTIN = 'builtin';

/** Where the built-in registry's index is: built into `dist/builtin` by `npm run build`. */
export const BUILTIN_URL = pathToFileURL(join(PACKAGE_ROOT, 'dist', 'builtin', 'index.json')).toString();

/** A registry nepho reads from: the built-in one, then those in config.yaml. */
export interface RegistrySource {
  name: string;
  url: string;
  builtin: boolean;
  /** The pinned public key, for a signed registry from config.yaml (the built-in one's ships with it: see signing.ts). */
  key?: string;
  /** Added unsigned on purpose. */
  allowUnsigned?: boolean;
}

/** What nepho needs from its caller to read registries. */
export interface RegistryContext {
  home: NephoHome;
  config: Config;
  /** Told about bad entries and about falling back to a cached copy. */
  warn: (message: string) => void;
  /** Now, in milliseconds (tests may pin it). */
  now?: () => number;
}

/** How a registry's cached copy stands after `syncRegistry`. */
export interface RegistryState {
  source: RegistrySource;
  /** `fetched`: downloaded and indexed now; `current`: the server said it has not changed (or sent the same document), or the cache is within its TTL; `offline`: the server could not be reached and the cache is used. */
  state: 'fetched' | 'current' | 'offline' | 'unavailable';
  /** When the cached copy was last confirmed current (ISO). */
  checkedAt?: string;
  /** How many cloudlets the cached copy lists. */
  count?: number;
  /** Why the registry is unavailable or offline. */
  error?: NephoError;
}

/**
 * Cached copies live in a folder named for their format: a nepho that
 * changes the format changes the name, and the folders of earlier formats
 * are never read (a registry is fetched again, once, and its old folder
 * removed). See docs/performance.md.
 */
export const CACHE_FOLDER = 'registries-v3';
/** Folders of earlier formats, removed as each registry is fetched into the current one. */
export const EARLIER_FOLDERS = ['registries'];

/** The files of a cached copy besides its meta file: the index, and the search file derived from it. */
export const INDEX_FILE = 'index.bin';
/** See INDEX_FILE. */
export const SEARCH_FILE = 'search.bin';

/** What is compared to tell that a `file://` index has not changed since it was read, without reading it. */
export interface LocalFileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** A cached copy's meta file: written last, it is what says the copy is complete. */
export interface CacheMeta {
  url: string;
  etag?: string;
  checkedAt: number;
  count: number;
  /** sha256 of the index document as it was downloaded: the same document is not indexed again. */
  digest: string;
  /** Written into the footer of each file of the copy: a file of another copy is not used with this one. */
  generation: string;
  /** The size of each file as written. */
  sizes: Record<typeof INDEX_FILE | typeof SEARCH_FILE, number>;
  /** For a `file://` registry: the index file's stamp when it was last read. */
  file?: LocalFileStamp;
}

/** The built-in registry first, then the configured ones in order: the first that lists a name wins. */
export function registrySources(config: Config): RegistrySource[] {
  return [{ name: BUILTIN, url: BUILTIN_URL, builtin: true }, ...config.registries.map((r) => ({ ...r, builtin: false }))];
}

/** The folder of this format's cached copies. */
export function cacheRoot(home: NephoHome): string {
  return join(home.cache, CACHE_FOLDER);
}

/** The folder of one registry's cached copy. */
export function cacheDir(home: NephoHome, name: string): string {
  return join(cacheRoot(home), name);
}

/** A cache's meta file: `meta` when it reads well, `problem` when it is there but damaged. */
function loadMeta(dir: string): { meta?: CacheMeta; problem?: string } {
  let text: string;
  try {
    text = readFileSync(join(dir, 'meta.json'), 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? {} : { problem: messageOf(error) };
  }
  try {
    const meta = JSON.parse(text) as CacheMeta;
    if (
      typeof meta?.url === 'string' &&
      typeof meta.checkedAt === 'number' &&
      typeof meta.count === 'number' &&
      typeof meta.digest === 'string' &&
      typeof meta.generation === 'string' &&
      typeof meta.sizes === 'object' &&
      meta.sizes !== null
    ) {
      return { meta };
    }
  } catch {
    // reported below
  }
  return { problem: 'not valid JSON' };
}

/** Write a copy's meta file (atomically): the last step of writing a copy. */
export function writeMeta(dir: string, meta: CacheMeta): void {
  writeFileAtomicSync(join(dir, 'meta.json'), JSON.stringify(meta));
}

/**
 * What is wrong with a file of a cached copy, or undefined: missing, not the
 * size it was written with, or with a footer that is not its own (cheap: a
 * stat and one small read, done by every command). Damage inside is found
 * when it is read (store.ts).
 */
function fileDamage(dir: string, meta: CacheMeta, file: typeof INDEX_FILE | typeof SEARCH_FILE): string | undefined {
  const path = join(dir, file);
  const size = statSync(path, { throwIfNoEntry: false })?.size;
  if (size === undefined) return 'missing';
  if (size !== meta.sizes[file]) return `${size} bytes, ${meta.sizes[file]} written`;
  try {
    if (peekFooter(path, file === INDEX_FILE ? 'index' : 'search').generation !== meta.generation) return 'it belongs to another copy';
  } catch (error) {
    if (error instanceof DamagedCacheError) return error.reason;
    throw error;
  }
  return undefined;
}

/**
 * The cached copy of `source` that can be used, or undefined. Damage is
 * repaired where it can be re-derived: a search file is rebuilt from the
 * cached index, at once and without the network. A damaged index or meta
 * file makes the copy unusable: the caller fetches it again. Each repair is
 * warned about, naming the file.
 */
function usableCopy(source: RegistrySource, ctx: RegistryContext): CacheMeta | undefined {
  const dir = cacheDir(ctx.home, source.name);
  const label = `registry '${source.name}'`;
  const loaded = loadMeta(dir);
  if (loaded.problem) {
    ctx.warn(`${label}: cached copy damaged (${join(dir, 'meta.json')}: ${loaded.problem}); fetching it again`);
    return undefined;
  }
  let meta = loaded.meta;
  if (!meta || meta.url !== source.url) return undefined;
  let damage = { index: fileDamage(dir, meta, INDEX_FILE), search: fileDamage(dir, meta, SEARCH_FILE) };
  if (damage.index || damage.search) {
    // Another nepho may be writing a new copy (the files, then the meta file): look once more.
    const again = loadMeta(dir).meta;
    if (again && again.url === source.url && again.generation !== meta.generation) {
      meta = again;
      damage = { index: fileDamage(dir, meta, INDEX_FILE), search: fileDamage(dir, meta, SEARCH_FILE) };
    }
  }
  if (damage.index) {
    ctx.warn(`${label}: cached index damaged (${join(dir, INDEX_FILE)}: ${damage.index}); fetching it again`);
    return undefined;
  }
  if (damage.search) return rebuildSearch(source, ctx, meta, damage.search);
  return meta;
}

/**
 * Write the search file again from the cached index, warning that it was
 * damaged (`why`); returns the updated meta, or undefined (warned about) when
 * the index turns out damaged too and must be fetched again.
 */
function rebuildSearch(source: RegistrySource, ctx: RegistryContext, meta: CacheMeta, why: string): CacheMeta | undefined {
  const dir = cacheDir(ctx.home, source.name);
  const label = `registry '${source.name}'`;
  const path = join(dir, SEARCH_FILE);
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let index: IndexFile | undefined;
  let size: number;
  try {
    index = IndexFile.open(join(dir, INDEX_FILE));
    const builder = new SearchIndexBuilder();
    for (let r = 0; r < index.count; r++) builder.add(r, index.entryAt(r));
    size = builder.write(
      temp,
      Int32Array.from({ length: index.count }, (_, r) => r),
      meta.generation,
    );
    renameSync(temp, path);
  } catch (error) {
    void removePath(temp);
    if (!(error instanceof DamagedCacheError)) throw error;
    ctx.warn(`${label}: cached index damaged (${error.message}); fetching it again`);
    return undefined;
  } finally {
    index?.close();
  }
  const updated: CacheMeta = { ...meta, sizes: { ...meta.sizes, [SEARCH_FILE]: size } };
  writeMeta(dir, updated);
  ctx.warn(`${label}: cached search file damaged (${path}: ${why}); rebuilt from the cached index`);
  return updated;
}

/**
 * Make the cached copy of a registry current. Within the TTL nothing is
 * fetched (`file://` registries are always re-checked: it costs a stat). The
 * server is asked with the ETag of the copy held; a document with the digest
 * of the copy held is not indexed again. When the fetch fails, or the index
 * it brings is not valid, and a copy exists, that copy is used and the caller
 * is warned (not with `force`: a caller that asked for a refresh reports the
 * failure itself, from the returned state). A damaged copy is repaired or
 * fetched again first (see `usableCopy`). `fetchUrl` is the URL to fetch when
 * it differs from the one recorded (it carries credentials that are not
 * stored).
 */
export async function syncRegistry(source: RegistrySource, ctx: RegistryContext, force = false, fetchUrl = source.url): Promise<RegistryState> {
  const now = (ctx.now ?? Date.now)();
  const held = trustsCache(ctx.home, source) ? usableCopy(source, ctx) : undefined;
  const local = source.url.startsWith('file:');
  // A copy checked "in the future" (the clock was set back) is not fresh: it would never expire.
  if (held && !force && !local && now >= held.checkedAt && now - held.checkedAt < ctx.config.registryTtl * 1000) {
    return { source, state: 'current', checkedAt: new Date(held.checkedAt).toISOString(), count: held.count };
  }
  if (held && !force && local && sameLocalFile(held, source.url)) {
    return { source, state: 'current', checkedAt: new Date(now).toISOString(), count: held.count };
  }
  // Asking the server, and indexing what it sends, load only when there is something to ask.
  const { refreshRegistry } = await import('./refresh.js');
  return refreshRegistry(source, ctx, { held, now, force, fetchUrl });
}

/**
 * Whether a `file://` registry's index is the file the held copy was read
 * from, unchanged: same inode, size, and modification and change times. A
 * write changes the change time whatever the modification time is set back
 * to; anything else reads the file again and compares its digest.
 */
function sameLocalFile(held: CacheMeta, url: string): boolean {
  const now = localFileStamp(url);
  return now !== undefined && sameStamp(held.file, now);
}

/** Whether a recorded stamp of a local index is `now`'s. */
export function sameStamp(recorded: LocalFileStamp | undefined, now: LocalFileStamp): boolean {
  return (
    recorded !== undefined && recorded.ino === now.ino && recorded.size === now.size && recorded.mtimeMs === now.mtimeMs && recorded.ctimeMs === now.ctimeMs
  );
}

/** What `sameLocalFile` compares, for a `file://` URL; undefined when the file cannot be stat'ed (the fetch then says why). */
export function localFileStamp(url: string): LocalFileStamp | undefined {
  try {
    const st = statSync(fileURLToPath(url), { throwIfNoEntry: false });
    return st && { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
  } catch {
    return undefined;
  }
}

/**
 * Sync every registry; one that fails does not stop the others (its state says
 * why). Falling back to a cached copy is warned about, except with `force`.
 */
export async function syncAll(ctx: RegistryContext, force = false): Promise<RegistryState[]> {
  return Promise.all(registrySources(ctx.config).map((source) => syncRegistry(source, ctx, force)));
}

/** What is known of a registry's cached copy, without touching the network. */
export function cachedState(home: NephoHome, source: RegistrySource): { count?: number; checkedAt?: string } {
  const meta = loadMeta(cacheDir(home, source.name)).meta;
  if (!meta || meta.url !== source.url) return {};
  return { count: meta.count, checkedAt: new Date(meta.checkedAt).toISOString() };
}

/** Drop a registry's cached copy (after `registry:remove`), and any a nepho of an earlier format left. */
export async function dropCache(home: NephoHome, name: string): Promise<void> {
  await removePath(cacheDir(home, name));
  for (const folder of EARLIER_FOLDERS) await removePath(join(home.cache, folder, name));
}

/**
 * Run `read` on a registry's cached copy. When the copy turns out damaged
 * inside (a block that does not match its checksum), repair it as
 * `usableCopy` would (the search file rebuilt from the index, a damaged index
 * fetched again), warning about it, and read once more: a damaged copy never
 * gives an answer. Undefined when the copy could not be had again (warned
 * about: its cloudlets are left out).
 */
async function readRepairing<T>(ctx: RegistryContext, state: RegistryState, read: () => T): Promise<T | undefined> {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof DamagedCacheError)) throw error;
    const { source } = state;
    const dir = cacheDir(ctx.home, source.name);
    const meta = loadMeta(dir).meta;
    let repaired = false;
    if (meta && error.file === join(dir, SEARCH_FILE)) repaired = rebuildSearch(source, ctx, meta, error.reason) !== undefined;
    else ctx.warn(`registry '${source.name}': cached index damaged (${error.message}); fetching it again`);
    if (!repaired) {
      // Without its meta file the copy is not used: it is fetched whole, without its ETag.
      await removePath(join(dir, 'meta.json'));
      const again = await syncRegistry(source, ctx);
      if (again.state === 'unavailable') {
        ctx.warn(`${again.error?.message ?? `registry '${source.name}' is unavailable`}; its cloudlets are left out`);
        return undefined;
      }
    }
    try {
      return read();
    } catch (second) {
      if (!(second instanceof DamagedCacheError)) throw second;
      throw new NephoError('REGISTRY_CACHE', `registry '${source.name}': cached copy unreadable (${second.message})`, {
        hint: `check the disk; nepho registry:remove ${source.name} and registry:add it again if this persists`,
      });
    }
  }
}

/** A registry's index file, or a DamagedCacheError. */
function openIndex(home: NephoHome, name: string): IndexFile {
  return IndexFile.open(join(cacheDir(home, name), INDEX_FILE));
}

/** A cloudlet found in a registry. */
export interface Found {
  registry: RegistrySource;
  cloudlet: RegistryCloudlet;
}

/**
 * Find `owner/name` across registries, in their order. Registries that could
 * not be read are reported in the not-found error, since the name may be there.
 * Only the entry itself is read from each cached index.
 */
export async function findCloudlet(ctx: RegistryContext, states: RegistryState[], id: string): Promise<Found> {
  for (const state of states) {
    if (state.state === 'unavailable') continue;
    const cloudlet = await readRepairing(ctx, state, () => {
      const index = openIndex(ctx.home, state.source.name);
      try {
        return index.find(id);
      } finally {
        index.close();
      }
    });
    if (cloudlet) return { registry: state.source, cloudlet };
  }
  throw cloudletNotFound(states, id);
}

/** Every `owner/name` whose name is `name`, across the readable registries (each id once, the first registry's). */
export async function findNamed(ctx: RegistryContext, states: RegistryState[], name: string): Promise<Found[]> {
  const matches = new Map<string, Found>();
  for (const state of states) {
    if (state.state === 'unavailable') continue;
    const found = await readRepairing(ctx, state, () => {
      const index = openIndex(ctx.home, state.source.name);
      try {
        return index.idsNamed(name).map((id) => index.find(id)!);
      } finally {
        index.close();
      }
    });
    for (const cloudlet of found ?? []) if (!matches.has(cloudlet.id)) matches.set(cloudlet.id, { registry: state.source, cloudlet });
  }
  return [...matches.values()];
}

/** The error for a name no readable registry lists, naming the registries that could not be read. */
export function cloudletNotFound(states: RegistryState[], id: string): NephoError {
  const down = states.filter((s) => s.state === 'unavailable').map((s) => `'${s.source.name}' (${s.error?.message ?? 'unavailable'})`);
  return new NephoError('CLOUDLET_NOT_FOUND', `unknown cloudlet '${id}': no registry lists it`, {
    hint: down.length > 0 ? `these registries could not be read: ${down.join('; ')}` : 'try nepho cloudlet:search',
  });
}

/** One search result. */
export interface SearchHit {
  id: string;
  latest: string;
  summary: string;
  registry: string;
  score: number;
}

/** Hits in rank order: which registry (an index into the result's), which entry, what score. */
interface Ranked {
  regs: Int32Array;
  entries: Int32Array;
  scores: Int32Array;
}

/**
 * The hits of a search, in rank order, read from the registries' search
 * files as they are shown: `hit(i)` for one, `writeTable` for many.
 */
export class SearchResult {
  /** How many hits. */
  readonly length: number;

  constructor(
    private readonly indexes: SearchIndex[],
    private readonly names: string[],
    private readonly ranked: Ranked,
    limit: number,
  ) {
    this.length = Math.min(ranked.entries.length, limit);
  }

  /** The hit at rank `i`. */
  hit(i: number): SearchHit {
    const r = this.ranked.regs[i]!;
    return { ...this.indexes[r]!.shown(this.ranked.entries[i]!), registry: this.names[r]!, score: this.ranked.scores[i]! };
  }

  /**
   * The length of the longest id among the hits. A registry's few hits give
   * their own ids (their records are read to be shown anyway); many read its
   * table of id lengths.
   */
  idWidth(): number {
    const { regs, entries } = this.ranked;
    let width = 0;
    for (let r = 0; r < this.indexes.length; r++) {
      const index = this.indexes[r]!;
      let hits = 0;
      for (let i = 0; i < this.length; i++) if (regs[i] === r) hits++;
      const lengths = hits > Math.max(16, index.count / 64) ? index.idLengths() : undefined;
      for (let i = 0; i < this.length; i++) {
        if (regs[i] !== r) continue;
        width = Math.max(width, lengths ? lengths[entries[i]!]! : index.idAt(entries[i]!).length);
      }
    }
    return width;
  }

  /**
   * Every hit as a line of a plain table, `id` padded to `width`, then
   * ` - summary (vLATEST)`, handed to `write` a quarter of a megabyte at a
   * time. `write` must be done with a chunk when it returns (written out,
   * or copied): the same buffer holds the next one, so memory stays flat
   * however many hits are printed.
   */
  writeTable(width: number, write: (chunk: Buffer) => void): void {
    const { regs, entries } = this.ranked;
    let out = Buffer.allocUnsafe(256 * 1024);
    let at = 0;
    let i = 0;
    while (i < this.length) {
      let run = i + 1;
      while (run < this.length && regs[run] === regs[i]) run++;
      const index = this.indexes[regs[i]!]!;
      while (i < run) {
        at = index.tableLines(entries, i, run, width, out, at);
        if (index.stopped === i && at === 0) out = Buffer.allocUnsafe(out.length * 2); // one line larger than the buffer
        i = index.stopped;
        if (i < run) {
          write(out.subarray(0, at));
          at = 0;
        }
      }
    }
    if (at > 0) write(out.subarray(0, at));
  }

  /** Release the search files. */
  close(): void {
    for (const index of this.indexes) index.close();
  }
}

/**
 * Ranked search: every term must match somewhere; a match in the name counts
 * most, then keywords, then summary, then description (see termScore). Each
 * registry's search file answers for it, reading only what the terms need; a
 * name an earlier registry lists is never shown from a later one. Hits are
 * ordered by score, then by id.
 */
export async function search(ctx: RegistryContext, states: RegistryState[], terms: string[], limit = Infinity): Promise<SearchResult> {
  const wanted = terms.map((t) => t.toLowerCase()).filter((t) => t !== '');
  const indexes: SearchIndex[] = [];
  const names: string[] = [];
  const lists: Ranked[] = [];
  // No entry holds a newline, so such a term matches nothing.
  if (wanted.some((t) => t.includes('\n')))
    return new SearchResult(indexes, names, { regs: new Int32Array(0), entries: new Int32Array(0), scores: new Int32Array(0) }, limit);
  for (const state of states) {
    if (state.state === 'unavailable') continue;
    const found = await readRepairing(ctx, state, () => {
      const index = SearchIndex.open(join(cacheDir(ctx.home, state.source.name), SEARCH_FILE));
      try {
        const ranked = withoutShadowed(index, indexes, rankIn(index, indexes.length, wanted));
        // Hits are checked now, not as they are printed: a damaged block is repaired before anything is shown.
        index.checkShown(ranked.entries);
        return { index, ranked };
      } catch (error) {
        index.close();
        throw error;
      }
    });
    if (!found) continue;
    indexes.push(found.index);
    names.push(state.source.name);
    lists.push(found.ranked);
  }
  const merged = lists.reduce((a, b) => mergeRanked(indexes, a, b), { regs: new Int32Array(0), entries: new Int32Array(0), scores: new Int32Array(0) });
  return new SearchResult(indexes, names, merged, limit);
}

/**
 * `ranked` without the hits an earlier registry also lists (the earlier
 * entry is the one describe and install use). Whichever way reads fewer
 * ids: each hit looked up in the earlier registries (a rare term, beside
 * registries of any size), or every entry of the earlier registries looked
 * up in this one (a broad term, beside small registries).
 */
function withoutShadowed(index: SearchIndex, earlier: SearchIndex[], ranked: Ranked): Ranked {
  const hits = ranked.entries.length;
  if (earlier.length === 0 || hits === 0) return ranked;
  let earlierEntries = 0;
  let perHit = 0;
  for (const other of earlier) {
    earlierEntries += other.count;
    perHit += Math.log2(other.count + 1);
  }
  let shadowed: (e: number) => boolean;
  if (hits * perHit <= earlierEntries * Math.log2(index.count + 1)) {
    shadowed = (e) => {
      const id = index.idAt(e, true);
      return earlier.some((other) => other.find(id) >= 0);
    };
  } else {
    const mask = new Uint8Array(index.count);
    for (const other of earlier) {
      for (let e = 0; e < other.count; e++) {
        const found = index.find(other.idAt(e));
        if (found >= 0) mask[found] = 1;
      }
    }
    shadowed = (e) => mask[e] === 1;
  }
  let kept = 0;
  for (let i = 0; i < hits; i++) {
    if (shadowed(ranked.entries[i]!)) continue;
    ranked.regs[kept] = ranked.regs[i]!;
    ranked.entries[kept] = ranked.entries[i]!;
    ranked.scores[kept++] = ranked.scores[i]!;
  }
  if (kept === hits) return ranked;
  return { regs: ranked.regs.subarray(0, kept), entries: ranked.entries.subarray(0, kept), scores: ranked.scores.subarray(0, kept) };
}

/**
 * The hits of `wanted` in one registry's search file, ranked (a counting
 * sort: scores are few, entries are in order of id). When a term was found
 * from postings, only the entries it matches can be hits: the rarest such
 * term names the entries looked at, in order of id, instead of every entry.
 */
function rankIn(index: SearchIndex, reg: number, wanted: string[]): Ranked {
  const n = index.count;
  const found = wanted.map((term) => index.matches(term));
  const classes = found.map((f) => f.classes);
  let fewest: Int32Array | undefined;
  for (const f of found) if (f.entries && (!fewest || f.entries.length < fewest.length)) fewest = f.entries;
  // Entries to look at, ascending; a candidate list is sorted and its repeats skipped below.
  const candidates = fewest ? Int32Array.from(fewest).sort() : undefined;
  const looked = candidates ? candidates.length : n;
  const top = 1000 * wanted.length;
  const totals = new Int32Array(looked);
  const counts = new Int32Array(top + 1);
  let hits = 0;
  entries: for (let i = 0; i < looked; i++) {
    const e = candidates ? candidates[i]! : i;
    totals[i] = -1;
    if (candidates && i > 0 && candidates[i - 1] === e) continue;
    let total = 0;
    for (const c of classes) {
      const k = c[e]!;
      if (k === 0) continue entries;
      total += SCORES[k]!;
    }
    totals[i] = total;
    counts[total]!++;
    hits++;
  }
  // With no terms every entry is a hit of score 0, in order of id.
  const entriesOut = new Int32Array(hits);
  const scores = new Int32Array(hits);
  const next = new Int32Array(top + 1);
  for (let t = top, at = 0; t >= 0; t--) {
    next[t] = at;
    at += counts[t]!;
  }
  for (let i = 0; i < looked; i++) {
    if (totals[i]! < 0) continue;
    const at = next[totals[i]!]!++;
    entriesOut[at] = candidates ? candidates[i]! : i;
    scores[at] = totals[i]!;
  }
  return { regs: new Int32Array(hits).fill(reg), entries: entriesOut, scores };
}

/**
 * Two ranked lists as one: by score, then by id. A short list is placed into
 * a long one by binary search, reading few ids; two long ones are merged
 * reading each id once.
 */
function mergeRanked(indexes: SearchIndex[], a: Ranked, b: Ranked): Ranked {
  if (a.entries.length < b.entries.length) [a, b] = [b, a];
  const m = a.entries.length;
  const k = b.entries.length;
  if (k === 0) return a;
  const out: Ranked = { regs: new Int32Array(m + k), entries: new Int32Array(m + k), scores: new Int32Array(m + k) };
  let at = 0;
  const take = (from: Ranked, i: number) => {
    out.regs[at] = from.regs[i]!;
    out.entries[at] = from.entries[i]!;
    out.scores[at++] = from.scores[i]!;
  };
  const id = (from: Ranked, i: number) => indexes[from.regs[i]!]!.idAt(from.entries[i]!, true);
  // Whether hit i of x comes before hit j of y.
  const before = (x: Ranked, i: number, xId: string, y: Ranked, j: number) => x.scores[i]! > y.scores[j]! || (x.scores[i] === y.scores[j] && xId < id(y, j));
  let i = 0;
  if (k * Math.log2(m + 1) < m + k) {
    for (let j = 0; j < k; j++) {
      const bId = id(b, j);
      // The first hit of a from i that b's hit comes before.
      let lo = i;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (before(b, j, bId, a, mid)) hi = mid;
        else lo = mid + 1;
      }
      while (i < lo) take(a, i++);
      take(b, j);
    }
  } else {
    let j = 0;
    while (i < m && j < k) {
      if (before(b, j, id(b, j), a, i)) take(b, j++);
      else take(a, i++);
    }
    while (j < k) take(b, j++);
  }
  while (i < m) take(a, i++);
  return out;
}

/** Text for a registry URL safe to print. */
export function shownUrl(source: RegistrySource): string {
  return printableUrl(source.url);
}
