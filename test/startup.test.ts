// What keeps start-up fast must not cost correctness: the code caches
// (src/boot.ts; docs/performance.md), output written straight to the file
// descriptors (src/stdio.ts), and the NephoError brand that lets the start-up
// bundle recognise errors from the modules loaded on demand.
import t from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import nodeModule from 'node:module';
import { join } from 'node:path';
import { nepho } from './fixtures/cli.js';
import { BIN, ROOT, tempDir, type Teardown } from './fixtures/paths.js';
import { writeConfig } from './fixtures/files.js';
import { fakeEntry, homeWithRegistry, indexDoc, serveRegistry } from './fixtures/registry.js';
import { terminal } from './fixtures/terminal.js';
import { startNodeCompileCache, type CompileCacheSwitch } from '../src/boot.js';
import { generateIndex } from '../bench/search.js';
import { NephoError } from '../src/errors.js';
import { isTerminal } from '../src/stdio.js';

/**
 * The hand-made code cache runs only on a Node without `module.enableCompileCache`
 * (Node 20, this machine and CI); elsewhere nepho uses Node's own, and the tests
 * of the hand-made one have nothing to look at.
 */
const nodeHasCompileCache = typeof (nodeModule as CompileCacheSwitch).enableCompileCache === 'function';
const handMade = { skip: nodeHasCompileCache ? "this Node has module.enableCompileCache: nepho uses Node's cache, not the hand-made one" : false };

const cacheDir = (home: string) => join(home, 'cache', 'compile');
/** Run a copy of nepho (`args[0]`) synchronously; its stdout. */
function runNode(args: string[], home: string): string {
  const r = spawnSync(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NEPHO_HOME: home, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}
const cacheFiles = (home: string) => (existsSync(cacheDir(home)) ? readdirSync(cacheDir(home)).sort() : []);

t.test('the first run writes a code cache for this build and Node; later runs use it as it is', handMade, async (t) => {
  const home = tempDir(t);
  const first = await nepho(['cloudlet:list'], { home });
  t.equal(first.code, 0);
  const files = cacheFiles(home);
  t.equal(files.length, 1, 'one cache file');
  t.match(
    files[0],
    new RegExp(`^cli-[0-9a-f]{16}-\\d+\\.\\d+-${process.version.replace(/\./g, '\\.')}-${process.arch}-cloudlet\\.list\\.bin$`),
    'named for the build, the bundle on disk, the Node version, the architecture and the command',
  );
  const file = join(cacheDir(home), files[0]!);
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by its owner only');
  const written = readFileSync(file);
  t.ok(written.length > 10_000, 'holds compiled code');

  const second = await nepho(['cloudlet:list'], { home });
  t.equal(second.code, 0);
  t.equal(second.stdout, first.stdout, 'the same output from cached code');
  t.same(readFileSync(file), written, 'an accepted cache is not rewritten');
  // A command that loads the rest of nepho on demand works from cached code too.
  for (let run = 0; run < 2; run++) {
    const lazy = await nepho(['scenario:list', 'nothing/here'], { home });
    t.equal(lazy.code, 1);
    t.match(lazy.stderr, /^error: .*nothing\/here/, 'an error from a module loaded on demand is a user error');
    t.notMatch(lazy.stderr, /at .*\.(c?js|ts):\d+/, 'without a stack');
  }
  t.equal(cacheFiles(home).filter((f) => f.startsWith('cli-')).length, 2, 'each command word has its own cache');
  t.ok(cacheFiles(home).some((f) => f.startsWith('cli-') && f.endsWith('-scenario.list.bin')));
});

t.test('caches are kept for command words and the general help only', handMade, async (t) => {
  const home = tempDir(t);
  t.equal((await nepho(['--help'], { home })).code, 0);
  t.equal((await nepho(['cloudlet', 'list'], { home })).code, 0);
  t.equal((await nepho(['cloudlet:frobnicate'], { home })).code, 2, 'an unknown command is a usage error');
  t.equal((await nepho(['../../etc/passwd'], { home })).code, 2);
  t.equal((await nepho(['Cloudlet:list'], { home })).code, 2);
  t.same(
    cacheFiles(home).map((f) => f.replace(/^cli-[0-9a-f]{16}-[^-]+-[^-]+-[^-]+-/, '')),
    ['cloudlet.bin', 'help.bin'],
  );
});

t.test('a bundle edited in place never runs from the cache of what it was', handMade, async (t) => {
  // A copy of the start-up files: V8 checks only a cached script's length, so an edit that keeps it would pass.
  const copy = tempDir(t);
  for (const file of ['dist/nepho.cjs', 'dist/cli.cjs', 'package.json']) cpSync(join(ROOT, file), join(copy, file));
  const bin = join(copy, 'dist', 'nepho.cjs');
  const home = tempDir(t);
  const help = () => runNode([bin, '--help'], home);
  t.match(help(), /List installed cloudlets/);
  t.match(help(), /List installed cloudlets/, 'from the cache');
  const bundle = join(copy, 'dist', 'cli.cjs');
  const edited = readFileSync(bundle, 'utf8').replace('List installed cloudlets', 'LIST INSTALLED CLOUDLETS');
  t.equal(Buffer.byteLength(edited), statSync(bundle).size, 'the same length');
  writeFileSync(bundle, edited);
  t.match(help(), /LIST INSTALLED CLOUDLETS/, 'the edit shows');
  t.equal(cacheFiles(home).length, 1, "the old bundle's cache is gone");
});

t.test('a damaged cache is refused by V8 and replaced; the command runs all the same', handMade, async (t) => {
  const home = tempDir(t);
  t.equal((await nepho(['cloudlet:list'], { home })).code, 0);
  const file = join(cacheDir(home), cacheFiles(home)[0]!);
  const garbage = Buffer.alloc(statSync(file).size, 0x5a);
  writeFileSync(file, garbage);
  const r = await nepho(['cloudlet:list', '-o', 'json'], { home });
  t.equal(r.code, 0);
  t.same(JSON.parse(r.stdout), []);
  t.equal(r.stderr, '');
  t.notSame(readFileSync(file), garbage, 'rewritten');
  t.equal(cacheFiles(home).length, 1, 'no temporary file left');
});

t.test('caches of other builds are removed when this build writes its own', handMade, async (t) => {
  const home = tempDir(t);
  mkdirSync(cacheDir(home), { recursive: true });
  writeFileSync(join(cacheDir(home), 'cli-0000000000000000-v0.0.0-x64.bin'), 'old');
  writeFileSync(join(cacheDir(home), 'unrelated.txt'), 'kept');
  t.equal((await nepho(['cloudlet:list'], { home })).code, 0);
  const files = cacheFiles(home);
  t.equal(files.length, 2);
  t.notOk(files.includes('cli-0000000000000000-v0.0.0-x64.bin'), "the other build's cache is gone");
  t.ok(files.includes('unrelated.txt'), 'files that are not caches are left alone');
});

/** The cache files of the modules loaded on demand (src/lazy-modules.ts). */
const lazyCaches = (home: string) => cacheFiles(home).filter((f) => f.startsWith('lazy-'));

t.test('modules loaded on demand are compiled once per command word, then run from their cache', handMade, async (t) => {
  const home = tempDir(t);
  const first = await nepho(['scenario:list', 'nothing/here'], { home });
  t.equal(first.code, 1);
  t.match(first.stderr, /^error: .*nothing\/here/);
  const files = lazyCaches(home);
  t.equal(files.length, 1, 'one cache file for the command');
  t.match(
    files[0],
    new RegExp(`^lazy-[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}-scenario\\.list\\.bin$`),
    'named for the build, the Node version, the architecture and the command',
  );
  const file = join(cacheDir(home), files[0]!);
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by its owner only');
  const written = readFileSync(file);
  t.equal(written.subarray(0, 19).toString(), 'nepho-lazy-cache-1\n', 'in its format');
  t.ok(written.includes(join('lazy', 'scenarios', 'index.cjs')), "holds the scenarios facade's code, under its path");
  t.ok(written.length > 10_000, 'holds compiled code');

  const second = await nepho(['scenario:list', 'nothing/here'], { home });
  t.equal(second.stderr, first.stderr, 'the same answer from cached code');
  t.same(readFileSync(file), written, 'an accepted cache is not rewritten');
  t.equal((await nepho(['cloudlet:describe', 'acme/nothing'], { home })).code, 1);
  t.equal(lazyCaches(home).length, 2, 'another command word has its own');
});

t.test('a module loaded on demand, edited in place, never runs from the cache of what it was', handMade, async (t) => {
  // V8 checks only a cached script's length: the cache knows each module by its size and modification time.
  const copy = tempDir(t);
  cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
  const home = tempDir(t);
  const run = () =>
    spawnSync(process.execPath, [join(copy, 'dist', 'nepho.cjs'), 'scenario:list', 'nothing/here'], {
      env: { PATH: process.env.PATH, NEPHO_HOME: home, HOME: home, NO_COLOR: '1' },
      encoding: 'utf8',
    });
  t.equal(run().status, 1);
  t.notMatch(run().stderr, /EDITED/, 'from the cache');
  const facade = join(copy, 'dist', 'lazy', 'scenarios', 'index.cjs');
  const text = readFileSync(facade, 'utf8');
  const comment = '// src/scenarios/describe.ts';
  t.ok(text.includes(comment), 'the facade has the comment the edit replaces');
  const edited = text.replace(comment, 'console.error("EDITED");'.padEnd(comment.length));
  t.equal(Buffer.byteLength(edited), statSync(facade).size, 'the same length');
  writeFileSync(facade, edited);
  const after = run();
  t.equal(after.status, 1);
  t.match(after.stderr, /^EDITED\n/, 'the edit runs');
  t.match(after.stderr, /nothing\/here/);
});

t.test('a damaged cache of modules loaded on demand is ignored and replaced', handMade, async (t) => {
  const home = tempDir(t);
  const first = await nepho(['scenario:list', 'nothing/here'], { home });
  const file = join(cacheDir(home), lazyCaches(home)[0]!);
  const good = readFileSync(file);
  for (const damage of ['cut short', 'garbled', 'another format'] as const) {
    if (damage === 'cut short') writeFileSync(file, good.subarray(0, good.length - 100));
    else if (damage === 'garbled') writeFileSync(file, Buffer.concat([good.subarray(0, 19), Buffer.alloc(good.length - 19, 0x5a)]));
    else writeFileSync(file, Buffer.concat([Buffer.from('nepho-lazy-cache-0\n'), good.subarray(19)]));
    const r = await nepho(['scenario:list', 'nothing/here'], { home });
    t.equal(r.stderr, first.stderr, `${damage}: the command runs all the same`);
    t.equal(readFileSync(file).subarray(0, 19).toString(), 'nepho-lazy-cache-1\n', `${damage}: rewritten`);
    t.equal(lazyCaches(home).length, 1, `${damage}: no temporary file left`);
  }
});

t.test('a cache that cannot be written does not fail the command', async (t) => {
  const home = tempDir(t);
  mkdirSync(join(home, 'cache'), { recursive: true });
  writeFileSync(cacheDir(home), 'a file where the cache directory would be');
  const r = await nepho(['cloudlet:list', '-o', 'json'], { home });
  t.equal(r.code, 0);
  t.same(JSON.parse(r.stdout), []);
  t.equal(r.stderr, '');
});

t.test("Node's own compile cache is switched on only where Node has module.enableCompileCache, and only in a directory that exists", async (t) => {
  const dir = join(tempDir(t), 'cache', 'compile');
  const calls: (string | undefined)[] = [];
  // A fake module API: Node 20 has no enableCompileCache, so what nepho does on Node 22.1+ is driven through a stand-in.
  const node22: CompileCacheSwitch = { enableCompileCache: (directory) => void calls.push(directory) };
  t.equal(startNodeCompileCache(dir, {}), 'absent', 'a Node without it: the hand-made cache runs');
  t.equal(startNodeCompileCache(dir, node22), 'no-directory', 'no directory yet: Node would create it before the home is judged');
  t.same(calls, [], 'not called');
  t.notOk(existsSync(dir), 'and nothing created');
  mkdirSync(dir, { recursive: true });
  t.equal(startNodeCompileCache(dir, node22), 'enabled');
  t.same(calls, [dir], 'called once, with the directory under the home');
  t.test(
    'on this Node',
    { skip: nodeHasCompileCache ? 'this Node has module.enableCompileCache: calling it here would turn the cache on in the test process' : false },
    async (t) => {
      t.equal(startNodeCompileCache(dir), 'absent', 'Node 20 has no module.enableCompileCache: the hand-made cache is the one');
    },
  );
});

t.test("where Node has its own compile cache, the bundle runs as a plain CommonJS module and Node's cache gets the directory", async (t) => {
  // Node 20 cannot run this branch by itself: a script hands dist/boot.cjs a fake module API whose
  // enableCompileCache records its calls, and the bundle is required as Node 22.1+ would load it.
  const scratch = tempDir(t);
  const script = join(scratch, 'node22.cjs');
  writeFileSync(
    script,
    [
      "const { writeSync } = require('node:fs');",
      'const [boot, cli, ...argv] = process.argv.slice(2);',
      'const node22 = { enableCompileCache: (dir) => writeSync(2, `enableCompileCache ${dir}\\n`) };',
      'require(boot).loadCli(cli, argv, node22).run(argv);',
    ].join('\n'),
  );
  const run = (home: string, args: string[]) =>
    spawnSync(process.execPath, [script, join(ROOT, 'dist', 'boot.cjs'), join(ROOT, 'dist', 'cli.cjs'), ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NEPHO_HOME: home, NO_COLOR: '1' },
      encoding: 'utf8',
    });
  const home = tempDir(t);
  const first = run(home, ['cloudlet:list', '-o', 'json']);
  t.equal(first.status, 0, first.stderr);
  t.same(JSON.parse(first.stdout), []);
  t.equal(first.stderr, '', 'no cache directory yet: not switched on');
  t.ok(statSync(cacheDir(home)).isDirectory(), 'the directory is made when the command is done');
  t.same(cacheFiles(home), [], 'and the hand-made cache is not written');

  const second = run(home, ['cloudlet:list', '-o', 'json']);
  t.equal(second.status, 0);
  t.equal(second.stderr, `enableCompileCache ${cacheDir(home)}\n`, 'switched on, in the home, once');
  const lazy = run(home, ['scenario:list', 'nothing/here']);
  t.equal(lazy.status, 1);
  t.match(lazy.stderr, /^enableCompileCache .*\nerror: .*nothing\/here/, "a module loaded on demand comes through the bundle's own import()");
  t.notMatch(lazy.stderr, /at .*\.(c?js|ts):\d+/, 'without a stack');
  const table = run(home, ['registry:list']);
  t.equal(table.status, 0, table.stderr);
  t.match(table.stdout, /^NAME +URL/, "a table, drawn by the package module the bundle requires through Node's own require");

  const fresh = tempDir(t);
  t.equal(run(fresh, ['cloudlet:frobnicate']).status, 2, 'a usage error');
  t.notOk(existsSync(cacheDir(fresh)), 'a word that is not a command leaves the home alone');
  const refused = tempDir(t);
  writeFileSync(join(refused, 'formations'), 'a file where a directory should be');
  const r = run(refused, ['cloudlet:list']);
  t.equal(r.status, 1);
  t.match(r.stderr, /formations is not a directory/);
  t.notOk(existsSync(join(refused, 'cache')), 'nothing is written into a home the command refused');
});

t.test('a reader that went away ends the output quietly (nepho ... | head)', async (t) => {
  const home = tempDir(t);
  const child = spawn(process.execPath, [BIN, 'cloudlet:list'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NEPHO_HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Closed long before nepho (tens of milliseconds of start-up) writes to it.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise((resolve) => child.on('close', resolve));
  t.equal(code, 0);
  t.equal(stderr, '', 'no EPIPE, no stack');
});

t.test('output larger than a pipe holds reaches a slow reader whole, even when stdout was left non-blocking', async (t) => {
  const cloudlets: Record<string, unknown> = {};
  // More than one of the search's output buffers (256 KiB, filled again as soon as it is written): a
  // buffer the stream still held would be overwritten by the next lines.
  const count = 9000;
  for (let i = 0; i < count; i++)
    cloudlets[`bulk/cloudlet-${String(i).padStart(4, '0')}`] = fakeEntry({ summary: `bulk cloudlet number ${i} for the pipe test` });
  const { home } = await homeWithRegistry(t, cloudlets);
  // python3 leaves fd 1 non-blocking (O_NONBLOCK) and execs nepho, as a parent sharing its pipe might;
  // the reader takes nothing for a second, so the pipe fills and a write would fail with EAGAIN.
  const nonBlocking =
    'import fcntl, os, sys\nfl = fcntl.fcntl(1, fcntl.F_GETFL)\nfcntl.fcntl(1, fcntl.F_SETFL, fl | os.O_NONBLOCK)\nos.execv(sys.argv[1], sys.argv[1:])\n';
  const pipeline = '{ python3 -c "$NONBLOCKING" "$NODE" "$BIN" cloudlet:search bulk; echo "status=$?" >&2; } | { sleep 1; cat; }';
  const child = spawn('sh', ['-c', pipeline], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NEPHO_HOME: home, NO_COLOR: '1', NONBLOCKING: nonBlocking, NODE: process.execPath, BIN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  await new Promise((resolve) => child.on('close', resolve));
  const lines = Buffer.concat(chunks).toString().split('\n').filter(Boolean);
  t.equal(stderr, 'status=0\n', 'nepho succeeded, and said nothing on stderr');
  t.ok(Buffer.concat(chunks).length > 2 * 256 * 1024, 'more than a pipe buffer, and than two output buffers');
  t.equal(lines.length, count, 'every line arrived');
  const wrong = lines.filter((line, i) => line !== `bulk/cloudlet-${String(i).padStart(4, '0')} - bulk cloudlet number ${i} for the pipe test (v1.0.0)`);
  t.same(wrong.slice(0, 3), [], 'every line as written, in order');
});

t.test('colour on a terminal, none on a pipe', async (t) => {
  const home = tempDir(t);
  const term = terminal(t, `env -u NO_COLOR NEPHO_HOME=${home} TERM=xterm ${process.execPath} ${BIN} cloudlet:frobnicate; sleep 30`);
  await term.waitForScreen(/unknown command/);
  const coloured = execFileSync('tmux', ['-S', term.socket, '-f', '/dev/null', 'capture-pane', '-e', '-p', '-t', 's'], { encoding: 'utf8' });
  t.match(coloured, /\x1b\[[0-9;]*m/, 'escape sequences on the terminal');
  const piped = await nepho(['cloudlet:frobnicate'], { home, env: { TERM: 'xterm' } });
  t.notMatch(piped.stderr, /\x1b\[/, 'none through a pipe');
});

t.test('isTerminal: files, pipes and /dev/null are not terminals', async (t) => {
  const dir = tempDir(t);
  const file = openSync(join(dir, 'f'), 'w');
  const devNull = openSync('/dev/null', 'w');
  t.teardown(() => {
    closeSync(file);
    closeSync(devNull);
  });
  t.equal(isTerminal(file), false, 'a file');
  t.equal(isTerminal(devNull), false, '/dev/null, a character device');
  t.equal(isTerminal(9999), false, 'a descriptor that is not open');
});

t.test('a NephoError from another copy of the module is still a NephoError', async (t) => {
  const copy = (await import(`../src/errors.js?copy=${Date.now()}`)) as typeof import('../src/errors.js');
  t.not(copy.NephoError, NephoError, 'a distinct class');
  const error = new copy.NephoError('SOME_CODE', 'from the other copy');
  t.ok(error instanceof NephoError, 'recognised by this copy');
  t.ok(new NephoError('X', 'y') instanceof copy.NephoError, 'and the other way round');
  t.notOk(new Error('plain') instanceof NephoError, 'a plain Error is not');
  t.notOk(null instanceof NephoError);
  t.notOk('text' instanceof NephoError);
  class Sub extends NephoError {}
  t.ok(new Sub('A', 'b') instanceof NephoError, 'an instance of a subclass is one');
  t.notOk(new NephoError('A', 'b') instanceof Sub, 'a subclass keeps the ordinary check');
});

/**
 * The functions of the start-up bundle V8 saw run in `nepho args` (NODE_V8_COVERAGE),
 * by name, with how often each ran; and the built-in modules Node loaded.
 */
function bundleCoverage(
  t: Teardown,
  args: string[],
  env: NodeJS.ProcessEnv,
  home = tempDir(t),
): { loaded: boolean; ran: (name: string) => number; builtins: string[]; scripts: string[] } {
  const dir = tempDir(t);
  const probe = join(dir, 'probe.cjs');
  writeFileSync(
    probe,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'builtins.json'))}, JSON.stringify(process.moduleLoadList)));\n`,
  );
  const coverage = join(dir, 'coverage');
  // Through env(1) without NODE_OPTIONS: tap's process-info hook rides on it into every child it spawns, and loads crypto.
  spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, '--require', probe, BIN, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NEPHO_HOME: home, NODE_V8_COVERAGE: coverage, ...env },
    encoding: 'utf8',
  });
  const scripts = readdirSync(coverage).flatMap(
    (file) =>
      (
        JSON.parse(readFileSync(join(coverage, file), 'utf8')) as {
          result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
        }
      ).result,
  );
  const bundle = scripts.find((s) => s.url.endsWith(join('dist', 'cli.cjs')));
  const ran = (name: string) => (bundle?.functions ?? []).filter((f) => f.functionName === name).reduce((n, f) => n + (f.ranges[0]?.count ?? 0), 0);
  return {
    loaded: bundle !== undefined,
    ran,
    builtins: JSON.parse(readFileSync(join(dir, 'builtins.json'), 'utf8')) as string[],
    scripts: scripts.map((s) => s.url),
  };
}

t.test('output without colour evaluates neither chalk nor fastest-levenshtein, and NEPHO_HOME spares loading node:os', async (t) => {
  const CHALK = 'node_modules/chalk/source/index.js';
  const LEVENSHTEIN = 'node_modules/fastest-levenshtein/mod.js';
  const plain = bundleCoverage(t, ['cloudlet:list'], { NO_COLOR: '1' });
  t.ok(plain.loaded, 'the start-up bundle ran');
  t.equal(plain.ran(CHALK), 0, 'chalk not evaluated');
  t.equal(plain.ran(LEVENSHTEIN), 0, 'fastest-levenshtein not evaluated');
  t.notOk(plain.builtins.includes('NativeModule os'), 'node:os not loaded');
  // The same bundle evaluates them when they are needed: colour, a mistyped command, no HOME.
  const coloured = bundleCoverage(t, ['cloudlet:lst'], { FORCE_COLOR: '1' });
  t.equal(coloured.ran(CHALK), 1, 'chalk evaluated once for colour');
  t.equal(coloured.ran(LEVENSHTEIN), 1, 'fastest-levenshtein evaluated once for a suggestion');
});

t.test("a search of a cached registry loads none of Node's crypto, zlib, streams, os or fs/promises", async (t) => {
  // Each costs a search a part of Node's own start: the modules loaded on demand require Node's
  // modules on first use (scripts/bundle.js), and the cache's checksums start in JavaScript (src/registry/crc32.ts).
  const server = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry({ summary: 'web server' }), 'acme/wiki': fakeEntry({ summary: 'a wiki' }) }));
  const home = tempDir(t);
  writeConfig(home, 'registry_ttl: 3600\n');
  t.equal((await nepho(['registry:add', 'community', server.url], { home })).code, 0);
  // Warm: the first search also copies the built-in registry into the cache (and checks its signature).
  t.equal((await nepho(['cloudlet:search', 'web'], { home })).code, 0);
  const requests = server.requests.length;
  for (const terms of [['web'], ['a'], ['acme', 'wiki']]) {
    const { builtins } = bundleCoverage(t, ['cloudlet:search', ...terms], { NO_COLOR: '1' }, home);
    const loaded = ['crypto', 'zlib', 'stream', 'os', 'fs/promises', 'net', 'http'].filter((name) => builtins.includes(`NativeModule ${name}`));
    t.same(loaded, [], `cloudlet:search ${terms.join(' ')}`);
  }
  t.equal(server.requests.length, requests, 'answered from the cache');
  // The same modules still load when a command needs them: registry:update asks the registry.
  const update = bundleCoverage(t, ['registry:update'], { NO_COLOR: '1' }, home);
  t.ok(update.builtins.includes('NativeModule http'), 'registry:update loads node:http');
});

t.test('a search of a twenty-thousand-cloudlet registry: a rare name loads no zlib, and the id column fits the longest id shown', async (t) => {
  // A rare name's search reads a few blocks: their checksums are done in JavaScript (src/registry/crc32.ts).
  const server = await serveRegistry(t, generateIndex(20_000, 3));
  const home = tempDir(t);
  writeConfig(home, 'registry_ttl: 3600\n');
  t.equal((await nepho(['registry:add', 'community', server.url], { home })).code, 0);
  t.equal((await nepho(['cloudlet:search', 'web'], { home })).code, 0);
  const { builtins } = bundleCoverage(t, ['cloudlet:search', 'zanzibar'], { NO_COLOR: '1' }, home);
  t.notOk(builtins.includes('NativeModule zlib'), 'zlib not loaded');
  const found = await nepho(['cloudlet:search', 'zanzibar'], { home });
  t.equal(found.stdout.split('\n')[0]!.split(' - ')[0], 'islands/zanzibar', 'the hit is found');
  // The id column is as wide as the longest id shown: from the table of id lengths for many hits, from the hits' own ids for a few.
  for (const terms of [['web'], ['zanzibar'], ['mediawiki'], ['postgres', 'backup']]) {
    const lines = (await nepho(['cloudlet:search', ...terms], { home })).stdout.split('\n').filter((line) => line !== '');
    const columns = lines.map((line) => /^(\S+)( *) - /.exec(line)!).map((m) => ({ id: m[1]!.length, width: m[1]!.length + m[2]!.length }));
    t.ok(lines.length > 0, `${terms.join(' ')}: ${lines.length} hits`);
    t.same(new Set(columns.map((c) => c.width)), new Set([Math.max(...columns.map((c) => c.id))]), `${terms.join(' ')}: one column, the longest id's width`);
  }
});

t.test('the YAML library and cli-table3 are loaded on first call from the build, through the code cache, not from node_modules', async (t) => {
  // scripts/bundle.js, nepho-packages-on-first-call: a config.yaml read for the first time, a table, `-o yaml`.
  const home = tempDir(t);
  writeConfig(home, 'registry_ttl: 3600\nregistries: []\n');
  const fromNodeModules = (scripts: string[]) => scripts.filter((url) => /\/node_modules\/(yaml|cli-table3)\//.test(url));
  const first = bundleCoverage(t, ['registry:list', '-o', 'json'], { NO_COLOR: '1' }, home);
  t.ok(existsSync(join(home, 'cache', 'config-parsed.json')), 'the config was parsed (and its parse kept)');
  t.same(fromNodeModules(first.scripts), [], 'config.yaml parsed by the bundled copy');
  t.ok(
    first.scripts.some((url) => url.includes('/dist/lazy/')),
    'the modules loaded on demand ran',
  );
  const table = bundleCoverage(t, ['registry:list'], { NO_COLOR: '1' }, home);
  t.same(fromNodeModules(table.scripts), [], 'a table drawn by the bundled cli-table3');
  t.ok(
    table.scripts.some((url) => url.endsWith('/dist/lazy/packages/cli-table3.cjs')),
    'from its module under dist/lazy/packages',
  );
  const yaml = bundleCoverage(t, ['registry:list', '-o', 'yaml'], { NO_COLOR: '1' }, home);
  t.same(fromNodeModules(yaml.scripts), [], 'YAML output by the bundled copy');
  t.ok(
    yaml.scripts.some((url) => url.endsWith('/dist/lazy/packages/yaml.cjs')),
    'from its module under dist/lazy/packages',
  );
  for (const args of [['registry:list'], ['registry:list', '-o', 'yaml']]) {
    const r = await nepho(args, { home });
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /builtin/, `${args.join(' ')}: lists the built-in registry`);
  }
});

t.test('the built bundles are ASCII: V8 keeps them as one-byte strings', async (t) => {
  // One character beyond ASCII, even in a comment, makes V8 hold a whole file as two-byte text.
  const files = [
    join(ROOT, 'dist', 'nepho.cjs'),
    join(ROOT, 'dist', 'cli.cjs'),
    join(ROOT, 'dist', 'boot.cjs'),
    ...['lazy', 'chunks'].flatMap((dir) =>
      readdirSync(join(ROOT, 'dist', dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => /\.c?js$/.test(f))
        .map((f) => join(ROOT, 'dist', dir, f)),
    ),
  ];
  t.ok(files.filter((file) => file.endsWith('.cjs')).length > 10, 'the executable, the start-up bundle, the loader and the modules loaded on demand');
  const beyond = files.filter((file) => readFileSync(file).some((byte) => byte > 0x7f));
  t.same(beyond, [], 'no byte beyond ASCII');
});

t.test('--version is answered by the executable alone, with the version of package.json', async (t) => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  t.equal(runNode([BIN, '--version'], tempDir(t)), `${version}\n`);
  t.notOk(bundleCoverage(t, ['--version'], {}).loaded, 'the start-up bundle is not even read');
});
