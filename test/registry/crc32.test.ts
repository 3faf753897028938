// The cache files' checksums (src/registry/crc32.ts) are zlib's CRC-32,
// computed in JavaScript for the first 256 KiB a command checks and by zlib
// after: both must give zlib's value for every length and starting value,
// or a cache file written by one would read as damaged by the other.
import { randomBytes } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import t from 'tap';
import { crc32, sliceBy8 } from '../../src/registry/crc32.js';

const data = randomBytes(3 * 1024 * 1024 + 13);

t.test('slicing by eight gives zlib.crc32 for every length, alignment and starting value', async (t) => {
  const lengths = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 255, 4096, 8192, 65_537];
  const wrong: string[] = [];
  let checked = 0;
  for (const offset of [0, 1, 3, 5]) {
    for (const length of lengths) {
      const bytes = data.subarray(offset, offset + length);
      for (const start of [0, 1, 0xdeadbeef, 0xffffffff]) {
        const expected = zlibCrc32(bytes, start) >>> 0;
        checked++;
        if (sliceBy8(bytes, start) !== expected) wrong.push(`length ${length} at ${offset} from ${start}`);
      }
    }
  }
  t.same(wrong, [], `${checked} cases`);
  t.equal(sliceBy8(Buffer.from('123456789')), 0xcbf43926, 'the standard check value');
});

t.test('crc32 carries a running checksum across the switch from JavaScript to zlib', async (t) => {
  // Pieces of 8 KiB as the writer checksums its blocks, chained: the first 256 KiB in JavaScript, the rest in zlib.
  let running = 0;
  for (let at = 0; at < data.length; at += 8192) running = crc32(data.subarray(at, Math.min(at + 8192, data.length)), running);
  t.equal(running, zlibCrc32(data) >>> 0, 'the same as one zlib call over the whole');
  t.equal(crc32(data.subarray(0, 100)), zlibCrc32(data.subarray(0, 100)) >>> 0, 'and after the switch');
});
