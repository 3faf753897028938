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
 * about this many bytes per object or array, and per value in one. An index
 * whose values would cost more than the size cap (`http.max_bytes`) is
 * refused, as the whole document once was parsed at once: the cap still
 * bounds what a hostile index can make nepho do.
 */
const BYTES_PER_CONTAINER = 64;
const BYTES_PER_VALUE = 16;

const HINT_KEPT = "the previous copy, if any, is kept; tell the registry's maintainers";

/** What `IndexParser` needs from its caller. */
export interface IndexParserOptions {
  /** The registry's name, for messages. */
  registry: string;
  /** Where the index was fetched from: relative `source` URLs are resolved against it. */
  indexUrl: string;
  /** Refuse a document whose values would cost more than this many bytes to build (see BYTES_PER_VALUE). */
  maxCost: number;
  /**
   * Each entry of `cloudlets`, in document order: the validated cloudlet, or
   * undefined when the entry is left out (a warning says why). An id seen
   * again replaces what came before, as JSON.parse keeps the last duplicate key.
   */
  onEntry(id: string, cloudlet: RegistryCloudlet | undefined): void;
  /** The document names `cloudlets` again: every entry so far is dropped. */
  onRestart?(): void;
  /** The character offset (UTF-16 units from the start) of a position counted in the text pushed so far; the default is exact. */
  characterAt?(offset: number): number;
}

/** What a whole document said besides its entries. */
export interface IndexSummary {
  generated?: string;
  /** One line per entry left out, naming it. */
  warnings: string[];
}

const enum State {
  Start,
  KeyOrEnd,
  Key,
  Colon,
  Value,
  AfterValue,
  End,
  EntryKeyOrEnd,
  EntryKey,
  EntryColon,
  EntryValue,
  AfterEntry,
}

const enum Capture {
  None,
  Container,
  Str,
  Primitive,
}

/** What a captured value is for. */
const enum Target {
  Root,
  TopKey,
  TopValue,
  EntryKey,
  EntryValue,
}

/**
 * Reads an index document as a stream of text chunks, holding at most one
 * entry of `cloudlets` at a time: the text of each entry is found by a scan of
 * the structure and parsed on its own, so the whole document never exists as
 * objects. The scan also refuses, as the text arrives, nesting deeper than
 * MAX_INDEX_DEPTH (fifty megabytes of `[[[[` would take gigabytes to parse),
 * and counts objects and values to refuse a document that would cost more
 * than `maxCost` to build (a flood of `{},{},{}`); past that point it only
 * counts, never parsing or keeping anything. Every other value of the
 * document is parsed too, so a document that is not valid JSON is refused
 * whole, as JSON.parse would.
 */
export class IndexParser {
  private state = State.Start;
  private depth = 0;
  private containers = 0;
  private commas = 0;
  /** Characters pushed before the current chunk. */
  private base = 0;
  private counting = false;
  // The value being captured: what it is, its text so far, and the scan's state inside it.
  private capture = Capture.None;
  private target = Target.Root;
  private pieces: string[] = [];
  private rel = 0;
  private inString = false;
  private escaped = false;
  private key = '';
  private entryKey = '';
  private rootObject = false;
  private apiVersion: unknown = undefined;
  private generated: unknown = undefined;
  private cloudlets: 'missing' | 'object' | 'other' = 'missing';
  private readonly warnings = new Map<string, string>();

  constructor(private readonly options: IndexParserOptions) {}

  /** Take the next chunk of the document. Throws a NephoError when the document is refused. */
  push(text: string): void {
    this.backslash = -1;
    let i = 0;
    const n = text.length;
    while (i < n) {
      if (this.counting) {
        this.count(text, i);
        break;
      }
      if (this.capture !== Capture.None) {
        const start = i;
        i = this.scanCapture(text, i);
        if (!this.capturing()) continue;
        // The chunk ended inside the value: keep its text, unless the document already costs too much.
        if (this.cost() > this.options.maxCost) {
          this.startCounting();
          continue;
        }
        this.pieces.push(start === 0 ? text : text.slice(start));
        break;
      }
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        i++;
        continue;
      }
      i = this.structural(text, i, c);
    }
    this.base += n;
  }

  /** The document is complete: check what it said as a whole. Throws a NephoError when it is refused. */
  end(): IndexSummary {
    if (!this.counting && this.capture === Capture.Primitive) this.finishCapture('');
    if (!this.counting && this.cost() > this.options.maxCost) this.counting = true;
    if (this.counting) throw this.costError();
    if (this.capture !== Capture.None || this.state !== State.End) throw this.syntaxError('the document ends early');
    const bad = (what: string) => new NephoError('REGISTRY_INVALID', `registry '${this.options.registry}': ${what}`, { hint: HINT_KEPT });
    if (!this.rootObject) throw bad('index is not a JSON object');
    if (this.apiVersion !== API_VERSION) {
      throw bad(`apiVersion is ${printable(String(JSON.stringify(this.apiVersion)), 40)}, expected "${API_VERSION}"`);
    }
    if (this.cloudlets !== 'object') throw bad('"cloudlets" is missing or not an object');
    return { ...(typeof this.generated === 'string' ? { generated: this.generated } : {}), warnings: [...this.warnings.values()] };
  }

  /** One character outside any captured value; returns where to go on. */
  private structural(text: string, i: number, c: number): number {
    switch (this.state) {
      case State.Start:
        if (c === 0x7b) {
          this.open(i);
          this.rootObject = true;
          this.state = State.KeyOrEnd;
          return i + 1;
        }
        return this.startCapture(text, i, c, Target.Root);
      case State.KeyOrEnd:
      case State.Key:
        if (c === 0x22) return this.startCapture(text, i, c, Target.TopKey);
        if (c === 0x7d && this.state === State.KeyOrEnd) return this.close(i, State.End);
        throw this.unexpected(text, i);
      case State.Colon:
      case State.EntryColon:
        if (c !== 0x3a) throw this.unexpected(text, i);
        this.state = this.state === State.Colon ? State.Value : State.EntryValue;
        return i + 1;
      case State.Value:
        if (this.key === 'cloudlets') {
          // A second "cloudlets" replaces the first, as JSON.parse would have it.
          if (this.cloudlets !== 'missing') this.options.onRestart?.();
          if (c === 0x7b) {
            this.open(i);
            this.cloudlets = 'object';
            this.state = State.EntryKeyOrEnd;
            return i + 1;
          }
          this.cloudlets = 'other';
        }
        return this.startCapture(text, i, c, Target.TopValue);
      case State.AfterValue:
      case State.AfterEntry:
        if (c === 0x2c) {
          this.commas++;
          this.state = this.state === State.AfterValue ? State.Key : State.EntryKey;
          return i + 1;
        }
        if (c === 0x7d) return this.close(i, this.state === State.AfterValue ? State.End : State.AfterValue);
        throw this.unexpected(text, i);
      case State.EntryKeyOrEnd:
      case State.EntryKey:
        if (c === 0x22) return this.startCapture(text, i, c, Target.EntryKey);
        if (c === 0x7d && this.state === State.EntryKeyOrEnd) return this.close(i, State.AfterValue);
        throw this.unexpected(text, i);
      case State.EntryValue:
        return this.startCapture(text, i, c, Target.EntryValue);
      case State.End:
        throw this.unexpected(text, i);
    }
  }

  private open(i: number): void {
    this.containers++;
    if (++this.depth > MAX_INDEX_DEPTH) throw this.depthError(i);
  }

  private close(i: number, next: State): number {
    this.depth--;
    this.state = next;
    return i + 1;
  }

  private startCapture(text: string, i: number, c: number, target: Target): number {
    this.target = target;
    this.pieces = [];
    this.captureStart = i;
    if (c === 0x7b || c === 0x5b) {
      this.containers++;
      if (this.depth + 1 > MAX_INDEX_DEPTH) throw this.depthError(i);
      this.capture = Capture.Container;
      this.rel = 1;
      this.inString = false;
      this.escaped = false;
    } else if (c === 0x22) {
      this.capture = Capture.Str;
      this.escaped = false;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e) {
      this.capture = Capture.Primitive;
    } else {
      throw this.unexpected(text, i);
    }
    // Keys and strings start inside their quote; every value's first character is part of it.
    const end = this.scanCapture(text, i + 1);
    if (this.capturing()) {
      if (this.cost() > this.options.maxCost) this.startCounting();
      else this.pieces.push(text.slice(i));
      return text.length;
    }
    return end;
  }

  /** Whether a value is being captured (a method: the scan changes it behind the type checker's back). */
  private capturing(): boolean {
    return this.capture !== Capture.None;
  }

  /** Where the current capture started in the current chunk (0 when it began in an earlier one). */
  private captureStart = 0;

  /** Scan the captured value from `i`; when it ends there, finish it. Returns where scanning stopped. */
  private scanCapture(text: string, i: number): number {
    const n = text.length;
    const from = this.pieces.length === 0 ? this.captureStart : 0;
    if (this.capture === Capture.Str) {
      const close = this.stringEnd(text, i, this.escaped);
      if (close < 0) return n;
      this.finishCapture(text.slice(from, close + 1));
      return close + 1;
    }
    if (this.capture === Capture.Primitive) {
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          this.finishCapture(text.slice(from, i));
          return i;
        }
      }
      return n;
    }
    let { rel, inString, escaped } = this;
    let containers = 0;
    let commas = 0;
    // Nesting inside the value counts from the depth where it began.
    const room = MAX_INDEX_DEPTH - this.depth;
    for (; i < n; i++) {
      if (inString) {
        // Most of an entry is the text of its strings: jump over each to its closing quote.
        const close = this.stringEnd(text, i, escaped);
        escaped = this.escaped;
        if (close < 0) {
          i = n;
          break;
        }
        inString = false;
        i = close;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === 0x22) inString = true;
      else if (c === 0x2c) commas++;
      else if (c === 0x7b || c === 0x5b) {
        containers++;
        if (++rel > room) {
          this.containers += containers;
          throw this.depthError(i);
        }
      } else if (c === 0x7d || c === 0x5d) {
        if (--rel === 0) {
          this.containers += containers;
          this.commas += commas;
          this.finishCapture(text.slice(from, i + 1));
          return i + 1;
        }
      }
    }
    this.containers += containers;
    this.commas += commas;
    this.rel = rel;
    this.inString = inString;
    this.escaped = escaped;
    return n;
  }

  /**
   * Where in the current chunk the next backslash lies at or after the last
   * place one was looked for (the chunk's length when there is none; -1 not
   * looked for yet). Most documents have none, or few: one search a chunk.
   */
  private backslash = -1;

  /**
   * The closing quote of the string whose text goes on at `i` (`escaped`: the
   * character before `i` was a backslash escaping it), or -1 when the chunk
   * ends first (then `escaped` says how it ended). A string without a
   * backslash is found by one native search; one with escapes is walked.
   */
  private stringEnd(text: string, i: number, escaped: boolean): number {
    const n = text.length;
    if (!escaped) {
      const quote = text.indexOf('"', i);
      let backslash = this.backslash;
      if (backslash < i) {
        backslash = text.indexOf('\\', i);
        this.backslash = backslash = backslash < 0 ? n : backslash;
      }
      if (backslash >= (quote < 0 ? n : quote)) {
        this.escaped = false;
        return quote;
      }
    }
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) {
        this.escaped = false;
        return i;
      }
    }
    this.escaped = escaped;
    return -1;
  }

  /** The captured value is complete (`last` is its text in the current chunk): parse it and act on it. */
  private finishCapture(last: string): void {
    const target = this.target;
    this.capture = Capture.None;
    if (this.cost() > this.options.maxCost) {
      this.pieces = [];
      this.counting = true;
      this.countFrom = { inString: false, escaped: false };
      return;
    }
    const text = this.pieces.length === 0 ? last : this.pieces.join('') + last;
    this.pieces = [];
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw this.syntaxError(printable(messageOf(error), 120));
    }
    switch (target) {
      case Target.Root:
        this.state = State.End;
        return;
      case Target.TopKey:
        this.key = value as string;
        this.state = State.Colon;
        return;
      case Target.TopValue:
        if (this.key === 'apiVersion') this.apiVersion = value;
        else if (this.key === 'generated') this.generated = value;
        this.state = State.AfterValue;
        return;
      case Target.EntryKey:
        this.entryKey = value as string;
        this.state = State.EntryColon;
        return;
      case Target.EntryValue:
        this.entry(this.entryKey, value);
        this.state = State.AfterEntry;
        return;
    }
  }

  private entry(id: string, value: unknown): void {
    let cloudlet: RegistryCloudlet | undefined;
    try {
      cloudlet = parseEntry(id, value, this.options.indexUrl);
      this.warnings.delete(id);
    } catch (error) {
      // The reason may quote the entry's own text (a source URL, a ref): a warning stays one plain line.
      this.warnings.set(id, `registry '${this.options.registry}': entry '${printable(id)}' left out: ${printable(messageOf(error), 300)}`);
    }
    this.options.onEntry(id, cloudlet);
  }

  private countFrom = { inString: false, escaped: false };

  /** From here on only count, as the text goes by: the document will be refused for its cost. */
  private startCounting(): void {
    this.countFrom = {
      inString: this.capture === Capture.Str || (this.capture === Capture.Container && this.inString),
      escaped: this.escaped,
    };
    if (this.capture === Capture.Container) this.depth += this.rel;
    this.capture = Capture.None;
    this.pieces = [];
    this.counting = true;
  }

  /** The shape scan alone: nesting, objects and values; strings skipped, syntax not judged. */
  private count(text: string, i: number): void {
    let { inString, escaped } = this.countFrom;
    let depth = this.depth;
    let containers = 0;
    let commas = 0;
    const n = text.length;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x2c) commas++;
      else if (c === 0x7b || c === 0x5b) {
        containers++;
        if (++depth > MAX_INDEX_DEPTH) {
          this.containers += containers;
          throw this.depthError(i);
        }
      } else if (c === 0x7d || c === 0x5d) depth--;
    }
    this.depth = depth;
    this.containers += containers;
    this.commas += commas;
    this.countFrom = { inString, escaped };
  }

  private cost(): number {
    return this.containers * BYTES_PER_CONTAINER + (this.commas + 1) * BYTES_PER_VALUE;
  }

  private at(i: number): number {
    const offset = this.base + i;
    return this.options.characterAt ? this.options.characterAt(offset) : offset;
  }

  private depthError(i: number): NephoError {
    return new NephoError(
      'REGISTRY_INVALID',
      `registry '${this.options.registry}': index refused: nested more than ${MAX_INDEX_DEPTH} levels deep (at character ${this.at(i)})`,
      { hint: HINT_KEPT },
    );
  }

  private costError(): NephoError {
    return new NephoError(
      'REGISTRY_INVALID',
      `registry '${this.options.registry}': index refused: holds ${this.containers} objects and arrays and ${this.commas + 1} values, ` +
        `more than ${Math.floor(this.options.maxCost / 1048576)} MiB to read`,
      { hint: 'the previous copy, if any, is kept; raise http.max_bytes in config.yaml if this index is genuine' },
    );
  }

  private unexpected(text: string, i: number): NephoError {
    return this.syntaxError(`unexpected ${JSON.stringify(text[i])} at character ${this.at(i)}`);
  }

  private syntaxError(why: string): NephoError {
    // One short, plain line: the reason may quote the document.
    return new NephoError('REGISTRY_INVALID', `registry '${this.options.registry}': index is not valid JSON (${printable(why, 120)})`, { hint: HINT_KEPT });
  }
}

/**
 * Parse and validate a whole index held as text (see IndexParser): a
 * document that is not JSON or not the format throws, naming the registry;
 * one bad entry becomes a warning naming it and is left out, so the rest
 * stays usable. Relative `source` URLs (`./x.git`) are resolved against
 * `indexUrl`. `maxCost` bounds what the document may cost to read (by
 * default, the default size cap).
 */
export function parseIndex(text: string, registry: string, indexUrl: string, maxCost = 64 * 1024 * 1024): ParsedIndex {
  const cloudlets: Record<string, RegistryCloudlet> = {};
  const parser = new IndexParser({
    registry,
    indexUrl,
    maxCost,
    onEntry: (id, cloudlet) => {
      if (cloudlet) cloudlets[id] = cloudlet;
      else delete cloudlets[id];
    },
    onRestart: () => {
      for (const id of Object.keys(cloudlets)) delete cloudlets[id];
    },
  });
  parser.push(text);
  const { generated, warnings } = parser.end();
  const index: RegistryIndex = { apiVersion: API_VERSION, cloudlets };
  if (generated !== undefined) index.generated = generated;
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
    const normal = typeof v.version === 'string' ? validVersion(v.version) : null;
    if (normal === null) throw new Error(`${where}.version is not a semver version`);
    if (seen.has(normal)) throw new Error(`${where}.version ${normal} is listed twice`);
    seen.add(normal);
    if (typeof v.ref !== 'string') throw new Error(`${where}.ref is missing`);
    assertSafeRef(v.ref, `${where}.ref`);
    if (typeof v.commit !== 'string' || v.commit.length !== 40 || !lowerHex(v.commit, 0)) throw new Error(`${where}.commit must be a 40-character commit id`);
    const version: RegistryVersion = { version: normal, ref: v.ref, commit: v.commit };
    if (v.digest !== undefined) {
      if (typeof v.digest !== 'string' || v.digest.length !== 71 || !v.digest.startsWith('sha256:') || !lowerHex(v.digest, 7)) {
        throw new Error(`${where}.digest must be sha256:<64 hex digits>`);
      }
      version.digest = v.digest;
    }
    return version;
  });
  const newer = versions.every((v) => PLAIN_VERSION.test(v.version))
    ? newerPlain
    : (a: RegistryVersion, b: RegistryVersion) => semver.rcompare(a.version, b.version);
  // Registries list versions newest first: a list already in order is only checked, not sorted.
  if (!versions.every((v, i) => i === 0 || newer(versions[i - 1]!, v) <= 0)) versions.sort(newer);

  const cloudlet: RegistryCloudlet = { id, keywords: (keywords as string[]).map(plainText), source: resolved, versions };
  for (const key of ['summary', 'description', 'author', 'license', 'project_page'] as const) {
    const value = text(key);
    if (value !== undefined) cloudlet[key] = value;
  }
  return cloudlet;
}

/**
 * A version of three plain numbers, none longer than 15 digits: semver takes
 * it as it is written, and numbers that short compare exactly as doubles.
 * Almost every version in an index is one: they skip semver's parser, which
 * costs more than the rest of an entry's checks together.
 */
const PLAIN_VERSION = /^(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/;

/** semver.valid(text), faster for plain versions. */
function validVersion(text: string): string | null {
  return PLAIN_VERSION.test(text) ? text : semver.valid(text);
}

/** Whether `text` from `from` to its end is lowercase hexadecimal digits (a regular expression costs more, a few times per entry). */
function lowerHex(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** semver.rcompare for two plain versions. */
function newerPlain(a: RegistryVersion, b: RegistryVersion): number {
  const x = a.version;
  const y = b.version;
  // Read both three-number versions a number at a time, digit by digit: no strings or arrays made.
  for (let i = 0, j = 0; i < x.length || j < y.length; i++, j++) {
    let m = 0;
    let n = 0;
    for (let c = x.charCodeAt(i); i < x.length && c !== 0x2e; c = x.charCodeAt(++i)) m = m * 10 + c - 0x30;
    for (let c = y.charCodeAt(j); j < y.length && c !== 0x2e; c = y.charCodeAt(++j)) n = n * 10 + c - 0x30;
    if (m !== n) return n - m;
  }
  return 0;
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
