// The search index (src/registry/search-index.ts) ranks exactly as a scan of
// every entry's text does: a reference implementation of that scan (the
// ranking as nepho has always defined it) is run beside `search` over real
// cached copies, for every kind of term (one character, a whole token, part
// of one, across separators, non-ASCII, lowercase that lengthens, tabs) and
// across two registries (the first that lists a name wins).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { Config } from '../../src/config.js';
import { nephoHome } from '../../src/home.js';
import { search, syncRegistry, type RegistryContext, type RegistrySource, type RegistryState } from '../../src/registry/registries.js';
import { SearchIndex } from '../../src/registry/search-index.js';
import { generateIndex } from '../../bench/search.js';
import { tempDir } from '../fixtures/paths.js';
import { fakeEntry, indexDoc } from '../fixtures/registry.js';

interface Entry {
  id: string;
  latest: string;
  keywords: string[];
  summary?: string;
  description?: string;
}

/** The ranking, as a scan of each entry's lowercased text: every term must be in it; the best field a term is in scores it. */
function reference(registries: Entry[][], terms: string[]): { id: string; score: number; registry: number }[] {
  const wanted = terms.map((term) => term.toLowerCase()).filter((term) => term !== '');
  if (wanted.some((term) => term.includes('\n'))) return [];
  const clean = (s: string | undefined) => (s ?? '').replace(/[\t\r\n]+/g, ' ');
  const hits: { id: string; score: number; registry: number; latest: string; summary: string }[] = [];
  const seen = new Set<string>();
  registries.forEach((entries, registry) => {
    for (const e of entries) {
      if (seen.has(e.id)) continue;
      const line = `${e.id}\t${e.latest}\t${clean(e.keywords.join(' '))}\t${clean(e.summary)}\t${clean(e.description)}`.toLowerCase();
      if (!wanted.every((term) => line.includes(term))) continue;
      const [id = '', , keywords = '', summary = '', description = ''] = line.split('\t');
      const name = id.slice(id.indexOf('/') + 1);
      let total = 0;
      for (const term of wanted) {
        const score =
          name === term || id === term
            ? 1000
            : name.startsWith(term)
              ? 600
              : id.includes(term)
                ? 400
                : keywords.split(' ').includes(term)
                  ? 100
                  : keywords.includes(term)
                    ? 60
                    : summary.includes(term)
                      ? 10
                      : description.includes(term)
                        ? 1
                        : 0;
        if (score === 0) total = -Infinity;
        total += score;
      }
      if (wanted.length === 0 || total > 0)
        hits.push({ id: e.id, score: wanted.length === 0 ? 0 : total, registry, latest: e.latest, summary: clean(e.summary) });
    }
    for (const e of entries) seen.add(e.id);
  });
  return hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The entries of an index document as the reference reads them (versions newest first; every entry here is valid). */
function entriesOf(doc: string): Entry[] {
  const cloudlets = JSON.parse(doc).cloudlets as Record<
    string,
    { keywords?: string[]; summary?: string; description?: string; versions: { version: string }[] }
  >;
  return Object.entries(cloudlets).map(([id, c]) => {
    const latest = c.versions
      .map((v) => v.version)
      .sort((a, b) => {
        const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
        return y[0]! - x[0]! || y[1]! - x[1]! || y[2]! - x[2]!;
      })[0]!;
    return { id, latest, keywords: c.keywords ?? [], summary: c.summary, description: c.description };
  });
}

const tricky = indexDoc({
  'zed/last': fakeEntry({ summary: 'Last One', keywords: ['Alpha', 'beta'], description: 'ends\twith\nfindme' }, ['1.0.0', '2.0.0']),
  'acme/turkish': fakeEntry({ summary: 'İ'.repeat(20), keywords: ['İstanbul'] }),
  'acme/web': fakeEntry({ summary: 'Web Server', description: 'a web thing' }),
  'acme/web-server': fakeEntry({ summary: 'Another web-server', keywords: ['web server', 'http/2'] }),
  'mid/webhooks': fakeEntry({ summary: 'hooks for the web', keywords: ['web'] }),
  'acme/alpha': fakeEntry({ summary: 'first', description: 'mentions BETA once, café and naïve' }),
  'web/a': fakeEntry({ summary: 'a', keywords: ['a', 'b-c'] }),
  'x1/v2-0': fakeEntry({ summary: 'version 2.0 of x', keywords: ['2.0'] }),
});

t.test('search ranks as a scan of every entry would, across two registries', async (t) => {
  const dir = tempDir(t);
  const big = generateIndex(3000, 7);
  // The second registry repeats some of the first's names (shadowed) and adds its own.
  const first = tricky;
  const second = indexDoc({
    'acme/web': fakeEntry({ summary: 'shadowed web' }),
    'other/wiki': fakeEntry({ summary: 'a wiki', keywords: ['wiki'] }),
    ...JSON.parse(big).cloudlets,
  });
  writeFileSync(join(dir, 'first.json'), first);
  writeFileSync(join(dir, 'second.json'), second);
  const home = nephoHome({ NEPHO_HOME: join(dir, 'home') });
  const config: Config = { registries: [], registryTtl: 600, http: { timeout: 5, retries: 0, maxBytes: 64 * 1024 * 1024 }, plugins: [], rest: {} };
  const warnings: string[] = [];
  const ctx: RegistryContext = { home, config, warn: (w) => warnings.push(w) };
  const sources: RegistrySource[] = ['first', 'second'].map((name) => ({ name, url: pathToFileURL(join(dir, `${name}.json`)).toString(), builtin: false }));
  const states: RegistryState[] = [];
  for (const source of sources) states.push(await syncRegistry(source, ctx));
  t.same(
    states.map((s) => s.state),
    ['fetched', 'fetched'],
  );
  t.same(warnings, []);
  const registries = [entriesOf(first), entriesOf(second)];

  const words = entriesOf(big)
    .slice(0, 40)
    .flatMap((e) => [e.id, e.id.split('/')[1]!, ...(e.summary ?? '').toLowerCase().split(' ').slice(0, 2)]);
  const queries: string[][] = [
    [],
    ['web'],
    ['WEB'],
    ['wiki'],
    ['a'],
    ['b'],
    ['z'],
    ['0'],
    ['2'],
    ['-'],
    ['/'],
    ['.'],
    ['2.0'],
    ['web server'],
    ['web-server'],
    ['web-'],
    ['b-c'],
    ['http/2'],
    ['beta'],
    ['alpha', 'beta'],
    ['findme'],
    ['i̇'],
    ['İ'],
    ['i̇stanbul'],
    ['caf'],
    ['é'],
    ['café'],
    ['naïve'],
    ['2.0.0'],
    ['nothing-matches'],
    ['acme/web'],
    ['acme/'],
    ['/web'],
    ['with\tfindme'],
    ['ends\nwith'],
    ['e', 'b'],
    ['postgres', 'backup'],
    ['ka'],
    ['lo', 'wiki'],
    ['zanzibar'],
    ['the'],
    ['ing'],
    ['server', 'a'],
    ...words.map((w) => [w]),
  ];
  for (const terms of queries) {
    const result = await search(ctx, states, terms);
    const got = Array.from({ length: result.length }, (_, i) => result.hit(i));
    result.close();
    const want = reference(registries, terms);
    const label = JSON.stringify(terms);
    t.same(
      got.map((h) => [h.id, h.score, h.registry, h.latest, h.summary]),
      want.map((h) => [h.id, h.score, sources[h.registry]!.name, h.latest, h.summary]),
      `${label}: ${want.length} hits, same order, scores, versions and summaries`,
    );
  }
  // Hits an earlier registry also lists are left out by whichever look-ups read less: a rare term's
  // hit is looked up in the earlier registry; when most entries are hits, the earlier registry's
  // eight names are looked up in this one.
  const find = SearchIndex.prototype.find;
  const lookups: number[] = [];
  SearchIndex.prototype.find = function (this: SearchIndex, id: string) {
    lookups.push(this.count);
    return find.call(this, id);
  };
  try {
    (await search(ctx, states, ['zanzibar'])).close();
    t.same(lookups, [8], 'zanzibar: its one hit looked up in the first registry');
    lookups.length = 0;
    (await search(ctx, states, [])).close();
    t.same(lookups, Array(8).fill(3002), "every entry a hit: the first registry's names looked up in the second");
  } finally {
    SearchIndex.prototype.find = find;
  }
  const hit = await search(ctx, states, ['last'], 1);
  t.same(
    { ...hit.hit(0) },
    { id: 'zed/last', latest: '2.0.0', summary: 'Last One', registry: 'first', score: 1000 },
    'a hit shows the newest version and the summary',
  );
  hit.close();
});

t.test('hits whose display records pass a megabyte are read as a large result, with the same answer', async (t) => {
  // A result of a few hits is gathered into memory (SearchIndex.checkShown), up to a megabyte of records:
  // 200 hits of 6 KB each pass it partway; they are then read block by block, as before gathering existed.
  const dir = tempDir(t);
  const cloudlets: Record<string, unknown> = {};
  for (let i = 0; i < 2000; i++) {
    const keywords = i % 10 === 0 ? ['tenth'] : i % 100 === 1 ? ['hundredth'] : [];
    cloudlets[`long/e${String(i).padStart(4, '0')}`] = fakeEntry({ summary: `entry ${i} ${'lorem '.repeat(1000)}`, keywords });
  }
  const doc = indexDoc(cloudlets);
  writeFileSync(join(dir, 'long.json'), doc);
  const home = nephoHome({ NEPHO_HOME: join(dir, 'home') });
  const config: Config = { registries: [], registryTtl: 600, http: { timeout: 5, retries: 0, maxBytes: 64 * 1024 * 1024 }, plugins: [], rest: {} };
  const ctx: RegistryContext = { home, config, warn: (w) => t.fail(w) };
  const source: RegistrySource = { name: 'long', url: pathToFileURL(join(dir, 'long.json')).toString(), builtin: false };
  const states = [await syncRegistry(source, ctx)];
  for (const terms of [['tenth'], ['hundredth'], ['e0010'], ['lorem']]) {
    const result = await search(ctx, states, terms);
    const got = Array.from({ length: result.length }, (_, i) => result.hit(i));
    result.close();
    const want = reference([entriesOf(doc)], terms);
    t.same(
      got.map((h) => [h.id, h.score, h.latest, h.summary]),
      want.map((h) => [h.id, h.score, h.latest, h.summary]),
      `${terms.join(' ')}: ${want.length} hits, same order, scores, versions and summaries`,
    );
  }
});
