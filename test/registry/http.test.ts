// src/http.ts in this process, against real HTTP servers on 127.0.0.1: what the CLI cannot show
// from outside (how much memory a compressed bomb costs), and the printable form of URLs.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gzipSync } from 'node:zlib';
import t from 'tap';
import { fetchText, printableUrl } from '../../src/http.js';
import { NephoError } from '../../src/errors.js';
import { serveHttp } from '../fixtures/http.js';
import { ROOT } from '../fixtures/paths.js';

// First in this file, so that no earlier test has already raised the process's peak memory.
t.test('a gzip bomb under the cap on the wire is stopped at the cap once expanded, without expanding it all', async (t) => {
  // 256 MiB of zeros in 64 gzip members of 4 MiB each (a gzip stream may hold several), about 256 KiB on the wire.
  const member = gzipSync(Buffer.alloc(4 * 1024 * 1024), { level: constants.Z_BEST_COMPRESSION });
  const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
  const server = await serveHttp(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': bomb.length }).end(bomb);
  });
  const maxBytes = 1024 * 1024;
  t.ok(bomb.length < maxBytes, `the bomb is ${bomb.length} bytes on the wire`);

  const before = process.resourceUsage().maxRSS; // kilobytes, the peak so far
  const error = await fetchText(`${server.origin}/index.json`, { what: "registry 'bomb'", timeout: 30, retries: 0, maxBytes }).then(
    () => undefined,
    (e: unknown) => e,
  );
  const grewMiB = (process.resourceUsage().maxRSS - before) / 1024;
  t.type(error, NephoError);
  t.match((error as NephoError).message, /^registry 'bomb': http:\/\/127\.0\.0\.1:\d+\/index\.json is larger than the 1048576-byte limit$/);
  // Expanding it all would hold 256 MiB at least once (more while got joins and decodes it).
  t.ok(grewMiB < 100, `the peak memory grew by ${grewMiB.toFixed(0)} MiB`);
});

t.test('a plain and a compressed index both come back as text, with their ETag', async (t) => {
  const doc = JSON.stringify({ apiVersion: 'nepho/v1', cloudlets: {}, note: 'héllo wörld' });
  const server = await serveHttp(t, (req, res) => {
    const gz = req.url === '/gz' && /gzip/.test(String(req.headers['accept-encoding']));
    const body = gz ? gzipSync(doc) : Buffer.from(doc);
    res.writeHead(200, { etag: '"v1"', 'content-type': 'application/json', ...(gz ? { 'content-encoding': 'gzip' } : {}) }).end(body);
  });
  for (const path of ['/plain', '/gz']) {
    const result = await fetchText(`${server.origin}${path}`, { what: 'x', timeout: 5, retries: 0, maxBytes: 10_000 });
    t.same(result, { status: 'fresh', body: doc, etag: '"v1"' }, path);
  }
});

t.test('a 304 to a conditional request is not-modified', async (t) => {
  const server = await serveHttp(t, (req, res) => {
    if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"' }).end();
    else res.writeHead(200, { etag: '"v1"' }).end('{}');
  });
  t.same(await fetchText(`${server.origin}/i`, { what: 'x', timeout: 5, retries: 0, maxBytes: 100, etag: '"v1"' }), { status: 'not-modified' });
  t.same(await fetchText(`${server.origin}/i`, { what: 'x', timeout: 5, retries: 0, maxBytes: 100, etag: '"old"' }), {
    status: 'fresh',
    body: '{}',
    etag: '"v1"',
  });
});

t.test('printableUrl hides user and password, even in a URL that does not parse', async (t) => {
  t.equal(printableUrl('https://alice:s3cret@example.org/index.json'), 'https://***:***@example.org/index.json');
  t.equal(printableUrl('https://token@example.org/index.json'), 'https://***@example.org/index.json');
  t.equal(printableUrl('https://alice:s3cret@example.org:notaport/index.json'), 'https://***@example.org:notaport/index.json');
  t.equal(printableUrl('https://example.org/a@b/index.json'), 'https://example.org/a@b/index.json', 'an @ in the path is not user info');
  t.equal(printableUrl('not a url'), 'not a url');
});

t.test("got's list formatters (ICU's list data) are made on first use, not when got loads", async (t) => {
  // scripts/bundle.js, nepho-list-format-on-use: about 8 ms of every command that loads got.
  const chunks = join(ROOT, 'dist', 'lazy', 'chunks');
  const is = readdirSync(chunks)
    .map((name) => readFileSync(join(chunks, name), 'utf8'))
    .filter((text) => text.includes('// node_modules/@sindresorhus/is/'));
  t.equal(is.length, 1, "got's type checks are in one chunk");
  t.notMatch(is[0] ?? '', /^var \w+ = new Intl\.ListFormat\(/m, 'no formatter built at load');
  t.equal(
    (is[0] ?? '').match(/\?\?= new Intl\.ListFormat\("en", \{ style: "long", type: "(conjunction|disjunction)" \}\)/g)?.length,
    2,
    'both made on use, as before',
  );
});

t.test("got's HTTP/2, response cache and DNS cache are left out of the build, and nepho never asks for them", async (t) => {
  // scripts/bundle.js puts a stand-in that throws in place of the packages behind these options.
  t.notMatch(readFileSync(join(ROOT, 'src', 'http.ts'), 'utf8'), /\b(http2|cache|dnsCache)\s*:/, 'src/http.ts sets none of them');
  const chunks = join(ROOT, 'dist', 'lazy', 'chunks');
  const got = readdirSync(chunks)
    .map((name) => readFileSync(join(chunks, name), 'utf8'))
    .filter((text) => text.includes('// node_modules/got/'));
  t.equal(got.length, 1, 'got is in one chunk');
  t.notMatch(got[0] ?? '', /\/\/ node_modules\/(http2-wrapper|cacheable-request|cacheable-lookup|keyv)\//);
});
