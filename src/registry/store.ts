import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { crc32 } from './crc32.js';

/**
 * The files of a registry's cached copy (`index.bin`, `search.bin`) share one
 * container: data in blocks of BLOCK_SIZE bytes, each with its own CRC-32,
 * then the table of those checksums, a JSON directory naming the sections of
 * the data, and a fixed footer. A reader checks the footer and the table when
 * it opens the file (a cut-short or overwritten end is seen at once) and each
 * block when it first reads it, so a command pays for checking only what it
 * reads, and a block garbled by a crash is never used. See docs/performance.md.
 */

/** Bytes per checked block: the least one read costs, and what one checksum covers. */
export const BLOCK_SIZE = 8192;

const MAGIC = 'NEPHOCF3';
/** magic (8), kind (8), generation (8), data length (8), directory length (4), CRC (4). */
const FOOTER_SIZE = 40;
/** Writes are gathered into buffers this large before they reach the file. */
const WRITE_BUFFER = 1024 * 1024;

/** A cache file that cannot be used as it is: `file` names it, `reason` says what is wrong. */
export class DamagedCacheError extends Error {
  constructor(
    /** The path of the damaged file. */
    readonly file: string,
    /** What is wrong with it, in a few words. */
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** Where a section lies in a file's data: byte offset and length. */
export type Section = [offset: number, length: number];

/** What a file's directory holds: its sections, and whatever its writer added. */
export interface Directory {
  sections: Record<string, Section>;
  [key: string]: unknown;
}

/**
 * Writes one container file, front to back. Sections are named spans of the
 * data (`begin`/`end`); `finish` adds the checksum table, the directory and
 * the footer and syncs the file. The caller renames the file into place.
 */
export class CheckedFileWriter {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(WRITE_BUFFER);
  private buffered = 0;
  private length = 0;
  private readonly crcs: number[] = [];
  private blockCrc = 0;
  private blockFill = 0;
  private readonly sections: Record<string, Section> = {};
  private open: { name: string; start: number } | undefined;

  constructor(
    /** The file to create (it must not exist). */
    readonly path: string,
    /** What the file holds (`index`, `search`): a reader asks for the kind it expects. */
    private readonly kind: string,
  ) {
    this.fd = openSync(path, 'wx', 0o644);
  }

  /** Bytes of data written so far: the offset the next write lands at. */
  get offset(): number {
    return this.length;
  }

  /** Append bytes (a string is written as UTF-8). */
  write(data: Uint8Array | string): void {
    if (typeof data === 'string') {
      // Straight into the buffer when it surely fits (UTF-8 takes at most three bytes per UTF-16 unit): no Buffer per string.
      if (3 * data.length > this.buffer.length - this.buffered) {
        this.flush();
        if (3 * data.length > this.buffer.length) {
          this.write(Buffer.from(data));
          return;
        }
      }
      const written = this.buffer.write(data, this.buffered);
      this.buffered += written;
      this.length += written;
      return;
    }
    if (this.buffered + data.length > this.buffer.length) this.flush();
    if (data.length > this.buffer.length) {
      this.checksum(data);
      writeAll(this.fd, data);
    } else {
      this.buffer.set(data, this.buffered);
      this.buffered += data.length;
    }
    this.length += data.length;
  }

  /** Start the section `name` at the current offset. */
  begin(name: string): void {
    if (this.open) throw new Error(`section ${this.open.name} is still open`);
    this.open = { name, start: this.length };
  }

  /** End the section begun last. */
  end(): void {
    if (!this.open) throw new Error('no section is open');
    this.sections[this.open.name] = [this.open.start, this.length - this.open.start];
    this.open = undefined;
  }

  /** Write `data` as the whole section `name`. */
  section(name: string, data: Uint8Array | string): void {
    this.begin(name);
    this.write(data);
    this.end();
  }

  /**
   * Add the table, the directory (`extra` joins the sections in it) and the
   * footer, sync and close. `generation` (16 hex digits) ties the file to the
   * others of the same copy. Returns the file's size.
   */
  finish(generation: string, extra: Record<string, unknown> = {}): number {
    if (this.open) throw new Error(`section ${this.open.name} is still open`);
    this.flush();
    if (this.blockFill > 0) this.crcs.push(this.blockCrc);
    const table = Buffer.allocUnsafe(4 * this.crcs.length);
    this.crcs.forEach((crc, i) => table.writeUInt32LE(crc >>> 0, 4 * i));
    const directory = Buffer.from(JSON.stringify({ ...extra, sections: this.sections }));
    const footer = Buffer.alloc(FOOTER_SIZE);
    footer.write(MAGIC, 0, 'latin1');
    footer.write(this.kind.padEnd(8, '\0'), 8, 'latin1');
    footer.write(generation.padEnd(16, '0').slice(0, 16), 16, 'hex');
    footer.writeUInt32LE(this.length % 2 ** 32, 24);
    footer.writeUInt32LE(Math.floor(this.length / 2 ** 32), 28);
    footer.writeUInt32LE(directory.length, 32);
    footer.writeUInt32LE(crc32(footer.subarray(0, 36), crc32(directory, crc32(table))) >>> 0, 36);
    for (const part of [table, directory, footer]) writeAll(this.fd, part);
    fsyncSync(this.fd);
    closeSync(this.fd);
    return this.length + table.length + directory.length + FOOTER_SIZE;
  }

  /** Close without finishing (the caller removes the file). */
  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  private checksum(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const take = Math.min(bytes.length - at, BLOCK_SIZE - this.blockFill);
      this.blockCrc = crc32(bytes.subarray(at, at + take), this.blockCrc);
      this.blockFill += take;
      at += take;
      if (this.blockFill === BLOCK_SIZE) {
        this.crcs.push(this.blockCrc);
        this.blockCrc = 0;
        this.blockFill = 0;
      }
    }
  }

  /** Write out what is buffered; its checksums are taken here, a block at a time, rather than write by write. */
  private flush(): void {
    if (this.buffered === 0) return;
    const bytes = this.buffer.subarray(0, this.buffered);
    this.checksum(bytes);
    writeAll(this.fd, bytes);
    this.buffered = 0;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}

/** What a file's footer says, read without checking anything else. */
export interface Footer {
  kind: string;
  generation: string;
  dataLength: number;
  directoryLength: number;
}

/**
 * Reads a container file. Opening it checks its size, footer, checksum table
 * and directory; each block is checked the first time it is read. Every
 * problem is a DamagedCacheError naming the file.
 */
export class CheckedFileReader {
  /** The sections and what the writer added. */
  readonly directory: Directory;
  /** Ties the file to the other files of its copy. */
  readonly generation: string;
  private readonly crcs: Uint32Array;
  private readonly checked: Uint8Array;
  /** Bytes of data (the sections), before the checksum table. */
  readonly dataLength: number;

  private constructor(
    private readonly fd: number,
    readonly path: string,
    footer: Footer,
    tail: Buffer,
  ) {
    this.generation = footer.generation;
    this.dataLength = footer.dataLength;
    const tableLength = tail.length - footer.directoryLength;
    this.crcs = uint32s(tail.subarray(0, tableLength));
    this.checked = new Uint8Array(this.crcs.length);
    let directory: Directory;
    try {
      directory = JSON.parse(tail.toString('utf8', tableLength)) as Directory;
    } catch {
      throw new DamagedCacheError(path, 'its directory is not valid JSON');
    }
    if (directory === null || typeof directory !== 'object' || typeof directory.sections !== 'object' || directory.sections === null) {
      throw new DamagedCacheError(path, 'its directory names no sections');
    }
    this.directory = directory;
  }

  /** Open `path`, which must hold a container of `kind`. */
  static open(path: string, kind: string): CheckedFileReader {
    const fd = openCacheFile(path);
    try {
      const size = fstatSync(fd).size;
      const footer = readFooter(fd, path, size, kind);
      const tailLength = 4 * Math.ceil(footer.dataLength / BLOCK_SIZE) + footer.directoryLength;
      const tail = Buffer.allocUnsafe(tailLength + FOOTER_SIZE);
      readFully(fd, tail, footer.dataLength, path);
      const stored = tail.readUInt32LE(tailLength + 36);
      if (crc32(tail.subarray(tailLength, tailLength + 36), crc32(tail.subarray(0, tailLength))) >>> 0 !== stored) {
        throw new DamagedCacheError(path, 'its checksum table does not match its checksum');
      }
      return new CheckedFileReader(fd, path, footer, tail.subarray(0, tailLength));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** The span of section `name`. */
  section(name: string): Section {
    const span = this.directory.sections[name];
    if (!Array.isArray(span) || span.length !== 2 || !(span[0] >= 0 && span[1] >= 0 && span[0] + span[1] <= this.dataLength)) {
      throw new DamagedCacheError(this.path, `its directory has no valid '${name}' section`);
    }
    return span;
  }

  /** The whole section `name`, checked. */
  readSection(name: string): Buffer {
    const [offset, length] = this.section(name);
    return this.read(offset, length);
  }

  /**
   * `length` bytes of data from `offset`, every block they touch checked.
   * Read into `scratch` when it is large enough (the result is then valid
   * until `scratch` is used again): a reader of many small records does not
   * leave a buffer behind for each.
   */
  read(offset: number, length: number, scratch?: Buffer): Buffer {
    if (length === 0) return Buffer.alloc(0);
    if (offset < 0 || offset + length > this.dataLength) throw new DamagedCacheError(this.path, `a read past its data (${offset}+${length})`);
    const first = Math.floor(offset / BLOCK_SIZE);
    const last = Math.floor((offset + length - 1) / BLOCK_SIZE);
    const start = first * BLOCK_SIZE;
    const span = Math.min((last + 1) * BLOCK_SIZE, this.dataLength) - start;
    const buf = scratch && scratch.length >= span ? scratch.subarray(0, span) : Buffer.allocUnsafe(span);
    readFully(this.fd, buf, start, this.path);
    for (let b = first; b <= last; b++) {
      if (this.checked[b]) continue;
      const from = (b - first) * BLOCK_SIZE;
      if (crc32(buf.subarray(from, from + BLOCK_SIZE)) >>> 0 !== this.crcs[b]) {
        throw new DamagedCacheError(this.path, `the block at byte ${b * BLOCK_SIZE} does not match its checksum`);
      }
      this.checked[b] = 1;
    }
    return buf.subarray(offset - start, offset - start + length);
  }

  /** Release the file. */
  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/**
 * Open the container at `path` as `kind` and hand it to `make` (which may
 * refuse it with a DamagedCacheError: the file is then closed).
 */
export function openContainer<T>(path: string, kind: string, make: (file: CheckedFileReader) => T): T {
  const file = CheckedFileReader.open(path, kind);
  try {
    return make(file);
  } catch (error) {
    file.close();
    throw error;
  }
}

/** The entry count a file's directory records (its writer puts it there as `count`). */
export function entryCount(file: CheckedFileReader): number {
  const count = file.directory.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw new DamagedCacheError(file.path, 'its directory has no entry count');
  return count;
}

/** Open a cache file to read, or a DamagedCacheError saying why it cannot be. */
function openCacheFile(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DamagedCacheError(path, code === 'ENOENT' ? 'missing' : `cannot be read (${code ?? String(error)})`);
  }
}

/** A section's 32-bit numbers read in place (sections are 8-byte aligned; a copy when the buffer is not). */
export function uint32s(bytes: Buffer): Uint32Array {
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  return new Uint32Array(Uint8Array.from(bytes).buffer);
}

function readFully(fd: number, buf: Buffer, position: number, path: string): void {
  let at = 0;
  while (at < buf.length) {
    const n = readSync(fd, buf, at, buf.length - at, position + at);
    if (n === 0) throw new DamagedCacheError(path, 'cut short');
    at += n;
  }
}

function readFooter(fd: number, path: string, size: number, kind: string): Footer {
  if (size < FOOTER_SIZE) throw new DamagedCacheError(path, `${size} bytes, too short to be a cache file`);
  const footer = Buffer.allocUnsafe(FOOTER_SIZE);
  readFully(fd, footer, size - FOOTER_SIZE, path);
  if (footer.toString('latin1', 0, 8) !== MAGIC) throw new DamagedCacheError(path, 'not a cache file of this nepho (cut short or overwritten?)');
  const found = footer.toString('latin1', 8, 16).replace(/\0+$/, '');
  if (found !== kind) throw new DamagedCacheError(path, `holds a ${found} file, not a ${kind} file`);
  const dataLength = footer.readUInt32LE(24) + footer.readUInt32LE(28) * 2 ** 32;
  const directoryLength = footer.readUInt32LE(32);
  const expected = dataLength + 4 * Math.ceil(dataLength / BLOCK_SIZE) + directoryLength + FOOTER_SIZE;
  if (expected !== size) throw new DamagedCacheError(path, `${size} bytes, but its footer says ${expected}`);
  return { kind: found, generation: footer.toString('hex', 16, 24), dataLength, directoryLength };
}

/** A file's footer alone (one small read): its kind and generation, or a DamagedCacheError. */
export function peekFooter(path: string, kind: string): Footer {
  const fd = openCacheFile(path);
  try {
    return readFooter(fd, path, fstatSync(fd).size, kind);
  } finally {
    closeSync(fd);
  }
}
