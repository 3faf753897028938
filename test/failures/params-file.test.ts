// Parameters files (and cloudlet files) that are not what they claim: a
// device that never ends, a FIFO no one writes to, a directory, binary
// garbage, a key of 28,000 control characters. Each ends in one short line
// naming the file (and line), exit 1, in bounded time and memory.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { expectUserError } from '../fixtures/cli.js';
import { cloudletFiles, installDevCloudlet } from '../fixtures/cloudlets.js';
import { writeFiles } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';
import { runBounded } from '../fixtures/processes.js';
import { requireTool } from '../fixtures/tools.js';

/** The longest error line any of these may print: a path and a short excerpt. */
const MAX_LINE = 400;

/** stderr holds no raw control character (escape sequences, NULs) other than line ends. */
function assertPlain(t: Tap, stderr: string, what: string): void {
  t.notMatch(stderr, /[\0-\x09\x0b-\x1f\x7f-\x9f]/, `${what}: no raw control characters`);
  for (const line of stderr.split('\n')) t.ok(line.length <= MAX_LINE, `${what}: a line of ${line.length} characters`);
}
type Tap = typeof t;

t.test('--params-file that is not a regular file is refused without reading it', async (t) => {
  const home = join(tempDir(t), 'home');
  const app = await installDevCloudlet(t, home, 'app');
  const dir = tempDir(t);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const cases: [string, RegExp][] = [
    ['/dev/zero', /a character device/],
    ['/dev/urandom', /a character device/],
    [fifo, /a FIFO/],
    [dir, /a directory/],
  ];
  const measure = requireTool(t, 'time');
  for (const [file, kind] of cases) {
    const r = await runBounded(['formation:create', app.id, '--dry-run', '--no-input', '--params-file', file], {
      home,
      killAfterMs: 30_000,
      measureMemory: measure,
    });
    t.notOk(r.killed, `${file}: ended by itself`);
    expectUserError(t, r, new RegExp(`^error: --params-file ${file}: not a regular file \\(${kind.source}\\)$`), file);
    if (measure) t.ok(r.peakKiB! < 300 * 1024, `${file}: peak memory ${Math.round(r.peakKiB! / 1024)} MiB`);
  }
});

/** A scenario that declares the one parameter the good parameters file sets. */
const WITH_BOX = { 'scenarios/default.yaml': 'summary: the default\nproviders:\n  vagrant: {pattern: single}\nparameters:\n  Box: {type: string}\n' };

t.test('binary garbage in a parameters file: one short line with the line number and an escaped excerpt', async (t) => {
  const home = join(tempDir(t), 'home');
  const app = await installDevCloudlet(t, home, 'app', WITH_BOX);
  const dir = tempDir(t);
  // Two good lines, then 28 KB of every byte value, the first NUL at line 3, column 6.
  const garbage = Buffer.alloc(28 * 1024);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 256;
  const head = Buffer.from('Box: a\nName: b\nabcde\0');
  head.copy(garbage);
  const binary = join(dir, 'garbage.yaml');
  writeFileSync(binary, garbage);
  const r = await runBounded(['formation:create', app.id, '--dry-run', '--no-input', '--params-file', binary], { home });
  expectUserError(t, r, new RegExp(`^error: ${binary}:3: not YAML or JSON: binary data \\('\\\\u0000' at column 6\\)$`), 'binary');
  assertPlain(t, r.stderr, 'binary');

  // Valid JSON whose one key is 28,000 characters, control characters and an escape sequence among them.
  const key = `\u001b[31m${'\u0001\u0007x'.repeat(9333)}`;
  const json = join(dir, 'long-key.json');
  writeFileSync(json, JSON.stringify({ [key]: 1 }));
  const long = await runBounded(['formation:create', app.id, '--dry-run', '--no-input', '--params-file', json], { home });
  expectUserError(
    t,
    long,
    new RegExp(`^error: ${json}: unknown parameter '\\\\u001b\\[31m[^']{80,}'\\.\\.\\. \\(${key.length} characters\\) for local/app/default$`),
    'a long key',
  );
  assertPlain(t, long.stderr, 'a long key');

  // Text that is not YAML: YAML's reason, without the file's text it would quote after it.
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, `Box: [unclosed\n${'x'.repeat(20_000)}\n`);
  const bad = await runBounded(['formation:create', app.id, '--dry-run', '--no-input', '--params-file', broken], { home });
  expectUserError(t, bad, new RegExp(`^error: ${broken}:\\d+: not valid YAML or JSON \\(`), 'not YAML');
  assertPlain(t, bad.stderr, 'not YAML');

  const huge = join(dir, 'huge.yaml');
  writeFileSync(huge, 'Box: a\n'.repeat(200_000));
  const big = await runBounded(['formation:create', app.id, '--dry-run', '--no-input', '--params-file', huge], { home });
  expectUserError(t, big, new RegExp(`^error: --params-file ${huge}: larger than the 1048576-byte limit \\(1400000 bytes\\)$`), 'too large');

  // Nothing was left half-done: a good parameters file works next, with the same home.
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'Box: debian/bookworm64\n');
  const ok = await runBounded(['formation:create', app.id, '--dry-run', '--no-input', '--params-file', good], { home });
  t.equal(ok.code, 0, `a good file after them: ${ok.stderr}`);
  t.match(ok.stdout, /debian\/bookworm64/);
});

t.test('a cloudlet whose cloudlet.yaml is a FIFO or a device is refused, not waited on', async (t) => {
  const home = join(tempDir(t), 'home');
  const dir = join(tempDir(t), 'fifo-cloudlet');
  const files = cloudletFiles('fifo-cloudlet', '1.0.0');
  delete files['cloudlet.yaml'];
  writeFiles(dir, files);
  execFileSync('mkfifo', [join(dir, 'cloudlet.yaml')]);
  const why = new RegExp(`${dir}/cloudlet\\.yaml: not a regular file \\(a FIFO\\)`);
  for (const args of [
    ['cloudlet:install', dir],
    ['cloudlet:install', '--develop', dir],
  ]) {
    const r = await runBounded(args, { home, killAfterMs: 30_000 });
    t.notOk(r.killed, `${args.join(' ')}: ended by itself`);
    expectUserError(t, r, why, args.join(' '));
  }
  // lint lists its findings on stdout and sums them up in the error line.
  const lint = await runBounded(['cloudlet:lint', dir], { home, killAfterMs: 30_000 });
  t.notOk(lint.killed, 'cloudlet:lint: ended by itself');
  expectUserError(t, lint, /problem\(s\)/, 'cloudlet:lint');
  t.match(lint.stdout, /^cloudlet\.yaml: -: not a regular file \(a FIFO\)$/m);
});
