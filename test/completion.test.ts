// Shell completion in real shells: the script `nepho completion SHELL` prints,
// loaded into bash, zsh and fish, asking the built nepho for candidates from
// a home with an installed cloudlet, formations and a registry.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { installDevCloudlet } from './fixtures/cloudlets.js';
import { nepho } from './fixtures/cli.js';
import { writeConfig } from './fixtures/files.js';
import { BIN, ROOT, tempDir } from './fixtures/paths.js';
import { requireTool } from './fixtures/tools.js';

const home = join(tempDir(t, 'nepho-completion-'), 'home');
await installDevCloudlet(t, home, 'wiki', { 'scenarios/big.yaml': 'summary: a big one\nextends: default\n' });
for (const name of ['agmedia', 'blog']) mkdirSync(join(home, 'formations', name), { recursive: true });
writeConfig(home, 'registries:\n  - name: community\n    url: https://example.org/index.json\n');

// `nepho` on PATH, as a user has it: the scripts call the nepho they complete.
const bin = tempDir(t, 'nepho-completion-bin-');
writeFileSync(join(bin, 'nepho'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
chmodSync(join(bin, 'nepho'), 0o755);
const env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: home, NEPHO_HOME: home, NO_COLOR: '1' };

/** What bash offers for `line` (the cursor at its end), through the script as ~/.bashrc would load it. */
function bash(line: string): string[] {
  const script = `eval "$(nepho completion bash)"
COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}
read -ra COMP_WORDS <<< "$COMP_LINE"; COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
[[ "$COMP_LINE" =~ [[:space:]]$ ]] && COMP_CWORD=$(( COMP_CWORD + 1 ))
_nepho_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['--norc', '-c', script], { env, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

/** What fish offers for `line`: its own `complete -C`, with the script loaded. */
function fish(line: string): string[] {
  const script = `nepho completion fish | source; complete -C ${JSON.stringify(line)}`;
  return execFileSync('fish', ['--no-config', '-c', script], { env, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t')[0]!)
    .sort();
}

/**
 * What zsh's completion function adds for `line`. zsh runs completion
 * functions only inside its line editor; outside one, `words` and `CURRENT`
 * are set as the editor sets them and compadd is a stand-in that prints what
 * it is given (the function itself is the script's, unchanged).
 */
function zsh(line: string): string[] {
  const script = `autoload -U compinit && compinit -u -D
eval "$(nepho completion zsh)"
words=(\${(z)LINE}); [[ $LINE == *' ' ]] && words+=('')
CURRENT=\${#words}
compadd() { while [[ $1 != -- ]]; do shift; done; shift; print -l -- "$@"; }
_files() { print -- '<files>'; }
_nepho`;
  return execFileSync('zsh', ['-f', '-c', script], { env: { ...env, LINE: line }, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .sort();
}

t.test('nepho completion prints a script for each shell, and refuses another', async (t) => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await nepho(['completion', shell], { home });
    t.equal(r.code, 0);
    t.match(r.stdout, /__complete/, `${shell}: the script asks nepho`);
  }
  const r = await nepho(['completion', 'tcsh'], { home });
  t.equal(r.code, 1);
  t.match(r.stderr, /^error: completion: 'tcsh' is not one of bash, zsh, fish\n/);
});

t.test('bash: commands, options, cloudlets, cloudlet/scenario pairs, formations, registries', async (t) => {
  if (!requireTool(t, 'bash')) return;
  t.same(bash('nepho cloudlet:l'), ['lint', 'list'], 'a command, after the colon bash splits at');
  t.ok(bash('nepho ').includes('formation:create'), 'every command');
  t.same(bash('nepho cloudlet li'), ['lint', 'list'], 'the space form');
  t.same(bash('nepho cloudlet:list --o'), ['--output'], 'options');
  t.same(bash('nepho cloudlet:list -o '), ['json', 'table', 'wide', 'yaml'], 'option values');
  t.same(bash('nepho scenario:list '), ['local/wiki', 'wiki'], 'installed cloudlets');
  t.same(bash('nepho formation:create wiki/'), ['wiki/big', 'wiki/default'], 'cloudlet/scenario pairs');
  t.same(bash('nepho formation:describe '), ['agmedia', 'blog'], 'formations');
  t.same(bash('nepho ssh a'), ['agmedia'], 'formations, for a shortcut');
  t.same(bash('nepho registry:remove '), ['community'], 'registries');
  t.same(bash('nepho help formation:w'), ['watch'], 'help completes commands');
  t.same(bash('nepho formation:create wiki --params-file '), [], 'nothing nepho knows: bash completes file names');
});

t.test('zsh', async (t) => {
  if (!requireTool(t, 'zsh')) return;
  t.same(zsh('nepho cloudlet:l'), ['cloudlet:lint', 'cloudlet:list']);
  t.same(zsh('nepho formation:create wiki/'), ['wiki/big', 'wiki/default']);
  t.same(zsh('nepho destroy '), ['agmedia', 'blog']);
  t.same(zsh('nepho formation:create wiki --params-file '), ['<files>'], 'file names otherwise');
});

t.test('fish', async (t) => {
  if (!requireTool(t, 'fish')) return;
  t.same(fish('nepho cloudlet:l'), ['cloudlet:lint', 'cloudlet:list']);
  t.same(fish('nepho scenario:describe wiki/'), ['wiki/big', 'wiki/default']);
  t.same(fish('nepho registry:remove c'), ['community']);
  t.same(fish('nepho cloudlet:list --out'), ['--output']);
});

t.test('completing reads local state only and never creates the home', async (t) => {
  const fresh = join(tempDir(t), 'not-yet');
  const r = await nepho(['__complete', 'bash', 'formation:describe', ''], {
    home: fresh,
    env: { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' },
  });
  t.equal(r.code, 0);
  t.equal(r.stdout, '');
  t.throws(() => execFileSync('test', ['-e', fresh]), 'the home was not created');
});

t.test("a Tab loads no YAML parser unless it completes a registry's name", async (t) => {
  // What a completion imports is what every Tab pays for: walk the static
  // imports of the built completion module and look for the YAML library.
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    // The built modules are CommonJS (scripts/bundle.js): each top-level require() of another chunk.
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:var \w+ = (?:__toESM\()?)?require\("(\.[^"]+)"\)/gm)) walk(join(dirname(file), m[1]!));
  };
  walk(join(ROOT, 'dist/lazy/completion.cjs'));
  t.ok(seen.size > 1, 'the walk follows the chunks');
  t.same(
    [...seen].filter((file) => readFileSync(file, 'utf8').includes('node_modules/yaml/')),
    [],
    'no chunk of the yaml package among them',
  );
  const r = await nepho(['__complete', 'bash', 'registry:remove', ''], { home, env });
  t.same(r.stdout.split('\n').filter(Boolean), ['community'], 'registry names still come from config.yaml');
});
