import { Command, Option } from 'clipanion';
import { NephoError } from '../errors.js';
import { ensureHome, nephoHome, type NephoHome } from '../home.js';
import { OUTPUT_FORMATS, Output, type OutputFormat } from '../output.js';
import type { ProviderOptions } from '../providers/types.js';
import { TerminalIo } from './formation/terminal.js';

/** Help categories, in the order `nepho --help` lists them. */
export const Category = {
  cloudlet: 'Cloudlet commands',
  registry: 'Registry commands',
  scenario: 'Scenario commands',
  formation: 'Formation commands',
  blueprint: 'Blueprint commands',
  server: 'Team server commands',
  config: 'Configuration commands',
  shortcut: 'Shortcut commands',
} as const;

/**
 * What every nepho command shares: the home directory, the output module and
 * confirmation. Commands stay thin: parse, load their domain module (one
 * `await import()` of a facade such as src/cloudlets/index.ts, which reads
 * config.yaml and loads plugins itself), call it, render.
 */
export abstract class NephoCommand extends Command {
  /** The home directory, created on first use. */
  protected get home(): NephoHome {
    return ensureHome(nephoHome(this.env));
  }

  /** The environment the command runs in (tests pass their own). */
  protected get env(): NodeJS.ProcessEnv {
    return (this.context as { env?: NodeJS.ProcessEnv }).env ?? process.env;
  }

  /** The output module for this command, in the given format. */
  protected output(format: OutputFormat = 'table'): Output {
    return new Output(this.context.stdout, this.context.stderr, format);
  }

  /** Whether a person is at the keyboard: both stdin and stdout are terminals. */
  protected get interactive(): boolean {
    return (this.context.stdin as { isTTY?: boolean }).isTTY === true && (this.context.stdout as { isTTY?: boolean }).isTTY === true;
  }

  /** Whether prompts can be shown: stdin and stderr are terminals (prompts draw on stderr so stdout stays data). */
  protected get canPrompt(): boolean {
    return (this.context.stdin as { isTTY?: boolean }).isTTY === true && (this.context.stderr as { isTTY?: boolean }).isTTY === true;
  }

  /** The operation engine's IO port on this command's terminal; `yes` answers every confirmation up front. */
  protected terminalIo(out: Output, yes: boolean): TerminalIo {
    const { stdin, stdout, stderr } = this.context;
    return new TerminalIo(out, { stdin, stdout, stderr, yes, interactive: this.interactive, canPrompt: this.canPrompt });
  }

  /**
   * Ask before destroying or overwriting. `--yes` skips the question; without a
   * terminal and without `--yes` the command refuses rather than guess.
   */
  protected async confirm(question: string, yes: boolean | undefined): Promise<void> {
    const agreed = await this.terminalIo(this.output(), yes === true).confirm({ id: 'overwrite', text: question });
    if (!agreed) throw new NephoError('CANCELLED', 'cancelled; nothing was changed');
  }
}

/** A command that prints a listing or a description: adds `-o table|json|yaml`. */
export abstract class ListingCommand extends NephoCommand {
  outputFormat = Option.String('-o,--output', 'table', { description: 'Output format: table, json or yaml' });

  protected override output(format: string = this.outputFormat): Output {
    // Checked here rather than with a typanion validator: typanion is 40 KB that
    // every start-up would otherwise parse.
    if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
      throw new NephoError('BAD_ARGUMENT', `--output '${format}' is not one of ${OUTPUT_FORMATS.join(', ')}`);
    }
    return super.output(format as OutputFormat);
  }
}

/** `--local`: a formation command acts on this machine even when a team server is in use. */
export function localOption(): boolean {
  return Option.Boolean('--local', false, { description: 'Ignore the team server in use (NEPHO_SERVER, remote:use): act on this machine' });
}

/** `--profile` and `--region` as provider options, leaving out those not given. */
export function providerOptions(profile: string | undefined, region: string | undefined): ProviderOptions {
  return { ...(profile ? { profile } : {}), ...(region ? { region } : {}) };
}
