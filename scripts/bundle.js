#!/usr/bin/env node
// Emits dist/ with esbuild: one small start-up chunk (clipanion and the
// command definitions) and separate chunks for everything commands load on
// demand, so `nepho --help` starts about as fast as Node itself. tsc only
// type-checks (npm run build runs it first).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

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
  // Bundled CommonJS dependencies call require(); give them one.
  banner: { js: "import { createRequire as __nephoCreateRequire } from 'node:module'; const require = __nephoCreateRequire(import.meta.url);" },
  // clipanion loads typanion only for commands with a schema (nepho has none);
  // left outside the bundle, it is never even parsed. The AWS SDK loads from
  // node_modules, only in the commands that talk to AWS.
  external: ['typanion', '@aws-sdk/*', '@smithy/*'],
  legalComments: 'none',
  logLevel: 'warning',
});
