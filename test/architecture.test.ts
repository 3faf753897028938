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
  return files.flatMap((file) => readFileSync(file, 'utf8').split('\n').flatMap((line, i) =>
    NAMED.test(line) ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`] : []));
}

t.test('no file under src/ outside src/providers/ names a built-in provider (catalog.ts excepted)', async (t) => {
  const outside = filesUnder(SRC).filter((file) => !file.startsWith(`${PROVIDERS}/`) || file === CATALOG);
  t.ok(outside.some((file) => file.endsWith(join('commands', 'register.ts'))), 'the walk reaches the commands');
  const found = namings(outside.filter((file) => file !== CATALOG));
  t.same(found, [], `provider names outside src/providers/ (move the logic behind a hook of src/providers/types.ts, or word it neutrally):\n${found.join('\n')}`);
});

t.test('the check finds a name where there is one', async (t) => {
  t.match(namings([CATALOG]).join('\n'), /^src\/providers\/catalog\.ts:\d+: import \{ cloudformationProvider \}/m, 'file, line and text');
  t.ok(namings([join(PROVIDERS, 'vagrant', 'index.ts')]).length > 0, 'a provider names itself');
});
