// A home nepho cannot use: NEPHO_HOME (or cloudlets/, cache/, formations/
// inside it) is a file, cannot be written, or is on /proc. Every command that
// needs the home ends in one line naming the path and what is wrong, exit 1,
// at once (a recursive mkdir under /proc never returns in Node), and leaves
// the home as it found it, so that the next command works once it is fixed.
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { expectUserError, nepho } from '../fixtures/cli.js';
import { lintCleanFiles } from '../fixtures/cloudlets.js';
import { makeCloudletRepo } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';
import { NOBODY, isRoot, runBounded } from '../fixtures/processes.js';

/** Commands that need the home, each a different way in. */
const COMMANDS = [
  ['registry:list'],
  ['cloudlet:list'],
  ['cloudlet:search', 'wiki'],
  ['parameter:list'],
  ['registry:add', 'x', 'file:///nonexistent/index.json'],
];

/** Listing of a directory tree (names only), to prove a refused command changed nothing. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      out.push(prefix + e.name + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
    }
  };
  walk(dir, '');
  return out;
}

t.test('NEPHO_HOME, or a folder inside it, is a file', async (t) => {
  for (const inside of ['', 'cloudlets', 'cache', 'formations']) {
    const parent = tempDir(t);
    const home = join(parent, 'home');
    const culprit = inside === '' ? home : join(home, inside);
    if (inside !== '') mkdirSync(home);
    writeFileSync(culprit, 'a file where a directory should be\n');
    const before = tree(parent);
    for (const args of COMMANDS) {
      const r = await runBounded(args, { home });
      t.notOk(r.killed, `${args[0]} ended by itself`);
      expectUserError(t, r, new RegExp(`^error: nepho's home ${home}: ${culprit} is not a directory$`), `${culprit}, ${args[0]}`);
      t.match(r.stderr, /hint: set NEPHO_HOME to a directory you can write to/);
    }
    t.same(tree(parent), before, `${inside || 'the home'}: nothing was created or changed`);
    rmSync(culprit);
    const next = await runBounded(['registry:list'], { home });
    t.equal(next.code, 0, `once the file is gone the home works: ${next.stderr}`);
  }
});

t.test('a home below a file: the file is named', async (t) => {
  const parent = tempDir(t);
  const file = join(parent, 'file');
  writeFileSync(file, 'x');
  for (const home of [join(file, 'home'), join(file, 'a', 'b')]) {
    const r = await runBounded(['registry:list'], { home });
    expectUserError(t, r, new RegExp(`^error: nepho's home ${home}: ${file} is not a directory$`), home);
  }
  t.same(tree(parent), ['file'], 'nothing created');
});

t.test('a home under /proc ends at once with one line, instead of spinning forever', async (t) => {
  for (const home of ['/proc/nepho-test-home', '/proc', '/proc/self/nepho', '/sys/nepho-test-home']) {
    for (const args of [['registry:list'], ['cloudlet:list'], ['--help']]) {
      const r = await runBounded(args, { home, killAfterMs: 30_000 });
      t.notOk(r.killed, `${home} ${args[0]}: ended by itself`);
      if (args[0] === '--help') {
        t.equal(r.code, 0, `${home}: --help needs no home (its compile cache is only skipped)`);
        continue;
      }
      expectUserError(
        t,
        r,
        new RegExp(`^error: nepho's home ${home}: /(proc|sys)\\S* is on the kernel's (proc|sysfs) filesystem, which cannot hold files$`),
        `${home} ${args[0]}`,
      );
    }
  }
});

t.test('an --out directory under /proc ends at once with one line naming it', async (t) => {
  const home = join(tempDir(t), 'home');
  const repo = makeCloudletRepo(tempDir(t), 'wiki', ['1.0.0'], { files: (v) => lintCleanFiles('wiki', v) });
  const installed = await nepho(['cloudlet:install', 'huit/mediawiki'], { home });
  t.equal(installed.code, 0, installed.stderr);
  const refused = /^error: (--out \/proc\/nepho-out\/x: )?\/proc\S* is on the kernel's proc filesystem, which cannot hold files$/;
  for (const args of [
    ['registry:keygen', '--out', '/proc/nepho-out/x'],
    ['registry:build', repo.dir, '--owner', 'acme', '--out', '/proc/nepho-out/x'],
    ['formation:create', 'mediawiki/multi-tenant', '--dry-run', '--no-input', '-p', 'AdminPassword=change-me-please', '--out', '/proc/nepho-out/x'],
  ]) {
    const r = await runBounded(args, { home, killAfterMs: 30_000 });
    t.notOk(r.killed, `${args[0]}: ended by itself`);
    // registry:build says which source it is checking before it reaches --out: progress, on stderr too.
    const progress = r.stderr.split('\n').filter((line) => line.startsWith('Notice: checking '));
    expectUserError(
      t,
      {
        ...r,
        stderr: r.stderr
          .split('\n')
          .filter((line) => !progress.includes(line))
          .join('\n'),
      },
      refused,
      `${args[0]} --out under /proc`,
    );
  }
});

t.test('a home nepho cannot write to', async (t) => {
  // As root every directory is writable: the command then runs as nobody, for whom a root-owned home is read-only.
  const as = isRoot() ? NOBODY : {};
  for (const inside of ['', 'cloudlets', 'cache', 'formations']) {
    const parent = tempDir(t);
    chmodSync(parent, 0o755);
    const home = join(parent, 'home');
    for (const d of [home, join(home, 'cloudlets'), join(home, 'cache'), join(home, 'formations')]) mkdirSync(d, { recursive: true, mode: 0o755 });
    if (isRoot()) {
      // Everything but the culprit belongs to nobody; the culprit stays root's.
      for (const d of [home, join(home, 'cloudlets'), join(home, 'cache'), join(home, 'formations')]) chownSync(d, NOBODY.uid, NOBODY.gid);
    }
    const culprit = inside === '' ? home : join(home, inside);
    if (isRoot()) chownSync(culprit, 0, 0);
    else {
      chmodSync(culprit, 0o555);
      t.teardown(() => chmodSync(culprit, 0o755));
    }
    const before = tree(parent);
    for (const args of COMMANDS) {
      const r = await runBounded(args, { home, ...as });
      t.notOk(r.killed, `${args[0]} ended by itself`);
      expectUserError(t, r, new RegExp(`^error: nepho's home ${home}: ${culprit} is not writable \\(EACCES\\)$`), `${culprit} read-only, ${args[0]}`);
    }
    t.same(tree(parent), before, `${inside || 'the home'}: nothing was created or changed`);
  }
  const fresh = join(tempDir(t), 'missing', 'home');
  const top = join(fresh, '..', '..');
  chmodSync(top, 0o555);
  t.teardown(() => chmodSync(top, 0o755));
  const r = await runBounded(['registry:list'], { home: fresh, ...as });
  expectUserError(
    t,
    r,
    new RegExp(`^error: nepho's home ${fresh}: cannot create ${join(fresh, '..')} \\(permission denied\\)$`),
    'a home that cannot be created',
  );
});

t.test('a home that does not exist yet is created, parents and all, on first use', async (t) => {
  const home = join(tempDir(t), 'a', 'b', 'home');
  const r = await runBounded(['registry:list'], { home });
  t.equal(r.code, 0, r.stderr);
  for (const d of ['cloudlets', 'cache', 'formations']) t.ok(existsSync(join(home, d)), `${d}/ made`);
});

t.test('nepho --version never touches the home', async (t) => {
  const parent = tempDir(t);
  const missing = join(parent, 'not-yet');
  const file = join(parent, 'file');
  writeFileSync(file, 'x');
  for (const home of [missing, file, '/proc/nepho-test-home']) {
    for (const flag of ['--version', '-v']) {
      const r = await runBounded([flag], { home, killAfterMs: 30_000 });
      t.equal(r.code, 0, `${home} ${flag}: ${r.stderr}`);
      t.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
      t.equal(r.stderr, '');
    }
  }
  t.notOk(existsSync(missing), 'a missing home is not created by --version');
});
