/**
 * The `nepho` executable: package.json's bin, built by scripts/bundle.js to
 * dist/nepho.cjs with the loader (src/boot.ts) inside it, so that one
 * CommonJS module loads before the start-up bundle rather than two.
 * `--version` is answered from the version written in at build time, with
 * nothing else loaded; everything else runs the start-up bundle beside it,
 * through a code cache.
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { loadCli, type CompileCacheSwitch } from './boot.js';
import { VERSION } from './version.js';

// This file only ever runs as the CommonJS module scripts/bundle.js makes of it.
declare const module: { constructor: unknown };
declare const __dirname: string;

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  writeSync(1, `${VERSION}\n`);
} else {
  // A CommonJS module's constructor is node:module's Module, without asking for node:module by name.
  void loadCli(join(__dirname, 'cli.cjs'), argv, module.constructor as CompileCacheSwitch).run(argv);
}
