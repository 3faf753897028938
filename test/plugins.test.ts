// Providers and provisioners come from a registry of plugins: a third party
// adds one as an npm package named in config.yaml, without touching nepho.
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { expectUserError, nepho } from './fixtures/cli.js';
import { writeConfig, writeFiles } from './fixtures/files.js';
import { ROOT, tempDir } from './fixtures/paths.js';

const PLUGIN = join(ROOT, 'test', 'fixtures', 'plugins', 'nepho-provider-echo');

function echoCloudlet(dir: string): string {
  const path = join(dir, 'echo-cloudlet');
  writeFiles(path, {
    'cloudlet.yaml': 'name: echoes\nversion: 1.0.0\nsummary: says things\n',
    'scenarios/default.yaml':
      'summary: say it\nproviders:\n  echo: {pattern: plain}\nprovisioner: {type: note, script: provisioners/note.txt}\nparameters:\n  Words: {type: string, default: hello}\naccess:\n  url: "http://example.org/{{outputs.Said}}"\n',
    'patterns/echo/plain.txt': 'echo pattern\n',
    'provisioners/note.txt': 'a note\n',
  });
  return path;
}

async function setUp(t: Test, pluginLine: string): Promise<{ home: string; dir: string }> {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  writeConfig(home, `plugins:\n  - ${pluginLine}\n`);
  const installed = await nepho(['cloudlet:install', echoCloudlet(dir)], { home });
  t.equal(installed.code, 0, installed.stderr);
  return { home, dir };
}

t.test('a plugin package named by its path plans, creates, describes and destroys', async (t) => {
  const { home, dir } = await setUp(t, PLUGIN);
  const out = join(dir, 'rendered');
  const plan = await nepho(['formation:create', 'echoes', '--dry-run', '--out', out, '-p', 'Words=hi', '-o', 'json'], { home });
  t.equal(plan.code, 0, plan.stderr);
  t.match(JSON.parse(plan.stdout), { provider: 'echo', files: ['echo.txt', 'bootstrap.sh'] });
  t.equal(readFileSync(join(out, 'echo.txt'), 'utf8'), 'echo pattern\n{"Words":"hi"}\n');
  t.match(readFileSync(join(out, 'bootstrap.sh'), 'utf8'), 'note for echoes-default', 'the plugin provisioner rendered the bootstrap');

  const created = await nepho(['create', 'echoes', '-p', 'Words=hi', '--foreground'], { home });
  t.equal(created.code, 0, created.stderr);
  const opened = await nepho(['open', 'echoes-default', '--print'], { home });
  t.equal(opened.stdout.trim(), 'http://example.org/hi');
  const described = await nepho(['formation:describe', 'echoes-default', '-o', 'json'], { home });
  t.match(JSON.parse(described.stdout), { provider: 'echo', status: 'CREATE_COMPLETE', outputs: { Said: 'hi' } });
  const destroyed = await nepho(['destroy', 'echoes-default', '--yes', '--foreground'], { home });
  t.equal(destroyed.code, 0, destroyed.stderr);
});

t.test('a plugin installed as an npm package under $NEPHO_HOME/plugins is found by name', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  mkdirSync(join(home, 'plugins', 'node_modules'), { recursive: true });
  cpSync(PLUGIN, join(home, 'plugins', 'node_modules', 'nepho-provider-echo'), { recursive: true });
  writeConfig(home, 'plugins:\n  - nepho-provider-echo\n');
  t.equal((await nepho(['cloudlet:install', echoCloudlet(dir)], { home })).code, 0);
  const described = await nepho(['scenario:describe', 'echoes', '-o', 'json'], { home });
  t.equal(described.code, 0, described.stderr);
  t.match(JSON.parse(described.stdout), { configuration: { providers: { echo: { pattern: 'plain' } } } });
});

t.test('without the plugin, its provider and provisioner are unknown, naming the known ones', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  t.equal((await nepho(['cloudlet:install', echoCloudlet(dir)], { home })).code, 0);
  const r = await nepho(['formation:create', 'echoes', '--dry-run'], { home });
  t.equal(r.code, 1);
  t.match(r.stderr, /providers\.echo is not a known provider \(known: cloudformation, vagrant\)/);
});

t.test('bad plugins are refused with one line naming them', async (t) => {
  const dir = tempDir(t);
  const empty = join(dir, 'empty.mjs');
  writeFileSync(empty, 'export const nothing = 1;\n');
  const broken = join(dir, 'broken.mjs');
  writeFileSync(broken, 'export default { providers: [{ apiVersion: 1, name: "half", patternPath: () => "x" }] };\n');
  const unversioned = join(dir, 'unversioned.mjs');
  writeFileSync(unversioned, 'export default { providers: [{ name: "old", patternPath: () => "x" }] };\n');
  const future = join(dir, 'future.mjs');
  writeFileSync(future, 'export default { provisioners: [{ apiVersion: 2, type: "next", render() {} }] };\n');
  const twice = join(dir, 'twice.mjs');
  writeFileSync(
    twice,
    `import p from ${JSON.stringify(join(PLUGIN, 'index.mjs'))};\nexport default { providers: [{ ...p.providers[0], name: 'cloudformation' }] };\n`,
  );
  const throws = join(dir, 'throws.mjs');
  writeFileSync(throws, 'throw new Error("plugin exploded");\n');
  const cases: [string, RegExp][] = [
    [join(dir, 'missing.mjs'), /plugins: .*missing\.mjs: no such file/],
    ['nepho-provider-nowhere', /cannot find the package 'nepho-provider-nowhere'/],
    [empty, /exports no providers or provisioners/],
    [broken, /provider 'half' has no validate\(\)/],
    [unversioned, /provider 'old' declares no apiVersion; this nepho speaks apiVersion 1/],
    [future, /provisioner 'next' implements apiVersion 2; this nepho speaks apiVersion 1\nhint: update nepho/],
    [twice, /provider 'cloudformation' is already provided/],
    [throws, /failed to load: plugin exploded/],
  ];
  for (const [plugin, pattern] of cases) {
    const home = join(dir, `home-${cases.findIndex((c) => c[0] === plugin)}`);
    writeConfig(home, `plugins:\n  - ${plugin}\n`);
    const r = await nepho(['formation:list'], { home });
    t.equal(r.code, 1, `${plugin}: exit 1`);
    t.match(r.stderr, pattern, plugin);
    t.notMatch(r.stderr, /\n\s+at /, `${plugin}: no stack trace`);
  }
});

t.test('a plugin provider sets up its credentials through register, by its name or its alias', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  writeConfig(home, `plugins:\n  - ${PLUGIN}\n`);
  const user = join(dir, 'user');
  mkdirSync(user);
  const run = (args: string[], input?: string) => nepho(['register', ...args], { home, env: { HOME: user }, ...(input === undefined ? {} : { input }) });
  const token = join(user, '.echo-token');

  const saved = await run(['--provider', 'say', '--profile', 'p', '--secret-access-key-stdin'], 'sesame\n');
  t.equal(saved.code, 0, saved.stderr);
  t.equal(saved.stdout, `saved the echo token in ${token}\n`, "the provider's summary on stdout");
  t.match(saved.stderr, /profile p/, 'its notice on stderr, with the flags it was given');
  t.equal(readFileSync(token, 'utf8'), 'sesame');
  t.equal(statSync(token).mode & 0o777, 0o600);

  expectUserError(
    t,
    await run(['--provider', 'echo', '--secret-access-key-stdin'], 'other'),
    /^error: Replace .*\.echo-token\? Not confirmed: no terminal to ask on$/,
    "nepho's host answers the provider's question",
  );
  t.equal(readFileSync(token, 'utf8'), 'sesame', 'nothing replaced');
  t.equal((await run(['--provider', 'echo', '--secret-access-key-stdin', '--yes'], 'other')).code, 0, '--yes answers it up front');
  t.equal(readFileSync(token, 'utf8'), 'other');
  expectUserError(t, await run(['--provider', 'echo']), /^error: echo token: no terminal to ask on$/, 'a question without a terminal');
  expectUserError(t, await run([]), /^error: --provider: aws, say all take credentials; name one$/, 'two providers take credentials');
});

t.test('a plugin provider may not take a name another provider already answers to', async (t) => {
  const dir = tempDir(t);
  const clash = join(dir, 'clash.mjs');
  writeFileSync(
    clash,
    `import p from ${JSON.stringify(join(PLUGIN, 'index.mjs'))};\nexport default { providers: [{ ...p.providers[0], name: 'echo2', aliases: ['aws'] }] };\n`,
  );
  const taken = join(dir, 'taken.mjs');
  writeFileSync(
    taken,
    `import p from ${JSON.stringify(join(PLUGIN, 'index.mjs'))};\nexport default { providers: [{ ...p.providers[0], name: 'aws', aliases: [] }] };\n`,
  );
  const bad = join(dir, 'bad.mjs');
  writeFileSync(bad, `import p from ${JSON.stringify(join(PLUGIN, 'index.mjs'))};\nexport default { providers: [{ ...p.providers[0], aliases: 'say' }] };\n`);
  const cases: [string, RegExp][] = [
    [clash, /^error: plugin '.*clash\.mjs': provider 'echo2': the name 'aws' is already provider 'cloudformation'$/],
    [taken, /^error: plugin '.*taken\.mjs': provider 'aws' is already provided$/],
    [bad, /^error: plugin '.*bad\.mjs': provider 'echo': aliases must be a list of names$/],
  ];
  for (const [plugin, pattern] of cases) {
    const home = join(dir, `home-${cases.findIndex((c) => c[0] === plugin)}`);
    writeConfig(home, `plugins:\n  - ${plugin}\n`);
    expectUserError(t, await nepho(['register'], { home }), pattern, plugin);
  }
});
