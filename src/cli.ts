import { Builtins, Cli, type BaseContext, type Command } from 'clipanion';
import { commands } from './commands/index.js';
import { colorsWanted, renderError, type Sink } from './output.js';
import { ProcessSink, ProcessSource } from './stdio.js';
import { VERSION } from './version.js';

/** The clipanion CLI with every nepho command registered, errors routed to stderr. */
class NephoCli extends Cli<BaseContext> {
  /** The status for the last error reported: 130 for Ctrl-C at a prompt (as shells report an interrupt), else 1. */
  failureStatus = 1;

  constructor(private readonly stderr: Sink, colors: boolean) {
    super({ binaryLabel: 'nepho', binaryName: 'nepho', binaryVersion: VERSION, enableColors: colors, enableCapture: false });
  }

  // clipanion prints errors to stdout; nepho prints them to stderr so that
  // `-o json` output stays clean, and keeps stacks for bugs only.
  override error(error: Error, opts?: { colored?: boolean; command?: Command<BaseContext> | null }): string {
    const meta = (error as { clipanion?: { type: string } }).clipanion;
    const colored = opts?.colored ?? this.enableColors ?? false;
    this.failureStatus = (error as { code?: unknown }).code === 'INTERRUPTED' ? 130 : 1;
    this.stderr.write(meta ? super.error(error, { colored, command: opts?.command ?? null }) : renderError(error, colored));
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
 * --version` are answered before (run, bin/nepho.cjs), and a command's own
 * `--help` is clipanion's parser's, not a command.
 */
export function buildCli(argv: readonly string[], stderr: Sink, colors: boolean): NephoCli {
  const cli = new NephoCli(stderr, colors);
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
export function processContext(stdout: ProcessSink, stderr: ProcessSink): BaseContext {
  return {
    env: process.env,
    stdin: new ProcessSource() as unknown as BaseContext['stdin'],
    stdout: stdout as unknown as BaseContext['stdout'],
    stderr: stderr as unknown as BaseContext['stderr'],
    colorDepth: colorsWanted(stdout) ? 8 : 1,
  };
}

/** `nepho`, `nepho -h` and `nepho --help`: the general help, which clipanion would print after building a parser over every command. */
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
  else code = await cli.run(argv, context);
  if (code === 1) code = cli.failureStatus;
  await Promise.all([stdout.flushed(), stderr.flushed()]);
  process.exit(code);
}
