// nepho's architecture rule: only a provider knows it exists. No file under
// src/ outside src/providers/ names one of the built-in providers (in code,
// comments or help texts); src/providers/catalog.ts, the catalogue that lists
// the built-in ones, is the one exception. Whatever a command or the engine
// needs from a provider goes through the hooks of src/providers/types.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { ROOT } from './fixtures/paths.js';

const SRC = join(ROOT, 'src');
const PROVIDERS = join(SRC, 'providers');
const CATALOG = join(PROVIDERS, 'catalog.ts');
const NAMED = /cloudformation|vagrant/i;

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/** `file:line: text` for each line of `files` that names a provider. */
function namings(files: string[]): string[] {
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => (NAMED.test(line) ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`] : [])),
  );
}

t.test('no file under src/ outside src/providers/ names a built-in provider (catalog.ts excepted)', async (t) => {
  const outside = filesUnder(SRC).filter((file) => !file.startsWith(`${PROVIDERS}/`) || file === CATALOG);
  t.ok(
    outside.some((file) => file.endsWith(join('commands', 'register.ts'))),
    'the walk reaches the commands',
  );
  const found = namings(outside.filter((file) => file !== CATALOG));
  t.same(
    found,
    [],
    `provider names outside src/providers/ (move the logic behind a hook of src/providers/types.ts, or word it neutrally):\n${found.join('\n')}`,
  );
});

t.test('the check finds a name where there is one', async (t) => {
  t.match(namings([CATALOG]).join('\n'), /^src\/providers\/catalog\.ts:\d+: import \{ cloudformationProvider \}/m, 'file, line and text');
  t.ok(namings([join(PROVIDERS, 'vagrant', 'index.ts')]).length > 0, 'a provider names itself');
});

// Start-up: a command loads what it runs on demand, and through one module. No
// file under src/commands/ has more than one dynamic import(): a command's
// execute() imports one domain facade, which reads config.yaml and loads
// plugins itself, and gets everything through it; terminal.ts loads the
// prompt module in one place. Each import() there is a module under dist/lazy
// that Node resolves and links when the command runs (see scripts/bundle.js).
const COMMANDS = join(SRC, 'commands');
/** The modules commands may load on demand: the domain facades, the prompt module, and shell completion. */
const FACADES = [
  'blueprints/index.js',
  'cloudlets/index.js',
  'completion.js',
  'operations/index.js',
  'plugins.js',
  'prompts.js',
  'registry/index.js',
  'remote/index.js',
  'scenarios/index.js',
  'server/index.js',
];

/** The dynamic import()s in `source`, outside comments and `typeof import(...)` types: each one's specifier. */
function dynamicImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(/(?<!typeof\s+)\bimport\s*\(\s*(['"`][^'"`]*['"`]|[^)]*)\s*\)/g)].map((m) => m[1]!);
}

t.test('each file under src/commands/ has at most one dynamic import(), of a domain facade', async (t) => {
  const files = filesUnder(COMMANDS).filter((file) => file.endsWith('.ts'));
  t.ok(files.length > 30, 'the walk reaches every command');
  const imports = files.map((file) => ({ file: relative(ROOT, file), specifiers: dynamicImports(readFileSync(file, 'utf8')) }));
  const over = imports.filter((i) => i.specifiers.length > 1).map((i) => `${i.file}: ${i.specifiers.join(', ')}`);
  t.same(over, [], `more than one import() in a command file (import the domain's facade once, and add what the command needs to it):\n${over.join('\n')}`);
  const elsewhere = imports.flatMap((i) =>
    i.specifiers.filter((s) => !FACADES.some((facade) => s.replace(/^['"`]|['"`]$/g, '').endsWith(`/${facade}`))).map((s) => `${i.file}: ${s}`),
  );
  t.same(elsewhere, [], `import() of a module that is not a facade (${FACADES.join(', ')}):\n${elsewhere.join('\n')}`);
  t.same(imports.find((i) => i.file.endsWith('commands/base.ts'))?.specifiers, [], 'the base class loads nothing: the facades read config and plugins');
});

t.test('the import() check counts what it should', async (t) => {
  t.same(dynamicImports('const a = await import(\'../../x/index.js\');\nconst b = await import("../y.js");'), ["'../../x/index.js'", '"../y.js"']);
  t.same(dynamicImports("return import('../../prompts.js');"), ["'../../prompts.js'"], 'awaited or not');
  t.same(dynamicImports("function f(): Promise<typeof import('../../prompts.js')> {}"), [], 'a type is not an import');
  t.same(dynamicImports("/**\n * one `await import()` of a facade\n */\n// await import('x')\nconst c = 1;"), [], 'comments are not imports');
});
