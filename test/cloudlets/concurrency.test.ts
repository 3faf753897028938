// Two nepho processes changing one cloudlet, locks left by live and dead
// processes, and installs interrupted by a signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { assertUserError, nepho, spawnNepho, waitFor, type RunResult } from '../fixtures/cli.js';
import { cloudletEntries, readInstallRecord } from '../fixtures/cloudlets.js';
import { makeCloudletRepo, serveSilence } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';
import { homeWithRegistry, indexEntry } from '../fixtures/registry.js';

/** Collect a spawned nepho's output and how it ended. */
function finished(child: ChildProcess): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin!.end();
  });
}

/** A process that is alive for the length of the test. */
function liveProcess(t: Test): ChildProcess {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  return child;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true', [], { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

function writeLock(home: string, id: string, pid: number): string {
  const dir = join(home, 'cloudlets', '.locks');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${id.replace('/', '-')}.lock`);
  writeFileSync(path, JSON.stringify({ pid, host: hostname(), since: '2026-11-22T10:00:00.000Z', operation: `a change to cloudlet ${id}` }));
  return path;
}

t.test('two installs of one cloudlet at once never leave a broken state', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0', '1.1.0'], { history: 20 });
  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  // Each round changes what is installed: a fresh install, a replacement from a URL, and back.
  for (const [round, args] of [
    ['registry', ['acme/demo@1.0.0']],
    ['URL', [`${repo.url}#v1.1.0`, '--as', 'acme/demo']],
    ['registry again', ['acme/demo@1.0.0']],
  ] as const) {
    const results = await Promise.all([
      finished(spawnNepho(['cloudlet:install', ...args], { home })),
      finished(spawnNepho(['cloudlet:install', ...args], { home })),
    ]);
    const ok = results.filter((r) => r.code === 0);
    t.comment(`${round}: ${ok.length} of 2 succeeded`);
    t.ok(ok.length >= 1, `${round}: at least one succeeds`);
    for (const r of results.filter((x) => x.code !== 0)) {
      assertUserError(t, r, /a change to cloudlet acme\/demo is already under way \(on /, `${round}: the other one`);
    }
    t.same(cloudletEntries(home), ['acme-demo'], `${round}: exactly one copy, no scratch left`);
    t.same(readdirSync(join(home, 'cloudlets', '.locks')), [], `${round}: no lock left`);
    const verify = await nepho(['cloudlet:verify'], { home });
    t.equal(verify.code, 0, `${round}: verify passes`);
    const list = JSON.parse((await nepho(['cloudlet:list', '-o', 'json'], { home })).stdout);
    t.equal(list.length, 1, `${round}: one cloudlet listed`);
  }
});

t.test('a lock held by a live process refuses the install, saying where and since when', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  const holder = liveProcess(t);
  const lock = writeLock(home, 'acme/demo', holder.pid!);
  for (const args of [['acme/demo'], [repo.dir, '--as', 'acme/demo']]) {
    const r = await nepho(['cloudlet:install', ...args], { home });
    assertUserError(
      t,
      r,
      new RegExp(`a change to cloudlet acme/demo is already under way \\(on ${hostname()}, since 2026-11-22T10:00:00.000Z\\)$`),
      `install ${args[0]}`,
    );
    t.match(r.stderr, `hint: wait for it to finish; if no nepho process is doing it any more, remove ${lock}`);
    t.same(cloudletEntries(home), [], 'nothing installed, no scratch left');
  }
  t.equal((await nepho(['cloudlet:install', repo.dir, '--as', 'acme/demo', '--develop'], { home })).code, 1, 'nor can it be linked');
  t.ok(existsSync(lock), 'the live holder keeps its lock');

  // Another cloudlet is not held up.
  const other = await nepho(['cloudlet:install', 'huit/mediawiki'], { home });
  t.equal(other.code, 0, other.stderr);

  // Once installed, uninstall waits for the lock like install does.
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  t.equal((await nepho(['cloudlet:install', 'acme/demo'], { home })).code, 0, "the dead holder's lock is taken over");
  const holder2 = liveProcess(t);
  writeLock(home, 'acme/demo', holder2.pid!);
  const uninstall = await nepho(['cloudlet:uninstall', 'acme/demo', '--yes'], { home });
  assertUserError(t, uninstall, /already under way \(on /, 'uninstall');
  t.same(cloudletEntries(home), ['acme-demo', 'huit-mediawiki'], 'still installed');
});

t.test('a lock left by a dead process is taken over', async (t) => {
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const { home } = await homeWithRegistry(t, { 'acme/demo': indexEntry(repo) });
  const lock = writeLock(home, 'acme/demo', await deadPid());
  const r = await nepho(['cloudlet:install', 'acme/demo'], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(readInstallRecord(home, 'acme-demo').version, '1.0.0');
  t.notOk(existsSync(lock), 'the lock is released afterwards');
  t.same(readdirSync(join(home, 'cloudlets', '.locks')), [], 'nothing else is left in .locks');

  // A lock file that is not a lock (junk) is also taken over.
  writeFileSync(lock, 'not json');
  const again = await nepho(['cloudlet:uninstall', 'acme/demo', '--yes'], { home });
  t.equal(again.code, 0, again.stderr);
  t.same(cloudletEntries(home), []);
});

t.test('SIGINT or SIGTERM during an install from a server that never answers leaves nothing', async (t) => {
  // The silent server is a stand-in for a git server that is down in the
  // worst way: it accepts the connection and never says a word.
  const silent = await serveSilence(t);
  const repo = makeCloudletRepo(tempDir(t), 'demo', ['1.0.0']);
  const entry = { ...indexEntry(repo), source: silent.url('demo') };
  const { home } = await homeWithRegistry(t, { 'acme/demo': entry });
  for (const [how, args, signal] of [
    ['registry', ['acme/demo'], 'SIGINT'],
    ['URL', [`${silent.url('demo')}#v1.0.0`], 'SIGINT'],
    ['URL', [`${silent.url('demo')}#v1.0.0`], 'SIGTERM'],
  ] as const) {
    // The count is the server's total: wait for this install's own connection, so the signal finds git waiting on the server.
    const before = silent.connections();
    const child = spawnNepho(['cloudlet:install', ...args], { home });
    const done = finished(child);
    await waitFor(
      () => cloudletEntries(home).some((e) => e.startsWith('.staging-')) && silent.connections() > before,
      `${how}: the scratch directory and a connection`,
    );
    const connected = silent.connections();
    t.equal(connected, before + 1, `${how}: one connection`);
    child.kill(signal);
    const r = await done;
    t.ok(r.code !== 0, `${how} ${signal}: the process ends without success`);
    t.equal(r.signal, signal, `${how} ${signal}: it dies of the signal`);
    t.same(
      cloudletEntries(home).filter((e) => e.startsWith('.staging-')),
      [],
      `${how} ${signal}: no scratch directory is left`,
    );
    t.same(
      cloudletEntries(home).filter((e) => !e.startsWith('.')),
      [],
      `${how} ${signal}: nothing is installed`,
    );
    t.same(readdirSync(join(home, 'cloudlets', '.locks')), [], `${how} ${signal}: no lock is left`);
    // The git nepho started is stopped too: it closes its connection rather than wait on.
    await waitFor(() => silent.open() === 0, `${how} ${signal}: git to let go of the connection`);
    t.equal(silent.connections(), connected, `${how} ${signal}: nothing tried again after the signal`);
  }
  t.same(JSON.parse((await nepho(['cloudlet:list', '-o', 'json'], { home })).stdout), []);
  // Nothing in the way of the next install.
  const r = await nepho(['cloudlet:install', `${repo.url}#v1.0.0`, '--as', 'acme/demo'], { home });
  t.equal(r.code, 0, r.stderr);
  t.same(cloudletEntries(home), ['acme-demo']);
});
