#!/usr/bin/env node
// Emits dist/ with esbuild: one small start-up chunk (clipanion and the
// command definitions) and separate chunks for everything commands load on
// demand, so `nepho --help` starts about as fast as Node itself. tsc only
// type-checks (npm run build runs it first).
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** Start-up trims: each saves a module, a file read or a CommonJS wrapper on every run. */
const startup = {
  name: 'nepho-startup',
  setup(b) {
    // The version is known at build time: no package.json read at start-up.
    b.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, () => ({ contents: `export const VERSION = ${JSON.stringify(version)};`, loader: 'ts' }));
    // clipanion's ES module build (its package.json names only the CommonJS one): no CommonJS wrappers to run.
    b.onResolve({ filter: /^clipanion$/ }, () => ({ path: join(ROOT, 'node_modules/clipanion/lib/advanced/index.mjs') }));
    b.onResolve({ filter: /^\.\.\/platform$/ }, (args) =>
      args.resolveDir.includes(join('clipanion', 'lib')) ? { path: join(args.resolveDir, '..', 'platform', 'node.mjs') } : undefined);
  },
};

// Chunk names carry content hashes: clear the old ones so dist/ holds one build.
rmSync('dist', { recursive: true, force: true });

await build({
  entryPoints: {
    cli: 'src/cli.ts',
    // The background process that carries long operations (formation create/destroy).
    nanny: 'src/nanny/main.ts',
    // Used by scripts/build-builtin.js at build time.
    'lib/fs': 'src/fs.ts',
    'lib/manifest': 'src/cloudlets/manifest.ts',
    'lib/installed': 'src/cloudlets/installed.ts',
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
  plugins: [startup],
  // clipanion loads typanion only for commands with a schema (nepho has none);
  // left outside the bundle, it is never even parsed. The AWS SDK loads from
  // node_modules, only in the commands that talk to AWS.
  external: ['typanion', '@aws-sdk/*', '@smithy/*'],
  legalComments: 'none',
  logLevel: 'warning',
});
