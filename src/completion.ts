import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { scanInstalled } from './cloudlets/installed.js';
import { NephoError } from './errors.js';
import type { CommandSpec } from './help.js';
import type { NephoHome } from './home.js';
import { OUTPUT_FORMATS } from './output.js';
import { matchCommand } from './suggest.js';

/*
 * Shell completion. Each shell's script hands nepho the words typed so far
 * (`nepho __complete SHELL WORD... CURRENT`) and offers what it prints, one
 * candidate a line. Candidates come from the command definitions and from
 * what is on this machine (installed cloudlets and their scenarios, formation
 * directories, config.yaml): nothing is fetched, so an answer takes about as
 * long as nepho takes to start.
 */

/** The shells nepho writes completion scripts for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** One of SHELLS. */
export type Shell = (typeof SHELLS)[number];

const BASH = `# nepho completion for bash: eval "$(nepho completion bash)" in ~/.bashrc
_nepho_complete() {
  local line="\${COMP_LINE:0:$COMP_POINT}"
  local -a words
  read -ra words <<< "$line"
  [[ "$line" =~ [[:space:]]$ ]] && words+=("")
  local IFS=$'\\n'
  COMPREPLY=($("\${words[0]}" __complete bash "\${words[@]:1}" 2>/dev/null))
  # Nothing nepho knows of (a file for --params-file, -i): let bash complete file names.
  [[ \${#COMPREPLY[@]} -eq 0 ]] && compopt -o default 2>/dev/null
  return 0
}
complete -F _nepho_complete nepho
`;

const ZSH = `#compdef nepho
# nepho completion for zsh: eval "$(nepho completion zsh)" in ~/.zshrc (after compinit),
# or save it as _nepho in a directory of $fpath.
_nepho() {
  local -a candidates
  candidates=("\${(@f)$(\${words[1]} __complete zsh "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  if (( \${#candidates} )); then
    compadd -Q -S ' ' -- "\${candidates[@]}"
  else
    _files
  fi
}
if (( $+functions[compdef] )); then compdef _nepho nepho; fi
`;

const FISH = `# nepho completion for fish: nepho completion fish > ~/.config/fish/completions/nepho.fish
function __nepho_complete
    set -l words (commandline -opc) (commandline -ct)
    $words[1] __complete fish $words[2..-1] 2>/dev/null
end
complete -c nepho -f -a '(__nepho_complete)'
`;

/** The completion script for `shell`. */
export function completionScript(shell: string): string {
  switch (shell) {
    case 'bash':
      return BASH;
    case 'zsh':
      return ZSH;
    case 'fish':
      return FISH;
    default:
      throw new NephoError('BAD_ARGUMENT', `completion: '${shell}' is not one of ${SHELLS.join(', ')}`, { hint: 'for example: nepho completion bash' });
  }
}

/** What a positional argument or an option value completes to. */
type ValueKind = 'commands' | 'cloudlets' | 'pairs' | 'formations' | 'registries' | 'formats' | 'shells' | 'none';

/** Commands whose `name` is a formation (the formation group, and its shortcuts). */
const FORMATION_SHORTCUTS = new Set(['destroy', 'open', 'ssh']);

/** What the positional argument `name` of the command at `path` takes. */
function positionalKind(path: string, name: string): ValueKind {
  const group = path.includes(':') ? path.slice(0, path.indexOf(':')) : path;
  if (name === 'cloudlet[/scenario]' || name === 'cloudlet/scenario') return 'pairs';
  if (name === 'cloudlet') return 'cloudlets';
  if (path === 'help') return 'commands';
  if (path === 'completion') return 'shells';
  if (group === 'registry' && name === 'name') return 'registries';
  if (group === 'cloudlet' && path !== 'cloudlet:create' && /^names?\b/.test(name)) return 'cloudlets';
  if ((group === 'formation' || FORMATION_SHORTCUTS.has(path)) && name === 'name') return 'formations';
  return 'none';
}

/** What the value of the option `name` takes. */
function optionKind(name: string): ValueKind {
  if (name === '--output' || name === '-o') return 'formats';
  if (name === '--cloudlet') return 'cloudlets';
  return 'none';
}

/** The words of kind `kind` on this machine. */
async function valuesOf(kind: ValueKind, home: NephoHome, specs: readonly CommandSpec[]): Promise<string[]> {
  switch (kind) {
    case 'commands':
      return commandNames(specs);
    case 'formats':
      return [...OUTPUT_FORMATS];
    case 'shells':
      return [...SHELLS];
    case 'cloudlets':
      return cloudletNames(home).flatMap((c) => c.names);
    case 'pairs':
      return cloudletNames(home).flatMap((c) => c.names.flatMap((name) => [name, ...scenarioNames(c.dir).map((s) => `${name}/${s}`)]));
    case 'formations':
      return directories(home.formations);
    case 'registries':
      return registryNames(home);
    default:
      return [];
  }
}

/** The commands' colon names, without hidden ones. */
function commandNames(specs: readonly CommandSpec[]): string[] {
  return specs.filter((s) => !s.hidden).map((s) => s.path);
}

/** Each installed cloudlet's directory and the names it answers to: owner/name, and its name alone when no other has it. */
function cloudletNames(home: NephoHome): { dir: string; names: string[] }[] {
  const { installed } = scanInstalled(home);
  const count = new Map<string, number>();
  for (const { record } of installed) {
    const name = record.id.slice(record.id.indexOf('/') + 1);
    count.set(name, (count.get(name) ?? 0) + 1);
  }
  return installed.map(({ record, dir }) => {
    const name = record.id.slice(record.id.indexOf('/') + 1);
    return { dir, names: count.get(name) === 1 ? [name, record.id] : [record.id] };
  });
}

/** A cloudlet's scenarios: the names of its scenarios/*.yaml, read from the directory listing alone. */
function scenarioNames(dir: string): string[] {
  try {
    return readdirSync(join(dir, 'scenarios'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

/** The directories in `dir` (formations keep one each), none when it is missing. */
function directories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Registries config.yaml names; none when it cannot be read (completion never
 * fails loudly). The config module (and its YAML parser, the largest part of
 * a completion) is loaded only for this kind of word.
 */
async function registryNames(home: NephoHome): Promise<string[]> {
  try {
    const { loadConfig } = await import('./config.js');
    return loadConfig(home).registries.map((r) => r.name);
  } catch {
    return [];
  }
}

/**
 * The candidates for the last of `words` (the words after `nepho`, the last
 * being the one under the cursor, maybe empty), for `shell`. bash splits a
 * word at `:` and `=`, so for bash each candidate starts after the last of
 * those in the word being completed.
 */
export async function completeWords(shell: string, words: readonly string[], specs: readonly CommandSpec[], home: NephoHome): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const candidates = (await candidatesFor(before, current, specs, home)).filter((c) => c.startsWith(current));
  const unique = [...new Set(candidates)];
  if (shell !== 'bash') return unique;
  const cut = Math.max(current.lastIndexOf(':'), current.lastIndexOf('=')) + 1;
  return unique.map((c) => c.slice(cut));
}

/** Every candidate for the word after `before`, not yet filtered by what is typed of it. */
async function candidatesFor(before: readonly string[], current: string, specs: readonly CommandSpec[], home: NephoHome): Promise<string[]> {
  const visible = specs.filter((s) => !s.hidden);
  if (before.length === 0) return commandNames(visible);
  const matched = matchCommand(before, visible);
  if (!matched) {
    // `nepho cloudlet <TAB>`: the verbs of a space-form group.
    if (before.length === 1) return visible.flatMap((s) => s.paths.filter((p) => p.length === 2 && p[0] === before[0]).map((p) => p[1]!));
    return [];
  }
  const { spec, length } = matched;
  const args = before.slice(length);
  if (args.includes('--')) return [];
  const takesValue = (word: string) => spec.options.find((o) => o.names.includes(word))?.arity ?? 0;
  const previous = args.at(-1);
  if (previous !== undefined && previous.startsWith('-') && takesValue(previous) > 0) return valuesOf(optionKind(previous), home, specs);
  if (current.startsWith('-')) return [...spec.options.filter((o) => !o.hidden).flatMap((o) => o.names), '--help'];
  let position = 0;
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word.startsWith('-')) {
      if (!word.includes('=')) i += takesValue(word);
    } else {
      position++;
    }
  }
  const positional = spec.positionals[Math.min(position, spec.positionals.length - 1)];
  if (!positional || (position >= spec.positionals.length && !positional.rest)) return [];
  return valuesOf(positionalKind(spec.path, positional.name), home, specs);
}
