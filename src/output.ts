import { Chalk, type ChalkInstance } from 'chalk';
import { createRequire } from 'node:module';
import { isNephoError } from './errors.js';

/** How a listing or describing command prints its result (`-o`). */
export type OutputFormat = 'table' | 'json' | 'yaml';

/** The formats `-o` accepts, in the order help shows them. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml'];

/** A writable stream as far as output cares. */
export interface Sink {
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean;
}

/** One node of a tree printed with box-drawing lines. */
export interface TreeNode {
  label: string;
  children?: TreeNode[];
}

/**
 * All terminal output goes through here: colour is decided once (off when
 * stdout is not a terminal or NO_COLOR is set), data goes to stdout, progress
 * and warnings to stderr so that `-o json` stays parseable.
 */
export class Output {
  /** Styling functions; plain pass-through when colour is off. */
  readonly style: ChalkInstance;

  constructor(
    readonly stdout: Sink,
    readonly stderr: Sink,
    readonly format: OutputFormat = 'table',
    readonly colors: boolean = colorsWanted(stdout),
  ) {
    this.style = new Chalk({ level: colors ? 1 : 0 });
  }

  /** A line of result text on stdout. */
  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** Progress for a person, on stderr (`Notice: …` in the product guide's examples). */
  notice(text: string): void {
    this.stderr.write(`${this.style.dim(text)}\n`);
  }

  /** Something the user should know but that does not stop the command. */
  warn(text: string): void {
    this.stderr.write(`${this.style.yellow('warning:')} ${text}\n`);
  }

  /** A value as JSON or YAML, for `-o json|yaml`. */
  data(value: unknown): void {
    if (this.format === 'yaml') this.stdout.write(loadYaml().stringify(value, { lineWidth: 0 }));
    else this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A value as a YAML document (for configuration people read). */
  yaml(value: unknown): void {
    this.stdout.write(loadYaml().stringify(value, { lineWidth: 0 }));
  }

  /**
   * Print `value` as data for `-o json|yaml`, or call `table` to print it for
   * people. Every listing or describing command ends here.
   */
  result(value: unknown, table: () => void): void {
    if (this.format === 'table') table();
    else this.data(value);
  }

  /** Rows under a header, aligned; an empty list prints `empty` instead. */
  table(head: string[], rows: string[][], empty = 'nothing to show'): void {
    if (rows.length === 0) {
      this.notice(empty);
      return;
    }
    const Table = loadTable();
    const table = new Table({
      head: head.map((h) => this.style.bold(h)),
      chars: BORDERLESS,
      style: { head: [], border: [], 'padding-left': 0, 'padding-right': 2 },
    });
    table.push(...rows);
    this.stdout.write(`${table.toString().split('\n').map((l) => l.trimEnd()).join('\n')}\n`);
  }

  /** `Label: value` pairs, aligned, skipping empty values. */
  fields(pairs: [string, string | undefined][]): void {
    const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '');
    const width = Math.max(0, ...shown.map(([k]) => k.length + 1));
    for (const [k, v] of shown) this.line(`${this.style.bold(`${k}:`.padEnd(width))} ${v}`);
  }

  /** A root line and its children drawn with `├──`/`└──`, as `cloudlet:list` shows them; one write. */
  tree(root: string, nodes: TreeNode[]): void {
    let text = `${root}\n`;
    const walk = (items: TreeNode[], prefix: string) => {
      items.forEach((node, i) => {
        const last = i === items.length - 1;
        text += `${prefix}${last ? '└── ' : '├── '}${node.label}\n`;
        if (node.children) walk(node.children, `${prefix}${last ? '    ' : '│   '}`);
      });
    };
    walk(nodes, '');
    this.stdout.write(text);
  }
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function colorsWanted(stream: Sink, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/**
 * The text shown for an error that reached the top: one line and a hint for
 * what the user can fix, the stack for anything else (a bug).
 */
export function renderError(error: unknown, colors: boolean): string {
  const style = new Chalk({ level: colors ? 1 : 0 });
  if (isNephoError(error)) {
    let text = `${style.red('error:')} ${error.message}\n`;
    if (error.hint) text += `${style.dim(`hint: ${error.hint}`)}\n`;
    return text;
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return `${style.red('error:')} unexpected failure, a bug in nepho: ${e.message}\n${e.stack ?? ''}\n` +
    `${style.dim('hint: please report it with the command you ran')}\n`;
}

/** Replace the password (and user) in a URL so it can be printed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password || parsed.username) {
      parsed.username = parsed.username ? '***' : '';
      parsed.password = parsed.password ? '***' : '';
      return parsed.toString();
    }
  } catch {
    /* not a URL: print as is */
  }
  return url;
}

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
  'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
};

let yamlModule: typeof import('yaml') | undefined;
/** yaml is loaded on first use, to keep it off nepho's start-up path. */
function loadYaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlModule;
}

type TableCtor = new (options: object) => { push(...rows: string[][]): void; toString(): string };
let tableCtor: TableCtor | undefined;
/** cli-table3 is loaded on first use: most commands never draw a table. */
function loadTable(): TableCtor {
  tableCtor ??= createRequire(import.meta.url)('cli-table3') as TableCtor;
  return tableCtor;
}
