// Shared helpers for the benchmarks under bench/: running the built CLI as a
// user would, interleaved timing with medians, peak memory, temp directories
// that are always removed, and a small table printer.
//
// Benchmarks inform; they never gate. Every figure is a ratio against a
// baseline measured in the same run, side by side, because these machines are
// shared and noisy: absolute times mean little from one run to the next.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The built CLI entry point that users run: in the repository until
 * `snapshotPackage` points it at a copy.
 */
export let BIN = join(ROOT, 'dist', 'nepho.cjs');
/** The Node binary running the benchmarks; every child uses the same one. */
export const NODE = process.execPath;
/** GNU time, when installed: the simplest way to read a child's peak RSS. */
export const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Git identity and isolation from the user's own git configuration. */
export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.org',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.org',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

// ---------------------------------------------------------------- temp dirs

const temps = new Set();

/** A temp directory removed when the bench process exits, however it exits. */
export function tempDir(prefix = 'nepho-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.add(dir);
  return dir;
}

/** Remove a temp directory now (it is forgotten by the exit hook). */
export function removeTemp(dir) {
  rmSync(dir, { recursive: true, force: true });
  temps.delete(dir);
}

/** Remove every temp directory still around, except those named. */
export function cleanupTemps(...keep) {
  for (const dir of temps) {
    if (keep.includes(dir)) continue;
    rmSync(dir, { recursive: true, force: true });
    temps.delete(dir);
  }
}

process.on('exit', () => cleanupTemps());
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    cleanupTemps();
    process.kill(process.pid, signal);
  });
}

// ---------------------------------------------------------------- the package

/**
 * Copy what `npm install` would put on a user's disk (package.json and its
 * `files`: bin, dist, ...) to a temp directory, with node_modules linked, and
 * point BIN there. Every benchmark then measures one and the same build, even
 * if the working tree is rebuilt meanwhile (npm test rebuilds dist/).
 * Retries for a while if dist/ is caught half-built.
 */
export async function snapshotPackage({ attempts = 10 } = {}) {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  for (let attempt = 1; ; attempt++) {
    const dir = tempDir('nepho-bench-pkg-');
    try {
      cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      for (const entry of pkg.files ?? ['dist']) {
        if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true, verbatimSymlinks: true });
      }
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      const bin = join(dir, 'dist', 'nepho.cjs');
      const check = spawnSync(NODE, [bin, '--version'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NEPHO_HOME: join(dir, 'home') },
      });
      if (check.status !== 0 || check.stdout.trim() !== pkg.version) throw new Error(check.stderr || check.stdout || `exit ${check.status}`);
      BIN = bin;
      return dir;
    } catch (error) {
      removeTemp(dir);
      if (attempt >= attempts) throw new Error(`no working build of nepho to measure (is dist/ being rebuilt? run npm run build): ${error.message}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

// ---------------------------------------------------------------- running

/**
 * The environment nepho (and its baselines) run in: its own home, so no
 * user configuration (git's included) leaks in, and no colours. Not GIT_ENV:
 * simple-git refuses GIT_CONFIG_GLOBAL.
 */
export function nephoEnv(home, extra = {}) {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    NEPHO_HOME: home,
    NO_COLOR: '1',
    ...extra,
  };
}

/**
 * Run a command to completion (asynchronously, so servers in this process keep
 * answering). Resolves with its exit code, output and wall time in ms,
 * measured from spawn to exit.
 */
export function run(cmd, args, { env, cwd = ROOT, input = '' } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolvePromise({ code, signal, ms, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Run and insist on success; the error carries what the command printed. */
export async function runOk(cmd, args, options = {}) {
  const result = await run(cmd, args, options);
  if (result.code !== 0) {
    throw new Error(`${[cmd, ...args].join(' ')} exited with ${result.code ?? result.signal}\n${result.stderr || result.stdout}`);
  }
  return result;
}

/** Run the built nepho with `args`. */
export function nepho(args, options) {
  return runOk(NODE, [BIN, ...args], options);
}

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

// ---------------------------------------------------------------- timing

/** The median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile (0..100), nearest rank. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Time several variants side by side: each round runs every variant once, in
 * an order that rotates from round to round so none always goes first (or
 * always right after another). Warm-up rounds are run and thrown away.
 *
 * A variant is `{ name, cmd, args, env?, cwd?, before?(round), after?(round) }`;
 * `before` and `after` are not timed (fresh directories, clean-up).
 * Returns `{ [name]: ms[] }`.
 */
export async function interleave(variants, { rounds = 30, warmup = 3, onRound } = {}) {
  const times = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let round = -warmup; round < rounds; round++) {
    const shift = ((round % variants.length) + variants.length) % variants.length;
    const order = [...variants.slice(shift), ...variants.slice(0, shift)];
    for (const v of order) {
      const extra = (await v.before?.(round)) ?? {};
      const { ms } = await runOk(v.cmd, extra.args ?? v.args, { env: extra.env ?? v.env, cwd: v.cwd });
      await v.after?.(round);
      if (round >= 0) times[v.name].push(ms);
    }
    onRound?.(round);
  }
  return times;
}

/**
 * Peak resident memory of a command, in MiB: read by GNU time when installed,
 * otherwise by a preload that records the child's own maxRSS at exit (Node
 * children only).
 */
export async function peakMemoryMiB(cmd, args, options = {}) {
  const dir = tempDir('nepho-bench-rss-');
  try {
    const report = join(dir, 'rss');
    if (GNU_TIME) {
      await runOk(GNU_TIME, ['-f', '%M', '-o', report, cmd, ...args], options);
      return Number(readFileSync(report, 'utf8').trim().split('\n').at(-1)) / 1024;
    }
    if (cmd !== NODE) throw new Error(`cannot measure the memory of ${cmd} without /usr/bin/time`);
    const preload = join(dir, 'rss.cjs');
    writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, String(process.resourceUsage().maxRSS)));\n`);
    await runOk(cmd, ['--require', preload, ...args], options);
    return Number(readFileSync(report, 'utf8')) / 1024;
  } finally {
    removeTemp(dir);
  }
}

// ---------------------------------------------------------------- printing

/** Milliseconds, for people. */
export function ms(value) {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
}

/** A ratio, for people. */
export function ratio(value) {
  return `${value.toFixed(2)}×`;
}

/** PASS or FAIL against a target. */
export function verdict(ok) {
  return ok ? 'PASS' : 'FAIL';
}

/** Print rows (arrays of strings) under a header, columns aligned; numbers-looking cells right-aligned. */
export function table(head, rows) {
  const all = [head, ...rows].map((r) => r.map(String));
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const numeric = (s) => /^[-\d.,]+\s?(ms|s|×|MiB|%)?$/.test(s);
  const line = (r) =>
    r
      .map((c, i) => (numeric(c) && i > 0 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(line(all[0]));
  console.log(
    widths
      .map((w) => '-'.repeat(w))
      .join('  ')
      .trimEnd(),
  );
  for (const r of all.slice(1)) console.log(line(r));
}

/** A heading for one benchmark's section of the report. */
export function heading(text) {
  console.log(`\n== ${text} ${'='.repeat(Math.max(0, 70 - text.length))}`);
}

/** Variables of the caller's environment that change every Node start-up and that the benchmarks leave out. */
export const STRIPPED_NODE_VARS = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'NODE_COMPILE_CACHE', 'NODE_V8_COVERAGE', 'NODE_DEBUG'];

/** A short progress note on stderr (kept off stdout so the report stays clean). */
export function progress(text) {
  process.stderr.write(`  ${text}\n`);
}
