import type { RegistryCloudlet } from './format.js';
import { BLOCK_SIZE, CheckedFileReader, CheckedFileWriter, DamagedCacheError, entryCount, openContainer, uint32s } from './store.js';

/**
 * The search file of a registry's cached copy (`search.bin`): what
 * `cloudlet:search` reads instead of the index, so that a query reads only
 * what it needs. Entries are numbered in order of id. Its sections:
 *
 * - `display`, `doff`: per entry `id\tlatest\tsummary\n`, what a hit shows, and where each starts;
 * - `idlen`: the length of each id (at most 127), for the width of a table of hits;
 * - `text`, `toff`: per entry `id\tkeywords\tsummary\tdescription\n`, lowercased, as terms are matched;
 * - `vocab`, `vstart`, `pstart`: every token (a run of letters and digits) of that text, and where its postings start;
 * - `pe`, `pf`: the postings: for each token, the entries holding it and in which fields (FLAG_*);
 * - `uni`: for each of a-z and 0-9, every entry's score class for that one character as a term.
 *
 * Ranking is defined on the text: see `termScore`, which the index only makes
 * fast. docs/performance.md describes the design.
 */

/** The kind of container file (see store.ts). */
export const SEARCH_KIND = 'search';

/** What a match of one term in one field is worth, best first: a name equal to the term, a name starting with it, ... */
export const SCORES = [0, 1, 10, 60, 100, 400, 600, 1000] as const;

// Where a token occurs in an entry.
const FLAG_NAME_WHOLE = 1; // the token is the whole name
const FLAG_NAME_FIRST = 2; // the name starts with the token
const FLAG_ID = 4;
const FLAG_KEYWORD_WORD = 8; // a keyword word is exactly the token
const FLAG_KEYWORDS = 16;
const FLAG_SUMMARY = 32;
const FLAG_DESCRIPTION = 64;

// How a term relates to a token that contains it.
const EQUAL = 0;
const PREFIX = 1;
const INSIDE = 2;

/** Every ASCII character but a-z and 0-9 separates tokens; every other character is part of one. */
const SEPARATORS = /[\x00-\x2f\x3a-\x60\x7b-\x7f]+/;

/** The characters that have a precomputed class table (`uni`): a term of one of them matches most entries. */
const UNIGRAMS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UNIGRAM_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < UNIGRAMS.length; i++) UNIGRAM_INDEX[UNIGRAMS.charCodeAt(i)] = i;

/** The score class (an index into SCORES) of a term in a token with these flags, related to it as `relation` says. */
function classOf(flags: number, relation: number): number {
  if (flags & FLAG_NAME_WHOLE && relation === EQUAL) return 7;
  if (flags & FLAG_NAME_FIRST && relation !== INSIDE) return 6;
  if (flags & FLAG_ID) return 5;
  if (flags & FLAG_KEYWORD_WORD && relation === EQUAL) return 4;
  if (flags & FLAG_KEYWORDS) return 3;
  if (flags & FLAG_SUMMARY) return 2;
  if (flags & FLAG_DESCRIPTION) return 1;
  return 0;
}

/** classOf for every flag set, by relation: one lookup per posting. */
const CLASS = [EQUAL, PREFIX, INSIDE].map((relation) => Uint8Array.from({ length: 128 }, (_, flags) => classOf(flags, relation)));

/** Tabs and line breaks in shown text become spaces (a record is one line of fields). */
function clean(text: string | undefined): string {
  return text === undefined ? '' : text.replace(/[\t\r\n]+/g, ' ');
}

/**
 * The text terms are matched against, lowercased as one line:
 * `id\tkeywords\tsummary\tdescription`, keywords joined by spaces.
 */
function searchLine(cloudlet: RegistryCloudlet): string {
  return `${cloudlet.id}\t${clean(cloudlet.keywords.join(' '))}\t${clean(cloudlet.summary)}\t${clean(cloudlet.description)}`.toLowerCase();
}

/**
 * The score of one lowercased term in one entry's fields (the tab-separated parts of searchLine):
 * 1000 when it is the name or the id, 600 when the name starts with it, 400
 * when the id holds it, 100 when it is one of the keywords' words, 60 when
 * the keywords hold it, 10 for the summary, 1 for the description, else 0.
 * This is the ranking; the index only finds the entries worth scoring.
 */
export function termScore(term: string, fields: string[]): number {
  const [id = '', keywords = '', summary = '', description = ''] = fields;
  const name = id.slice(id.indexOf('/') + 1);
  if (name === term || id === term) return 1000;
  if (name.startsWith(term)) return 600;
  if (id.includes(term)) return 400;
  if (keywords.split(' ').includes(term)) return 100;
  if (keywords.includes(term)) return 60;
  if (summary.includes(term)) return 10;
  if (description.includes(term)) return 1;
  return 0;
}

/** A byte array that grows as it is appended to. */
class Bytes {
  buf = Buffer.allocUnsafe(1 << 16);
  length = 0;

  append(text: string): void {
    // UTF-8 takes at most three bytes per UTF-16 unit: room for that spares measuring the text first.
    this.reserve(3 * text.length);
    this.length += this.buf.write(text, this.length);
  }

  reserve(more: number): void {
    if (this.length + more <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + more));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }
}

/** An array of 32-bit integers that grows as it is appended to. */
class Ints {
  data = new Int32Array(1 << 12);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
}

/** SEPARATOR[c] is 1 for each ASCII code that separates tokens: SEPARATORS as a table. */
const SEPARATOR = Uint8Array.from({ length: 128 }, (_, c) => (SEPARATORS.test(String.fromCharCode(c)) ? 1 : 0));

/** classOf by relation and flags, as one table: CLASSES[relation * 128 + flags]. */
const CLASSES = Uint8Array.from({ length: 3 * 128 }, (_, i) => CLASS[Math.floor(i / 128)]![i % 128]!);

/** An array of 32-bit integers that grows to any size, addressed directly. */
function grown(array: Int32Array<ArrayBuffer>, size: number): Int32Array<ArrayBuffer> {
  if (size <= array.length) return array;
  const bigger = new Int32Array(Math.max(2 * array.length, size));
  bigger.set(array);
  return bigger;
}

/**
 * The tokens seen while building, numbered in order of first appearance. A
 * hash table over their UTF-16 units: a token is found in the text it occurs
 * in without becoming a string of its own. The hash is seeded at random, so a
 * hostile index cannot choose tokens that all collide.
 */
class Vocabulary {
  /** Token number + 1 per slot; 0 is free. */
  private table = new Int32Array(1 << 12);
  private hashes = new Int32Array(1 << 10);
  /** Where each token's units start in `units` (and, at `size`, where the next would). */
  private starts = new Int32Array(1 << 10);
  private units = new Uint16Array(1 << 14);
  /** For each token, where its one-character terms start in `unigrams` (see `unigramsOf`). */
  private unigramStarts = new Int32Array(1 << 10);
  /** Per token, `UNIGRAM_INDEX * 4 + relation` for each distinct letter or digit it holds. */
  private unigramCodes = new Int32Array(1 << 12);
  private unigramLength = 0;
  /** How many tokens. */
  size = 0;
  /** The seed of the hash. */
  readonly seed = (Math.random() * 0x100000000) | 0;

  /** The number of the token `text[from..to)` whose hash (see `mix`) is `hash`; a new token is added. */
  intern(text: string, from: number, to: number, hash: number): number {
    const table = this.table;
    const mask = table.length - 1;
    const length = to - from;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const k = table[slot]! - 1;
      if (k < 0) {
        table[slot] = this.add(text, from, to, hash) + 1;
        if (2 * this.size > table.length) this.rehash();
        return this.size - 1;
      }
      if (this.hashes[k] !== hash) continue;
      const at = this.starts[k]!;
      if (this.starts[k + 1]! - at !== length) continue;
      let j = 0;
      while (j < length && this.units[at + j] === text.charCodeAt(from + j)) j++;
      if (j === length) return k;
    }
  }

  /** The token numbered `k` as a string. */
  word(k: number): string {
    const units = this.units.subarray(this.starts[k]!, this.starts[k + 1]!);
    return units.length < 64 ? String.fromCharCode(...units) : Buffer.from(units.buffer, units.byteOffset, units.byteLength).toString('utf16le');
  }

  /** Where token `k`'s one-character terms lie in `codes()` (from, to). */
  unigramsOf(k: number): number {
    return this.unigramStarts[k]!;
  }

  /** The one-character terms of every token (see `unigramCodes`). */
  codes(): Int32Array {
    return this.unigramCodes;
  }

  private add(text: string, from: number, to: number, hash: number): number {
    const k = this.size++;
    this.hashes = grown(this.hashes, this.size + 1);
    this.starts = grown(this.starts, this.size + 1);
    this.unigramStarts = grown(this.unigramStarts, this.size + 1);
    const at = this.starts[k]!;
    if (at + (to - from) > this.units.length) {
      const bigger = new Uint16Array(Math.max(2 * this.units.length, at + (to - from)));
      bigger.set(this.units);
      this.units = bigger;
    }
    for (let j = from; j < to; j++) this.units[at + j - from] = text.charCodeAt(j);
    this.hashes[k] = hash;
    this.starts[k + 1] = at + (to - from);
    // Each letter or digit of the token is a one-character term found in it: equal to a token of one character, else its prefix or inside it.
    this.unigramCodes = grown(this.unigramCodes, this.unigramLength + 36);
    const first = text.charCodeAt(from);
    const begin = this.unigramLength;
    for (let j = from; j < to; j++) {
      const c = text.charCodeAt(j);
      const u = c < 128 ? UNIGRAM_INDEX[c]! : -1;
      if (u < 0) continue;
      const relation = to - from === 1 ? EQUAL : c === first ? PREFIX : INSIDE;
      const code = u * 4 + relation;
      let seen = false;
      for (let q = begin; q < this.unigramLength && !seen; q++) seen = this.unigramCodes[q] === code;
      if (!seen) this.unigramCodes[this.unigramLength++] = code;
    }
    this.unigramStarts[k] = begin;
    this.unigramStarts[k + 1] = this.unigramLength;
    return k;
  }

  private rehash(): void {
    const table = new Int32Array(2 * this.table.length);
    const mask = table.length - 1;
    for (let k = 0; k < this.size; k++) {
      let slot = this.hashes[k]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = k + 1;
    }
    this.table = table;
  }
}

/** The final mix of a token's hash (murmur3's): every unit then moves the low bits the table is indexed by. */
function mix(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

/**
 * Gathers the search data of entries as an index is read (numbered in the
 * order they come), then writes the search file in order of id. Holds the
 * shown and matched text and the postings in compact arrays, not objects:
 * an entry's text is tokenised in one pass over its characters, each token
 * found in the vocabulary's hash table, its postings and one-character
 * classes kept in typed arrays.
 */
export class SearchIndexBuilder {
  private readonly display = new Bytes();
  private readonly displayAt = new Ints();
  private readonly idLengths = new Ints();
  private readonly text = new Bytes();
  private readonly textAt = new Ints();
  private readonly vocabulary = new Vocabulary();
  private readonly tokens = new Ints();
  private readonly flags = new Ints();
  private readonly postingsAt = new Ints();
  /** Per token: the entry (its number + 1) that last held it, and where that entry's posting of it is. */
  private lastEntry = new Int32Array(1 << 10);
  private lastPosting = new Int32Array(1 << 10);
  private unigrams: Uint8Array = new Uint8Array(UNIGRAMS.length * 1024);
  private capacity = 1024;
  private count = 0;

  /** Add the entry numbered `input` (numbers are given in order from 0). */
  add(input: number, cloudlet: RegistryCloudlet): void {
    if (input !== this.count) throw new Error(`search entries must come in order (${input}, expected ${this.count})`);
    this.count++;
    this.displayAt.push(this.display.length);
    this.idLengths.push(cloudlet.id.length);
    this.display.append(`${cloudlet.id}\t${cloudlet.versions[0]?.version ?? ''}\t${clean(cloudlet.summary)}\n`);
    const line = searchLine(cloudlet);
    this.textAt.push(this.text.length);
    this.text.append(`${line}\n`);
    this.postingsAt.push(this.tokens.length);
    if (input >= this.capacity) this.grow();
    this.tokenise(line, cloudlet.id.indexOf('/') + 1, input);
    this.classify(input);
  }

  /**
   * Post every token of an entry's lowercased line
   * (`id\tkeywords\tsummary\tdescription`) once, with the fields it occurs
   * in (FLAG_*): the id's tokens; the name's first token (at `nameAt`: ids
   * are owner/name in lowercase ASCII, so the line starts with the id as it
   * is), and whether it is the whole name; a keyword word that is one token;
   * keywords, summary, description.
   */
  private tokenise(line: string, nameAt: number, input: number): void {
    const vocabulary = this.vocabulary;
    const mark = input + 1;
    let nameFlags = FLAG_NAME_FIRST;
    let field = 0;
    let fieldAt = 0;
    let start = -1;
    let hash = 0;
    const n = line.length;
    for (let j = 0; j <= n; j++) {
      const c = j < n ? line.charCodeAt(j) : 0x09;
      if (c >= 128 || SEPARATOR[c] === 0) {
        if (start < 0) {
          start = j;
          hash = vocabulary.seed;
        }
        hash = Math.imul(hash ^ c, 0x01000193);
        continue;
      }
      if (start >= 0) {
        let flag: number;
        if (field === 0) {
          flag = FLAG_ID;
          if (start === nameAt) {
            // The name is one token when it ends where this token does.
            if (c === 0x09) nameFlags |= FLAG_NAME_WHOLE;
            flag |= nameFlags;
          }
        } else if (field === 1) {
          flag = FLAG_KEYWORDS;
          if ((start === fieldAt || line.charCodeAt(start - 1) === 0x20) && (c === 0x20 || c === 0x09)) flag |= FLAG_KEYWORD_WORD;
        } else flag = field === 2 ? FLAG_SUMMARY : FLAG_DESCRIPTION;
        const k = vocabulary.intern(line, start, j, mix(hash));
        if (k >= this.lastEntry.length) {
          this.lastEntry = grown(this.lastEntry, k + 1);
          this.lastPosting = grown(this.lastPosting, k + 1);
        }
        if (this.lastEntry[k] === mark) this.flags.data[this.lastPosting[k]!]! |= flag;
        else {
          this.lastEntry[k] = mark;
          this.lastPosting[k] = this.flags.length;
          this.tokens.push(k);
          this.flags.push(flag);
        }
        start = -1;
      }
      if (c === 0x09) {
        field++;
        fieldAt = j + 1;
      }
    }
  }

  /** Every letter and digit of the entry's tokens is a one-character term: keep its best class in the entry. */
  private classify(input: number): void {
    const unigrams = this.unigrams;
    const capacity = this.capacity;
    const codes = this.vocabulary.codes();
    const tokens = this.tokens.data;
    const flags = this.flags.data;
    for (let p = this.postingsAt.data[input]!; p < this.tokens.length; p++) {
      const k = tokens[p]!;
      const f = flags[p]!;
      const to = this.vocabulary.unigramsOf(k + 1);
      for (let q = this.vocabulary.unigramsOf(k); q < to; q++) {
        const code = codes[q]!;
        const cls = CLASSES[(code & 3) * 128 + f]!;
        const at = (code >> 2) * capacity + input;
        if (cls > unigrams[at]!) unigrams[at] = cls;
      }
    }
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const bigger = new Uint8Array(UNIGRAMS.length * capacity);
    for (let u = 0; u < UNIGRAMS.length; u++) bigger.set(this.unigrams.subarray(u * this.capacity, u * this.capacity + this.count - 1), u * capacity);
    this.unigrams = bigger;
    this.capacity = capacity;
  }

  /**
   * Write the search file to `path` with the entries `order` lists (their
   * input numbers, in order of id: entries left out are not listed). Returns
   * the file's size.
   */
  write(path: string, order: Int32Array, generation: string): number {
    this.displayAt.push(this.display.length);
    this.textAt.push(this.text.length);
    this.postingsAt.push(this.tokens.length);
    const n = order.length;
    const out = new CheckedFileWriter(path, SEARCH_KIND);
    try {
      writeRecords(out, 'display', 'doff', this.display.buf, this.displayAt.data, order);
      writeRecords(out, 'text', 'toff', this.text.buf, this.textAt.data, order);
      const idLengths = new Uint8Array(n);
      for (let r = 0; r < n; r++) idLengths[r] = this.idLengths.data[order[r]!]!;
      out.section('idlen', idLengths);

      // Tokens in code-unit order; those only dropped entries held are left out.
      const size = this.vocabulary.size;
      const counts = new Int32Array(size);
      const tokenOf = this.tokens.data;
      const postingsAt = this.postingsAt.data;
      for (let r = 0; r < n; r++) {
        const input = order[r]!;
        for (let p = postingsAt[input]!; p < postingsAt[input + 1]!; p++) counts[tokenOf[p]!]!++;
      }
      const live: number[] = [];
      const text: string[] = [];
      for (let k = 0; k < size; k++) {
        text.push(counts[k]! > 0 ? this.vocabulary.word(k) : '');
        if (counts[k]! > 0) live.push(k);
      }
      live.sort((a, b) => compareIds(text[a]!, text[b]!));
      const words = live.map((k) => text[k]!);
      const rank = new Int32Array(size).fill(-1);
      const starts = new Uint32Array(words.length + 1);
      live.forEach((id, k) => {
        rank[id] = k;
        starts[k + 1] = starts[k]! + counts[id]!;
      });
      const vocab = Buffer.from(`\n${words.join('\n')}\n`);
      const wordAt = new Uint32Array(words.length);
      for (let k = 0, at = 1; k < words.length; k++) {
        wordAt[k] = at;
        at += Buffer.byteLength(words[k]!) + 1;
      }
      // Postings by token, each token's in order of entry: entries are visited in that order.
      const total = starts[words.length]!;
      const entries = new Uint32Array(total);
      const flags = new Uint8Array(total);
      const cursor = starts.slice(0, words.length);
      const flagOf = this.flags.data;
      for (let r = 0; r < n; r++) {
        const input = order[r]!;
        for (let p = postingsAt[input]!; p < postingsAt[input + 1]!; p++) {
          const k = rank[tokenOf[p]!]!;
          const at = cursor[k]!++;
          entries[at] = r;
          flags[at] = flagOf[p]!;
        }
      }
      out.section('vocab', vocab);
      writeArray(out, 'vstart', wordAt);
      writeArray(out, 'pstart', starts);
      writeArray(out, 'pe', entries);
      out.section('pf', flags);

      const unigrams = new Uint8Array(UNIGRAMS.length * n);
      for (let u = 0; u < UNIGRAMS.length; u++) {
        const from = u * this.capacity;
        for (let r = 0; r < n; r++) unigrams[u * n + r] = this.unigrams[from + order[r]!]!;
      }
      out.section('uni', unigrams);
      return out.finish(generation, { count: n, tokens: words.length });
    } catch (error) {
      out.abandon();
      throw error;
    }
  }
}

/** Order of ids and tokens: UTF-16 code units, as `<` compares. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sections start on 8-byte boundaries, so that their numbers can be read in place. */
function align(out: CheckedFileWriter): void {
  const pad = (8 - (out.offset % 8)) % 8;
  if (pad > 0) out.write(new Uint8Array(pad));
}

function writeArray(out: CheckedFileWriter, name: string, array: Uint32Array): void {
  align(out);
  out.section(name, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
}

/** Records `at[i]..at[i+1]` of `data`, in the order `order` gives, as section `name` with its offsets in `offsets`. */
function writeRecords(out: CheckedFileWriter, name: string, offsets: string, data: Buffer, at: Int32Array, order: Int32Array): void {
  const starts = new Uint32Array(order.length + 1);
  align(out);
  out.begin(name);
  const base = out.offset;
  for (let r = 0; r < order.length; r++) {
    const input = order[r]!;
    starts[r] = out.offset - base;
    out.write(data.subarray(at[input]!, at[input + 1]!));
  }
  starts[order.length] = out.offset - base;
  out.end();
  writeArray(out, offsets, starts);
}

/** Bytes read per window when a result holds a good part of the entries (see checkShown). */
const WINDOW = 256 * 1024;
/** The most bytes of display records a result gathers into memory (see checkShown). */
const GATHER = 1024 * 1024;
/** Records whose offsets are read one at a time before a section's offsets are read whole. */
const SPARSE_LOOKUPS = 64;

/** One hit as it is shown. */
export interface ShownEntry {
  id: string;
  latest: string;
  summary: string;
}

/**
 * A registry's search file, open for queries. Sections are read when a query
 * first needs them, and every byte read is checked (store.ts): a damaged
 * file throws DamagedCacheError, never a wrong answer.
 */
export class SearchIndex {
  /** How many entries it holds. */
  readonly count: number;
  private doff?: Uint32Array;
  private toff?: Uint32Array;
  private vocab?: Buffer;
  private vstart?: Uint32Array;
  private pstart?: Uint32Array;
  private readonly windows: Record<'display' | 'text', { from: number; bytes: Buffer } | undefined> = { display: undefined, text: undefined };
  /** What each section's window is read into, reused from record to record (a window's bytes are used before the next is read). */
  private readonly scratch: Record<'display' | 'text', Buffer> = { display: Buffer.allocUnsafe(WINDOW + BLOCK_SIZE), text: Buffer.allocUnsafe(4 * BLOCK_SIZE) };
  private readonly display: [number, number];
  private readonly text: [number, number];

  private constructor(private readonly file: CheckedFileReader) {
    this.count = entryCount(file);
    this.display = file.section('display');
    this.text = file.section('text');
  }

  /** Open the search file at `path` (DamagedCacheError when it is missing or damaged). */
  static open(path: string): SearchIndex {
    return openContainer(path, SEARCH_KIND, (file) => new SearchIndex(file));
  }

  /** The generation of the copy it belongs to. */
  get generation(): string {
    return this.file.generation;
  }

  /** Release the file. */
  close(): void {
    this.file.close();
  }

  private offsets(name: 'doff' | 'toff'): Uint32Array {
    const cached = name === 'doff' ? this.doff : this.toff;
    if (cached) return cached;
    const offsets = uint32s(this.file.readSection(name));
    if (offsets.length !== this.count + 1) throw new DamagedCacheError(this.file.path, `its '${name}' section does not match its entry count`);
    if (name === 'doff') this.doff = offsets;
    else this.toff = offsets;
    return offsets;
  }

  /** Records looked up one at a time so far, by offsets section. */
  private readonly sparse = { doff: 0, toff: 0 };
  private readonly pair = Buffer.allocUnsafe(BLOCK_SIZE * 2);

  /**
   * Where record `e` of a section starts and ends (offsets `e` and `e + 1`).
   * The first SPARSE_LOOKUPS records are read alone, with the one or two
   * blocks that hold their offsets (a rare name's search looks up a handful:
   * a hundred thousand entries' offsets are 400 KB); after that the whole
   * section, once.
   */
  private span(name: 'doff' | 'toff', e: number): [start: number, end: number] {
    const cached = name === 'doff' ? this.doff : this.toff;
    if (cached || ++this.sparse[name] > SPARSE_LOOKUPS) {
      const offsets = cached ?? this.offsets(name);
      return [offsets[e]!, offsets[e + 1]!];
    }
    const [at, length] = this.file.section(name);
    if (length !== 4 * (this.count + 1)) throw new DamagedCacheError(this.file.path, `its '${name}' section does not match its entry count`);
    if (e < 0 || e >= this.count) throw new DamagedCacheError(this.file.path, `no entry ${e} in its '${name}' section`);
    const bytes = this.file.read(at + 4 * e, 8, this.pair);
    return [bytes.readUInt32LE(0), bytes.readUInt32LE(4)];
  }

  /**
   * Read the display records of `entries` now, so that every block they lie
   * in is checked before anything is shown (a damaged block then throws
   * here, not halfway through printing). A modest result is gathered into
   * memory (see gather); one that holds a good part of the entries reads
   * through windows of WINDOW bytes instead of block by block; windows are
   * reused, so memory stays flat however many hits.
   */
  checkShown(entries: Int32Array): void {
    this.gathered = undefined;
    if (entries.length <= this.count / 8 && this.gather(entries)) return;
    this.windowSize = entries.length > this.count / 8 ? WINDOW : 0;
    for (const e of entries) this.record('display', e);
  }

  /**
   * A result whose display records come to at most GATHER bytes has them
   * read once, in order of entry (each block once, however the hits are
   * ranked), into one buffer that printing them reads: hits ranked in a few
   * score classes would otherwise read each block again for each class, and
   * again to print it. Whole windows are read when the hits touch most of
   * the section's blocks. Returns false for a larger result.
   */
  private gather(entries: Int32Array): boolean {
    const sorted = Int32Array.from(entries).sort();
    const starts = new Uint32Array(sorted.length);
    const ends = new Uint32Array(sorted.length);
    const at = new Map<number, number>();
    this.windowSize = sorted.length * BLOCK_SIZE > this.display[1] / 2 ? WINDOW : 0;
    let bytes = Buffer.allocUnsafe(Math.min(GATHER, 128 * sorted.length));
    let filled = 0;
    // A registry's hits are distinct entries (rankIn skips repeated candidates).
    for (let i = 0; i < sorted.length; i++) {
      const e = sorted[i]!;
      const record = this.record('display', e);
      const length = this.end - this.at;
      if (filled + length > bytes.length) {
        // Past GATHER: the blocks read so far stay checked, and checkShown reads on as for a large result.
        if (filled + length > GATHER) return false;
        const grown = Buffer.allocUnsafe(Math.min(GATHER, 2 * (filled + length)));
        bytes.copy(grown, 0, 0, filled);
        bytes = grown;
      }
      at.set(e, i);
      starts[i] = filled;
      // Records are short: a loop copies them faster than a native call each.
      for (let p = this.at; p < this.end; p++) bytes[filled++] = record[p]!;
      ends[i] = filled;
    }
    this.gathered = { bytes, at, starts, ends };
    return true;
  }

  /** The display records checkShown gathered: which of them is each entry's, and where each starts and ends. */
  private gathered?: { bytes: Buffer; at: Map<number, number>; starts: Uint32Array; ends: Uint32Array };

  /** Bytes read at least per window (0: the blocks of one record). */
  private windowSize = 0;

  /**
   * Record `e` of the display or text section (its bytes, without the
   * newline). Read through a window of the checked blocks that hold it,
   * kept for the records that follow in the same blocks (hits come in order
   * of id within a score): a sparse result reads a block per hit, not more;
   * `alone` reads just the record (a binary search jumps about).
   * Sets `at` and `end` to where the record lies in the returned buffer.
   */
  private record(section: 'display' | 'text', e: number, alone = false): Buffer {
    const k = section === 'display' ? this.gathered?.at.get(e) : undefined;
    if (k !== undefined) {
      const { bytes, starts, ends } = this.gathered!;
      this.at = starts[k]!;
      this.end = ends[k]!;
      return bytes;
    }
    const [start, end] = this.span(section === 'display' ? 'doff' : 'toff', e);
    const [base, size] = section === 'display' ? this.display : this.text;
    if (end <= start || end > size) throw new DamagedCacheError(this.file.path, `${section} record ${e} lies outside its section`);
    if (alone) {
      this.at = 0;
      this.end = end - start - 1;
      return this.file.read(base + start, end - start);
    }
    const w = this.windows[section];
    if (!w || start < w.from || end > w.from + w.bytes.length) {
      // Whole blocks: `from` may lie before the section (it need not start on a block).
      const first = base + start - ((base + start) % BLOCK_SIZE);
      const last = Math.min(this.file.dataLength, Math.ceil(Math.max(base + end, first + this.windowSize) / BLOCK_SIZE) * BLOCK_SIZE);
      const scratch = this.scratch[section];
      this.windows[section] = { from: first - base, bytes: this.file.read(first, last - first, scratch) };
      if (this.windows[section]!.bytes.buffer !== scratch.buffer) this.scratch[section] = this.windows[section]!.bytes;
    }
    const { from, bytes } = this.windows[section]!;
    this.at = start - from;
    this.end = end - from - 1;
    return bytes;
  }

  /** Where the record `record` found lies in the buffer it returned (its newline excluded). */
  private at = 0;
  private end = 0;

  /** The id of entry `e`; `alone` as for `record`. */
  idAt(e: number, alone = false): string {
    const bytes = this.record('display', e, alone);
    let i = this.at;
    while (i < this.end && bytes[i] !== 0x09) i++;
    return bytes.toString('latin1', this.at, i);
  }

  /** Entry `e` as a hit shows it. */
  shown(e: number): ShownEntry {
    const bytes = this.record('display', e);
    const text = bytes.toString('utf8', this.at, this.end);
    const t1 = text.indexOf('\t');
    const t2 = text.indexOf('\t', t1 + 1);
    if (t1 < 0 || t2 < 0) throw new DamagedCacheError(this.file.path, `display record ${e} is malformed`);
    return { id: text.slice(0, t1), latest: text.slice(t1 + 1, t2), summary: text.slice(t2 + 1) };
  }

  /** The length of each entry's id. */
  idLengths(): Uint8Array {
    if (!this.lengths) {
      this.lengths = this.file.readSection('idlen');
      if (this.lengths.length !== this.count) throw new DamagedCacheError(this.file.path, 'its id lengths do not match its entry count');
    }
    return this.lengths;
  }

  private lengths?: Uint8Array;

  /**
   * Write the table lines of `entries[from..to)` into `out` from `at`: each
   * id padded to `width`, ` - summary`, ` (vLATEST)`, a newline. Byte by
   * byte: a hundred thousand lines cost less than their native calls would.
   * Stops early when `out` has no room for the next line: returns where the
   * lines end, and `stopped` says which entry comes next.
   */
  tableLines(entries: Int32Array, from: number, to: number, width: number, out: Buffer, at: number): number {
    for (let i = from; i < to; i++) {
      const bytes = this.record('display', entries[i]!);
      const start = this.at;
      const end = this.end;
      if (at + (end - start) + width + 8 > out.length) {
        this.stopped = i;
        return at;
      }
      let p = start;
      while (p < end && bytes[p] !== 0x09) out[at++] = bytes[p++]!;
      // Ids are ASCII (owner/name): bytes are characters.
      for (let pad = width - (p - start); pad > 0; pad--) out[at++] = 0x20;
      const latest = ++p;
      while (p < end && bytes[p] !== 0x09) p++;
      const latestEnd = p++;
      out[at++] = 0x20;
      out[at++] = 0x2d;
      out[at++] = 0x20;
      while (p < end) out[at++] = bytes[p++]!;
      if (latestEnd > latest) {
        out[at++] = 0x20;
        out[at++] = 0x28;
        out[at++] = 0x76;
        for (let q = latest; q < latestEnd; q++) out[at++] = bytes[q]!;
        out[at++] = 0x29;
      }
      out[at++] = 0x0a;
    }
    this.stopped = to;
    return at;
  }

  /** The entry `tableLines` stopped before, when `out` was full. */
  stopped = 0;

  /** The entry numbered for `id`, or -1 when the file does not list it (ids are in order: a binary search). */
  find(id: string): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareIds(this.idAt(mid, true), id);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Entry `e`'s lowercased fields (the parts of searchLine). */
  fields(e: number): string[] {
    const bytes = this.record('text', e);
    return bytes.toString('utf8', this.at, this.end).split('\t');
  }

  /**
   * The score class (an index into SCORES) of `term` (lowercased, not empty)
   * in every entry: 0 where it does not match. Read from the precomputed
   * table for one letter or digit; from the postings of every token holding
   * it for a term of one token; else the entries holding each of its tokens
   * are scored on their text.
   */
  classes(term: string): Uint8Array {
    return this.matches(term).classes;
  }

  /**
   * `classes`, and, when it was found from postings rather than from a
   * table of every entry, the entries it matches (in no order, maybe
   * repeated): a search for a rare term then looks at those entries alone.
   */
  matches(term: string): { classes: Uint8Array; entries?: Int32Array } {
    const n = this.count;
    if (term.length === 1 && term.charCodeAt(0) < 128 && UNIGRAM_INDEX[term.charCodeAt(0)]! >= 0) {
      const [offset] = this.file.section('uni');
      return { classes: this.file.read(offset + UNIGRAM_INDEX[term.charCodeAt(0)]! * n, n) };
    }
    const parts = term.split(SEPARATORS).filter((p) => p !== '');
    if (parts.length === 1 && parts[0] === term) return this.tokenClasses(term);
    // A term across tokens ("web-server", "2.0"): candidates hold each of its tokens; their text decides.
    let candidates: Uint8Array | undefined;
    for (const part of parts) {
      const found = this.classes(part);
      if (!candidates) candidates = Uint8Array.from(found);
      else for (let e = 0; e < n; e++) if (found[e] === 0) candidates[e] = 0;
    }
    const classes = new Uint8Array(n);
    for (let e = 0; e < n; e++) {
      if (candidates && candidates[e] === 0) continue;
      const score = termScore(term, this.fields(e));
      if (score > 0) classes[e] = SCORES.indexOf(score as (typeof SCORES)[number]);
    }
    return { classes };
  }

  /** Classes of a term that is one token: the best over every token that holds it. */
  private tokenClasses(term: string): { classes: Uint8Array; entries: Int32Array } {
    const n = this.count;
    const classes = new Uint8Array(n);
    let touched = new Int32Array(64);
    let touches = 0;
    this.vocab ??= this.file.readSection('vocab');
    this.vstart ??= uint32s(this.file.readSection('vstart'));
    this.pstart ??= uint32s(this.file.readSection('pstart'));
    const { vocab, vstart, pstart } = this;
    const words = vstart.length;
    if (pstart.length !== words + 1) throw new DamagedCacheError(this.file.path, 'its vocabulary and postings do not match');
    const needle = Buffer.from(term);
    const [peAt, peLength] = this.file.section('pe');
    const [pfAt] = this.file.section('pf');
    if (peLength !== 4 * pstart[words]!) throw new DamagedCacheError(this.file.path, 'its postings do not match their count');
    let at = vocab.indexOf(needle, 1);
    while (at >= 0) {
      // The token holding this match: the last that starts at or before it.
      let lo = 0;
      let hi = words - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (vstart[mid]! <= at) lo = mid;
        else hi = mid - 1;
      }
      const k = lo;
      const start = vstart[k]!;
      const end = k + 1 < words ? vstart[k + 1]! - 1 : vocab.length - 1;
      const relation = at === start ? (end - start === needle.length ? EQUAL : PREFIX) : INSIDE;
      const table = CLASS[relation]!;
      const from = pstart[k]!;
      const count = pstart[k + 1]! - from;
      if (count > 0) {
        const entries = uint32s(this.file.read(peAt + 4 * from, 4 * count));
        const flags = this.file.read(pfAt + from, count);
        if (touches + count > touched.length) {
          const grown = new Int32Array(Math.max(2 * touched.length, touches + count));
          grown.set(touched.subarray(0, touches));
          touched = grown;
        }
        touched.set(entries, touches);
        touches += count;
        for (let i = 0; i < count; i++) {
          const e = entries[i]!;
          if (e >= n) throw new DamagedCacheError(this.file.path, 'a posting names an entry it does not hold');
          const cls = table[flags[i]! & 127]!;
          if (cls > classes[e]!) classes[e] = cls;
        }
      }
      // The next token: one match per token is enough (the first is the best placed).
      at = vocab.indexOf(needle, end + 1);
    }
    return { classes, entries: touched.subarray(0, touches) };
  }
}
