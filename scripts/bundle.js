#!/usr/bin/env node
// Emits dist/ with esbuild: one small start-up chunk (clipanion and the
// command definitions) and separate chunks for everything commands load on
// demand, so `nepho --help` starts about as fast as Node itself. tsc only
// type-checks (npm run build runs it first).
import { build } from 'esbuild';

await build({
  entryPoints: {
    cli: 'src/cli.ts',
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
  // Bundled CommonJS dependencies call require(); give them one.
  banner: { js: "import { createRequire as __nephoCreateRequire } from 'node:module'; const require = __nephoCreateRequire(import.meta.url);" },
  // clipanion loads typanion only for commands with a schema (nepho has none);
  // left outside the bundle, it is never even parsed.
  external: ['typanion'],
  legalComments: 'none',
  logLevel: 'warning',
});
