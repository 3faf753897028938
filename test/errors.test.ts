// The error catalogues (src/error-catalogue.ts, and src/providers/<name>/errors.ts for
// each provider) checked against the source that throws their codes and
// against docs/errors.md, which scripts/error-docs.js writes from the build.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ERRORS } from '../src/error-catalogue.js';
import { NephoError, type ErrorEntry } from '../src/errors.js';
import { nepho } from './fixtures/cli.js';
import { ROOT, tempDir } from './fixtures/paths.js';

type Catalogue = Record<string, ErrorEntry>;

const SRC = join(ROOT, 'src');
const CORE_FILE = 'src/error-catalogue.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

/** Each provider's catalogue: the provider (its folder's name), the file, the codes. */
const providers = await Promise.all(
  readdirSync(join(SRC, 'providers'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(SRC, 'providers', entry.name, 'errors.ts')))
    .map(async (entry) => {
      const file = `src/providers/${entry.name}/errors.ts`;
      const { PROVIDER_ERRORS } = (await import(pathToFileURL(join(ROOT, file)).href)) as { PROVIDER_ERRORS: Catalogue };
      return { name: entry.name, file, codes: PROVIDER_ERRORS };
    }),
);
const catalogues = [{ name: 'core', file: CORE_FILE, codes: ERRORS as Catalogue }, ...providers];
const catalogueFiles = new Set(catalogues.map((c) => c.file));
/** Every source file but the catalogues themselves, with its text. */
const sources = sourceFiles(SRC)
  .filter((file) => !catalogueFiles.has(file))
  .map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));
const mentions = (code: string) => sources.filter((s) => s.text.includes(`'${code}'`)).map((s) => s.file);

/** Each `new NephoError(...)` call of a file: the codes its first argument names, and the whole call. */
function throwSites(text: string): { codes: string[]; call: string }[] {
  return [...text.matchAll(/new NephoError\(/g)].map((m) => {
    let depth = 0;
    let end = m.index + 'new NephoError'.length;
    for (; end < text.length; end++) {
      if (text[end] === '(') depth++;
      else if (text[end] === ')' && --depth === 0) break;
    }
    const call = text.slice(m.index, end + 1);
    const first = /^new NephoError\(\s*([^,]+),/.exec(call)?.[1] ?? '';
    return { codes: [...first.matchAll(/'([A-Z][A-Z0-9_]*)'/g)].map((c) => c[1]!), call };
  });
}

t.test('catalogues exist, core and one per built-in provider', async (t) => {
  t.same(providers.map((p) => p.name).sort(), ['cloudformation', 'vagrant']);
  for (const { file, codes } of catalogues) {
    t.ok(Object.keys(codes).length > 0, `${file} lists codes`);
    for (const [code, entry] of Object.entries(codes)) {
      t.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/, `${file}: ${code} is UPPER_SNAKE`);
      t.ok(entry.meaning.trim() !== '' && !entry.meaning.includes('\n'), `${file}: ${code} has a one-line meaning`);
      if (entry.hint !== undefined) t.ok(entry.hint.trim() !== '' && !entry.hint.includes('\n'), `${file}: ${code} has a one-line hint`);
    }
  }
});

t.test('no code is in two catalogues', async (t) => {
  const seen = new Map<string, string>();
  const twice: string[] = [];
  for (const { file, codes } of catalogues) {
    for (const code of Object.keys(codes)) {
      if (seen.has(code)) twice.push(`${code} (${seen.get(code)} and ${file})`);
      seen.set(code, file);
    }
  }
  t.same(twice, [], 'each code has one home');
});

t.test('every catalogued code is used somewhere in src/', async (t) => {
  const unused = catalogues.flatMap(({ file, codes }) =>
    Object.keys(codes)
      .filter((code) => mentions(code).length === 0)
      .map((code) => `${code} (${file})`),
  );
  t.same(unused, [], 'a code nothing throws is a stale entry');
});

t.test("a provider's code is used only inside that provider", async (t) => {
  // src/aws/ and the register command hold the cloudformation provider's
  // credential handling until it moves into the provider's folder.
  const alsoCloudformation = (file: string) => file.startsWith('src/aws/') || file === 'src/commands/register.ts';
  for (const { name, codes } of providers) {
    const inside = (file: string) => file.startsWith(`src/providers/${name}/`) || (name === 'cloudformation' && alsoCloudformation(file));
    for (const code of Object.keys(codes)) {
      t.same(
        mentions(code).filter((file) => !inside(file)),
        [],
        `${code} appears outside src/providers/${name}/: it belongs in the core catalogue, under a provider-neutral name`,
      );
    }
  }
});

t.test("a provider code with a catalogue hint is thrown with a hint (NephoError knows only the core's)", async (t) => {
  for (const { name, codes } of providers) {
    for (const { file, text } of sources.filter((s) => s.file.startsWith(`src/providers/${name}/`))) {
      for (const site of throwSites(text)) {
        for (const code of site.codes.filter((c) => codes[c]?.hint !== undefined)) {
          t.match(site.call, /\bhint\b/, `${file}: ${code} is thrown with a hint`);
        }
      }
    }
  }
});

t.test('the core catalogue is plain data that names no provider', async (t) => {
  const text = readFileSync(join(ROOT, CORE_FILE), 'utf8');
  t.same(
    text.split('\n').filter((line) => /^import\b/.test(line) && !/ from '\.\/errors\.js';$/.test(line)),
    [],
    'it imports from src/errors.ts alone (where it registers itself): every module that shows or records an error may load it',
  );
  for (const { name } of providers) t.notMatch(text.toLowerCase(), name, `${CORE_FILE} does not name ${name}`);
  t.notMatch(text, /\baws\b/i, `${CORE_FILE} does not name AWS`);
});

t.test("a core code's hint is shown when the thrower gives none", async (t) => {
  t.equal(new NephoError('CONFIG_INVALID', 'config.yaml: expected a mapping').hint, ERRORS.CONFIG_INVALID.hint);
  t.equal(new NephoError('CONFIG_INVALID', 'config.yaml: expected a mapping', { hint: 'this one' }).hint, 'this one', "the thrower's own hint wins");
  t.equal(new NephoError('CANCELLED', 'cancelled').hint, undefined, 'no hint in the catalogue, none shown');
  t.equal(new NephoError('VAGRANT_FAILED', 'vagrant up: failed').hint, undefined, "a provider's code takes no hint from the core catalogue");
  const error: unknown = new NephoError('FILE_MISSING', 'x: file not found');
  t.ok(error instanceof NephoError && error.code === 'FILE_MISSING', 'brand and code as before');
});

t.test('the command line shows the catalogue hint of a code thrown without one, with the catalogue outside its start-up bundle', async (t) => {
  const home = tempDir(t, 'nepho-errors-');
  writeFileSync(join(home, 'config.yaml'), '- not a mapping\n');
  const r = await nepho(['registry:list'], { home });
  t.equal(r.code, 1);
  t.match(r.stderr, `config.yaml: expected a mapping at the top level`);
  t.match(r.stderr, `hint: ${ERRORS.CONFIG_INVALID.hint}`, "the catalogue's hint");
  const bundle = readFileSync(join(ROOT, 'dist/cli.cjs'), 'utf8');
  t.notMatch(bundle, ERRORS.CONFIG_INVALID.meaning, 'the start-up bundle does not carry the meanings');
  t.notMatch(bundle, ERRORS.CONFIG_INVALID.hint, 'nor the hints');
});

t.test('docs/errors.md is what scripts/error-docs.js writes from the built catalogues', async (t) => {
  const check = (file?: string) => spawnSync(process.execPath, ['scripts/error-docs.js', '--check', ...(file ? [file] : [])], { cwd: ROOT, encoding: 'utf8' });
  const current = check();
  t.equal(current.status, 0, `docs/errors.md is up to date: ${current.stderr}`);

  const docs = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  for (const { codes } of catalogues) {
    for (const [code, { meaning }] of Object.entries(codes))
      t.ok(docs.includes(`| \`${code}\` | ${meaning.replace(/</g, '&lt;').replace(/>/g, '&gt;')} |`), `${code} and its meaning are in the docs`);
  }
  t.ok(
    docs.indexOf('## Core') < docs.indexOf('## Provider `cloudformation`') &&
      docs.indexOf('## Provider `cloudformation`') < docs.indexOf('## Provider `vagrant`'),
    'core first, then each provider',
  );

  const stale = join(tempDir(t), 'errors.md');
  writeFileSync(stale, docs.replace(/^\| `CANCELLED` .*\n/m, ''));
  const refused = check(stale);
  t.equal(refused.status, 1, 'a code missing from the docs fails the check');
  t.match(refused.stderr, /^\S*errors\.md is out of date with the error catalogues: run npm run docs:errors\n$/, 'in one line naming the file');
});
