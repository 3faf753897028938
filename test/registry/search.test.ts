// cloudlet:search and cloudlet:describe across the built-in registry and two registries served
// over real HTTP on 127.0.0.1, configured in the order builtin, alpha, beta.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { expectUserError, nepho } from '../fixtures/cli.js';
import { writeConfig } from '../fixtures/files.js';
import { ROOT, tempDir } from '../fixtures/paths.js';
import { fakeEntry, indexDoc, serveRegistry } from '../fixtures/registry.js';

interface Hit {
  name: string;
  version: string;
  summary: string;
  registry: string;
}

const alpha = indexDoc({
  'acme/widget': fakeEntry({ summary: 'the widget', keywords: ['tools'] }),
  'acme/gizmo': fakeEntry({ summary: 'a gizmo', keywords: ['widget'] }),
  'acme/thing': fakeEntry({ summary: 'holds a Widget or two' }),
  'acme/other': fakeEntry({ summary: 'something else', description: 'works with any widget' }),
  'acme/shared': fakeEntry({ summary: 'from alpha', keywords: ['shared'] }),
  'acme/multi': fakeEntry({ summary: 'many versions', author: 'Acme', license: 'MIT', project_page: 'https://example.org/multi' }, ['1.0.0', '2.0.0', '1.1.0']),
  'acme/dup': fakeEntry({ summary: 'one dup' }),
});
const beta = indexDoc({
  'acme/shared': fakeEntry({ summary: 'from beta zebra', keywords: ['shared'] }),
  'huit/mediawiki': fakeEntry({ summary: 'an impostor of the built-in one' }, ['9.9.9']),
  'beta/widgetizer': fakeEntry({ summary: 'turns things into widgets' }),
  // Lowercasing 'İ' yields two code units: the lines after this one must still be searched right.
  'beta/turkish': fakeEntry({ summary: 'İ'.repeat(40) }),
  'beta/tail': fakeEntry({ summary: 'tail', description: 'the word findme is at the very end' }),
  'other/dup': fakeEntry({ summary: 'another dup' }),
});

t.test('search and describe', async (t) => {
  const a = await serveRegistry(t, alpha);
  const b = await serveRegistry(t, beta);
  const home = tempDir(t);
  writeConfig(home, `registries:\n  - {name: alpha, url: "${a.url}"}\n  - {name: beta, url: "${b.url}"}\nhttp: {timeout: 5, retries: 0}\n`);
  const search = async (...args: string[]): Promise<Hit[]> => {
    const r = await nepho(['cloudlet:search', ...args, '-o', 'json'], { home });
    t.equal(r.code, 0, `search ${args.join(' ')}: ${r.stderr}`);
    t.equal(r.stderr, '', `search ${args.join(' ')}: no warnings`);
    return JSON.parse(r.stdout) as Hit[];
  };

  t.test('name, then keyword, then summary, then description', async (t) => {
    const hits = await search('widget');
    t.same(
      hits.map((h) => h.name),
      ['acme/widget', 'beta/widgetizer', 'acme/gizmo', 'acme/thing', 'acme/other'],
    );
    t.same(hits[0], { name: 'acme/widget', version: '1.0.0', summary: 'the widget', registry: 'alpha' }, '-o json has name, version, summary, registry');
    t.equal(hits[1]!.registry, 'beta');
    t.same(Object.keys(hits[0]!).sort(), ['name', 'registry', 'summary', 'version']);
  });

  t.test('matching is case-insensitive both ways', async (t) => {
    t.same(
      (await search('WIDGET')).map((h) => h.name),
      ['acme/widget', 'beta/widgetizer', 'acme/gizmo', 'acme/thing', 'acme/other'],
    );
  });

  t.test('every term must match', async (t) => {
    t.same(
      (await search('widget', 'tools')).map((h) => h.name),
      ['acme/widget'],
    );
    t.same(await search('widget', 'nothing-has-this'), []);
    t.same(
      (await search('gizmo', 'widget')).map((h) => h.name),
      ['acme/gizmo'],
    );
  });

  t.test('no terms lists everything, each name once, the first registry winning', async (t) => {
    const hits = await search();
    const names = hits.map((h) => h.name);
    // The built-in registry's cloudlets are whatever official/ holds: read them from the built index.
    const builtin = Object.keys(JSON.parse(readFileSync(join(ROOT, 'dist', 'builtin', 'index.json'), 'utf8')).cloudlets);
    t.ok(builtin.includes('huit/mediawiki'));
    t.same(
      [...names].sort(),
      [
        ...builtin,
        'acme/dup',
        'acme/gizmo',
        'acme/multi',
        'acme/other',
        'acme/shared',
        'acme/thing',
        'acme/widget',
        'beta/tail',
        'beta/turkish',
        'beta/widgetizer',
        'other/dup',
      ].sort(),
    );
    t.equal(new Set(names).size, names.length, 'no name twice');
    t.match(
      hits.find((h) => h.name === 'huit/mediawiki'),
      { registry: 'builtin', summary: 'generic mediawiki awesomeness' },
      'builtin comes first',
    );
    t.match(
      hits.find((h) => h.name === 'acme/shared'),
      { registry: 'alpha', summary: 'from alpha' },
    );
    t.match(
      hits.find((h) => h.name === 'acme/multi'),
      { version: '2.0.0' },
      'the newest version is shown',
    );
  });

  t.test('a name an earlier registry lists is never shown from a later one', async (t) => {
    t.same(await search('zebra'), [], "beta's acme/shared is shadowed by alpha's, which does not match");
    t.same(await search('impostor'), [], "beta's huit/mediawiki is shadowed by the built-in one");
    t.same(
      (await search('shared')).map((h) => [h.name, h.registry]),
      [['acme/shared', 'alpha']],
    );
  });

  t.test('text after a line whose lowercase is longer is still found', async (t) => {
    t.same(
      (await search('findme')).map((h) => h.name),
      ['beta/tail'],
    );
    t.same(
      (await search('very', 'end')).map((h) => h.name),
      ['beta/tail'],
    );
    t.same(
      (await search('i̇')).map((h) => h.name),
      ['beta/turkish'],
      'the lowercase of İ finds it',
    );
  });

  t.test('--limit', async (t) => {
    t.same(
      (await search('widget', '--limit', '2')).map((h) => h.name),
      ['acme/widget', 'beta/widgetizer'],
    );
    t.equal((await search('--limit', '1')).length, 1);
    for (const bad of ['0', 'abc', '1.5']) {
      const r = await nepho(['cloudlet:search', 'widget', `--limit=${bad}`], { home });
      expectUserError(t, r, new RegExp(`--limit '${bad.replace('.', '\\.')}' is not a whole number`), `--limit ${bad}`);
    }
  });

  t.test('the table: one line per hit, in rank order', async (t) => {
    const r = await nepho(['cloudlet:search', 'widget'], { home });
    t.equal(r.code, 0);
    const lines = r.stdout.trim().split('\n');
    t.equal(lines.length, 5);
    t.match(lines[0], /^acme\/widget\s+- the widget \(v1\.0\.0\)$/);
    t.match(lines[4], /^acme\/other\s+- something else \(v1\.0\.0\)$/);
    const none = await nepho(['cloudlet:search', 'nothing-has-this'], { home });
    t.equal(none.code, 0);
    t.equal(none.stdout, '');
    t.match(none.stderr, /no cloudlets match nothing-has-this/);
    const yaml = await nepho(['cloudlet:search', 'widget', '--limit', '1', '-o', 'yaml'], { home });
    t.same(parse(yaml.stdout), [{ name: 'acme/widget', version: '1.0.0', summary: 'the widget', registry: 'alpha' }], '-o yaml carries the same data as json');
  });

  t.test('describe NAME', async (t) => {
    const r = await nepho(['cloudlet:describe', 'acme/multi'], { home });
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /^Name:\s+acme\/multi$/m);
    t.match(r.stdout, /^Summary:\s+many versions$/m);
    t.match(r.stdout, /^Author:\s+Acme$/m);
    t.match(r.stdout, /^License:\s+MIT$/m);
    t.match(r.stdout, /^Project URL:\s+https:\/\/example\.org\/multi$/m);
    t.match(r.stdout, /^Repository:\s+https:\/\/example\.org\/x\.git$/m);
    t.match(r.stdout, /^Registry:\s+alpha$/m);
    t.match(r.stdout, /^Versions:\s+2\.0\.0, 1\.1\.0, 1\.0\.0$/m);
    const json = JSON.parse((await nepho(['cloudlet:describe', 'acme/multi', '-o', 'json'], { home })).stdout);
    t.match(json, { name: 'acme/multi', registry: 'alpha', summary: 'many versions', source: 'https://example.org/x.git' });
    t.notOk('id' in json, 'no internal id field');
    t.equal(json.projectPage, 'https://example.org/multi', "the registry's project_page, in nepho's camelCase");
    t.notOk('project_page' in json, 'no snake_case key');
    t.same(
      json.versions.map((v: { version: string }) => v.version),
      ['2.0.0', '1.1.0', '1.0.0'],
    );
    t.match(json.versions[0], { version: '2.0.0', ref: 'v2.0.0', commit: /^[0-9a-f]{40}$/ });
  });

  t.test('describe NAME@RANGE shows the versions in range', async (t) => {
    const json = JSON.parse((await nepho(['cloudlet:describe', 'acme/multi@^1', '-o', 'json'], { home })).stdout);
    t.same(
      json.versions.map((v: { version: string }) => v.version),
      ['1.1.0', '1.0.0'],
    );
    const yaml = parse((await nepho(['cloudlet:describe', 'acme/multi@~1.0', '-o', 'yaml'], { home })).stdout);
    t.same(
      yaml.versions.map((v: { version: string }) => v.version),
      ['1.0.0'],
    );
    const none = await nepho(['cloudlet:describe', 'acme/multi@^3'], { home });
    t.equal(none.code, 0);
    t.match(none.stdout, /^Versions:\s+none in range \^3$/m);
    expectUserError(
      t,
      await nepho(['cloudlet:describe', 'acme/multi@not-a-range'], { home }),
      /'not-a-range' in 'acme\/multi@not-a-range' is not a semver range/,
      'a bad range',
    );
  });

  t.test('describe by short name, first registry winning', async (t) => {
    const mw = JSON.parse((await nepho(['cloudlet:describe', 'mediawiki', '-o', 'json'], { home })).stdout);
    t.match(mw, { name: 'huit/mediawiki', registry: 'builtin', summary: 'generic mediawiki awesomeness' });
    t.same(
      mw.versions.map((v: { version: string }) => v.version),
      ['0.7.2'],
      'not the impostor in beta',
    );
    const full = JSON.parse((await nepho(['cloudlet:describe', 'huit/mediawiki', '-o', 'json'], { home })).stdout);
    t.same(full, mw);
    t.match(JSON.parse((await nepho(['cloudlet:describe', 'widget', '-o', 'json'], { home })).stdout), { name: 'acme/widget' });
    t.match(JSON.parse((await nepho(['cloudlet:describe', 'shared', '-o', 'json'], { home })).stdout), { name: 'acme/shared', registry: 'alpha' });
    expectUserError(t, await nepho(['cloudlet:describe', 'dup'], { home }), /'dup' could be acme\/dup or other\/dup/, 'an ambiguous short name');
  });

  t.test('describe of an unknown or bad name', async (t) => {
    expectUserError(t, await nepho(['cloudlet:describe', 'nobody/nothing'], { home }), /unknown cloudlet 'nobody\/nothing'/, 'unknown owner/name');
    expectUserError(t, await nepho(['cloudlet:describe', 'nothing'], { home }), /unknown cloudlet 'nothing'/, 'unknown short name');
    expectUserError(t, await nepho(['cloudlet:describe', 'a/b/c'], { home }), /'a\/b\/c'/, 'a/b/c');
    expectUserError(t, await nepho(['cloudlet:describe', '../x'], { home }), /'\.\.\/x' is not a registry name/, '../x');
    expectUserError(t, await nepho(['cloudlet:describe', '--', '-x'], { home }), /'-x'/, '-x');
  });
});
