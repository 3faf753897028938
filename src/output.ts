import { createRequire } from 'node:module';
import { stripVTControlCharacters } from 'node:util';
import { isNephoError } from './errors.js';
import { onFirstUse } from './on-first-use.js';

/** How a listing or describing command prints its result (`-o`); `wide` is a table that is never cut to the terminal. */
export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';

/** The formats `-o` accepts, in the order help shows them. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'wide', 'json', 'yaml'];

/** A writable stream as far as output cares. */
export interface Sink {
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean;
  /** True when `write` never keeps the buffer it is handed (it is written at once, or copied): the caller may fill it again. */
  readonly releasesChunks?: boolean;
}

/** A status line drawn live (src/progress.ts's StatusLine, as Output sees it). */
export interface LiveLine {
  above(write: () => void): void;
  stop(): void;
}

/** One node of a tree printed with box-drawing lines. */
export interface TreeNode {
  label: string;
  children?: TreeNode[];
}

/** The styles nepho's output uses. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
}

const asIs = (text: string): string => text;

/** Text as it is: what chalk does with colour off, without evaluating chalk. */
const PLAIN: Style = { bold: asIs, dim: asIs, red: asIs, yellow: asIs, green: asIs, cyan: asIs };

/** chalk's styles (16 colours) when `colors` is on, else text as it is. */
export function textStyle(colors: boolean): Style {
  return colors ? new (onFirstUse.chalk().Chalk)({ level: 1 }) : PLAIN;
}

/**
 * All terminal output goes through here: colour is decided once (off when
 * stdout is not a terminal or NO_COLOR is set), data goes to stdout, progress
 * and warnings to stderr so that `-o json` stays parseable.
 */
export class Output {
  /** Styling functions; plain pass-through when colour is off. */
  readonly style: Style;

  constructor(
    readonly stdout: Sink,
    readonly stderr: Sink,
    readonly format: OutputFormat = 'table',
    readonly colors: boolean = colorsWanted(stdout),
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.style = textStyle(colors);
  }

  /** The live status line on stderr (src/progress.ts) while one is drawn: output goes above it. */
  #status: LiveLine | undefined;

  /**
   * Whether progress may be drawn live, redrawn in place: stderr is a
   * terminal that can move the cursor, and no CI says it only keeps lines.
   */
  get live(): boolean {
    const ci = this.env.CI;
    return this.stderr.isTTY === true && this.env.TERM !== 'dumb' && (ci === undefined || ci === '' || ci === 'false' || ci === '0');
  }

  /** Show `line` as the live status line from now on (undefined: none); output is printed above it. */
  showStatus(line: LiveLine | undefined): void {
    this.#status = line;
  }

  /** Take any live status line off the screen, before a final result is printed. */
  settle(): void {
    this.#status?.stop();
    this.#status = undefined;
  }

  /** `write` run with the status line (if any) moved out of the way: it is drawn again below what was written. */
  above(write: () => void): void {
    if (this.#status) this.#status.above(write);
    else write();
  }

  /**
   * Draw a live status line on stderr (src/progress.ts, loaded now) saying
   * `text()`, redrawn every second and by `redraw`, until `settle`. Undefined
   * when `still()` says, once it is loaded, that it is no longer wanted.
   */
  async statusLine(text: () => string, still: () => boolean = () => true): Promise<{ redraw(): void } | undefined> {
    const { StatusLine } = await import('./progress.js');
    if (!still()) return undefined;
    const line = new StatusLine(this.liveStream(), text, 1000);
    this.showStatus(line);
    return line;
  }

  /** The process's real stream when stderr is nepho's synchronous sink (src/stdio.ts): log-update needs one. */
  private liveStream(): NodeJS.WritableStream {
    return (this.stderr as { stream?: NodeJS.WritableStream }).stream ?? (this.stderr as unknown as NodeJS.WritableStream);
  }

  /**
   * Run `work`; on a live terminal, when it takes longer than a second, a
   * spinner says `text` and the time spent until it ends.
   */
  async slow<T>(text: string, work: () => Promise<T>): Promise<T> {
    if (!this.live) return work();
    const { withSpinner } = await import('./progress.js');
    return withSpinner(this.liveStream(), text, work, (line) => this.showStatus(line));
  }

  /** The output is for people (a table, wide or not), not data. */
  get human(): boolean {
    return this.format === 'table' || this.format === 'wide';
  }

  /**
   * How many columns a table may take: `COLUMNS` when set, else the
   * terminal's width; unlimited with `-o wide` or when stdout is no terminal
   * (a pipe gets whole values).
   */
  get width(): number {
    if (this.format === 'wide') return Infinity;
    const columns = Number(this.env.COLUMNS);
    if (Number.isInteger(columns) && columns > 0) return columns;
    const terminal = (this.stdout as { columns?: number }).columns;
    return this.stdout.isTTY === true && typeof terminal === 'number' && terminal > 0 ? terminal : Infinity;
  }

  /** A line of result text on stdout. */
  line(text = ''): void {
    this.above(() => this.stdout.write(`${text}\n`));
  }

  /** Progress for a person, on stderr (`Notice: …` in the product guide's examples). */
  notice(text: string): void {
    this.above(() => this.stderr.write(`${this.style.dim(text)}\n`));
  }

  /** One line of an operation's event log, on stderr (stdout stays data), above any status line. */
  event(text: string): void {
    this.above(() => this.stderr.write(`${text}\n`));
  }

  /** Something the user should know but that does not stop the command. */
  warn(text: string): void {
    this.above(() => this.stderr.write(`${this.style.yellow('warning:')} ${text}\n`));
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
    if (this.human) table();
    else this.data(value);
  }

  /**
   * Rows under a header, aligned, one line per row, cut to `width`: the
   * widest columns give way first and cut values end in `…`. An empty list
   * prints `empty` instead.
   */
  table(head: string[], rows: string[][], empty = 'nothing to show'): void {
    if (rows.length === 0) {
      this.notice(empty);
      return;
    }
    const Table = loadTable();
    const widths = fitColumns(
      [head, ...rows].map((row) => row.map((cell) => stripVTControlCharacters(cell).length)),
      this.width,
      GAP,
    );
    const table = new Table({
      head: head.map((h) => this.style.bold(h)),
      chars: BORDERLESS,
      style: { head: [], border: [], 'padding-left': 0, 'padding-right': GAP },
      ...(widths ? { colWidths: widths.map((w) => w + GAP) } : {}),
    });
    table.push(...rows);
    this.stdout.write(
      `${table
        .toString()
        .split('\n')
        .map((l) => l.trimEnd())
        .join('\n')}\n`,
    );
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

  /**
   * Bytes on stdout from a buffer the caller fills again as soon as this
   * returns: a sink that releases its chunks (the process's own stdout,
   * src/stdio.ts) is handed the buffer; any other (a test's stream), which
   * may keep what it is handed, gets a copy.
   */
  writeReused(chunk: Uint8Array): void {
    this.stdout.write(this.stdout.releasesChunks === true ? chunk : Buffer.from(chunk));
  }
}

/** Spaces between table columns. */
const GAP = 2;
/** No column is cut narrower than this (or its widest value, if shorter). */
const MIN_COLUMN = 6;

/**
 * Column widths (without the gap) that fit `lengths` (per row, per cell) into
 * `width`, or undefined when the natural widths already fit. The widest
 * column is narrowed one character at a time, so short columns (names,
 * states) stay whole while long ones (URLs, descriptions) are cut.
 */
export function fitColumns(lengths: number[][], width: number, gap: number): number[] | undefined {
  const columns = Math.max(0, ...lengths.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(1, ...lengths.map((row) => row[i] ?? 0)));
  const total = () => widths.reduce((sum, w) => sum + w, 0) + gap * (columns - 1);
  if (total() <= width) return undefined;
  const floor = widths.map((w) => Math.min(w, MIN_COLUMN));
  while (total() > width) {
    let widest = -1;
    widths.forEach((w, i) => {
      if (w > floor[i]! && (widest < 0 || w > widths[widest]!)) widest = i;
    });
    if (widest < 0) break; // every column at its floor: the terminal is narrower than any sensible table
    widths[widest]!--;
  }
  return widths;
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
  const style = textStyle(colors);
  if (isNephoError(error)) {
    let text = `${style.red('error:')} ${error.message}\n`;
    if (error.hint) text += `${style.dim(`hint: ${error.hint}`)}\n`;
    return text;
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return (
    `${style.red('error:')} unexpected failure, a bug in nepho: ${e.message}\n${e.stack ?? ''}\n` +
    `${style.dim('hint: please report it with the command you ran')}\n`
  );
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

/**
 * A URL as it may be printed: user and password replaced by `***`, also when
 * the URL does not parse (a typo in the port must not print the password).
 */
export function printableUrl(url: string): string {
  const redacted = redactUrl(url);
  if (redacted !== url) return redacted;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1***@');
}

/**
 * `url` without its credentials, for storing; undefined when it has none (or
 * does not parse). An `ssh://` URL keeps its user, who is no secret
 * (`ssh://git@host/...`) and whom ssh needs; any other keeps neither user nor
 * password (`https://TOKEN@host/...`).
 */
export function withoutCredentials(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const keepUser = parsed.protocol === 'ssh:';
  if (parsed.password === '' && (keepUser || parsed.username === '')) return undefined;
  if (!keepUser) parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '',
};

let yamlModule: typeof import('yaml') | undefined;
/** yaml is loaded on first use, to keep it off nepho's start-up path (in the build, the bundled copy: scripts/bundle.js, nepho-packages-on-first-call). */
function loadYaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlModule;
}

type TableCtor = new (options: object) => { push(...rows: string[][]): void; toString(): string };
let tableCtor: TableCtor | undefined;
/** cli-table3 is loaded on first use: most commands never draw a table (in the build, the bundled copy: scripts/bundle.js, nepho-packages-on-first-call). */
function loadTable(): TableCtor {
  tableCtor ??= createRequire(import.meta.url)('cli-table3') as TableCtor;
  return tableCtor;
}
