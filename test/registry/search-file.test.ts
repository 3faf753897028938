// The cached search file (search.tsv): its format-2 header and lines, and a format-1 file
// left by an earlier nepho, which must still be searched right and is upgraded in place.
// Real files, and a registry served over real HTTP on 127.0.0.1.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fakeEntry, indexDoc, serveRegistry } from '../fixtures/registry.js';
import { cached, homeWith, searchJson } from '../fixtures/registry-cache.js';

const HEADER = '#nepho-search 2\n';

// Not in order of id, with text whose lowercase is longer ('İ') and tabs and newlines to clean.
const entries: Record<string, Record<string, unknown>> = {
  'zed/last': fakeEntry({ summary: 'Last One', keywords: ['Alpha', 'beta'], description: 'ends\twith\nfindme' }, ['1.0.0', '2.0.0']),
  'acme/turkish': fakeEntry({ summary: 'İ'.repeat(20), keywords: ['İstanbul'] }),
  'acme/web': fakeEntry({ summary: 'Web Server', description: 'a web thing' }),
  'mid/webhooks': fakeEntry({ summary: 'hooks for the web', keywords: ['web'] }),
  'acme/alpha': fakeEntry({ summary: 'first', description: 'mentions BETA once' }),
};

/** What an earlier nepho wrote: `id\tlatest\tkeywords\tsummary\tdescription` per cloudlet, in index order, no header. */
function formatOne(): string {
  const clean = (s: unknown) => String(s ?? '').replace(/[\t\r\n]+/g, ' ');
  return Object.entries(entries).map(([id, e]) => {
    const versions = (e.versions as { version: string }[]).map((v) => v.version).sort().reverse();
    return `${id}\t${versions[0]}\t${clean((e.keywords as string[]).join(' '))}\t${clean(e.summary)}\t${clean(e.description)}\n`;
  }).join('');
}

/**
 * Leave a format-1 search file as an earlier nepho did: its meta file recorded no size or
 * checksum of the files (without that, a file of another size would rightly be taken as damaged).
 */
function writeFormatOne(home: string, text: string): void {
  const dir = join(home, 'cache', 'registries', 'community');
  const { files: _none, ...meta } = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  writeFileSync(join(dir, 'search.tsv'), text);
}

const QUERIES = [['web'], ['WEB'], ['beta'], ['alpha', 'beta'], ['findme'], ['i̇'], ['i̇stanbul'], ['2.0.0'], ['nothing-matches'], []];

t.test('the search file: a header naming its format, lines in order of id', async (t) => {
  const server = await serveRegistry(t, indexDoc(entries));
  const home = await homeWith(t, server.url, 'http: {timeout: 5, retries: 0}\n');
  const text = cached(home, 'search.tsv');
  t.ok(text.startsWith(HEADER), 'the first line names format 2');
  const lines = text.slice(HEADER.length).split('\n');
  t.equal(lines.pop(), '', 'every line ends with a newline');
  t.same(lines.map((l) => l.split('\t')[0]), Object.keys(entries).sort(), 'one line per cloudlet, in order of id');
  const last = lines.find((l) => l.startsWith('zed/last\t'));
  t.equal(last, 'zed/last\t2.0.0\tLast One\tzed/last\t2.0.0\talpha beta\tlast one\tends with findme',
    'the shown id, version and summary, then the whole line lowercased');
  const turkish = lines.find((l) => l.startsWith('acme/turkish\t'))!;
  t.ok(turkish.endsWith(`\t${'İ'.repeat(20).toLowerCase()}\t`), 'lowercasing may lengthen the text');
});

t.test('a format-1 search file from an earlier nepho is searched the same, and upgraded', async (t) => {
  const server = await serveRegistry(t, indexDoc(entries));
  const home = await homeWith(t, server.url, 'http: {timeout: 5, retries: 0}\n');
  const fresh = cached(home, 'search.tsv');
  const expected = [];
  for (const terms of QUERIES) expected.push((await searchJson(home, ...terms)).hits);
  t.ok(expected[0]!.length > 0 && expected.at(-1)!.length === Object.keys(entries).length, 'the queries find something');

  writeFormatOne(home, formatOne());
  const first = await searchJson(home, 'web');
  t.equal(first.r.code, 0);
  t.equal(first.r.stderr, '', 'no warning: the file is only a cache');
  t.same(first.hits, expected[0], 'the first search, over the format-1 file, finds the same');
  t.equal(cached(home, 'search.tsv'), fresh, 'the file is rewritten as a fresh fetch writes it');

  writeFormatOne(home, formatOne());
  for (const [i, terms] of QUERIES.entries()) {
    t.same((await searchJson(home, ...terms)).hits, expected[i], `search ${terms.join(' ') || '(everything)'} after an upgrade`);
  }
  t.equal(server.requests.length, 1, 'the upgrade needs no fetch');
});

t.test('an empty format-1 search file (a registry with no cloudlets) is upgraded too', async (t) => {
  const server = await serveRegistry(t, indexDoc({}));
  const home = await homeWith(t, server.url, 'http: {timeout: 5, retries: 0}\n');
  t.equal(cached(home, 'search.tsv'), HEADER, 'a fresh empty file has only the header');
  writeFormatOne(home, '');
  const { r, hits } = await searchJson(home);
  t.equal(r.code, 0, r.stderr);
  t.same(hits, []);
  t.equal(cached(home, 'search.tsv'), HEADER);
});
