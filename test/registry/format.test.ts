// Unit tests of the registry index format (src/registry/format.ts), run on the TypeScript directly.
import t from 'tap';
import { API_VERSION, parseIndex, resolveSource } from '../../src/registry/format.js';
import { NephoError } from '../../src/errors.js';
import { fakeEntry } from '../fixtures/registry.js';

const URL_HTTP = 'http://127.0.0.1:8080/reg/index.json';
const doc = (cloudlets: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ apiVersion: API_VERSION, cloudlets, ...extra });
const commit = 'a'.repeat(40);

/** The NephoError parseIndex throws for `text`. */
function rejection(text: string, registry = 'community'): NephoError {
  try {
    parseIndex(text, registry, URL_HTTP);
  } catch (error) {
    if (error instanceof NephoError) return error;
    throw error;
  }
  throw new Error('parseIndex accepted the document');
}

t.test('a valid index: fields kept, versions newest first, generated kept', async (t) => {
  const { index, warnings } = parseIndex(
    doc(
      {
        'huit/mediawiki': fakeEntry(
          {
            summary: 'wiki',
            description: 'long',
            author: 'HUIT',
            license: 'MIT',
            keywords: ['wiki', 'php'],
            project_page: 'https://example.org/mw',
            source: 'https://example.org/mw.git',
          },
          ['0.7.2', '1.0.0', '0.10.0'],
        ),
      },
      { generated: '2026-11-22T10:00:00Z' },
    ),
    'community',
    URL_HTTP,
  );
  t.same(warnings, []);
  t.equal(index.apiVersion, 'nepho/v1');
  t.equal(index.generated, '2026-11-22T10:00:00Z');
  const c = index.cloudlets['huit/mediawiki']!;
  t.equal(c.id, 'huit/mediawiki');
  t.same(
    c.versions.map((v) => v.version),
    ['1.0.0', '0.10.0', '0.7.2'],
    'semver order, not string order',
  );
  t.match(c, {
    summary: 'wiki',
    description: 'long',
    author: 'HUIT',
    license: 'MIT',
    keywords: ['wiki', 'php'],
    project_page: 'https://example.org/mw',
    source: 'https://example.org/mw.git',
  });
  t.equal(c.versions[0]!.ref, 'v1.0.0');
  t.match(c.versions[0]!.commit, /^[0-9a-f]{40}$/);
});

t.test('keywords default to an empty list; a digest is kept when well formed', async (t) => {
  const digest = `sha256:${'b'.repeat(64)}`;
  const { index, warnings } = parseIndex(
    doc({
      'a/b': { source: 'https://example.org/b.git', versions: [{ version: '1.0.0', ref: 'v1.0.0', commit, digest }] },
    }),
    'r',
    URL_HTTP,
  );
  t.same(warnings, []);
  t.same(index.cloudlets['a/b']!.keywords, []);
  t.equal(index.cloudlets['a/b']!.versions[0]!.digest, digest);
});

t.test('relative sources are resolved against the index URL', async (t) => {
  const { index } = parseIndex(
    doc({
      'a/here': fakeEntry({ source: './here.git' }),
      'a/up': fakeEntry({ source: '../up.git' }),
      'a/abs': fakeEntry({ source: 'https://elsewhere.example/abs.git' }),
      'a/scp': fakeEntry({ source: 'git@github.com:a/scp.git' }),
    }),
    'r',
    URL_HTTP,
  );
  t.equal(index.cloudlets['a/here']!.source, 'http://127.0.0.1:8080/reg/here.git');
  t.equal(index.cloudlets['a/up']!.source, 'http://127.0.0.1:8080/up.git');
  t.equal(index.cloudlets['a/abs']!.source, 'https://elsewhere.example/abs.git', 'absolute URLs are used as written');
  t.equal(index.cloudlets['a/scp']!.source, 'git@github.com:a/scp.git');
  t.equal(resolveSource('./x.git', 'file:///srv/registry/index.json'), 'file:///srv/registry/x.git');
  t.equal(resolveSource('../x.git', 'file:///srv/registry/index.json'), 'file:///srv/x.git');
});

t.test('a document that is not the format throws one line naming the registry', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '<html>\n<body>\x1b[31mdown</body>', /not valid JSON/],
    ['empty', '', /not valid JSON/],
    ['truncated', '{"apiVersion": "nepho/v1", ', /not valid JSON/],
    ['an array', '[]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['wrong apiVersion', JSON.stringify({ apiVersion: 'nepho/v2', cloudlets: {} }), /apiVersion is "nepho\/v2", expected "nepho\/v1"/],
    ['no apiVersion', JSON.stringify({ cloudlets: {} }), /apiVersion/],
    ['cloudlets missing', JSON.stringify({ apiVersion: 'nepho/v1' }), /"cloudlets" is missing or not an object/],
    ['cloudlets a list', JSON.stringify({ apiVersion: 'nepho/v1', cloudlets: [] }), /"cloudlets"/],
    ['cloudlets a string', JSON.stringify({ apiVersion: 'nepho/v1', cloudlets: 'x' }), /"cloudlets"/],
  ];
  for (const [what, text, pattern] of cases) {
    const error = rejection(text, 'community');
    t.equal(error.code, 'REGISTRY_INVALID', what);
    t.match(error.message, /^registry 'community': /, `${what}: names the registry`);
    t.match(error.message, pattern, what);
    t.notMatch(error.message, /[\n\r\x1b]/, `${what}: one line, no terminal escapes`);
  }
});

t.test('an absurd apiVersion is not echoed whole', async (t) => {
  const error = rejection(JSON.stringify({ apiVersion: 'x'.repeat(100_000), cloudlets: {} }));
  t.ok(error.message.length < 300, `message is ${error.message.length} characters`);
});

t.test('one bad entry is left out with a warning naming it; the rest is kept', async (t) => {
  const bad: [string, unknown, RegExp][] = [
    ['../x', fakeEntry(), /owner\/name/],
    ['a/b/c', fakeEntry(), /owner\/name/],
    ['/abs/x', fakeEntry(), /owner\/name/],
    ['Upper/Case', fakeEntry(), /owner\/name/],
    ['__proto__', fakeEntry(), /owner\/name/],
    ['a/not-object', 'just a string', /not an object/],
    ['a/no-source', { ...fakeEntry(), source: undefined }, /"source" is missing/],
    ['a/ext-source', fakeEntry({ source: 'ext::sh -c touch /tmp/pwned' }), /transport that runs commands/],
    ['a/fd-source', fakeEntry({ source: 'fd::17' }), /transport that runs commands/],
    ['a/dash-source', fakeEntry({ source: '--upload-pack=touch /tmp/pwned' }), /starts with "-"/],
    ['a/no-commit', fakeEntry({ versions: [{ version: '1.0.0', ref: 'v1.0.0' }] }), /commit must be a 40-character commit id/],
    ['a/short-commit', fakeEntry({ versions: [{ version: '1.0.0', ref: 'v1.0.0', commit: 'abc123' }] }), /commit must be a 40-character/],
    ['a/upper-commit', fakeEntry({ versions: [{ version: '1.0.0', ref: 'v1.0.0', commit: 'A'.repeat(40) }] }), /commit must be a 40-character/],
    ['a/bad-semver', fakeEntry({ versions: [{ version: '1.0', ref: 'v1.0', commit }] }), /not a semver version/],
    [
      'a/dup-version',
      fakeEntry({
        versions: [
          { version: '1.0.0', ref: 'v1.0.0', commit },
          { version: 'v1.0.0', ref: 'x', commit },
        ],
      }),
      /listed twice/,
    ],
    ['a/no-versions', fakeEntry({ versions: [] }), /non-empty list/],
    ['a/dash-ref', fakeEntry({ versions: [{ version: '1.0.0', ref: '--output=/tmp/x', commit }] }), /starts with "-"/],
    ['a/dotdot-ref', fakeEntry({ versions: [{ version: '1.0.0', ref: '../../x', commit }] }), /not a valid ref/],
    ['a/bad-digest', fakeEntry({ versions: [{ version: '1.0.0', ref: 'v1.0.0', commit, digest: 'md5:00' }] }), /digest/],
    ['a/keywords', fakeEntry({ keywords: 'wiki' }), /keywords/],
    ['a/summary', fakeEntry({ summary: 42 }), /"summary" must be a string/],
  ];
  const cloudlets: Record<string, unknown> = { 'good/one': fakeEntry() };
  for (const [id, entry] of bad) if (id !== '__proto__') cloudlets[id] = entry;
  cloudlets['good/two'] = fakeEntry();
  // JSON.stringify drops a __proto__ own key made by a literal; write the document by hand so it is really there.
  const text = doc(cloudlets).replace('"cloudlets":{', '"cloudlets":{"__proto__":{},');
  const { index, warnings } = parseIndex(text, 'community', URL_HTTP);
  t.same(Object.keys(index.cloudlets).sort(), ['good/one', 'good/two']);
  t.equal(Object.getPrototypeOf(index.cloudlets), Object.prototype, 'a __proto__ entry does not change the prototype');
  for (const [id, , pattern] of bad) {
    const warning = warnings.find((w) => w.includes(`entry '${id}'`));
    t.ok(warning, `a warning names ${id}`);
    t.match(warning ?? '', /^registry 'community': entry '.*' left out: /, `${id}: names the registry`);
    t.match(warning ?? '', pattern, `${id}: says why`);
  }
});

t.test('warnings and texts cannot carry terminal escapes or extra lines', async (t) => {
  const { index, warnings } = parseIndex(
    doc({
      'a/evil\x1b[2J\nname': fakeEntry(),
      'a/evil-source': fakeEntry({ source: 'https://example.org/\x1b]0;pwned\x07\n.git' }),
      'a/evil-text': fakeEntry({ summary: 'nice\x1b[31m red\r\x1b[2K', description: 'line one\nline two\ttab\x07', keywords: ['k\x1b[1m'] }),
    }),
    'r',
    URL_HTTP,
  );
  t.equal(warnings.length, 2);
  for (const w of warnings) t.notMatch(w, /[\x00-\x1f\x7f]/, `one plain line: ${JSON.stringify(w)}`);
  const c = index.cloudlets['a/evil-text']!;
  t.notMatch(c.summary!, /[\x00-\x1f\x7f]/, 'summary has no control characters');
  t.match(c.summary!, /^nice.*red/);
  t.equal(c.description, 'line one\nline two\ttab', 'newlines and tabs in a description are kept');
  t.notMatch(c.keywords[0]!, /\x1b/);
});

t.test('an empty cloudlets object is a valid, empty registry', async (t) => {
  const { index, warnings } = parseIndex(doc({}), 'r', URL_HTTP);
  t.same(index.cloudlets, {});
  t.same(warnings, []);
});
