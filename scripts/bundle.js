#!/usr/bin/env node
// Emits dist/ with esbuild, in two parts, so that `nepho --help` and the
// listing commands start about as fast as Node itself:
//
// - dist/cli.cjs, the start-up bundle: clipanion, every command definition and
//   the little they need to parse arguments and print. CommonJS, one file: on
//   Node 20, loading an ES module costs a sixth of a bare `node -e 0` before
//   any of its code runs.
// - dist/lazy/**, ES modules split into shared chunks: everything a command
//   loads on demand. A command's execute() imports one domain facade
//   (src/cloudlets/index.ts, src/operations/index.ts ...; test/architecture.test.ts
//   holds each command file to one import()); each import() in the start-up
//   bundle points at its file here.
//
// Modules both parts import (errors, output, home ...) exist once in each.
// That is safe only for modules without state that matters across the two,
// so the build fails when a module not listed in SHARED joins both.
// tsc only type-checks (npm run build runs it first).
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/**
 * Modules that may be in both parts. Each is stateless, or its state is a
 * cache that is fine twice; NephoError recognises copies of itself by a brand
 * (see src/errors.ts).
 */
const SHARED = new Set([
  'src/errors.ts',
  'src/output.ts',
  'src/home.ts',
  'src/version.ts',
  'src/paths.ts',
  'src/cloudlets/names.ts',
  'src/cloudlets/installed.ts',
  'src/suggest.ts',
  'src/on-first-use.ts',
]);

/** Trims every build shares: each saves a module, a file read or a CommonJS wrapper on every run. */
const trims = {
  name: 'nepho-trims',
  setup(b) {
    // The version is known at build time: no package.json read at start-up.
    b.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, () => ({ contents: `export const VERSION = ${JSON.stringify(version)};`, loader: 'ts' }));
    // clipanion's ES module build (its package.json names only the CommonJS one): no CommonJS wrappers to run.
    b.onResolve({ filter: /^clipanion$/ }, () => ({ path: join(ROOT, 'node_modules/clipanion/lib/advanced/index.mjs') }));
    // clipanion's platform module loads `tty` to guess a colour depth and patches
    // process.stdout for output capture; nepho passes the colour depth in its
    // context and leaves capture off (src/cli.ts).
    b.onResolve({ filter: /^\.\.\/platform$/ }, (args) =>
      args.resolveDir.includes(join('clipanion', 'lib')) ? { path: 'clipanion-platform', namespace: 'nepho' } : undefined,
    );
    b.onLoad({ filter: /^clipanion-platform$/, namespace: 'nepho' }, () => ({
      contents: 'export function getDefaultColorDepth() { return 1; }\nexport function getCaptureActivator() { return null; }\n',
      loader: 'js',
    }));
    // clipanion builds its default context from process.stdin, stdout and stderr
    // when it loads, which creates all three streams. nepho always passes its own
    // (src/stdio.ts): leave the defaults as getters, out of the spreads that
    // merge contexts.
    b.onLoad({ filter: /[\\/]clipanion[\\/]lib[\\/]advanced[\\/]Cli\.mjs$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const eager =
        /Cli\.defaultContext = \{\s*env: process\.env,\s*stdin: process\.stdin,\s*stdout: process\.stdout,\s*stderr: process\.stderr,\s*colorDepth: getDefaultColorDepth\(\),\s*\};/;
      if (!eager.test(source)) throw new Error(`${args.path}: clipanion's default context changed; revisit the start-up patch in scripts/bundle.js`);
      // Help sorts categories and commands with localeCompare, whose first call
      // loads ICU's collation data (10-15 ms, more than the rest of --help). The
      // names are nepho's own ASCII; test/cli.test.ts checks the order is the
      // one ICU gives.
      const collated = /(\w+(?:\.usage)?)\.localeCompare\((\w+(?:\.usage)?), `en`, \{ usage: `sort`, caseFirst: `upper` \}\)/g;
      if ((source.match(collated) ?? []).length !== 2)
        throw new Error(`${args.path}: clipanion's help sorting changed; revisit the start-up patch in scripts/bundle.js`);
      return {
        contents: source
          .replace(
            eager,
            `Cli.defaultContext = Object.defineProperties({ env: process.env, colorDepth: getDefaultColorDepth() }, {
    stdin: { get: () => process.stdin }, stdout: { get: () => process.stdout }, stderr: { get: () => process.stderr },
});`,
          )
          .replace(collated, '($1 < $2 ? -1 : $1 > $2 ? 1 : 0)'),
        loader: 'js',
      };
    });
    // chalk detects colour support (loading tty and os) as it loads; nepho gives
    // every Chalk instance its level itself (colorsWanted in src/output.ts).
    b.onResolve({ filter: /^#supports-color$/ }, () => ({ path: 'supports-color', namespace: 'nepho' }));
    b.onLoad({ filter: /^supports-color$/, namespace: 'nepho' }, () => ({
      contents: 'export default { stdout: false, stderr: false };\n',
      loader: 'js',
    }));
  },
};

/**
 * got's optional features nepho never turns on: HTTP/2 (`http2: true`), its
 * response cache (`cache`) and its DNS cache (`dnsCache`); src/http.ts sets
 * none of them (test/registry/http.test.ts holds it to that). got
 * imports the packages behind them when it loads, which was about half of
 * got's chunk and most of its load time (http2-wrapper alone loads node:http2
 * and builds its classes): every `registry:update` paid for them. Here each
 * is a stand-in that throws if got ever reaches for it.
 */
const GOT_UNUSED = {
  'http2-wrapper': 'export default { get auto() { return unused("http2"); }, get globalAgent() { return unused("http2"); } };',
  'cacheable-request': 'export default class CacheableRequest { constructor() { unused("cache"); } }\nexport class CacheError extends Error {}',
  'cacheable-lookup': 'export default class CacheableLookup { constructor() { unused("dnsCache"); } }',
};
const gotUnused = {
  name: 'nepho-got-unused',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${Object.keys(GOT_UNUSED).join('|')})$`) }, (args) =>
      args.importer.includes(`${sep}node_modules${sep}got${sep}`) ? { path: args.path, namespace: 'nepho-got-unused' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'nepho-got-unused' }, (args) => ({
      contents: `function unused(option) { throw new Error(\`got's \${option} option is not in nepho's build (${args.path} is left out: scripts/bundle.js)\`); }\n${GOT_UNUSED[args.path]}\n`,
      loader: 'js',
    }));
  },
};

/**
 * The start-up bundle's src/on-first-use.ts: each `name: () => module` of a
 * package imported whole becomes a require() of it, which esbuild turns into
 * a module evaluated on its first call (a static import is evaluated when the
 * bundle loads, on every run).
 */
const onFirstUse = {
  name: 'nepho-on-first-use',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]on-first-use\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const packages = new Map([...source.matchAll(/^import \* as (\w+) from '([^']+)';$/gm)].map(([, name, pkg]) => [name, pkg]));
      let contents = source.replace(/^import \* as \w+ from '[^']+';$/gm, '');
      for (const [name, pkg] of packages) {
        const use = new RegExp(`\\(\\) => ${name}\\b`, 'g');
        if (!use.test(contents)) throw new Error(`${args.path}: ${name} is imported but not used as \`() => ${name}\``);
        contents = contents.replace(use, `() => require(${JSON.stringify(pkg)})`);
      }
      return { contents, loader: 'ts' };
    });
  },
};

/**
 * got's type checks (@sindresorhus/is) build two Intl.ListFormat objects when
 * they load, for the wording of a failed check: ICU's list data, about 8 ms
 * on every command that loads got (an unchanged `registry:update` is three
 * times Node's start). Here each is made on its first use; the text of a
 * failed check is the same.
 */
const listFormatOnUse = {
  name: 'nepho-list-format-on-use',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]@sindresorhus[\\/]is[\\/]distribution[\\/]index\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const eager = /^const (\w+) = new Intl\.ListFormat\(('en', \{ style: 'long', type: '\w+' \})\);$/gm;
      if ((source.match(eager) ?? []).length !== 2)
        throw new Error(`${args.path}: its list formatters changed; revisit nepho-list-format-on-use in scripts/bundle.js`);
      return {
        contents: source.replace(eager, (_, name, options) => {
          const made = `${name}Made`;
          return `let ${made};\nconst ${name} = { format: (list) => (${made} ??= new Intl.ListFormat(${options})).format(list) };`;
        }),
        loader: 'js',
      };
    });
  },
};

/**
 * `debug` as simple-git (and its @kwsites/file-exists) use it: loading the
 * package detects the terminal's colours (tty, os, supports-color) and reads
 * DEBUG, on every git command nepho runs, to log nothing. The stand-in logs
 * nothing for nothing; with DEBUG set it is the real package, as before.
 */
const quietDebug = {
  name: 'nepho-quiet-debug',
  setup(b) {
    b.onResolve({ filter: /^debug$/ }, (args) =>
      /[\\/]node_modules[\\/](simple-git|@kwsites)[\\/]/.test(args.importer) ? { path: 'debug', namespace: 'nepho-quiet-debug' } : undefined,
    );
    b.onLoad({ filter: /^debug$/, namespace: 'nepho-quiet-debug' }, () => ({
      resolveDir: ROOT,
      contents: `function quiet(namespace) {
  const log = () => {};
  return Object.assign(log, { namespace, enabled: false, log, destroy: () => true, extend: (sub, delimiter = ':') => quiet(namespace + delimiter + sub) });
}
quiet.formatters = {};
export default process.env.DEBUG ? require('debug') : quiet;
`,
      loader: 'js',
    }));
  },
};

/**
 * Packages nepho's modules load on first use with
 * `createRequire(import.meta.url)(NAME)`, so that a command that never needs
 * them never loads them: the YAML library (config.yaml's first parse in
 * src/config.ts, `-o yaml` in src/output.ts) and cli-table3 (tables, in
 * src/output.ts). Run from node_modules, each was compiled afresh whenever it
 * was used, beside the bundled copy the cloudlet checks use: the YAML library
 * cost a command 26-40 ms, cli-table3 about 10 (an unchanged
 * `registry:update` prints a table). In the build each is bundled once and
 * still evaluated on first call, through the code caches:
 *
 * - in the on-demand modules (src/config.ts) the call becomes a require()
 *   esbuild bundles (evaluated when first called);
 * - in the start-up bundle (src/output.ts) it becomes `__nephoRequire` of a module of its own
 *   under dist/lazy/packages, which the loader loads through its cache
 *   (src/lazy-modules.ts; under Node's own compile cache, Node's require).
 */
const ON_FIRST_CALL = ['yaml', 'cli-table3'];
const LOADS_ON_FIRST_CALL = new RegExp(`createRequire\\(import\\.meta\\.url\\)\\('(${ON_FIRST_CALL.join('|')})'\\)`, 'g');
const packagesOnFirstCall = (part) => ({
  name: 'nepho-packages-on-first-call',
  setup(b) {
    // The start-up bundle's are in src/output.ts; in the on-demand modules, src/config.ts's. (The
    // on-demand copy of src/output.ts keeps its createRequire: what it would bundle would be
    // linked into every chunk that imports it, shell completion's too, and the commands draw
    // their tables and YAML through the start-up bundle's copy.)
    b.onLoad({ filter: part === 'startup' ? /[\\/]src[\\/]output\.ts$/ : /[\\/]src[\\/]config\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.match(LOADS_ON_FIRST_CALL))
        throw new Error(
          `${args.path}: no createRequire(import.meta.url)(...) of ${ON_FIRST_CALL.join(' or ')}; revisit nepho-packages-on-first-call in scripts/bundle.js`,
        );
      return {
        contents: source.replace(LOADS_ON_FIRST_CALL, (_, name) =>
          part === 'startup' ? `__nephoRequire(${JSON.stringify(`./lazy/packages/${name}.cjs`)}).pkg` : `require(${JSON.stringify(name)})`,
        ),
        loader: 'ts',
      };
    });
    // dist/lazy/packages/NAME: the package as one module, for the start-up bundle.
    b.onResolve({ filter: /^nepho-package:/ }, (args) => ({ path: args.path.slice('nepho-package:'.length), namespace: 'nepho-package' }));
    b.onLoad({ filter: /.*/, namespace: 'nepho-package' }, (args) => ({
      contents: `export const pkg = require(${JSON.stringify(args.path)});\n`,
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
});

/**
 * `code` with every character beyond ASCII written as a \\u escape. esbuild
 * escapes them in strings but keeps comments as they are, and one `…` in a
 * comment makes V8 hold the whole file as a two-byte string: twice the
 * memory, and reading the start-up bundle took half a millisecond more.
 * In a comment the escape is harmless; elsewhere esbuild has already written one.
 */
function asciiOnly(code) {
  return code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** src/a/b.ts for an import of '../a/b.js' from `resolveDir`. */
function sourceFile(resolveDir, path) {
  const file = resolve(resolveDir, path).replace(/\.js$/, '.ts');
  if (!existsSync(file)) throw new Error(`${path} (from ${relative(ROOT, resolveDir)}): no such source file`);
  return file;
}

const posix = (path) => path.split(sep).join('/');

// The AWS SDK loads from node_modules, only in the commands that talk to AWS;
// so does the team server's stack, only in the server commands (PGlite finds
// its WASM and data files beside its own module, which bundling would break).
const EXTERNAL = ['typanion', '@aws-sdk/*', '@smithy/*', 'fastify', '@fastify/*', 'pg', '@electric-sql/pglite'];

/**
 * Node's own modules a module under dist/lazy loads on first use rather than
 * when it loads: loading crypto alone costs a sixth of a bare `node -e 0`, and
 * a search needs none of them. fs, path and process are loaded before nepho starts.
 */
const ON_FIRST_USE_EXEMPT = new Set(['node:fs', 'node:path', 'node:process']);

/** Each line that names the source of what follows, as esbuild writes them: kept through the transform as legal comments. */
const SOURCE_COMMENT = /^\/\/ ((?:src|node_modules)\/\S+)$/gm;

/**
 * One chunk of the on-demand build (an ES module, `file` under dist/) as the
 * CommonJS module src/lazy-modules.ts loads: esbuild's own conversion (which
 * keeps imports live: each use reads the exporting module's property), then
 *
 * - every import() calls `__nephoImport`, which the loader passes in (on
 *   Node 20 a vm.Script has no import() of its own); where Node requires the
 *   module itself, the preamble makes it Node's import();
 * - `import.meta.url` (defined as `__nephoUrl` in the build) is the file's URL;
 * - Node's modules are loaded on first use (`__nephoBuiltin`, a stand-in
 *   that requires the module when a name is first read; for a default or
 *   namespace import, `default` is the module itself). A chunk that spreads or
 *   enumerates one of Node's modules would see an empty object: nothing
 *   bundled does (the test suite runs every command through these chunks).
 *
 * The build fails on anything it would not convert faithfully: top-level
 * await (the transform refuses it) or `import.meta` left over.
 */
async function commonJs(code, file) {
  const converted = await transform(code.replace(SOURCE_COMMENT, '//! $1'), {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    legalComments: 'inline',
    sourcefile: file,
    logLevel: 'warning',
  });
  let body = converted.code.replace(/^\/\/! ((?:src|node_modules)\/\S+)$/gm, '// $1');
  const imports = (body.match(/\bimport\(/g) ?? []).length;
  body = body.replace(/\bimport\(/g, '__nephoImport(');
  if (/\bimport\.meta\b/.test(body)) throw new Error(`${file}: import.meta left after the transform`);
  let builtins = 0;
  body = body.replace(/__toESM\(require\("(node:[a-z_/]+)"\)(?:, 1)?\)|\brequire\("(node:[a-z_/]+)"\)/g, (call, wrapped, named) => {
    const id = wrapped ?? named;
    if (ON_FIRST_USE_EXEMPT.has(id)) return call;
    builtins++;
    // A default or namespace import (wrapped in __toESM) reads the module itself as `default`.
    return `__nephoBuiltin(${JSON.stringify(id)}${wrapped ? ', true' : ''})`;
  });
  const preamble = ['"use strict";'];
  if (imports > 0) preamble.push('var __nephoImport = typeof __nephoImport === "function" ? __nephoImport : (specifier) => import(specifier);');
  if (/\b__nephoUrl\b/.test(body)) preamble.push('var __nephoUrl = require("node:url").pathToFileURL(__filename).href;');
  if (builtins > 0) {
    preamble.push(
      'var __nephoBuiltin = (id, esm) => { let m; return new Proxy({}, { get: (_, name) => (esm && name === "default" ? (m ??= require(id)) : (m ??= require(id))[name]) }); };',
    );
  }
  return asciiOnly(`${preamble.join('\n')}\n${body}`);
}

// Chunk names carry content hashes: clear the old ones so dist/ holds one build.
rmSync(join(ROOT, 'dist'), { recursive: true, force: true });

// 1. The start-up bundle. Every `import()` of a nepho module becomes an import
//    of its ES module under dist/lazy, collected here to build next.
const lazy = new Map();
const startup = await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.cjs',
  write: false,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // import.meta.url, worked out when first read (few runs need it).
  define: { 'import.meta.url': '__nephoModule.url' },
  banner: { js: "const __nephoModule = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  plugins: [
    trims,
    onFirstUse,
    packagesOnFirstCall('startup'),
    {
      name: 'nepho-lazy-imports',
      setup(b) {
        b.onResolve({ filter: /.*/ }, (args) => {
          if (args.kind !== 'dynamic-import') return undefined;
          if (args.path.startsWith('node:') || !args.importer.startsWith(SRC)) return undefined;
          if (!args.path.startsWith('.')) {
            return {
              errors: [
                {
                  text: `import('${args.path}') in the start-up bundle: load packages through a nepho module (as src/prompts.ts does), so they are bundled with the lazy part`,
                },
              ],
            };
          }
          const file = sourceFile(args.resolveDir, args.path);
          const name = posix(relative(SRC, file)).replace(/\.ts$/, '');
          lazy.set(`lazy/${name}`, file);
          return { path: `./lazy/${name}.cjs`, external: true };
        });
      },
    },
  ],
  // clipanion loads typanion only for commands with a schema (nepho has none).
  external: ['typanion'],
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// On Node 20 the bundle runs as a vm.Script (src/boot.ts), where Node 20
// supports no import() without --experimental-vm-modules: each one calls the
// loader's __nephoImport instead, which imports from the loader's own module.
// Where Node has its own compile cache the loader requires the bundle as a
// plain CommonJS module, with no __nephoImport passed: the first line then
// makes it an import() of the bundle's own. docs/performance.md says which
// cache runs where.
const OWN_IMPORT =
  'var __nephoImport = typeof __nephoImport === "function" ? __nephoImport : (specifier) => import(specifier);\n' +
  'var __nephoRequire = typeof __nephoRequire === "function" ? __nephoRequire : require;\n';
const dynamic = new Set(
  Object.values(startup.metafile.outputs)[0]
    .imports.filter((i) => i.kind === 'dynamic-import')
    .map((i) => i.path),
);
const bundled = startup.outputFiles[0].text.replace(/\bimport\(("[^"]*")\)/g, (call, specifier) => {
  if (!dynamic.has(JSON.parse(specifier))) throw new Error(`dist/cli.cjs: ${call} is not one of the bundle's dynamic imports`);
  return `__nephoImport(${specifier})`;
});
const stray = /\bimport\(/.exec(bundled);
if (stray) throw new Error(`dist/cli.cjs: an import() esbuild did not report, near ${JSON.stringify(bundled.slice(stray.index - 40, stray.index + 40))}`);
const cli = asciiOnly(OWN_IMPORT + bundled);
mkdirSync(join(ROOT, 'dist'), { recursive: true });
writeFileSync(join(ROOT, 'dist/cli.cjs'), cli);

// 2. Everything the commands load on demand: split into shared chunks by
//    esbuild as ES modules, then each made a CommonJS module (commonJs below),
//    which the loader compiles through a code cache (src/lazy-modules.ts).
const onDemand = await build({
  absWorkingDir: ROOT,
  entryPoints: { ...Object.fromEntries(lazy), ...Object.fromEntries(ON_FIRST_CALL.map((name) => [`lazy/packages/${name}`, `nepho-package:${name}`])) },
  outdir: 'dist',
  chunkNames: 'lazy/chunks/[name]-[hash]',
  // CommonJS once converted, and so named: Node itself requires them where its own compile cache is used.
  outExtension: { '.js': '.cjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  define: { 'import.meta.url': '__nephoUrl' },
  plugins: [trims, gotUnused, quietDebug, packagesOnFirstCall('lazy'), listFormatOnUse],
  external: EXTERNAL,
  metafile: true,
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});
const lazyHash = createHash('sha256').update(cli);
for (const file of [...onDemand.outputFiles].sort((a, b) => (a.path < b.path ? -1 : 1))) {
  const code = await commonJs(file.text, relative(ROOT, file.path));
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, code);
  lazyHash.update(relative(ROOT, file.path)).update('\0').update(code);
}

// 3. The executable, dist/nepho.cjs (package.json's bin, src/main.ts), with
//    the loader inside it: it runs the start-up bundle through Node's compile
//    cache where Node has one, else through a V8 code cache of its own keyed
//    by the build's content hash (src/boot.ts; the two are described in
//    docs/performance.md). dist/boot.cjs is the loader alone, for tests that
//    hand it a stand-in for node:module.
const loader = {
  absWorkingDir: ROOT,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  define: { NEPHO_BUILD_ID: JSON.stringify(lazyHash.digest('hex').slice(0, 16)) },
  plugins: [trims],
  legalComments: 'none',
  logLevel: 'warning',
};
await build({ ...loader, entryPoints: ['src/main.ts'], outfile: 'dist/nepho.cjs', banner: { js: '#!/usr/bin/env node' } });
chmodSync(join(ROOT, 'dist', 'nepho.cjs'), 0o755);
await build({ ...loader, entryPoints: ['src/boot.ts'], outfile: 'dist/boot.cjs' });

// 4. What runs outside the command line, as ES modules: the nanny (its own
//    process), `nepho/plugin` and the modules the build scripts import.
const outside = await build({
  absWorkingDir: ROOT,
  entryPoints: {
    // The background process that carries long operations (formation create/destroy).
    nanny: 'src/nanny/main.ts',
    // `nepho/plugin` at run time: the contract's version (its types come from tsconfig.plugin.json).
    plugin: 'src/plugin.ts',
    // Used by scripts/build-builtin.js at build time.
    'lib/fs': 'src/fs.ts',
    'lib/manifest': 'src/cloudlets/manifest.ts',
    'lib/installed': 'src/cloudlets/installed.ts',
    'lib/keys': 'src/registry/keys.ts',
    // The error catalogues, read by scripts/error-docs.js: the core one and each provider's.
    'lib/errors/core': 'src/error-catalogue.ts',
    ...Object.fromEntries(
      readdirSync(join(SRC, 'providers'), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(SRC, 'providers', entry.name, 'errors.ts')))
        .map((entry) => [`lib/errors/providers/${entry.name}`, `src/providers/${entry.name}/errors.ts`]),
    ),
  },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Bundled CommonJS dependencies call require(); give them one that serves
  // Node's own modules without loading node:module (getBuiltinModule: Node >= 20.16).
  banner: { js: "const require = (id) => process.getBuiltinModule(id) ?? process.getBuiltinModule('node:module').createRequire(import.meta.url)(id);" },
  plugins: [trims, gotUnused, quietDebug, listFormatOnUse],
  external: EXTERNAL,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of Object.keys(outside.metafile.outputs)) {
  const path = join(ROOT, file);
  const code = readFileSync(path, 'utf8');
  const ascii = asciiOnly(code);
  if (ascii !== code) writeFileSync(path, ascii);
}

const sources = (meta) => new Set(Object.keys(meta.inputs).filter((path) => path.startsWith('src/')));
const inStartup = sources(startup.metafile);
// What every command would pay for and few need: the error catalogue's texts
// are loaded when an error is shown (loadErrorCatalogue in src/errors.ts).
const KEPT_OUT = ['src/error-catalogue.ts'];
const kept = KEPT_OUT.filter((path) => inStartup.has(path));
if (kept.length > 0) throw new Error(`in the start-up bundle, but meant to load on demand: ${kept.join(', ')} (import them with import())`);
const twice = [...sources(onDemand.metafile)].filter((path) => inStartup.has(path) && !SHARED.has(path));
if (twice.length > 0) {
  throw new Error(
    `in both the start-up bundle and the lazy modules, but not known to be safe twice: ${twice.join(', ')}\n` +
      'import them on demand from the commands, or add them to SHARED in scripts/bundle.js if they hold no state',
  );
}
