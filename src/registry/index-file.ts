import type { RegistryCloudlet } from './format.js';
import { compareIds } from './search-index.js';
import { CheckedFileReader, CheckedFileWriter, DamagedCacheError, entryCount, openContainer, uint32s } from './store.js';

/**
 * The index file of a registry's cached copy (`index.bin`): every valid
 * entry, checked and normalised, as one line of JSON each, written as the
 * download is read; then the ids in order with where each entry's line is,
 * so that `cloudlet:describe` and `cloudlet:install` read one entry, not the
 * index. Sections: `records` (the lines, in the order the index gave them),
 * `ids` and `ioff` (the ids in order, each followed by a newline, and where
 * each starts), `roff` (where each id's line starts in `records`, and where
 * the last ends).
 */

/** The kind of container file (see store.ts). */
export const INDEX_KIND = 'index';

/**
 * Writes the index file as entries come: each line goes to the file at once,
 * only ids and offsets stay in memory. An id that comes again replaces the
 * earlier entry (its line stays in the file, unreferenced).
 */
export class IndexFileBuilder {
  private readonly out: CheckedFileWriter;
  private readonly ids: string[] = [];
  private readonly starts: number[] = [];
  private readonly live: boolean[] = [];
  private readonly byId = new Map<string, number>();

  constructor(path: string) {
    this.out = new CheckedFileWriter(path, INDEX_KIND);
    this.out.begin('records');
  }

  /** Add a valid entry; returns its number (in the order entries were added). */
  add(cloudlet: RegistryCloudlet): number {
    const earlier = this.byId.get(cloudlet.id);
    if (earlier !== undefined) this.live[earlier] = false;
    const input = this.ids.length;
    this.ids.push(cloudlet.id);
    this.starts.push(this.out.offset);
    this.live.push(true);
    this.byId.set(cloudlet.id, input);
    this.out.write(`${JSON.stringify(cloudlet)}\n`);
    return input;
  }

  /** Forget the entry of `id`, if any (a later entry of the same id was left out). */
  drop(id: string): void {
    const earlier = this.byId.get(id);
    if (earlier === undefined) return;
    this.live[earlier] = false;
    this.byId.delete(id);
  }

  /** Forget every entry so far. */
  dropAll(): void {
    for (const id of [...this.byId.keys()]) this.drop(id);
  }

  /**
   * Write the tables and close the file. Returns the entries' numbers in
   * order of id (what the search file is written in) and the file's size.
   */
  finish(generation: string, extra: Record<string, unknown>): { order: Int32Array; size: number } {
    const out = this.out;
    try {
      this.starts.push(out.offset);
      out.end();
      const order = Int32Array.from(this.byId.values()).sort((a, b) => compareIds(this.ids[a]!, this.ids[b]!));
      const n = order.length;
      const ioff = new Uint32Array(n + 1);
      const roff = new Uint32Array(2 * n);
      let text = '';
      let bytes = 0;
      for (let r = 0; r < n; r++) {
        const input = order[r]!;
        const id = this.ids[input]!;
        ioff[r] = bytes;
        text += `${id}\n`;
        bytes += id.length + 1;
        roff[2 * r] = this.starts[input]!;
        roff[2 * r + 1] = this.nextStart(input) - this.starts[input]!;
      }
      ioff[n] = bytes;
      out.section('ids', text);
      for (const [name, array] of [
        ['ioff', ioff],
        ['roff', roff],
      ] as const) {
        out.write(new Uint8Array((8 - (out.offset % 8)) % 8));
        out.section(name, new Uint8Array(array.buffer));
      }
      return { order, size: out.finish(generation, { ...extra, count: n }) };
    } catch (error) {
      out.abandon();
      throw error;
    }
  }

  /** Abandon the file (the caller removes it). */
  abandon(): void {
    this.out.abandon();
  }

  private nextStart(input: number): number {
    return this.starts[input + 1]!;
  }
}

/** A registry's index file, open to look entries up (every byte read is checked; see store.ts). */
export class IndexFile {
  /** How many entries it holds. */
  readonly count: number;
  private ioff?: Uint32Array;
  private roff?: Uint32Array;

  private constructor(private readonly file: CheckedFileReader) {
    this.count = entryCount(file);
  }

  /** Open the index file at `path` (DamagedCacheError when it is missing or damaged). */
  static open(path: string): IndexFile {
    return openContainer(path, INDEX_KIND, (file) => new IndexFile(file));
  }

  /** The generation of the copy it belongs to. */
  get generation(): string {
    return this.file.generation;
  }

  /** The index's own `generated` time, when it gave one. */
  get generated(): string | undefined {
    const generated = this.file.directory.generated;
    return typeof generated === 'string' ? generated : undefined;
  }

  /** Release the file. */
  close(): void {
    this.file.close();
  }

  private tables(): { ioff: Uint32Array; roff: Uint32Array } {
    this.ioff ??= uint32s(this.file.readSection('ioff'));
    this.roff ??= uint32s(this.file.readSection('roff'));
    if (this.ioff.length !== this.count + 1 || this.roff.length !== 2 * this.count) {
      throw new DamagedCacheError(this.file.path, 'its tables do not match its entry count');
    }
    return { ioff: this.ioff, roff: this.roff };
  }

  /** The id at position `r` in order of id. */
  private idAt(r: number): string {
    const { ioff } = this.tables();
    const [offset, length] = this.file.section('ids');
    if (ioff[r + 1]! > length || ioff[r + 1]! <= ioff[r]!) throw new DamagedCacheError(this.file.path, `id ${r} lies outside its section`);
    return this.file.read(offset + ioff[r]!, ioff[r + 1]! - ioff[r]! - 1).toString('latin1');
  }

  /** The entry at position `r` in order of id. */
  entryAt(r: number): RegistryCloudlet {
    const { roff } = this.tables();
    const [offset, length] = this.file.section('records');
    const start = roff[2 * r]!;
    const size = roff[2 * r + 1]!;
    if (start + size > length || size < 2) throw new DamagedCacheError(this.file.path, `entry ${r} lies outside its section`);
    try {
      return JSON.parse(this.file.read(offset + start, size).toString('utf8')) as RegistryCloudlet;
    } catch (error) {
      if (error instanceof DamagedCacheError) throw error;
      throw new DamagedCacheError(this.file.path, `entry ${r} is not valid JSON`);
    }
  }

  /** The entry of `id`, or undefined (a binary search over the ids). */
  find(id: string): RegistryCloudlet | undefined {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareIds(this.idAt(mid), id);
      if (c === 0) return this.entryAt(mid);
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Every id whose name (after the `/`) is `name`, in order. */
  idsNamed(name: string): string[] {
    const ids = this.file.readSection('ids');
    const needle = Buffer.from(`/${name}\n`);
    const found: string[] = [];
    for (let at = ids.indexOf(needle); at >= 0; at = ids.indexOf(needle, at + 1)) {
      const start = ids.lastIndexOf(0x0a, at) + 1;
      found.push(ids.toString('latin1', start, at + needle.length - 1));
    }
    return found;
  }
}
