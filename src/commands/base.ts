import { Command, Option, type BaseContext } from 'clipanion';
import { isNephoError, loadErrorCatalogue, NephoError } from '../errors.js';
import { ensureHome, nephoHome, type NephoHome } from '../home.js';
import { OUTPUT_FORMATS, Output, type OutputFormat } from '../output.js';
import type { NephoCommandClass } from '../help.js';
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
  general: 'General commands',
} as const;

/** The context nepho runs its commands in: clipanion's, plus every command registered (for help and completion). */
export interface NephoContext extends BaseContext {
  commands?: readonly NephoCommandClass[];
}

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

  /** Every nepho command (the CLI registers only those a command line can match). */
  protected get catalogue(): readonly NephoCommandClass[] {
    return (this.context as NephoContext).commands ?? [];
  }

  /** The output module for this command, in the given format. */
  protected output(format: OutputFormat = 'table'): Output {
    return new Output(this.context.stdout, this.context.stderr, format, undefined, this.env);
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
   * Every error a command throws passes here on its way to being shown: the
   * core error catalogue is loaded first, so that a NephoError thrown without
   * a hint of its own shows the catalogue's (see loadErrorCatalogue).
   */
  override async catch(error: unknown): Promise<void> {
    if (isNephoError(error)) await loadErrorCatalogue();
    throw error;
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
  outputFormat = Option.String('-o,--output', 'table', { description: 'Output format: table, wide (nothing cut to the terminal width), json or yaml' });

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
