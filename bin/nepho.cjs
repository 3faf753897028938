#!/usr/bin/env node
'use strict';
// CommonJS, like the start-up bundle it loads: on Node 20 an ES module entry
// alone costs a sixth of a bare `node -e 0` (see scripts/bundle.js).
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  // Needs nothing but package.json: answered before loading the CLI.
  require('node:fs').writeSync(1, `${require('../package.json').version}\n`);
} else {
  const { join } = require('node:path');
  const { loadCli } = require('../dist/boot.cjs');
  loadCli(join(__dirname, '..', 'dist', 'cli.cjs'), argv).run(argv);
}
