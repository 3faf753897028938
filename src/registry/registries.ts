import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../config.js';
import { NephoError, isNephoError, messageOf } from '../errors.js';
import { removePath, writeFileAtomicSync } from '../fs.js';
import type { NephoHome } from '../home.js';
import { fetchText, printableUrl } from '../http.js';
import { PACKAGE_ROOT } from '../paths.js';
import { parseIndex, type RegistryCloudlet, type RegistryIndex } from './format.js';

/** The name of the registry that ships inside nepho. */
export const BUILTIN = 'builtin';

/** Where the built-in registry's index is: built into `dist/builtin` by `npm run build`. */
export const BUILTIN_URL = pathToFileURL(join(PACKAGE_ROOT, 'dist', 'builtin', 'index.json')).toString();

/** A registry nepho reads from: the built-in one, then those in config.yaml. */
export interface RegistrySource {
  name: string;
  url: string;
  builtin: boolean;
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

interface CacheMeta {
  url: string;
  etag?: string;
  checkedAt: number;
  count: number;
}

/** The built-in registry first, then the configured ones in order: the first that lists a name wins. */
export function registrySources(config: Config): RegistrySource[] {
  return [
    { name: BUILTIN, url: BUILTIN_URL, builtin: true },
    ...config.registries.map((r) => ({ name: r.name, url: r.url, builtin: false })),
  ];
}

function cacheDir(home: NephoHome, name: string): string {
  return join(home.cache, 'registries', name);
}

function readMeta(dir: string): CacheMeta | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as CacheMeta;
  } catch {
    return undefined;
  }
}

/**
 * Make the cached copy of a registry current. Within the TTL nothing is
 * fetched (`file://` registries are always re-checked: it costs a stat). The
 * server is asked with the ETag of the copy held. When the network fails and a
 * copy exists, that copy is used and the caller is warned (not with `force`:
 * a caller that asked for a refresh reports the failure itself, from the
 * returned state); an index that is not valid leaves the previous copy in
 * place and throws.
 */
export async function syncRegistry(source: RegistrySource, ctx: RegistryContext, force = false): Promise<RegistryState> {
  const dir = cacheDir(ctx.home, source.name);
  const now = (ctx.now ?? Date.now)();
  const meta = readMeta(dir);
  const held = meta && meta.url === source.url ? meta : undefined;
  const local = source.url.startsWith('file:');
  // A copy checked "in the future" (the clock was set back) is not fresh: it would never expire.
  if (held && !force && !local && now >= held.checkedAt && now - held.checkedAt < ctx.config.registryTtl * 1000) {
    return { source, state: 'current', checkedAt: new Date(held.checkedAt).toISOString(), count: held.count };
  }

  let result;
  try {
    result = await fetchText(source.url, {
      ...ctx.config.http,
      what: `registry '${source.name}'`,
      ...(held?.etag ? { etag: held.etag } : {}),
    });
  } catch (error) {
    if (!isNephoError(error)) throw error;
    if (held) {
      if (!force) ctx.warn(`${error.message}; using the copy from ${new Date(held.checkedAt).toISOString()}`);
      return { source, state: 'offline', checkedAt: new Date(held.checkedAt).toISOString(), count: held.count, error };
    }
    return { source, state: 'unavailable', error };
  }

  if (result.status === 'not-modified' && held) {
    const updated: CacheMeta = { ...held, checkedAt: now };
    writeFileAtomicSync(join(dir, 'meta.json'), JSON.stringify(updated));
    return { source, state: 'current', checkedAt: new Date(now).toISOString(), count: held.count };
  }
  if (result.status === 'not-modified') {
    // We sent no ETag, so a 304 has nothing to refer to.
    throw new NephoError('REGISTRY_INVALID', `registry '${source.name}': ${shownUrl(source)} answered 304 to an unconditional request`);
  }

  const { index, warnings } = parseIndex(result.body, source.name, source.url);
  for (const warning of warnings) ctx.warn(warning);
  const count = Object.keys(index.cloudlets).length;
  mkdirSync(dir, { recursive: true });
  // The search file and the index first, the meta file last: it is what says the copy is complete.
  writeFileAtomicSync(join(dir, 'index.json'), JSON.stringify(index));
  writeFileAtomicSync(join(dir, 'search.tsv'), searchLines(index));
  const fresh: CacheMeta = { url: source.url, checkedAt: now, count, ...(result.etag ? { etag: result.etag } : {}) };
  writeFileAtomicSync(join(dir, 'meta.json'), JSON.stringify(fresh));
  return { source, state: 'fetched', checkedAt: new Date(now).toISOString(), count };
}

/**
 * Sync every registry; one that fails does not stop the others (its state says
 * why). Falling back to a cached copy is warned about, except with `force`.
 */
export async function syncAll(ctx: RegistryContext, force = false): Promise<RegistryState[]> {
  return Promise.all(
    registrySources(ctx.config).map((source) =>
      syncRegistry(source, ctx, force).catch((error: unknown): RegistryState => {
        if (!isNephoError(error)) throw error;
        const dir = cacheDir(ctx.home, source.name);
        const held = readMeta(dir);
        if (held && held.url === source.url) {
          if (!force) ctx.warn(`${error.message}; using the copy from ${new Date(held.checkedAt).toISOString()}`);
          return { source, state: 'offline', checkedAt: new Date(held.checkedAt).toISOString(), count: held.count, error };
        }
        return { source, state: 'unavailable', error };
      }),
    ),
  );
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

/** The compact search file: one line per cloudlet, `id\tlatest\tkeywords\tsummary\tdescription`. */
function searchLines(index: RegistryIndex): string {
  const clean = (s: string | undefined) => (s ?? '').replace(/[\t\r\n]+/g, ' ');
  let out = '';
  for (const c of Object.values(index.cloudlets)) {
    out += `${c.id}\t${c.versions[0]?.version ?? ''}\t${clean(c.keywords.join(' '))}\t${clean(c.summary)}\t${clean(c.description)}\n`;
  }
  return out;
}

/**
 * Ranked search: every term must match somewhere; a match in the name counts
 * most, then keywords, then summary, then description. Reads the compact
 * search file, so large indexes are searched without parsing their JSON.
 */
export function search(home: NephoHome, states: RegistryState[], terms: string[], limit = Infinity): SearchHit[] {
  const wanted = terms.map((t) => t.toLowerCase()).filter((t) => t !== '');
  const hits: SearchHit[] = [];
  // Every id an earlier registry lists, matching or not: that registry's entry is the one
  // describe and install use, so a later registry's entry of the same name is never shown.
  const seen = new Set<string>();
  const readable = states.filter((s) => s.state !== 'unavailable');
  readable.forEach((state, n) => {
    let text: string;
    try {
      text = readFileSync(join(cacheDir(home, state.source.name), 'search.tsv'), 'utf8');
    } catch {
      return;
    }
    const lower = text.toLowerCase();
    // Only needed to shadow the entries of a later registry.
    const listed: string[] | undefined = n < readable.length - 1 ? [] : undefined;
    // Lowercasing can lengthen text ('İ' becomes two code units), so offsets into `text` do
    // not hold in `lower`: each is walked on its own. Their lines correspond, as nothing
    // lowercases to or from '\n'.
    let start = 0;
    let lowStart = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      let lowEnd = lower.indexOf('\n', lowStart);
      if (lowEnd < 0) lowEnd = lower.length;
      const line = lower.slice(lowStart, lowEnd);
      let id: string | undefined;
      if (listed) listed.push((id = text.slice(start, text.indexOf('\t', start))));
      if (wanted.every((t) => line.includes(t))) {
        id ??= text.slice(start, text.indexOf('\t', start));
        const score = seen.has(id) ? 0 : scoreLine(line, wanted);
        if (score > 0 || (wanted.length === 0 && !seen.has(id))) {
          const fields = text.slice(start, end).split('\t');
          hits.push({ id, latest: fields[1] ?? '', summary: fields[3] ?? '', registry: state.source.name, score });
        }
      }
      start = end + 1;
      lowStart = lowEnd + 1;
    }
    for (const id of listed ?? []) seen.add(id);
  });
  hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return hits.slice(0, limit);
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
