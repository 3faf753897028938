import { Builtins, Cli, type BaseContext, type Command } from 'clipanion';
import type { NephoContext } from './commands/base.js';
import { commands } from './commands/index.js';
import { isNephoError } from './errors.js';
import { commandSpec, helpWidth, renderCommandHelp, renderGeneralHelp, usageLine, type NephoCommandClass } from './help.js';
import { colorsWanted, renderError, textStyle, type Sink } from './output.js';
import { ProcessSink, ProcessSource } from './stdio.js';
import { usageProblem } from './suggest.js';
import { VERSION } from './version.js';

/** The error codes of a command line that does not parse: they exit with status 2, as usage errors do in gh, helm and aws. */
const USAGE_CODES: ReadonlySet<string> = new Set(['UNKNOWN_COMMAND', 'UNKNOWN_OPTION', 'USAGE']);

/** Exit statuses nepho documents (README "Exit status"). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** The clipanion CLI with every nepho command registered, errors routed to stderr, help rendered by src/help.ts. */
export class NephoCli extends Cli<BaseContext> {
  /** The command line being run, for naming what is wrong with it. */
  private argv: readonly string[] = [];
  /** Whether the command line did not parse (exit status 2). */
  private usageFailed = false;
  /** Whether the last error was Ctrl-C at a prompt (exit status 130, as shells report an interrupt). */
  private interrupted = false;

  constructor(
    private readonly stderr: Sink,
    private readonly colors: boolean,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    super({ binaryLabel: 'nepho', binaryName: 'nepho', binaryVersion: VERSION, enableColors: colors, enableCapture: false });
  }

  /** Run `argv` to its exit status: clipanion's, or 2 when the command line did not parse. */
  async runArgv(argv: string[], context: BaseContext): Promise<number> {
    this.argv = argv;
    const code = await this.run(argv, context);
    return this.usageFailed ? EXIT.usage : this.interrupted && code === EXIT.failed ? EXIT.interrupted : code;
  }

  // A command's --help (clipanion passes the command), and `nepho -h` when registered.
  override usage(command: Command<BaseContext> | NephoCommandClass | null = null, opts?: { detailed?: boolean }): string {
    const style = textStyle(this.colors);
    if (command === null) return renderGeneralHelp(commands, 'nepho', VERSION, style, helpWidth(this.env));
    const commandClass = (typeof command === 'function' ? command : command.constructor) as NephoCommandClass;
    return opts?.detailed === false
      ? `$ ${usageLine('nepho', commandSpec(commandClass))}\n`
      : renderCommandHelp(commandClass, 'nepho', style, helpWidth(this.env));
  }

  // clipanion prints errors to stdout; nepho prints them to stderr so that
  // `-o json` output stays clean, and keeps stacks for bugs only. A command
  // line that does not parse is one line naming what is wrong, with the
  // closest commands or options, rather than clipanion's list of them all.
  override error(error: Error, opts?: { colored?: boolean; command?: Command<BaseContext> | null }): string {
    const meta = (error as { clipanion?: { type: string } }).clipanion;
    const colored = opts?.colored ?? this.enableColors ?? false;
    this.interrupted = (error as { code?: unknown }).code === 'INTERRUPTED';
    let shown: unknown = error;
    if (meta) {
      const candidates = (error as { candidates?: { reason: string | null }[] }).candidates;
      const reason = meta.type === 'usage' ? error.message : (candidates?.find((c) => c.reason !== null)?.reason ?? null);
      shown = usageProblem(this.argv, commands.map(commandSpec), reason, (spec) => usageLine('nepho', spec));
    }
    if (isNephoError(shown) && USAGE_CODES.has(shown.code)) this.usageFailed = true;
    this.stderr.write(renderError(shown, colored));
    return '';
  }
}

/**
 * The commands that can match `argv`: those whose path starts with its first
 * word (`cloudlet:list`, or `cloudlet` for the space form). clipanion builds a
 * parser over every registered path on each run, so registering only these
 * keeps start-up flat as commands are added. Anything else (`--help`, a typo
 * that deserves suggestions) gets them all.
 */
export function candidateCommands(argv: readonly string[]): typeof commands {
  const first = argv[0];
  if (first === '--version' || first === '-v') return [];
  const matching = commandsStartingWith(first);
  return matching.length > 0 ? matching : commands;
}

/** The commands with a path that starts with `word`. */
function commandsStartingWith(word: string | undefined): typeof commands {
  return commands.filter((c) => c.paths?.some((path) => path[0] === word));
}

/** Whether `word` starts a command's path (`cloudlet:list`, or `cloudlet` of the space form). */
export function isCommandWord(word: string): boolean {
  return commandsStartingWith(word).length > 0;
}

/**
 * Build the CLI for `argv`. clipanion's `-h` and `-v` commands are needed
 * only when no command matched the first word: `nepho --help` and `nepho
 * --version` are answered before (run, src/main.ts), and a command's own
 * `--help` is clipanion's parser's, not a command.
 */
export function buildCli(argv: readonly string[], stderr: Sink, colors: boolean, env: NodeJS.ProcessEnv = process.env): NephoCli {
  const cli = new NephoCli(stderr, colors, env);
  if (commandsStartingWith(argv[0]).length === 0) {
    cli.register(Builtins.HelpCommand);
    cli.register(Builtins.VersionCommand);
  }
  for (const command of candidateCommands(argv)) cli.register(command);
  return cli;
}

/**
 * The context commands run in: the process's environment and its standard
 * streams, created only if a command needs them as streams (see stdio.ts).
 */
export function processContext(stdout: ProcessSink, stderr: ProcessSink): NephoContext {
  return {
    commands,
    env: process.env,
    stdin: new ProcessSource() as unknown as BaseContext['stdin'],
    stdout: stdout as unknown as BaseContext['stdout'],
    stderr: stderr as unknown as BaseContext['stderr'],
    colorDepth: colorsWanted(stdout) ? 8 : 1,
  };
}

/** `nepho`, `nepho -h` and `nepho --help`: the general help, printed without building a parser over every command. */
function wantsGeneralHelp(argv: readonly string[]): boolean {
  return argv.length === 0 || (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h'));
}

/**
 * Run nepho with `argv` and exit with the command's status: the only place
 * that ends the process. nepho exits as soon as its command is done and its
 * output has left, rather than when the event loop runs dry: libraries leave
 * timers behind (simple-git waits 50 ms after every git process for late
 * output), which would otherwise hold every command up.
 */
export async function run(argv: string[]): Promise<void> {
  const stdout = new ProcessSink(1);
  const stderr = new ProcessSink(2);
  const context = processContext(stdout, stderr);
  const cli = buildCli(argv, stderr, context.colorDepth > 1);
  let code = 0;
  if (wantsGeneralHelp(argv)) stdout.write(cli.usage());
  else code = await cli.runArgv(argv, context);
  await Promise.all([stdout.flushed(), stderr.flushed()]);
  process.exit(code);
}
