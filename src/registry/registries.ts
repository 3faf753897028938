import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../config.js';
import { NephoError, isNephoError, messageOf } from '../errors.js';
import { removePath, writeFileAtomicSync } from '../fs.js';
import type { NephoHome } from '../home.js';
import { fetchBytes, printableUrl } from '../http.js';
import { PACKAGE_ROOT } from '../paths.js';
import { parseIndex, type RegistryCloudlet, type RegistryIndex } from './format.js';
import { commitTrust, trustsCache, vouchForIndex } from './signing.js';

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
  /** `fetched`: downloaded now; `current`: the server said it has not changed, or the cache is within its TTL; `offline`: the server could not be reached and the cache is used. */
  state: 'fetched' | 'current' | 'offline' | 'unavailable';
  /** When the cached copy was last confirmed current (ISO). */
  checkedAt?: string;
  /** How many cloudlets the cached copy lists. */
  count?: number;
  /** Why the registry is unavailable or offline. */
  error?: NephoError;
}

/** The size and sha256 of a cached file as it was written: what tells a damaged copy from a good one. */
interface FileCheck {
  size: number;
  sha256: string;
}

/** The files of a cached copy, each checked against `CacheMeta.files`. */
const CACHE_FILES = ['index.json', 'search.tsv'] as const;
type CacheFile = (typeof CACHE_FILES)[number];

interface CacheMeta {
  url: string;
  etag?: string;
  checkedAt: number;
  count: number;
  /** Absent from the meta files of an earlier nepho: their files are taken as they are. */
  files?: Record<CacheFile, FileCheck>;
}

/** The built-in registry first, then the configured ones in order: the first that lists a name wins. */
export function registrySources(config: Config): RegistrySource[] {
  return [
    { name: BUILTIN, url: BUILTIN_URL, builtin: true },
    ...config.registries.map((r) => ({ ...r, builtin: false })),
  ];
}

function cacheDir(home: NephoHome, name: string): string {
  return join(home.cache, 'registries', name);
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
    if (typeof meta?.url === 'string' && typeof meta.checkedAt === 'number' && typeof meta.count === 'number') return { meta };
  } catch {
    // reported below
  }
  return { problem: 'not valid JSON' };
}

function readMeta(dir: string): CacheMeta | undefined {
  return loadMeta(dir).meta;
}

function checkOf(data: Uint8Array): FileCheck {
  return { size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * What is wrong with each file of a cached copy: missing, or not the size it
 * was written with (a stat: cheap enough for every command), or with `deep`,
 * not the content (a checksum: for `registry:update`).
 */
function cacheDamage(dir: string, meta: CacheMeta, deep: boolean): Partial<Record<CacheFile, string>> {
  const damage: Partial<Record<CacheFile, string>> = {};
  if (!meta.files) return damage;
  for (const file of CACHE_FILES) {
    const want = meta.files[file];
    const path = join(dir, file);
    const size = statSync(path, { throwIfNoEntry: false })?.size;
    if (size === undefined) damage[file] = 'missing';
    else if (size !== want.size) damage[file] = `${size} bytes, ${want.size} written`;
    else if (deep && checkOf(readFileSync(path)).sha256 !== want.sha256) damage[file] = 'content does not match its checksum';
  }
  return damage;
}

/**
 * The cached copy of `source` that can be used, or undefined. Damage is
 * repaired where it can be re-derived: a search file is rebuilt from the
 * cached index, at once and without the network. A damaged index or meta
 * file makes the copy unusable: the caller fetches it again. Each repair is
 * warned about, naming the file.
 */
function usableCopy(source: RegistrySource, ctx: RegistryContext, deep: boolean): CacheMeta | undefined {
  const dir = cacheDir(ctx.home, source.name);
  const label = `registry '${source.name}'`;
  const loaded = loadMeta(dir);
  if (loaded.problem) {
    ctx.warn(`${label}: cached copy damaged (${join(dir, 'meta.json')}: ${loaded.problem}); fetching it again`);
    return undefined;
  }
  let meta = loaded.meta;
  if (!meta || meta.url !== source.url) return undefined;
  if (deep && !meta.files) {
    // An earlier nepho's copy has nothing to check it against: ask for it whole, without its ETag.
    const { etag: _unchecked, ...rest } = meta;
    return rest;
  }
  let damage = cacheDamage(dir, meta, deep);
  if (Object.keys(damage).length > 0) {
    // Another nepho may be writing a new copy (the index, the search file, then the meta file): look once more.
    const again = readMeta(dir);
    if (again && again.url === source.url && again.checkedAt !== meta.checkedAt) {
      meta = again;
      damage = cacheDamage(dir, meta, deep);
    }
  }
  if (damage['index.json']) {
    ctx.warn(`${label}: cached index damaged (${join(dir, 'index.json')}: ${damage['index.json']}); fetching it again`);
    return undefined;
  }
  if (damage['search.tsv']) {
    try {
      meta = rebuildSearchFile(dir, meta);
    } catch (error) {
      ctx.warn(`${label}: cached index damaged (${join(dir, 'index.json')}: ${messageOf(error)}); fetching it again`);
      return undefined;
    }
    ctx.warn(`${label}: cached search file damaged (${join(dir, 'search.tsv')}: ${damage['search.tsv']}); rebuilt from the cached index`);
  }
  return meta;
}

/** Write the search file again from the cached index (which must be intact); returns the updated meta. */
function rebuildSearchFile(dir: string, meta: CacheMeta): CacheMeta {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as RegistryIndex;
  const lines = Buffer.from(searchLines(index));
  writeFileAtomicSync(join(dir, 'search.tsv'), lines);
  const updated: CacheMeta = { ...meta, files: { ...meta.files!, 'search.tsv': checkOf(lines) } };
  writeFileAtomicSync(join(dir, 'meta.json'), JSON.stringify(updated));
  return updated;
}

/**
 * Make the cached copy of a registry current. Within the TTL nothing is
 * fetched (`file://` registries are always re-checked: it costs a stat). The
 * server is asked with the ETag of the copy held. When the fetch fails, or
 * the index it brings is not valid, and a copy exists, that copy is used and
 * the caller is warned (not with `force`: a caller that asked for a refresh
 * reports the failure itself, from the returned state). A damaged copy is
 * repaired or fetched again first (see `usableCopy`); with `force` its
 * checksums are compared too. `fetchUrl` is the URL to fetch when it differs
 * from the one recorded (it carries credentials that are not stored).
 */
export async function syncRegistry(source: RegistrySource, ctx: RegistryContext, force = false, fetchUrl = source.url): Promise<RegistryState> {
  const dir = cacheDir(ctx.home, source.name);
  const now = (ctx.now ?? Date.now)();
  const held = trustsCache(ctx.home, source) ? usableCopy(source, ctx, force) : undefined;
  const local = source.url.startsWith('file:');
  // A copy checked "in the future" (the clock was set back) is not fresh: it would never expire.
  if (held && !force && !local && now >= held.checkedAt && now - held.checkedAt < ctx.config.registryTtl * 1000) {
    return { source, state: 'current', checkedAt: new Date(held.checkedAt).toISOString(), count: held.count };
  }
  const fallBack = (error: NephoError): RegistryState => {
    if (!held) return { source, state: 'unavailable', error };
    if (!force) ctx.warn(`${error.message}; using the copy from ${new Date(held.checkedAt).toISOString()}`);
    return { source, state: 'offline', checkedAt: new Date(held.checkedAt).toISOString(), count: held.count, error };
  };

  let result;
  try {
    result = await fetchBytes(fetchUrl, {
      ...ctx.config.http,
      what: `registry '${source.name}'`,
      ...(held?.etag ? { etag: held.etag } : {}),
    });
  } catch (error) {
    if (!isNephoError(error)) throw error;
    return fallBack(error);
  }

  // Only a request that sent the held copy's ETag can be answered "not modified" (src/http.ts).
  if (result.status === 'not-modified') {
    const updated: CacheMeta = { ...held!, checkedAt: now };
    writeFileAtomicSync(join(dir, 'meta.json'), JSON.stringify(updated));
    return { source, state: 'current', checkedAt: new Date(now).toISOString(), count: held!.count };
  }

  const { etag } = result;
  let verdict;
  try {
    verdict = await vouchForIndex(source, ctx, result.body, fetchUrl);
  } catch (error) {
    if (!isNephoError(error)) throw error;
    return fallBack(error);
  }
  // Decoded, then the bytes let go before parsing: each is as large as the index.
  let text: string | undefined = result.body.toString('utf8');
  result = undefined;
  let parsed;
  try {
    parsed = parseIndex(text, source.name, source.url, ctx.config.http.maxBytes);
  } catch (error) {
    if (!isNephoError(error)) throw error;
    return fallBack(error);
  }
  text = undefined;
  const { index, warnings } = parsed;
  for (const warning of warnings) ctx.warn(warning);
  const count = Object.keys(index.cloudlets).length;
  mkdirSync(dir, { recursive: true });
  // Encoded once, for both the file and its checksum: each copy is as large as the index.
  const files = {} as Record<CacheFile, FileCheck>;
  for (const [file, content] of [['index.json', () => JSON.stringify(index)], ['search.tsv', () => searchLines(index)]] as const) {
    const bytes = Buffer.from(content());
    // The search file and the index first, the meta file last: it is what says the copy is complete.
    writeFileAtomicSync(join(dir, file), bytes);
    files[file] = checkOf(bytes);
  }
  const fresh: CacheMeta = { url: source.url, checkedAt: now, count, ...(etag ? { etag } : {}), files };
  writeFileAtomicSync(join(dir, 'meta.json'), JSON.stringify(fresh));
  commitTrust(ctx.home, source, verdict);
  return { source, state: 'fetched', checkedAt: new Date(now).toISOString(), count };
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
  const meta = readMeta(cacheDir(home, source.name));
  if (!meta || meta.url !== source.url) return {};
  return { count: meta.count, checkedAt: new Date(meta.checkedAt).toISOString() };
}

/** The cached, validated index of a registry that `syncRegistry` has made available. */
export function readCachedIndex(home: NephoHome, name: string): RegistryIndex {
  try {
    return JSON.parse(readFileSync(join(cacheDir(home, name), 'index.json'), 'utf8')) as RegistryIndex;
  } catch (error) {
    throw new NephoError('REGISTRY_CACHE', `registry '${name}': cached index unreadable (${messageOf(error)})`, {
      hint: 'run nepho registry:update',
    });
  }
}

/** Drop a registry's cached copy (after `registry:remove`). */
export async function dropCache(home: NephoHome, name: string): Promise<void> {
  await removePath(cacheDir(home, name));
}

/** A cloudlet found in a registry. */
export interface Found {
  registry: RegistrySource;
  cloudlet: RegistryCloudlet;
}

/**
 * Find `owner/name` across registries, in their order. Registries that could
 * not be read are reported in the not-found error, since the name may be there.
 */
export function findCloudlet(home: NephoHome, states: RegistryState[], id: string): Found {
  for (const state of states) {
    if (state.state === 'unavailable') continue;
    const cloudlet = readCachedIndex(home, state.source.name).cloudlets[id];
    if (cloudlet) return { registry: state.source, cloudlet };
  }
  throw cloudletNotFound(states, id);
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

/**
 * The first line of the search file, naming its format. Format 2 has one line per cloudlet:
 * `id\tlatest\tsummary\t` as shown, then the format-1 line (`id\tlatest\tkeywords\tsummary\tdescription`)
 * lowercased, which is what terms are matched against. Lines are in order of id, so that hits
 * come out nearly ranked. A file without this line is format 1, written by an earlier nepho: it
 * is upgraded when first searched.
 */
const SEARCH_HEADER = '#nepho-search 2\n';

/** The compact search file of an index (format 2, header included). */
function searchLines(index: RegistryIndex): string {
  const clean = (s: string | undefined) => (s ?? '').replace(/[\t\r\n]+/g, ' ');
  let out = SEARCH_HEADER;
  for (const c of Object.values(index.cloudlets).sort((a, b) => compareIds(a.id, b.id))) {
    out += searchLine(`${c.id}\t${c.versions[0]?.version ?? ''}\t${clean(c.keywords.join(' '))}\t${clean(c.summary)}\t${clean(c.description)}`);
  }
  return out;
}

/** The format-2 line (newline included) for a format-1 line. */
function searchLine(plain: string): string {
  const fields = plain.split('\t');
  return `${fields[0]}\t${fields[1] ?? ''}\t${fields[3] ?? ''}\t${plain.toLowerCase()}\n`;
}

/** A format-1 search file's text as format 2. */
function upgradeSearchText(text: string): string {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const idOf = (line: string) => {
    const tab = line.indexOf('\t');
    return tab < 0 ? line : line.slice(0, tab);
  };
  let out = SEARCH_HEADER;
  for (const line of lines.sort((a, b) => compareIds(idOf(a), idOf(b)))) out += searchLine(line);
  return out;
}

/** Order of ids in search results (UTF-16 code units, as `<` compares). */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const HEADER_BYTES = Buffer.from(SEARCH_HEADER);

/**
 * A registry's search file in format 2, or undefined when it has none. A
 * format-1 file is upgraded and written back, unless it changed meanwhile (a
 * registry update wrote a new one) or cannot be written (it is then upgraded
 * again on every search).
 */
function readSearchFile(dir: string): Buffer | undefined {
  const path = join(dir, 'search.tsv');
  let buf: Buffer;
  let before: Stats;
  try {
    const fd = openSync(path, 'r');
    try {
      before = fstatSync(fd);
      buf = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (buf.subarray(0, HEADER_BYTES.length).equals(HEADER_BYTES)) return buf;
  const upgraded = Buffer.from(upgradeSearchText(buf.toString('utf8')));
  try {
    const now = statSync(path);
    if (now.ino === before.ino && now.mtimeMs === before.mtimeMs && now.size === before.size) writeFileAtomicSync(path, upgraded);
  } catch {
    // Only a cache: searching works without writing it.
  }
  return upgraded;
}

/** Collects the hits of one registry's search file. */
interface Scan {
  registry: string;
  /** Lowercased, none empty. */
  wanted: string[];
  /** Ids an earlier registry lists: never shown from this one. */
  seen: Set<string>;
  hits: SearchHit[];
}

/** Add the format-2 `line` (no newline) to the hits if every term matches. */
function consider(scan: Scan, line: string): void {
  const t1 = line.indexOf('\t');
  const t2 = t1 < 0 ? -1 : line.indexOf('\t', t1 + 1);
  const t3 = t2 < 0 ? -1 : line.indexOf('\t', t2 + 1);
  if (t3 < 0) return;
  const score = matchScore(scan, line.slice(t3 + 1));
  const id = line.slice(0, t1);
  if (score === undefined || scan.seen.has(id)) return;
  scan.hits.push({ id, latest: line.slice(t1 + 1, t2), summary: line.slice(t2 + 1, t3), registry: scan.registry, score });
}

/** The score of a lowercased format-1 line if it is a hit (0 when there are no terms), else undefined. */
function matchScore(scan: Scan, lower: string): number | undefined {
  const { wanted } = scan;
  for (const term of wanted) if (!lower.includes(term)) return undefined;
  if (wanted.length === 0) return 0;
  const score = scoreLine(lower, wanted);
  return score > 0 ? score : undefined;
}

/**
 * Every line of a format-2 file (from `from`, after the header), adding each
 * id to `listed` when given. For the lists of earlier registries, and for
 * listing everything.
 */
function scanAll(scan: Scan, buf: Buffer, from: number, listed: string[] | undefined): void {
  const text = buf.toString('utf8', from);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    if (listed) {
      const tab = line.indexOf('\t');
      listed.push(tab < 0 ? line : line.slice(0, tab));
    }
    consider(scan, line);
    start = end + 1;
  }
}

/**
 * Only the lines of a format-2 file holding the longest term's bytes are
 * decoded and checked: UTF-8 keeps substrings, so no matching line is missed.
 * No term holds a newline (the caller checks).
 */
function scanMatching(scan: Scan, buf: Buffer, from: number): void {
  let needle = scan.wanted[0]!;
  for (const term of scan.wanted) if (Buffer.byteLength(term) > Buffer.byteLength(needle)) needle = term;
  const bytes = Buffer.from(needle);
  let pos = from;
  while (pos < buf.length) {
    const at = buf.indexOf(bytes, pos);
    if (at < 0) return;
    const start = Math.max(buf.lastIndexOf(NEWLINE, at) + 1, from);
    let end = buf.indexOf(NEWLINE, at);
    if (end < 0) end = buf.length;
    pos = end + 1;
    // The shown fields are decoded apart from the matched text, which is dropped at once: a
    // hit then holds a short string, not the whole line.
    const t1 = buf.indexOf(TAB, start);
    const t2 = t1 < 0 ? -1 : buf.indexOf(TAB, t1 + 1);
    const t3 = t2 < 0 ? -1 : buf.indexOf(TAB, t2 + 1);
    if (t3 < 0 || t3 >= end) continue;
    const score = matchScore(scan, buf.toString('utf8', t3 + 1, end));
    if (score === undefined) continue;
    const id = buf.toString('utf8', start, t1);
    if (scan.seen.has(id)) continue;
    const shown = buf.toString('utf8', t1 + 1, t3);
    const tab = shown.indexOf('\t');
    scan.hits.push({ id, latest: shown.slice(0, tab), summary: shown.slice(tab + 1), registry: scan.registry, score });
  }
}

const TAB = 0x09;
const NEWLINE = 0x0a;

/**
 * Ranked search: every term must match somewhere; a match in the name counts
 * most, then keywords, then summary, then description. Reads the compact
 * search file, so large indexes are searched without parsing their JSON.
 */
export function search(home: NephoHome, states: RegistryState[], terms: string[], limit = Infinity): SearchHit[] {
  const wanted = terms.map((t) => t.toLowerCase()).filter((t) => t !== '');
  // No line holds a newline, so such a term matches nothing.
  if (wanted.some((t) => t.includes('\n'))) return [];
  const hits: SearchHit[] = [];
  // Every id an earlier registry lists, matching or not: that registry's entry is the one
  // describe and install use, so a later registry's entry of the same name is never shown.
  const seen = new Set<string>();
  const readable = states.filter((s) => s.state !== 'unavailable');
  readable.forEach((state, n) => {
    const buf = readSearchFile(cacheDir(home, state.source.name));
    if (!buf) return;
    const scan: Scan = { registry: state.source.name, wanted, seen, hits };
    // Only needed to shadow the entries of a later registry.
    const listed: string[] | undefined = n < readable.length - 1 ? [] : undefined;
    if (listed || wanted.length === 0) scanAll(scan, buf, HEADER_BYTES.length, listed);
    else scanMatching(scan, buf, HEADER_BYTES.length);
    for (const id of listed ?? []) seen.add(id);
  });
  return rank(hits).slice(0, limit);
}

/**
 * Best score first, then by id. Sorting by score alone first (cheap, and
 * stable) leaves runs already in order of id, as each search file is: the
 * full sort then has little left to compare.
 */
function rank(hits: SearchHit[]): SearchHit[] {
  return hits.sort((a, b) => b.score - a.score).sort((a, b) => b.score - a.score || compareIds(a.id, b.id));
}

function scoreLine(line: string, terms: string[]): number {
  const [id = '', , keywords = '', summary = '', description = ''] = line.split('\t');
  const name = id.slice(id.indexOf('/') + 1);
  const words = keywords.split(' ');
  let total = 0;
  for (const term of terms) {
    let score = 0;
    if (name === term || id === term) score = 1000;
    else if (name.startsWith(term)) score = 600;
    else if (id.includes(term)) score = 400;
    else if (words.includes(term)) score = 100;
    else if (keywords.includes(term)) score = 60;
    else if (summary.includes(term)) score = 10;
    else if (description.includes(term)) score = 1;
    if (score === 0) return 0;
    total += score;
  }
  return total;
}

/** Text for a registry URL safe to print. */
export function shownUrl(source: RegistrySource): string {
  return printableUrl(source.url);
}
