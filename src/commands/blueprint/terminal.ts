import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import type { BlueprintPlanView } from '../../blueprints/plan.js';
import type { BlueprintIo, BlueprintMessage, BlueprintResult, StepView } from '../../blueprints/types.js';
import { Output } from '../../output.js';
import { ListingCommand } from '../base.js';
import { duration, eventLine, printMessage, printPreview, runModeOf, type TerminalIo } from '../formation/terminal.js';

/** The most formations `--parallel` lets run at once. */
export const MAX_PARALLEL = 8;

/**
 * What the commands that carry out a blueprint operation share: `-y`,
 * `--parallel`, `--detach` and `--foreground`, checked before anything
 * loads; the blueprint context; the IO port on this terminal.
 */
export abstract class BlueprintRunCommand extends ListingCommand {
  yes = Option.Boolean('-y,--yes', false, { description: 'Answer yes to questions (updates, re-creates, destroys)' });
  parallel = Option.String('--parallel', '4', { description: `How many formations may be under way at once (1 to ${MAX_PARALLEL})` });
  detach = Option.Boolean('--detach', false, { description: 'Return once the nanny has started; it carries on' });
  foreground = Option.Boolean('--foreground', false, { description: 'Run in this process, without a background nanny' });

  /** The options checked, then the blueprint module, its context on this machine and the terminal's IO port. */
  protected async prepare() {
    const parallel = Number(this.parallel);
    if (!/^\d+$/.test(this.parallel) || parallel < 1 || parallel > MAX_PARALLEL) {
      throw new NephoError('BAD_ARGUMENT', `--parallel '${this.parallel}' must be a whole number from 1 to ${MAX_PARALLEL}`);
    }
    const mode = runModeOf(this.detach, this.foreground);
    const bp = await import('../../blueprints/index.js');
    const out = this.output();
    const ctx = await bp.blueprintsContext(this.home, this.env);
    return { bp, out, ctx, io: blueprintIo(out, this.terminalIo(out, this.yes)), parallel, mode };
  }
}

/** What a step does, in words. */
const DOING = {
  create: 'creating',
  recreate: 'deleting what a failed create left of, then creating',
  update: 'updating (when its values changed)',
  destroy: 'destroying',
} as const;

/** A step's formation and where it runs, for people. */
function stepLabel(step: Pick<StepView, 'formation' | 'cloudlet' | 'scenario' | 'provider' | 'region'>): string {
  return `${step.formation} (${step.cloudlet}/${step.scenario} with ${step.provider}${step.region ? ` in ${step.region}` : ''})`;
}

/**
 * One message of a blueprint operation for a person following along, on
 * stderr (stdout stays for the result): each formation's lines carry its
 * entry's name, since several run at once.
 */
export function printBlueprintMessage(out: Output, message: BlueprintMessage): void {
  const tag = (entry: string) => out.style.bold(`[${entry}]`);
  switch (message.kind) {
    case 'notice':
    case 'warning':
      printMessage(out, message);
      break;
    case 'begin':
      out.notice(
        `${message.operation} of ${message.blueprint ?? 'the blueprint'} started at ${message.time.slice(11, 19)}: ${message.steps.length} formation(s)`,
      );
      for (const s of message.steps) out.notice(`  ${s.entry}: ${s.action} ${stepLabel(s)}${s.after.length > 0 ? `, after ${s.after.join(', ')}` : ''}`);
      break;
    case 'step-start':
      out.stderr.write(`${tag(message.entry)} ${DOING[message.action]} ${message.formation} ...\n`);
      break;
    case 'step-end': {
      const paint = message.outcome === 'failed' ? out.style.red : message.outcome === 'skipped' ? out.style.yellow : out.style.green;
      out.stderr.write(
        `${tag(message.entry)} ${paint(message.outcome)} ${message.formation}${message.status ? ` (${message.status})` : ''}${message.reason ? `: ${message.reason}` : ''}\n`,
      );
      break;
    }
    case 'formation': {
      const m = message.message;
      if (m.kind === 'event') out.stderr.write(`${tag(message.entry)} ${eventLine(out, m.event)}\n`);
      else if (m.kind === 'notice' || m.kind === 'warning')
        out.stderr.write(`${tag(message.entry)} ${m.kind === 'warning' ? out.style.yellow('warning: ') : ''}${m.text}\n`);
      else if (m.kind === 'output') out.stderr.write(`${tag(message.entry)} ${m.line}\n`);
      // Beside the other progress, on stderr: stdout is for the result.
      else if (m.kind === 'preview') printPreview(new Output(out.stderr, out.stderr, 'json', out.colors), m.summary);
      else if (m.kind === 'error') out.stderr.write(`${tag(message.entry)} ${out.style.red('error:')} ${m.message}\n`);
      break;
    }
    default:
      break;
  }
}

/**
 * The blueprint IO port on the terminal: questions and prompts as the
 * engine's terminal host asks them; messages as `printBlueprintMessage`.
 */
export function blueprintIo(out: Output, terminal: TerminalIo): BlueprintIo {
  return {
    notify: (message) => printBlueprintMessage(out, message),
    confirm: (question) => terminal.confirm(question),
    prompt: (parameters) => terminal.prompt(parameters),
  };
}

/**
 * Settle a blueprint operation's result: a table of every formation and how
 * it ended on stdout (or the result as data with `-o json|yaml`), status 0;
 * when any failed or was skipped, an error after the table (status 1).
 */
export function renderBlueprintResult(out: Output, result: BlueprintResult, watching = false): number {
  if (!out.human) out.data(result);
  const say = (text: string) => (out.human ? out.line(text) : undefined);
  const verb = result.kind === 'apply' ? 'apply' : 'destroy';
  switch (result.outcome) {
    case 'errored':
      throw new NephoError(result.error.code, result.error.message, result.error.hint ? { hint: result.error.hint } : {});
    case 'detached':
      if (watching) say(`stopped watching; the ${verb} of blueprint ${result.name} goes on`);
      else {
        say(`detached: the ${verb} of blueprint ${result.name} goes on in the background`);
        say(`re-attach with: nepho blueprint:watch ${result.name}`);
      }
      return 0;
    default:
  }
  if (out.human) {
    out.table(
      ['ENTRY', 'FORMATION', 'ACTION', 'RESULT', 'STATUS', 'NOTE'],
      result.steps.map((s) => [s.entry, s.formation, s.action, s.outcome, s.status ?? '', s.reason ?? '']),
      'no formations',
    );
  }
  const count = (outcome: string) => result.steps.filter((s) => s.outcome === outcome).length;
  const tally = ['created', 'updated', 'unchanged', 'destroyed', 'failed', 'skipped']
    .filter((o) => count(o) > 0)
    .map((o) => `${count(o)} ${o}`)
    .join(', ');
  if (result.outcome === 'succeeded') {
    say(`${verb === 'apply' ? 'applied' : 'destroyed'} blueprint ${result.name} in ${duration(result.took)}${tally ? `: ${tally}` : ''}`);
    return 0;
  }
  throw new NephoError('BLUEPRINT_FAILED', `blueprint ${result.name}: ${verb} ended with ${tally} after ${duration(result.took)}`, {
    hint: `fix what the table says, then run blueprint:${verb} again: it continues from where blueprint ${result.name} stands`,
  });
}

/** A planned apply (`--dry-run`) or a blueprint (`blueprint:describe`) for people: order, entries, parameters, what is missing. */
export function printPlanView(out: Output, view: BlueprintPlanView, described: boolean): void {
  out.fields([
    ['Blueprint', `${view.blueprint} (${view.version})`],
    ['Summary', view.summary],
    ['File', view.file],
    ...(described ? [] : [['Name', view.name] as [string, string]]),
    ['Order', view.waves.map((wave, i) => `${i + 1}. ${wave.join(', ')}`).join('   ')],
  ]);
  out.line();
  out.table(
    described ? ['ENTRY', 'CLOUDLET', 'SCENARIO', 'PROVIDER', 'REGION', 'AFTER'] : ['ENTRY', 'FORMATION', 'ACTION', 'PROVIDER', 'REGION', 'AFTER', 'CHANGES'],
    view.steps.map((s) =>
      described
        ? [s.entry, s.cloudlet, s.scenario, s.provider, s.region ?? '', s.after.join(', ')]
        : [s.entry, s.formation, s.action, s.provider, s.region ?? '', s.after.join(', '), changesText(s.preview)],
    ),
    'no entries',
  );
  out.line();
  out.table(
    ['ENTRY', 'PARAMETER', 'VALUE', 'SOURCE'],
    view.steps.flatMap((s) => s.parameters.map((p) => [s.entry, p.name, p.reads ?? (p.value === null ? '' : String(p.value)), p.source])),
    'no parameters',
  );
  if (view.kept.length > 0) out.line(`Kept (no longer in the blueprint; --prune destroys them): ${view.kept.join(', ')}`);
  out.line();
  out.line(view.missing.length > 0 ? `To be answered (apply asks, or give -p ENTRY.KEY=VALUE): ${view.missing.join(', ')}` : 'Nothing left to answer.');
}

/** An update step's known changes, in a table cell. */
function changesText(preview: BlueprintPlanView['steps'][number]['preview']): string {
  if (!preview) return '';
  const parts = [
    ...(preview.version ? [`version ${preview.version.from} → ${preview.version.to}`] : []),
    ...preview.parameters.map((p) => `${p.name}: ${p.from ?? '(none)'} → ${p.to ?? '(none)'}`),
    ...(preview.pending.length > 0 ? [`${preview.pending.join(', ')} read when its inputs are done`] : []),
  ];
  return parts.join('; ');
}
