import semver from 'semver';
import { assertSafeGitUrl, assertSafeRef } from '../git.js';
import { CLOUDLET_ID } from '../cloudlets/names.js';
import { NephoError, messageOf } from '../errors.js';

/** The `apiVersion` every registry index declares. */
export const API_VERSION = 'nepho/v1';


/** One published version of a cloudlet, pinned to a commit. */
export interface RegistryVersion {
  /** Semver version. */
  version: string;
  /** The git ref (usually a tag) that names it. */
  ref: string;
  /** The commit the ref must resolve to; a mismatch refuses the install. */
  commit: string;
  /** `sha256:<hex>` of the installed tree, when the registry recorded one. */
  digest?: string;
}

/** What a registry knows of one cloudlet. */
export interface RegistryCloudlet {
  /** `owner/name`. */
  id: string;
  summary?: string;
  description?: string;
  author?: string;
  license?: string;
  keywords: string[];
  project_page?: string;
  /** Git URL to fetch from, already resolved against the index's own URL. */
  source: string;
  /** Newest first. */
  versions: RegistryVersion[];
}

/** A validated registry index. */
export interface RegistryIndex {
  apiVersion: typeof API_VERSION;
  generated?: string;
  cloudlets: Record<string, RegistryCloudlet>;
}

/** The result of reading an index: what is usable, and a warning per entry that is not. */
export interface ParsedIndex {
  index: RegistryIndex;
  warnings: string[];
}

/** How deep an index may nest: its format needs five levels. */
export const MAX_INDEX_DEPTH = 256;

/**
 * What parsing a JSON text costs in memory beyond the text, as V8 builds it:
 * about this many bytes per object or array, and per value in one.
 */
const BYTES_PER_CONTAINER = 64;
const BYTES_PER_VALUE = 16;

/**
 * Walk a JSON text without building anything: refuse nesting deeper than
 * MAX_INDEX_DEPTH (fifty megabytes of `[[[[` would take gigabytes to parse)
 * and a text whose values would cost more memory to build than `maxCost`
 * bytes (a flood of `{},{},{}`), before JSON.parse sees it. Only the
 * structure is looked at: strings are skipped, escapes included.
 */
export function checkJsonShape(text: string, maxCost: number): string | undefined {
  let depth = 0;
  let containers = 0;
  let commas = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: jump to its closing quote, stepping over escaped characters.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_INDEX_DEPTH) return `nested more than ${MAX_INDEX_DEPTH} levels deep (at character ${i})`;
      containers++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c) {
      commas++;
    }
  }
  const cost = containers * BYTES_PER_CONTAINER + (commas + 1) * BYTES_PER_VALUE;
  if (cost > maxCost) {
    return `holds ${containers} objects and arrays and ${commas + 1} values, more than ${Math.floor(maxCost / 1048576)} MiB to read`;
  }
  return undefined;
}

/**
 * Parse and validate an index. A document that is not JSON or not the format
 * throws, naming the registry; one bad entry becomes a warning naming it and
 * is left out, so the rest stays usable. Relative `source` URLs (`./x.git`)
 * are resolved against `indexUrl`. The text is first checked by
 * `checkJsonShape` against `maxCost` (by default, the default size cap).
 */
export function parseIndex(text: string, registry: string, indexUrl: string, maxCost = 64 * 1024 * 1024): ParsedIndex {
  const shape = checkJsonShape(text, maxCost);
  if (shape) {
    throw new NephoError('REGISTRY_INVALID', `registry '${registry}': index refused: ${shape}`, {
      hint: shape.startsWith('nested')
        ? 'the previous copy, if any, is kept; tell the registry\'s maintainers'
        : 'the previous copy, if any, is kept; raise http.max_bytes in config.yaml if this index is genuine',
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // V8 quotes the start of the document in its message: keep it to one short, plain line.
    throw new NephoError('REGISTRY_INVALID', `registry '${registry}': index is not valid JSON (${printable(messageOf(error), 120)})`, {
      hint: 'the previous copy, if any, is kept; tell the registry\'s maintainers',
    });
  }
  const bad = (what: string) =>
    new NephoError('REGISTRY_INVALID', `registry '${registry}': ${what}`, { hint: 'the previous copy, if any, is kept; tell the registry\'s maintainers' });
  if (!isObject(raw)) throw bad('index is not a JSON object');
  if (raw.apiVersion !== API_VERSION) throw bad(`apiVersion is ${printable(String(JSON.stringify(raw.apiVersion)), 40)}, expected "${API_VERSION}"`);
  if (!isObject(raw.cloudlets)) throw bad('"cloudlets" is missing or not an object');

  const cloudlets: Record<string, RegistryCloudlet> = {};
  const warnings: string[] = [];
  for (const [id, entry] of Object.entries(raw.cloudlets)) {
    try {
      cloudlets[id] = parseEntry(id, entry, indexUrl);
    } catch (error) {
      // The reason may quote the entry's own text (a source URL, a ref): a warning stays one plain line.
      warnings.push(`registry '${registry}': entry '${printable(id)}' left out: ${printable(messageOf(error), 300)}`);
    }
  }
  const index: RegistryIndex = { apiVersion: API_VERSION, cloudlets };
  if (typeof raw.generated === 'string') index.generated = raw.generated;
  return { index, warnings };
}

function parseEntry(id: string, entry: unknown, indexUrl: string): RegistryCloudlet {
  if (!CLOUDLET_ID.test(id)) throw new Error('the name must be owner/name in lowercase letters, digits and "-"');
  if (!isObject(entry)) throw new Error('not an object');
  const text = (key: string): string | undefined => {
    const value = entry[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new Error(`"${key}" must be a string`);
    return plainText(value);
  };
  // The source is checked as written: a control character in it is refused, not quietly removed.
  const source = entry.source === undefined || entry.source === null ? undefined : entry.source;
  if (source !== undefined && typeof source !== 'string') throw new Error('"source" must be a string');
  if (!source) throw new Error('"source" is missing');
  const resolved = resolveSource(source, indexUrl);
  assertSafeGitUrl(resolved, '"source"');

  const keywords = entry.keywords ?? [];
  if (!Array.isArray(keywords) || keywords.some((k) => typeof k !== 'string')) throw new Error('"keywords" must be a list of strings');
  if (!Array.isArray(entry.versions) || entry.versions.length === 0) throw new Error('"versions" must be a non-empty list');

  const seen = new Set<string>();
  const versions = entry.versions.map((v: unknown, i: number): RegistryVersion => {
    const where = `versions[${i}]`;
    if (!isObject(v)) throw new Error(`${where} is not an object`);
    // Compare normalised versions: "v1.0.0" and "1.0.0" are the same version.
    const normal = typeof v.version === 'string' ? semver.valid(v.version) : null;
    if (normal === null) throw new Error(`${where}.version is not a semver version`);
    if (seen.has(normal)) throw new Error(`${where}.version ${normal} is listed twice`);
    seen.add(normal);
    if (typeof v.ref !== 'string') throw new Error(`${where}.ref is missing`);
    assertSafeRef(v.ref, `${where}.ref`);
    if (typeof v.commit !== 'string' || !/^[0-9a-f]{40}$/.test(v.commit)) throw new Error(`${where}.commit must be a 40-character commit id`);
    const version: RegistryVersion = { version: normal, ref: v.ref, commit: v.commit };
    if (v.digest !== undefined) {
      if (typeof v.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(v.digest)) throw new Error(`${where}.digest must be sha256:<64 hex digits>`);
      version.digest = v.digest;
    }
    return version;
  });
  versions.sort((a, b) => semver.rcompare(a.version, b.version));

  const cloudlet: RegistryCloudlet = { id, keywords: (keywords as string[]).map(plainText), source: resolved, versions };
  for (const key of ['summary', 'description', 'author', 'license', 'project_page'] as const) {
    const value = text(key);
    if (value !== undefined) cloudlet[key] = value;
  }
  return cloudlet;
}

/** `./x.git` and `../x.git` are relative to the index; anything else is used as written. */
export function resolveSource(source: string, indexUrl: string): string {
  if (!source.startsWith('./') && !source.startsWith('../')) return source;
  return new URL(source, indexUrl).toString();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One line safe to print: control characters shown as '?', at most `max` characters. */
function printable(text: string, max = 100): string {
  const line = text.replace(/[\0-\x1f\x7f-\x9f]/g, '?');
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

const CONTROL = /[\0-\x08\x0b-\x1f\x7f-\x9f]/;

/**
 * Registry text is printed by search and describe: drop terminal escape
 * sequences and control characters, keeping only newlines and tabs.
 */
function plainText(text: string): string {
  // Escape sequences start with a control character (ESC): text without any is kept as it is.
  if (!CONTROL.test(text)) return text;
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)?/g, '')
    .replace(/[\0-\x08\x0b-\x1f\x7f-\x9f]/g, '');
}
