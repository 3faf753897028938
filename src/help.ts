import { Command, type BaseContext, type CommandClass } from 'clipanion';
import type { Style } from './output.js';

/*
 * nepho's help, rendered from the command classes themselves rather than by
 * clipanion: clipanion shows an option's value as `#0` and wraps Details at
 * 80 columns wherever the text happens to break (inside `code`, leaving
 * trailing blanks). Everything here is string work over data the classes
 * already hold, so it costs nothing until help is asked for.
 */

/** A command class as nepho registers it. */
export type NephoCommandClass = CommandClass<BaseContext>;

/** One option of a command, as its definition declares it. */
export interface OptionSpec {
  /** Every spelling, short ones first (`-o`, `--output`). */
  names: string[];
  /** How many values it takes: 0 for a flag. */
  arity: number;
  description: string | undefined;
  hidden: boolean;
  required: boolean;
}

/** One positional argument of a command. */
export interface PositionalSpec {
  name: string;
  required: boolean;
  /** Takes every remaining word (`names...`, `-- COMMAND...`). */
  rest: boolean;
}

/** What a command accepts, read from its option definitions. */
export interface CommandSpec {
  /** The command's first path, joined with blanks (`cloudlet:install`, `help`). */
  path: string;
  /** Every path it answers to (`cloudlet:install`, `cloudlet install`). */
  paths: string[][];
  /** Left out of help, suggestions and completion (it has no usage). */
  hidden: boolean;
  options: OptionSpec[];
  positionals: PositionalSpec[];
}

/** The option recorder handed to clipanion's option definitions (the part of its CommandBuilder they call). */
interface Recorder {
  addOption(option: { names: string[]; arity?: number; description?: string; hidden?: boolean; required?: boolean }): void;
  addPositional(positional?: { name?: string; required?: boolean }): void;
  addRest(rest?: { name?: string; required?: number }): void;
  addProxy(proxy?: { required?: number; name?: string }): void;
}

/** Short spellings first, so that help reads `-o, --output`. */
function byLength(a: string, b: string): number {
  return a.length - b.length;
}

/**
 * Read what `commandClass` accepts the way clipanion does when it registers
 * it: construct one, and let each option field describe itself.
 */
export function commandSpec(commandClass: NephoCommandClass): CommandSpec {
  const options: OptionSpec[] = [];
  const positionals: PositionalSpec[] = [];
  const recorder: Recorder = {
    addOption: ({ names, arity = 0, description, hidden = false, required = false }) =>
      options.push({ names: [...names].sort(byLength), arity, description, hidden, required }),
    addPositional: ({ name = 'arg', required = true } = {}) => positionals.push({ name, required, rest: false }),
    addRest: ({ name = 'arg' } = {}) => positionals.push({ name, required: false, rest: true }),
    addProxy: ({ name = 'arg' } = {}) => positionals.push({ name, required: false, rest: true }),
  };
  const command = new commandClass() as unknown as Record<string, unknown>;
  for (const key in command) {
    const value = command[key] as { [Command.isOption]?: boolean; definition?: (builder: Recorder, key: string) => void } | null;
    if (typeof value === 'object' && value !== null && value[Command.isOption] === true) value.definition!(recorder, key);
  }
  const paths = (commandClass.paths ?? []).map((path) => [...path]);
  return { path: (paths[0] ?? []).join(' '), paths, hidden: commandClass.usage === undefined, options, positionals };
}

/**
 * The name an option's value is shown with (`--name NAME`). One name per
 * option across every command, so the same option reads the same everywhere;
 * an option not listed shows its own long name in capitals.
 */
const VALUE_NAMES: Readonly<Record<string, string>> = {
  '--output': 'FORMAT',
  '--param': 'KEY=VALUE',
  '--params-file': 'FILE',
  '--out': 'DIR',
  '--directory': 'DIR',
  '-i': 'KEY_FILE',
  '--as': 'OWNER/NAME',
  '--limit': 'N',
  '--access-key-id': 'KEY_ID',
};

/** The value name of an option with `names` (see VALUE_NAMES). */
export function valueName(names: readonly string[]): string {
  for (const name of names) {
    const known = VALUE_NAMES[name];
    if (known !== undefined) return known;
  }
  const long = [...names].sort(byLength).at(-1) ?? 'value';
  return long.replace(/^-+/, '').replace(/-/g, '_').toUpperCase();
}

/** How an option is written in help: `-o, --output FORMAT`, `--yes`. */
export function optionSynopsis(option: Pick<OptionSpec, 'names' | 'arity'>): string {
  const value = option.arity > 0 ? ` ${Array.from({ length: option.arity }, () => valueName(option.names)).join(' ')}` : '';
  return `${option.names.join(', ')}${value}`;
}

/** The usage line: `nepho cloudlet:install [--as OWNER/NAME] <name>`. */
export function usageLine(binary: string, spec: CommandSpec): string {
  const parts = [binary, spec.path];
  for (const option of spec.options) {
    if (option.hidden) continue;
    const text = `${option.names.join(',')}${option.arity > 0 ? ` ${valueName(option.names)}` : ''}`;
    parts.push(option.required ? `<${text}>` : `[${text}]`);
  }
  for (const p of spec.positionals) parts.push(p.rest ? `[${p.name}...]` : p.required ? `<${p.name}>` : `[${p.name}]`);
  return parts.join(' ');
}

/** The width help text is wrapped to: COLUMNS when set, else 80; never below 40. */
export function helpWidth(env: NodeJS.ProcessEnv): number {
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns >= 40 ? Math.min(columns, 120) : 80;
}

/**
 * Text written in a command's usage (a template literal, indented like the
 * code around it, broken wherever the author's editor broke it) as
 * paragraphs of words: blank lines separate paragraphs, and a `code span`
 * is one word however many blanks it holds.
 */
export function paragraphs(text: string): string[][] {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim().match(/(?:`[^`]*`|\S)+/g) ?? [])
    .filter((words) => words.length > 0);
}

/**
 * Words laid out in lines of at most `width` columns after `indent`,
 * measured without the backticks of code spans (kept, for styling after); a
 * word longer than a line gets a line of its own.
 */
export function wrapWords(words: readonly string[], width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line: string[] = [];
  let length = indent.length;
  for (const word of words) {
    const plain = word.replace(/`/g, '').length;
    if (line.length > 0 && length + 1 + plain > width) {
      lines.push(`${indent}${line.join(' ')}`);
      line = [];
      length = indent.length;
    }
    length += (line.length > 0 ? 1 : 0) + plain;
    line.push(word);
  }
  if (line.length > 0) lines.push(`${indent}${line.join(' ')}`);
  return lines;
}

/** Backticks of `code` spans made into the style's cyan (or dropped when colour is off), after wrapping. */
function styleCode(text: string, style: Style): string {
  return text.replace(/`([^`]*)`/g, (_, code: string) => style.cyan(code));
}

/** A block of prose: each paragraph wrapped, paragraphs separated by a blank line; styled after wrapping, so colour never breaks a line. */
function prose(text: string, width: number, indent: string, style: Style): string {
  return paragraphs(text)
    .map((words) =>
      wrapWords(words, width, indent)
        .map((l) => styleCode(l, style))
        .join('\n'),
    )
    .join('\n\n');
}

/** The help of one command: description, usage, options, details and examples. */
export function renderCommandHelp(commandClass: NephoCommandClass, binary: string, style: Style, width: number): string {
  const spec = commandSpec(commandClass);
  const usage = commandClass.usage ?? {};
  const sections: string[] = [];
  if (usage.description)
    sections.push(
      prose(
        usage.description.replace(/^./, (c) => c.toUpperCase()),
        width,
        '',
        style,
      ),
    );
  sections.push(`${style.bold('Usage')}\n\n  $ ${usageLine(binary, spec)}`);
  const options = spec.options.filter((o) => !o.hidden);
  if (options.length > 0) {
    const column = Math.min(32, Math.max(...options.map((o) => optionSynopsis(o).length)) + 4);
    const lines = options.map((o) => {
      const synopsis = optionSynopsis(o);
      const described = wrapWords(paragraphs(o.description ?? '').flat(), width, ' '.repeat(column + 2)).map((l) => styleCode(l, style));
      if (synopsis.length + 4 > column) return [`  ${style.bold(synopsis)}`, ...described].join('\n');
      const [first = '', ...rest] = described;
      return [`  ${style.bold(synopsis.padEnd(column))}${first.trimStart()}`, ...rest].join('\n');
    });
    sections.push(`${style.bold('Options')}\n\n${lines.join('\n')}`);
  }
  if (usage.details) sections.push(`${style.bold('Details')}\n\n${prose(usage.details, width, '', style)}`);
  if (usage.examples && usage.examples.length > 0) {
    const examples = usage.examples.map(([label, line]) => `${prose(label, width, '', style)}\n  $ ${line.replace(/\$0/g, binary)}`);
    sections.push(`${style.bold('Examples')}\n\n${examples.join('\n\n')}`);
  }
  return `${sections.join('\n\n')}\n`;
}

/**
 * The general help: every command by category (categories and commands in
 * code-unit order, which for nepho's ASCII names is the order ICU collation
 * gives), each with its usage line and description.
 */
export function renderGeneralHelp(commands: readonly NephoCommandClass[], binary: string, version: string, style: Style, width: number): string {
  const byCategory = new Map<string, { line: string; description: string }[]>();
  for (const commandClass of commands) {
    const usage = commandClass.usage;
    if (!usage?.category) continue;
    const list = byCategory.get(usage.category) ?? [];
    list.push({ line: usageLine(binary, commandSpec(commandClass)), description: usage.description ?? '' });
    byCategory.set(usage.category, list);
  }
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  let text = `${style.bold(`${binary} - ${version}`)}\n\n  $ ${binary} <command> [options]\n`;
  for (const category of [...byCategory.keys()].sort(order)) {
    text += `\n${style.bold(category)}\n`;
    for (const { line, description } of byCategory.get(category)!.sort((a, b) => order(a.line, b.line))) {
      text += `\n  ${line}\n${prose(description, width, '    ', style)}\n`;
    }
  }
  text += `\n${prose(`Run \`${binary} help COMMAND\` or \`${binary} COMMAND --help\` for a command's options, details and examples. Exit status: 0 done, 1 failed, 2 a usage error, 130 interrupted.`, width, '', style)}\n`;
  return text;
}
