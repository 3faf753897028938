/**
 * CRC-32 as zlib computes it (`zlib.crc32`), for the checksums of the cache
 * files (src/registry/store.ts). Loading node:zlib brings Node's stream
 * machinery with it, about a twelfth of a bare `node -e 0`, while a rare
 * term's search checks a few dozen kilobytes: the first JS_BUDGET bytes are
 * checksummed here (slicing by eight), and a command that checks more, such
 * as a broad search or indexing a registry, loads zlib.
 */

/**
 * Bytes checksummed in JavaScript before zlib takes over. Code this cold
 * runs mostly in V8's interpreter: measured, a megabyte took 7 ms here
 * against zlib's 2-3 ms with its loading.
 */
const JS_BUDGET = 256 * 1024;

let zlibCrc32: ((data: Uint8Array, value?: number) => number) | undefined;
let jsBytes = 0;
let table: Int32Array | undefined;

/** The CRC-32 of `bytes`, continuing `value` (the CRC of what came before them), as an unsigned number. */
export function crc32(bytes: Uint8Array, value = 0): number {
  if (zlibCrc32 === undefined && jsBytes + bytes.length <= JS_BUDGET) {
    jsBytes += bytes.length;
    return sliceBy8(bytes, value);
  }
  zlibCrc32 ??= (process.getBuiltinModule('node:zlib') as typeof import('node:zlib')).crc32;
  return zlibCrc32(bytes, value) >>> 0;
}

/** Eight tables of 256 entries: table k gives the CRC of a byte followed by k zero bytes. */
function tables(): Int32Array {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/** The textbook slicing-by-8 CRC-32 (polynomial 0xEDB88320, reflected, inverted in and out). */
export function sliceBy8(bytes: Uint8Array, value = 0): number {
  const t = (table ??= tables());
  let c = ~value;
  let i = 0;
  const n = bytes.length;
  for (; i + 8 <= n; i += 8) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c =
      t[1792 + (c & 0xff)]! ^
      t[1536 + ((c >>> 8) & 0xff)]! ^
      t[1280 + ((c >>> 16) & 0xff)]! ^
      t[1024 + (c >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < n; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
