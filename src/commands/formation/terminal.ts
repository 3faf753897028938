import { NephoError } from '../../errors.js';
import { Output, renderError } from '../../output.js';
import type { OperationReport } from '../../operations/report.js';
import type { OperationIo, OperationMessage, OperationResult, Question, RunMode, UpdateSummary } from '../../operations/types.js';
import type { FormationEvent, RegisterIo, RegisterQuestion } from '../../providers/types.js';
import type { ParameterSpec, ParameterValue } from '../../scenarios/parameters.js';
import { streamOf } from '../../stdio.js';

/** One event as a line: time, status, resource, type, reason. Colour follows the status. */
export function eventLine(out: Output, event: FormationEvent): string {
  const time = event.time.slice(11, 19);
  const paint = /FAILED|ROLLBACK/.test(event.status) ? out.style.red : /COMPLETE$|running|ready/.test(event.status) ? out.style.green : out.style.yellow;
  return [out.style.dim(time), paint(event.status.padEnd(20)), event.resource, event.type ? out.style.dim(event.type) : '', event.reason ?? '']
    .filter((part) => part !== '')
    .join('  ');
}

/** How long something took, for people: `42s`, `3m07s`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const shown = (value: string | number | boolean | null) => (value === null ? '(none)' : String(value));

/**
 * What an update would change: the cloudlet version, the parameters (secrets
 * masked), and the provider's resource changes or file diff. On stdout when
 * the output is for people, else on stderr (stdout stays data).
 */
export function printPreview(out: Output, summary: UpdateSummary): void {
  const sink = out.human ? out.stdout : out.stderr;
  const line = (text = '') => sink.write(`${text}\n`);
  const versionChanged = summary.version.from !== summary.version.to;
  // Nothing at all to show: the result's own `no changes` says it.
  if (summary.empty && !versionChanged && summary.parameters.length === 0 && summary.dropped.length === 0) return;
  line(`Update of formation ${summary.name} (${summary.provider})`);
  if (versionChanged) line(`  cloudlet version: ${summary.version.from} → ${summary.version.to}`);
  for (const p of summary.parameters) line(`  parameter ${p.name}: ${shown(p.from)} → ${shown(p.to)}`);
  for (const name of summary.dropped) line(`  parameter ${name}: dropped (the new version no longer has it)`);
  if (summary.empty) return;
  if (summary.changes.length > 0) {
    line();
    const table = new Output(sink, out.stderr, out.format === 'wide' ? 'wide' : 'table', out.colors);
    table.table(
      ['ACTION', 'RESOURCE', 'TYPE', 'REPLACEMENT'],
      summary.changes.map((c) => [c.action, c.resource, c.type ?? '', c.replacement ?? '–']),
    );
  }
  if (summary.diff) {
    line();
    for (const l of summary.diff.replace(/\n$/, '').split('\n')) {
      line(/^\+(?!\+\+)/.test(l) ? out.style.green(l) : /^-(?!--)/.test(l) ? out.style.red(l) : /^@@/.test(l) ? out.style.cyan(l) : l);
    }
  }
}

/** One message of a running operation, for a person following along (on stderr: stdout stays data). */
export function printMessage(out: Output, message: OperationMessage): void {
  switch (message.kind) {
    case 'event':
      out.event(eventLine(out, message.event));
      break;
    case 'accepted':
      out.notice('accepted by the provider');
      break;
    case 'resumed':
      out.notice(`resumed: ${message.reason}`);
      break;
    // The journal keeps the pid, the host and the exact time; people get the time to the second.
    case 'start':
      out.notice(`${message.operation} started at ${message.time.slice(11, 19)}`);
      break;
    case 'notice':
      out.notice(message.text);
      break;
    case 'warning':
      out.warn(message.text);
      break;
    case 'preview':
      printPreview(out, message.summary);
      break;
    // What the machines print is the command's own output, unless stdout carries data.
    case 'output':
      (message.stream === 'stdout' && out.human ? out.stdout : out.stderr).write(`${message.line}\n`);
      break;
    default:
      break;
  }
}

/**
 * The prompt module, loaded on the first question: the one place the commands
 * load it, so that only a command that asks pays for the prompt library.
 */
function prompts(): Promise<typeof import('../../prompts.js')> {
  return import('../../prompts.js');
}

/** The streams and answers a terminal host works with. */
export interface TerminalOptions {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** `--yes`: every confirmation is answered yes up front. */
  yes: boolean;
  /** A person is at the keyboard (stdin and stdout are terminals): confirmations can be asked. */
  interactive: boolean;
  /** Prompts can be drawn (stdin and stderr are terminals). */
  canPrompt: boolean;
}

/** Statuses that mean a resource is done (created, updated, deleted, up). */
const RESOURCE_DONE = /(CREATE|UPDATE|DELETE|IMPORT)_COMPLETE$|SKIPPED$|^(running|ready|up|created|destroyed|not_created|poweroff)$/i;
/** Statuses that mean work on a resource is under way. */
const RESOURCE_BUSY = /IN_PROGRESS$|^(starting|pending|creating|stopping|destroying|provisioning|booting)$/i;

/**
 * What a running operation looks like on its status line: resources done
 * out of those it works on (`planned`, when known before it started: the
 * template's; else those seen so far), the time since it started, and the
 * resource in progress (`create wiki · 3/5 resources · 1m12s · WebServer CREATE_IN_PROGRESS`).
 */
export class OperationStatus {
  readonly #resources = new Map<string, string>();
  #current: string | undefined;

  constructor(
    private readonly label: string,
    private readonly started: number,
    private readonly planned?: readonly string[],
  ) {}

  /** Take in one event of the operation. */
  event(event: FormationEvent): void {
    this.#resources.set(event.resource, event.status);
    if (RESOURCE_BUSY.test(event.status)) this.#current = `${event.resource} ${event.status}`;
    else if (this.#current?.startsWith(`${event.resource} `)) this.#current = undefined;
  }

  /** The status line's text now. */
  text(now = Date.now()): string {
    // Known up front: events about anything else (the stack itself, a nested stack's insides) are not counted.
    const ids = this.planned ?? [...this.#resources.keys()];
    const total = ids.length;
    const done = ids.filter((id) => {
      const status = this.#resources.get(id);
      return status !== undefined && RESOURCE_DONE.test(status) && !/ROLLBACK/.test(status);
    }).length;
    return [this.label, `${done}/${total} resources`, duration(now - this.started), this.#current ?? ''].filter((p) => p !== '').join(' · ');
  }
}

/**
 * The operation engine's IO port, and a provider's register dialogue, on the
 * terminal: events as lines, questions at the keyboard (drawn on stderr, so
 * stdout stays data).
 */
export class TerminalIo implements OperationIo, RegisterIo {
  /** The running operation's status, once its status line is drawn. */
  #status: { event(e: FormationEvent): void; redraw(): void } | undefined;
  /** The operation has ended (or was left): no status line from now on. */
  #over = false;

  constructor(
    private readonly out: Output,
    private readonly options: TerminalOptions,
  ) {}

  notify(message: OperationMessage): void {
    if (message.kind === 'start' && this.out.live && this.out.human) this.startStatus(message.operation, Date.parse(message.time), message.resources);
    if (message.kind === 'event') this.#status?.event(message.event);
    this.out.above(() => printMessage(this.out, message));
    if (message.kind === 'end' || message.kind === 'error') this.endStatus();
    else this.#status?.redraw();
  }

  /**
   * Draw the operation's status line below the events (loaded now: events
   * that come before it is drawn are printed as they are). Ctrl-C takes it
   * away before the terminal stops following.
   */
  private startStatus(operation: string, started: number, planned: string[] | undefined): void {
    this.#over = false;
    const status = new OperationStatus(operation, Number.isNaN(started) ? Date.now() : started, planned);
    void this.out
      .statusLine(
        () => status.text(),
        () => !this.#over && !this.#status,
      )
      .then((line) => {
        if (!line) return;
        this.#status = { event: (e) => status.event(e), redraw: () => line.redraw() };
        process.once('SIGINT', this.onInterrupt);
      });
  }

  private readonly onInterrupt = () => this.endStatus();

  private endStatus(): void {
    this.#over = true;
    this.#status = undefined;
    process.removeListener('SIGINT', this.onInterrupt);
    this.out.settle();
  }

  async confirm(question: Question): Promise<boolean> {
    if (this.options.yes) return true;
    if (!this.options.interactive) {
      throw new NephoError('CONFIRMATION_REQUIRED', `${question.text} Not confirmed: no terminal to ask on`, { hint: 'pass --yes to confirm' });
    }
    const { promptLibrary, answered } = await prompts();
    const { confirm } = await promptLibrary();
    return answered(() => confirm({ message: question.text, default: false }, { input: streamOf(this.options.stdin), output: streamOf(this.options.stdout) }));
  }

  async prompt(parameters: ParameterSpec[]): Promise<Record<string, ParameterValue>> {
    const { askForParameters, missingParametersError } = await prompts();
    if (!this.options.canPrompt) throw missingParametersError(parameters, 'there is no terminal to ask on');
    return askForParameters(parameters, { input: streamOf(this.options.stdin), output: streamOf(this.options.stderr) });
  }

  get canAsk(): boolean {
    return this.options.canPrompt;
  }

  get stdinIsTerminal(): boolean {
    return (this.options.stdin as { isTTY?: boolean }).isTTY === true;
  }

  async ask(question: RegisterQuestion): Promise<string> {
    if (!this.options.canPrompt) throw new NephoError('BAD_ARGUMENT', `${question.message}: no terminal to ask on`);
    const { promptLibrary, answered } = await prompts();
    const { input, password } = await promptLibrary();
    const context = { input: streamOf(this.options.stdin), output: streamOf(this.options.stderr) };
    const validate = (answer: string): string | true => question.validate?.(answer.trim()) ?? true;
    const answer = await answered(() =>
      question.secret
        ? // Masked, and without the prompt's ctrl+t key that would show it.
          password({ message: question.message, mask: '*', toggleMask: false, validate }, context)
        : input({ message: question.message, ...(question.default === undefined ? {} : { default: question.default }), validate }, context),
    );
    return answer.trim();
  }

  tell(text: string): void {
    this.out.notice(text);
  }

  async readStdin(limit: number): Promise<string | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of streamOf(this.options.stdin) as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > limit) return undefined;
      chunks.push(bytes);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

const DONE = { create: 'created', destroy: 'destroyed', update: 'updated', provision: 'provisioned' } as const;
const FAILED = { create: 'CREATE_FAILED', destroy: 'DESTROY_FAILED', update: 'UPDATE_FAILED', provision: 'PROVISION_FAILED' } as const;

/**
 * Settle an operation's result for the terminal: a summary line and status 0,
 * or the failed resources and an error (status 1); a provisioning run's own
 * exit status passes through. With `-o json|yaml` the `report` (the
 * operation and the formation as it left it) is printed as one document on
 * stdout first. `watching`: the host was only watching, so detaching says so
 * instead of how to re-attach.
 */
export function renderResult(out: Output, result: OperationResult, options: { watching?: boolean; report?: OperationReport } = {}): number {
  out.settle();
  const { name, kind } = result;
  const human = out.human;
  if (!human) out.data(options.report ?? result);
  const say = (text: string) => (human ? out.line(text) : undefined);
  switch (result.outcome) {
    case 'succeeded':
      // A provisioning run's stdout is the bootstrap's: the summary goes beside it.
      if (kind === 'provision') out.notice(`${DONE[kind]} ${name} in ${duration(result.took)} (${result.status})`);
      else say(`${DONE[kind]} ${name} in ${duration(result.took)} (${result.status})`);
      return 0;
    case 'unchanged':
      say('no changes');
      return 0;
    case 'previewed':
      say('Dry run: nothing was changed.');
      return 0;
    case 'failed':
      if (result.exitCode !== undefined && result.exitCode !== 0) {
        // A command on the machines failed: its status passes through, as ssh's does.
        out.stderr.write(
          renderError(
            new NephoError('PROVISION_FAILED', `formation ${name}: ${result.failures[0]?.reason ?? `exit status ${result.exitCode}`}`, {
              hint: `nepho formation:describe ${name} shows what is left`,
            }),
            out.colors,
          ),
        );
        return result.exitCode;
      }
      for (const f of result.failures) out.stderr.write(`  ${out.style.red('✗')} ${f.resource}${f.type ? ` (${f.type})` : ''}: ${f.reason}\n`);
      throw new NephoError(
        FAILED[kind],
        `formation ${name}: ${kind} failed with ${result.status} after ${duration(result.took)}${result.failures.length > 0 ? `; ${result.failures.length} resource(s) failed (above)` : ''}`,
        {
          hint: failureHint(result),
        },
      );
    case 'errored':
      throw new NephoError(result.error.code, result.error.message, result.error.hint ? { hint: result.error.hint } : {});
    case 'detached':
      if (options.watching) {
        say(`stopped watching; the operation on ${name} goes on`);
        return 0;
      }
      // The nanny's pid is in -o json and the journal; a person follows the formation by name.
      say(
        `${result.accepted ? 'detached' : 'detached before the provider answered'}: the ${kind} of ${name} goes on ${result.server ? `at ${result.server}` : 'in the background'}`,
      );
      say(`re-attach with: nepho formation:watch ${name}`);
      return 0;
  }
}

/** What to do after a failed operation, by how the provider left the formation. */
function failureHint(result: { kind: string; name: string; status: string }): string {
  if (/ROLLBACK_FAILED$/.test(result.status))
    return `the rollback failed too: fix what the reasons above say, then continue it from the provider's console, or destroy it: nepho formation:destroy ${result.name}`;
  if (result.kind === 'update') return `the formation still runs what it ran before; nepho formation:describe ${result.name} shows it`;
  return `nepho formation:describe ${result.name} shows what is left`;
}

/** How `--detach` and `--foreground` ask an operation to run. */
export function runModeOf(detach: boolean, foreground: boolean): RunMode['mode'] {
  if (detach && foreground) throw new NephoError('BAD_ARGUMENT', '--detach and --foreground cannot go together');
  return foreground ? 'foreground' : detach ? 'detach' : 'follow';
}

/**
 * Run `work` in `mode`; when following, Ctrl-C detaches (the terminal stops
 * following, the operation goes on in the background).
 */
export function inMode<T>(mode: RunMode['mode'], work: (run: RunMode) => Promise<T>): Promise<T> {
  return mode === 'follow' ? detachOnInterrupt((signal) => work({ mode, signal })) : work({ mode });
}

/**
 * An AbortSignal that Ctrl-C aborts while `work` runs: the terminal stops
 * following, the operation goes on. The handler goes when the work is done.
 */
export async function detachOnInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const detach = new AbortController();
  const onInterrupt = () => detach.abort();
  process.once('SIGINT', onInterrupt);
  try {
    return await work(detach.signal);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}
