#!/usr/bin/env node
// Runs nepho's benchmarks: all of them, or those named on the command line
// (`node bench/run.js startup search install`). Run `npm run build` first
// (`npm run bench` does). Each prints its figures as ratios against a baseline
// measured in the same run and PASS/FAIL against the targets in its header (docs/performance.md), but this
// process exits 0 whatever they say: benchmarks inform, they do not gate.
// It exits non-zero only when a benchmark could not run at all.
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT, STRIPPED_NODE_VARS, cleanupTemps, heading, snapshotPackage, table, verdict } from './lib.js';

const BENCHES = {
  startup: async () => (await import('./startup.js')).startup(),
  search: async () => (await import('./search.js')).search(),
  install: async () => (await import('./install.js')).install(),
  follow: async () => (await import('./follow.js')).follow(),
  server: async () => (await import('./server.js')).server(),
  completion: async () => (await import('./completion.js')).completion(),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
if (!existsSync(join(ROOT, 'dist')) || !existsSync(join(ROOT, 'node_modules'))) {
  console.error('no build to measure: run `npm install` and `npm run build` first (or `npm run bench`)');
  process.exit(2);
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
// Measure a copy of the build: the working tree's dist/ may be rebuilt while this runs.
let snapshot;
try {
  snapshot = await snapshotPackage();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

console.log(`nepho benchmarks — node ${process.version}, ${process.platform}/${process.arch}, ${availableParallelism()} CPU(s), load average ${load()}`);
if (loadavg()[0] > availableParallelism()) {
  console.log('(the machine is busy: load above its CPU count. Ratios hold up better than absolute times, which may run long.)');
}
const stripped = STRIPPED_NODE_VARS.filter((name) => process.env[name] !== undefined);
if (stripped.length > 0) {
  console.log(`(${stripped.join(', ')} set here, left out of every measured command: each slows every Node start-up alike and would flatter the ratios)`);
}
const results = [];
const broken = [];
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  try {
    results.push(...(await BENCHES[name]()));
  } catch (error) {
    console.error(`\nbenchmark '${name}' could not run: ${error instanceof Error ? error.stack : error}`);
    broken.push(name);
  } finally {
    cleanupTemps(snapshot);
  }
}
cleanupTemps();

heading(`summary (load average now ${load()})`);
table(
  ['benchmark', 'measure', 'figure', 'target', ''],
  results.map((r) => [r.bench, r.what, r.figure, r.target, verdict(r.pass)]),
);
for (const name of broken) console.log(`${name}: did not run (see above)`);
console.log('\nBenchmarks inform, they do not gate: FAIL above does not fail this command.');
process.exitCode = broken.length > 0 ? 1 : 0;
