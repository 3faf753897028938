import { readFile } from 'node:fs/promises';
import { NephoError } from '../errors.js';
import type { BootstrapInput, Provisioner, RenderedBootstrap } from './types.js';

/** Quote a value for a POSIX shell: single quotes, with embedded ones closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The environment the scenario's script sees: the formation's identity and every non-secret parameter. */
export function bootstrapEnvironment(input: BootstrapInput): Record<string, string> {
  const env: Record<string, string> = {
    NEPHO_FORMATION: input.formation,
    NEPHO_CLOUDLET: input.cloudlet,
    NEPHO_SCENARIO: input.scenario,
  };
  for (const [name, value] of Object.entries(input.parameters)) env[`NEPHO_${name}`] = String(value);
  return env;
}

/**
 * A script split after its `#!` line: lines a provider puts before
 * everything else go between the two parts. A script without one is all `rest`.
 */
export function splitShebang(script: string): { shebang: string; rest: string } {
  const m = /^#![^\n]*\n/.exec(script);
  return m ? { shebang: m[0], rest: script.slice(m[0].length) } : { shebang: '', rest: script };
}

/**
 * Shell lines that set and export `NEPHO_<name>` to exactly what `command`
 * prints: trailing newlines of the value survive (`$(...)` alone would strip
 * them), `printsNewline` drops the one newline a command such as the AWS CLI
 * ends with, and a command that fails ends the script, `failure` said on
 * stderr. The value never appears in the lines, only the command that fetches
 * it; providers put the lines before the bootstrap (`splitShebang`), so the
 * scenario's script sees secrets as it sees every other parameter.
 */
export function exportSecret(name: string, command: string, failure: string, printsNewline = false): string[] {
  const variable = `NEPHO_${name}`;
  return [
    `${variable}=$(${command} && echo x) || { echo ${shellQuote(failure)} >&2; exit 1; }`,
    `${variable}=\${${variable}%x}`,
    ...(printsNewline ? [`${variable}=\${${variable}%"$nepho_newline"}`] : []),
    `export ${variable}`,
  ];
}

/** The line `exportSecret(..., printsNewline)` needs before it: a newline in a variable (POSIX sh cannot write one as an escape). */
export const NEWLINE_VARIABLE = "nepho_newline='\n'";

/**
 * The shell-bootstrap provisioner: the scenario's script runs as root on
 * first boot, with `NEPHO_FORMATION`, `NEPHO_CLOUDLET`, `NEPHO_SCENARIO` and
 * `NEPHO_<Name>` for each non-secret parameter, its output appended to
 * /var/log/nepho-bootstrap.log. The wrapper carries the script inside a
 * quoted here-document, so nothing in it is expanded on the way.
 */
export const shellProvisioner: Provisioner = {
  apiVersion: 1,
  type: 'shell',
  description: "runs the scenario's shell script as root on first boot",
  async render(input: BootstrapInput): Promise<RenderedBootstrap> {
    let body: string;
    try {
      body = await readFile(input.scriptFile, 'utf8');
    } catch (error) {
      throw new NephoError(
        'BOOTSTRAP_MISSING',
        `${input.scriptFile}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'bootstrap script not found' : (error as Error).message}`,
      );
    }
    if (body.includes('\0')) throw new NephoError('BOOTSTRAP_INVALID', `${input.scriptFile}: a bootstrap script must be text`);
    const environment = bootstrapEnvironment(input);
    const lines = body.split('\n');
    let delimiter = 'NEPHO_BOOTSTRAP_EOF';
    for (let n = 1; lines.includes(delimiter); n++) delimiter = `NEPHO_BOOTSTRAP_EOF_${n}`;
    // Both scripts write the scenario's script into place, then run it: on first boot with everything
    // into the log; again (`rerun`) with the output on stdout too, ending with the script's status.
    const prelude = (what: string) => [
      '#!/bin/sh',
      `# nepho shell ${what} for formation ${input.formation} (${input.cloudlet}, scenario ${input.scenario})`,
      'NEPHO_BOOTSTRAP_LOG="${NEPHO_BOOTSTRAP_LOG:-/var/log/nepho-bootstrap.log}"',
      'NEPHO_BOOTSTRAP_DIR="${NEPHO_BOOTSTRAP_DIR:-/var/lib/nepho}"',
      'umask 077',
      'mkdir -p "$NEPHO_BOOTSTRAP_DIR"',
    ];
    const install = [
      ...Object.entries(environment).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
      `cat >"$NEPHO_BOOTSTRAP_DIR/bootstrap.sh" <<'${delimiter}'`,
      body.endsWith('\n') ? body.slice(0, -1) : body,
      delimiter,
      'chmod 700 "$NEPHO_BOOTSTRAP_DIR/bootstrap.sh"',
    ];
    const stamp = (verb: string, tail: string) => `echo "nepho: ${verb} of $NEPHO_FORMATION ${tail} at $(date -u +%Y-%m-%dT%H:%M:%SZ)"`;
    const script = [
      ...prelude('bootstrap'),
      'exec >>"$NEPHO_BOOTSTRAP_LOG" 2>&1',
      ...install,
      stamp('bootstrap', 'starting'),
      'cd "$NEPHO_BOOTSTRAP_DIR" || exit 1',
      '"$NEPHO_BOOTSTRAP_DIR/bootstrap.sh"',
      'status=$?',
      stamp('bootstrap', 'finished with status $status'),
      'exit $status',
      '',
    ].join('\n');
    const rerun = [
      ...prelude('provisioning run'),
      ...install,
      `${stamp('provisioning', 'starting')} >>"$NEPHO_BOOTSTRAP_LOG"`,
      'cd "$NEPHO_BOOTSTRAP_DIR" || exit 1',
      // POSIX sh has no pipefail: the script's status goes through a file, past tee.
      '{ "$NEPHO_BOOTSTRAP_DIR/bootstrap.sh"; echo $? >"$NEPHO_BOOTSTRAP_DIR/status"; } 2>&1 | tee -a "$NEPHO_BOOTSTRAP_LOG"',
      'status=$(cat "$NEPHO_BOOTSTRAP_DIR/status" 2>/dev/null || echo 1)',
      `${stamp('provisioning', 'finished with status $status')} >>"$NEPHO_BOOTSTRAP_LOG"`,
      'exit "$status"',
      '',
    ].join('\n');
    return { script, rerun, environment, scriptBody: body, scriptFile: input.scriptFile };
  },
};
