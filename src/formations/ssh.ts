import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { NephoError } from '../errors.js';
import { findExecutable, writeFileAtomicSync } from '../fs.js';
import type { NephoHome } from '../home.js';
import type { FormationRef, FormationState, Provider, SshEndpoint } from '../providers/types.js';
import { assertExists, sshEndpointFromAccess } from './access.js';
import { formationDir, type FormationRecord } from './records.js';

/*
 * `formation:ssh` hands the connection to the system's `ssh` with a config
 * file of its own (`ssh -F`), because that is the only way every setting
 * (known hosts, keys, host key checking) also reaches the bastion hop:
 * ProxyJump runs a second `ssh -F <same file>`, while `-o` options given on
 * the command line stay with the first. Everything that goes into the file
 * comes from outputs and parameters a cloudlet controls, so each value is
 * checked against a strict alphabet before it is written: a value cannot add
 * a line, an option or a `%` token to the file.
 */

/** The file, inside the formation's directory, that `formation:ssh` writes and runs `ssh -F` with. */
export const SSH_CONFIG_FILE = 'ssh_config';

/** The `Host` alias of a formation's machine in its ssh config file (`ssh -F FILE nepho-web`). */
export function sshHostAlias(formation: string): string {
  return `nepho-${formation}`;
}

/** The `Host` alias of a formation's bastion in its ssh config file. */
export function sshBastionAlias(formation: string): string {
  return `nepho-${formation}-bastion`;
}

/** Where host keys are remembered for every formation: `$NEPHO_HOME/known_hosts`. */
export function knownHostsFile(home: NephoHome): string {
  return join(home.root, 'known_hosts');
}

/** Host names and addresses: DNS names, IPv4, IPv6 without brackets. No leading '-', no blanks, no '%'. */
const HOST = /^[A-Za-z0-9_][A-Za-z0-9._:-]{0,252}$/;
/** User names as ssh passes them: no leading '-', no blanks, no '%' token, no quotes. */
const USER = /^[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}$/;
/** Characters a path may not have in an ssh config file (line breaks, quotes, backslashes) or on a terminal. */
const PATH_FORBIDDEN = /["\\\x00-\x1f\x7f]/;
/** A path a POSIX shell takes as one word without quoting, and that holds no ssh `%` token. */
const SHELL_SAFE_PATH = /^[A-Za-z0-9_@+=:,./-]+$/;

/** How the values of an endpoint are named in errors, so the user knows where to look. */
export interface EndpointFieldNames {
  host: string;
  port: string;
  user: string;
  bastion: string;
  bastion_port: string;
  bastion_user: string;
}

/** Field names for an endpoint built from the scenario's `access.ssh`. */
export const ACCESS_FIELDS: EndpointFieldNames = {
  host: 'access.ssh.host',
  port: 'access.ssh.port',
  user: 'access.ssh.user',
  bastion: 'access.ssh.bastion',
  bastion_port: 'access.ssh.bastion_port',
  bastion_user: 'access.ssh.bastion_user',
};

/** Field names for an endpoint a provider reported itself (`Provider.sshEndpoint`). */
export function providerFields(provider: string): EndpointFieldNames {
  const f = (k: string) => `the ssh ${k} reported by provider ${provider}`;
  return { host: f('host'), port: f('port'), user: f('user'), bastion: f('bastion host'), bastion_port: f('bastion port'), bastion_user: f('bastion user') };
}

/** The error for a value that may not go into an ssh config file; the value is shown JSON-quoted so that it stays on one line. */
function badValue(formation: string, field: string, value: unknown, what: string): NephoError {
  return new NephoError('SSH_INVALID', `formation ${formation}: ${field} ${JSON.stringify(value)} is not ${what}`, {
    hint: 'values reach ssh through a config file, so only plain host names, addresses and user names are accepted',
  });
}

/** Check one host name or address (throws a NephoError naming `field`). */
export function checkSshHost(formation: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || !HOST.test(value))
    throw badValue(formation, field, value, "a host name or address (letters, digits, '.', '-', ':', not starting with '-')");
  return value;
}

/** Check one user name (throws a NephoError naming `field`). */
export function checkSshUser(formation: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || !USER.test(value))
    throw badValue(formation, field, value, "a user name (letters, digits, '.', '_', '-', '@', not starting with '-')");
  return value;
}

/** Check one port number (throws a NephoError naming `field`). */
export function checkSshPort(formation: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) throw badValue(formation, field, value, 'a port (1-65535)');
  return value;
}

/**
 * Check a path that goes into the config file (a key, the known-hosts file):
 * absolute, and free of what the file format cannot hold. `field` names where
 * it came from (`-i`, `NEPHO_HOME`).
 */
export function checkSshPath(field: string, path: string): string {
  if (!isAbsolute(path) || PATH_FORBIDDEN.test(path)) {
    throw new NephoError('SSH_INVALID', `${field} ${JSON.stringify(path)}: a path with quotes, backslashes or control characters cannot be given to ssh`, {
      hint: 'move the file to a plainer path',
    });
  }
  return path;
}

/**
 * Every value of an endpoint checked, so that it can be written into an ssh
 * config file as it is. Throws a NephoError naming the first bad field.
 */
export function checkSshEndpoint(formation: string, endpoint: SshEndpoint, fields: EndpointFieldNames = ACCESS_FIELDS): SshEndpoint {
  const checked: SshEndpoint = {
    host: checkSshHost(formation, fields.host, endpoint.host),
    port: checkSshPort(formation, fields.port, endpoint.port),
  };
  if (endpoint.user !== undefined) checked.user = checkSshUser(formation, fields.user, endpoint.user);
  if (endpoint.identityFile !== undefined) checked.identityFile = checkSshPath(`formation ${formation}: identity file`, endpoint.identityFile);
  if (endpoint.bastion) {
    checked.bastion = {
      host: checkSshHost(formation, fields.bastion, endpoint.bastion.host),
      port: checkSshPort(formation, fields.bastion_port, endpoint.bastion.port),
    };
    if (endpoint.bastion.user !== undefined) checked.bastion.user = checkSshUser(formation, fields.bastion_user, endpoint.bastion.user);
  }
  return checked;
}

/** What the ssh config file of one formation is made from. All values must have been checked. */
export interface SshConfigInput {
  formation: string;
  endpoint: SshEndpoint;
  /** Where the file will be written: a bastion hop runs `ssh -F` with it again. */
  configFile: string;
  /** `$NEPHO_HOME/known_hosts`. */
  knownHostsFile: string;
  /** The key for both hops (`-i`), overriding the endpoint's own. */
  identityFile?: string;
  /**
   * Tells this formation apart from an earlier one of the same name (its
   * creation time, hashed): host keys are remembered per formation and per
   * host, so a re-created formation, or two formations whose private
   * addresses are the same, never meet each other's keys.
   */
  instance: string;
  /** Only errors from ssh, on both hops (a run whose output is read, not a person's session). */
  quiet?: boolean;
  /**
   * Seconds ssh waits for each hop to connect and answer (`ConnectTimeout`),
   * written for both: `-o ConnectTimeout` on the command line does not reach
   * the bastion hop.
   */
  connectTimeout?: number;
}

/** A path as an ssh config value: double-quoted (it may hold blanks), `%` doubled so it is not a token. */
function configPath(path: string): string {
  return `"${path.replace(/%/g, '%%')}"`;
}

/** The name host keys are remembered under: the formation, its instance, the host and port. */
export function hostKeyAlias(formation: string, instance: string, host: string, port: number): string {
  return `nepho-${formation}-${instance}/${host}:${port}`;
}

/** A short, stable tag for one creation of a formation (see `SshConfigInput.instance`). */
export function formationInstance(record: Pick<FormationRecord, 'name' | 'createdAt'>): string {
  return createHash('sha256').update(`${record.name}\n${record.createdAt}`).digest('hex').slice(0, 8);
}

/**
 * The text of the formation's ssh config file: a `Host nepho-<name>` entry
 * and, with a bastion, a `Host nepho-<name>-bastion` entry it jumps through.
 * Both remember host keys in nepho's own known-hosts file and accept a new
 * key on first use (a changed key is refused). `-F` makes ssh read this file
 * only, so the result does not depend on the user's or the system's config.
 */
export function sshConfigText(input: SshConfigInput): string {
  const { formation, endpoint } = input;
  const identity = input.identityFile ?? endpoint.identityFile;
  const common = (host: string, port: number): string[] => [
    ...(identity ? [`  IdentityFile ${configPath(identity)}`, '  IdentitiesOnly yes'] : []),
    `  UserKnownHostsFile ${configPath(input.knownHostsFile)}`,
    '  StrictHostKeyChecking accept-new',
    `  HostKeyAlias ${hostKeyAlias(formation, input.instance, host, port)}`,
    '  HashKnownHosts no',
    ...(input.connectTimeout === undefined ? [] : [`  ConnectTimeout ${input.connectTimeout}`]),
    ...(input.quiet ? ['  LogLevel ERROR'] : []),
  ];
  const lines = [
    `# Written by nepho for formation ${formation}; rewritten by every nepho formation:ssh ${formation}.`,
    `# Use it as: ssh -F ${shellQuote(input.configFile)} ${sshHostAlias(formation)}`,
    '',
    `Host ${sshHostAlias(formation)}`,
    `  HostName ${endpoint.host}`,
    `  Port ${endpoint.port}`,
    ...(endpoint.user ? [`  User ${endpoint.user}`] : []),
    ...common(endpoint.host, endpoint.port),
  ];
  if (endpoint.bastion) {
    const jump = sshBastionAlias(formation);
    // ProxyJump hands the -F path to a shell unquoted and expands `%` in it;
    // a path that is not shell-safe gets the same hop spelt out, quoted.
    lines.push(
      SHELL_SAFE_PATH.test(input.configFile)
        ? `  ProxyJump ${jump}`
        : `  ProxyCommand ssh -F ${shellQuote(input.configFile).replace(/%/g, '%%')} -W '[%h]:%p' ${jump}`,
    );
    lines.push(
      '',
      `Host ${jump}`,
      `  HostName ${endpoint.bastion.host}`,
      `  Port ${endpoint.bastion.port}`,
      ...(endpoint.bastion.user ? [`  User ${endpoint.bastion.user}`] : []),
      ...common(endpoint.bastion.host, endpoint.bastion.port),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A word for a POSIX shell: as it is when it is plain, else single-quoted. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line a POSIX shell runs as exactly `argv` (for `--print`). */
export function shellCommandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * The remote command for `-- COMMAND...`: ssh joins its arguments with
 * blanks and the remote shell splits them again, so each word is quoted and
 * `-- sh -c 'exit 7'` runs what it says. Shell syntax goes through `sh -c`.
 */
export function remoteCommand(words: readonly string[]): string {
  return shellCommandLine(words);
}

/** How to reach a formation's host without nepho: what `formation:ssh --print` shows. */
export interface PrintedSsh {
  user: string | null;
  host: string;
  port: number;
  bastion: { user: string | null; host: string; port: number } | null;
  /** `ssh -p PORT ... [-J BASTION] USER@HOST [-- COMMAND]`, word by word. */
  command: string[];
}

/** `user@host`, or the host alone when no user is set (ssh then logs in as the local user). */
function login(user: string | undefined, host: string): string {
  return user ? `${user}@${host}` : host;
}

/**
 * A command a person can paste into any shell: `ssh -p PORT USER@HOST` with
 * the key (`-i`), nepho's known-hosts file and the alias it remembers this
 * host's key under, and `-J` through the bastion. ssh gives command-line
 * options to the last hop only: the bastion hop authenticates with the
 * user's agent or own ssh config, as `-J` always does.
 */
export function printedSsh(input: Omit<SshConfigInput, 'configFile' | 'quiet'>, remote: readonly string[] = []): PrintedSsh {
  const { endpoint } = input;
  const identity = input.identityFile ?? endpoint.identityFile;
  const bastion = endpoint.bastion;
  const jumpHost = bastion && bastion.host.includes(':') ? `[${bastion.host}]` : bastion?.host;
  const command = [
    'ssh',
    '-p',
    String(endpoint.port),
    ...(input.connectTimeout === undefined ? [] : ['-o', `ConnectTimeout=${input.connectTimeout}`]),
    ...(identity ? ['-i', identity, '-o', 'IdentitiesOnly=yes'] : []),
    '-o',
    `UserKnownHostsFile=${input.knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    `HostKeyAlias=${hostKeyAlias(input.formation, input.instance, endpoint.host, endpoint.port)}`,
    ...(bastion ? ['-J', `${login(bastion.user, jumpHost!)}:${bastion.port}`] : []),
    login(endpoint.user, endpoint.host),
    ...(remote.length > 0 ? ['--', remoteCommand(remote)] : []),
  ];
  return {
    user: endpoint.user ?? null,
    host: endpoint.host,
    port: endpoint.port,
    bastion: bastion ? { user: bastion.user ?? null, host: bastion.host, port: bastion.port } : null,
    command,
  };
}

/**
 * The arguments of the system `ssh`: `[-o ConnectTimeout=N] -F FILE
 * nepho-<name> [-- COMMAND]`.
 */
export function sshArgv(configFile: string, formation: string, command: readonly string[] = [], connectTimeout?: number): string[] {
  return [
    ...(connectTimeout === undefined ? [] : ['-o', `ConnectTimeout=${connectTimeout}`]),
    '-F',
    configFile,
    sshHostAlias(formation),
    ...(command.length > 0 ? ['--', remoteCommand(command)] : []),
  ];
}

/** How long `formation:ssh` waits for a host to connect and answer, unless told otherwise. */
export const DEFAULT_CONNECT_TIMEOUT = 15;

/** Check `--connect-timeout`: a whole number of seconds, 1 to 3600. */
export function checkConnectTimeout(value: string): number {
  const seconds = /^\d{1,4}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!(seconds >= 1 && seconds <= 3600)) {
    throw new NephoError('BAD_ARGUMENT', `--connect-timeout ${JSON.stringify(value)}: not a whole number of seconds from 1 to 3600`);
  }
  return seconds;
}

/** One `[user@]host:port` as people write it, an IPv6 address in brackets. */
function hostPort(host: string, port: number, user?: string): string {
  return `${user ? `${user}@` : ''}${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Where an endpoint connects, for people: `user@host:port`, and `(through user@bastion:port)` with a bastion. */
export function sshDestination(endpoint: SshEndpoint): string {
  const { bastion } = endpoint;
  const through = bastion ? ` (through ${hostPort(bastion.host, bastion.port, bastion.user)})` : '';
  return `${hostPort(endpoint.host, endpoint.port, endpoint.user)}${through}`;
}

/**
 * Where the formation's ssh server is: the provider's own answer when it has
 * one (a local machine's forwarded port), else the scenario's `access.ssh`
 * filled from the formation's outputs (`known`: its state, when the caller
 * has just described it). Every value is checked. Throws a
 * NephoError when the formation has no ssh access, is gone, or is not ready.
 */
export async function formationSshEndpoint(
  record: FormationRecord,
  ref: FormationRef,
  provider: Provider,
  env: NodeJS.ProcessEnv,
  known?: FormationState,
): Promise<SshEndpoint> {
  const own = provider.sshEndpoint ? await provider.sshEndpoint(ref, record.options, env) : undefined;
  if (own) return checkSshEndpoint(record.name, own, providerFields(provider.name));
  if (!record.access.ssh) {
    throw new NephoError('NO_SSH', `formation ${record.name}: scenario ${record.scenario} of ${record.cloudlet} declares no access.ssh`);
  }
  const state = known ?? (await provider.describe(ref, record.options, env));
  assertExists(record, state);
  return checkSshEndpoint(record.name, sshEndpointFromAccess(record, state.outputs));
}

/** Check the `-i` key file: it must exist and be readable; returns it unchanged (absolute). */
export function checkIdentityFile(path: string): string {
  checkSshPath('-i', path);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
    accessSync(path, constants.R_OK);
  } catch {
    throw new NephoError('BAD_ARGUMENT', `-i ${path}: no such readable file`);
  }
  if (!isFile) throw new NephoError('BAD_ARGUMENT', `-i ${path}: not a file`);
  return path;
}

/** Write the formation's ssh config file (mode 0600) in `dir` (the formation's directory unless given) and return its path. */
export function writeSshConfig(
  home: NephoHome,
  input: Omit<SshConfigInput, 'configFile' | 'knownHostsFile'>,
  dir = formationDir(home, input.formation),
): string {
  const configFile = join(dir, SSH_CONFIG_FILE);
  const knownHosts = checkSshPath('NEPHO_HOME', knownHostsFile(home));
  checkSshPath('NEPHO_HOME', configFile);
  writeFileAtomicSync(configFile, sshConfigText({ ...input, configFile, knownHostsFile: knownHosts }), 0o600);
  return configFile;
}

/** The system `ssh`, or a NephoError saying how to get it. */
export function systemSsh(env: NodeJS.ProcessEnv): string {
  const ssh = findExecutable('ssh', env);
  if (!ssh) {
    throw new NephoError('SSH_NOT_FOUND', 'ssh: no such program on PATH', {
      hint: 'install the OpenSSH client (apt-get install openssh-client, dnf install openssh-clients), or use --print to see the command',
    });
  }
  return ssh;
}

/** What the one-line reason of a failed connection is worded with. */
export interface SshRunOptions {
  /** The `ConnectTimeout` ssh was given, in seconds. */
  connectTimeout?: number;
  /** Where ssh connects, so the reason can say which hop failed. */
  endpoint?: SshEndpoint;
}

/** How a run of `ssh` ended. */
export interface SshRun {
  /** ssh's exit status: the remote command's, 255 for ssh's own failures, 128 + N for a signal. */
  status: number;
  /**
   * Why ssh could not connect, in one line, when that is how it ended
   * (status 255): ssh's own lines about it were held back for this one.
   */
  unreachable?: string;
}

/** A line ssh prints when it cannot connect, and how specific it is (lower: says more). */
interface ConnectFailure {
  pattern: RegExp;
  rank: number;
  reason(match: RegExpExecArray, timeout: string, where: FailurePlace): string;
}

/**
 * Who a line naming `host port N` is about, as the start of a reason: the
 * bastion by that name, nobody for the host itself (the reason follows its
 * name) or for the proxied hop ssh calls `UNKNOWN port 65535`, else the host
 * and port ssh printed.
 */
export type FailurePlace = (host: string, port: string) => string;

/** The `FailurePlace` of a connection to `endpoint`. */
function placeIn(endpoint?: SshEndpoint): FailurePlace {
  return (host, port) => {
    const named = hostPort(host, Number(port));
    if (host === 'UNKNOWN' || (endpoint && named === hostPort(endpoint.host, endpoint.port))) return '';
    if (endpoint?.bastion && named === hostPort(endpoint.bastion.host, endpoint.bastion.port)) return `the bastion ${named}: `;
    return `${named}: `;
  };
}

/**
 * What OpenSSH prints when a connection fails before a session starts, each
 * hop of a ProxyJump adding its own lines (the outer hop knows the proxied
 * one only as `UNKNOWN port 65535`).
 */
const CONNECT_FAILURES: readonly ConnectFailure[] = [
  { pattern: /^ssh: connect to host (\S+) port (\d+): (.+)$/, rank: 1, reason: (m, _t, where) => `${where(m[1]!, m[2]!)}${m[3]}` },
  { pattern: /^ssh: Could not resolve hostname (\S+): (.+)$/, rank: 1, reason: (m) => `could not resolve ${m[1]}: ${m[2]}` },
  { pattern: /^channel \d+: open failed: (.+)$/, rank: 1, reason: (m) => `the bastion could not connect onward: ${m[1]}` },
  {
    pattern: /^banner exchange: Connection to (\S+) port (\d+): (.+)$/,
    rank: 2,
    reason: (m, _t, where) => `${where(m[1]!, m[2]!)}not an ssh server (${m[3]})`,
  },
  { pattern: /^Connection to (\S+) port (\d+) timed out$/, rank: 2, reason: (m, timeout, where) => `${where(m[1]!, m[2]!)}no answer within ${timeout}` },
  { pattern: /^Connection timed out during banner exchange$/, rank: 3, reason: (_m, timeout) => `no answer within ${timeout}` },
  { pattern: /^(?:kex|ssh)_exchange_identification: (.+)$/, rank: 4, reason: (m) => `the connection was closed before ssh could log in (${m[1]})` },
  { pattern: /^stdio forwarding failed$/, rank: 4, reason: () => 'the bastion could not forward the connection' },
  {
    pattern: /^Connection (?:closed|reset) by (\S+) port (\d+)$/,
    rank: 5,
    reason: (m, _t, where) => `${where(m[1]!, m[2]!)}the connection was closed before ssh could log in`,
  },
];

/** Text that may be the start of a connect-failure line, so a partial line is held until it ends. */
const FAILURE_STARTS = [
  'ssh: ',
  'channel ',
  'banner exchange: ',
  'Connection ',
  'kex_exchange_identification: ',
  'ssh_exchange_identification: ',
  'stdio forwarding failed',
];

/**
 * ssh's stderr on its way to the terminal: every line passes at once, except
 * those saying that a connection failed, which are held. When ssh then ends
 * with 255 they become one line (`reason`); otherwise they pass too, late.
 */
export class SshStderr {
  private rest = '';
  /** The rest of a line already passed on (it did not look like a failure), so the rest passes too. */
  private passing = false;
  private readonly held: string[] = [];
  private best: { rank: number; reason: string } | undefined;

  private readonly timeout: string;
  private readonly where: FailurePlace;

  /** `write` passes text on; `options` word the reason (see `runSsh`). */
  constructor(
    private readonly write: (text: string) => void,
    options: SshRunOptions = {},
  ) {
    this.timeout = `${options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT} s`;
    this.where = placeIn(options.endpoint);
  }

  /** Take a chunk of ssh's stderr. */
  push(chunk: string): void {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop()!;
    for (const line of lines) {
      if (this.passing) {
        this.passing = false;
        this.write(`${line}\n`);
      } else this.take(line);
    }
    const bare = this.rest.replace(/\r$/, '');
    if (this.rest !== '' && (this.passing || !FAILURE_STARTS.some((p) => p.startsWith(bare) || bare.startsWith(p)))) {
      this.write(this.rest);
      this.rest = '';
      this.passing = true;
    }
  }

  /** ssh has exited with `status`: the one line for a failed connection, or undefined (everything held is passed on). */
  end(status: number): string | undefined {
    if (this.rest !== '') {
      if (this.passing) this.write(this.rest);
      else this.take(this.rest);
      this.rest = '';
    }
    if (status === 255 && this.best) return this.best.reason;
    for (const line of this.held) this.write(`${line}\n`);
    return undefined;
  }

  private take(line: string): void {
    const text = line.replace(/\r$/, '');
    for (const failure of CONNECT_FAILURES) {
      const match = failure.pattern.exec(text);
      if (!match) continue;
      this.held.push(line);
      if (!this.best || failure.rank < this.best.rank) this.best = { rank: failure.rank, reason: failure.reason(match, this.timeout, this.where) };
      return;
    }
    this.write(`${line}\n`);
  }
}

/**
 * Run `ssh` with the terminal handed over and resolve with how it ended:
 * its exit status (the remote command's, or 255 for ssh's own failures; a
 * signal that ended ssh becomes 128 + its number, as shells report it), and
 * when it could not connect, why in one line. Its stderr goes to `stderr`
 * through `SshStderr`; stdin and stdout are the terminal's. While ssh runs,
 * Ctrl-C belongs to it (the terminal sends it to both), and a SIGTERM or
 * SIGHUP sent to nepho is passed on.
 */
export function runSsh(
  ssh: string,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  stderr: (text: string) => void,
  options: SshRunOptions = {},
): Promise<SshRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(ssh, argv, { stdio: ['inherit', 'inherit', 'pipe'], env });
    const filter = new SshStderr(stderr, options);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => filter.push(chunk));
    const ignore = () => undefined;
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    const done = () => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      done();
      reject(error.code === 'ENOENT' ? new NephoError('SSH_NOT_FOUND', `${ssh}: no such program`) : error);
    });
    // `close`, not `exit`: every byte of stderr has been read by then.
    child.once('close', (code, signal) => {
      done();
      const status = code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
      const unreachable = filter.end(status);
      resolvePromise({ status, ...(unreachable ? { unreachable } : {}) });
    });
  });
}

/** The command that runs a script from stdin as root on the far side: directly when the login is root, else through `sudo -n`. */
const AS_ROOT = ['sh', '-c', 'if [ "$(id -u)" = 0 ]; then exec sh -s; else exec sudo -n sh -s; fi'];

/**
 * Run `script` as root on a formation's host over ssh (the same config file
 * `formation:ssh` writes, `quiet` for this, so the bastion hop and known hosts work the same),
 * the script travelling on stdin: nothing is written on this machine. Each
 * line the host prints goes to `output`; resolves with ssh's exit status
 * (the script's, or 255 when ssh itself failed). Never asks for a password.
 */
export function runScriptOverSsh(
  ssh: string,
  configFile: string,
  formation: string,
  script: string,
  env: NodeJS.ProcessEnv,
  output: (stream: 'stdout' | 'stderr', line: string) => void,
): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const argv = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15', ...sshArgv(configFile, formation, AS_ROOT)];
    const child = spawn(ssh, argv, { stdio: ['pipe', 'pipe', 'pipe'], env });
    for (const stream of ['stdout', 'stderr'] as const) {
      let rest = '';
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop()!;
        for (const line of lines) output(stream, line);
      });
      child[stream].on('end', () => {
        if (rest !== '') output(stream, rest);
      });
    }
    child.stdin.on('error', () => undefined); // a host that hangs up early: its status says why
    child.stdin.end(script);
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? new NephoError('SSH_NOT_FOUND', `${ssh}: no such program`) : error));
    child.once('close', (code, signal) => resolvePromise(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0)));
  });
}

/**
 * Forget the host keys remembered for one creation of a formation (its
 * `HostKeyAlias` entries in `$NEPHO_HOME/known_hosts`), once it is gone: a
 * formation made again under the name gets new hosts and new keys.
 */
export function forgetHostKeys(home: NephoHome, record: Pick<FormationRecord, 'name' | 'createdAt'>): void {
  const file = knownHostsFile(home);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return; // nothing remembered
  }
  const prefix = `nepho-${record.name}-${formationInstance(record)}/`;
  const kept = text.split('\n').filter((line) => !line.split(/[\s,]/).some((host) => host.startsWith(prefix)));
  if (kept.length !== text.split('\n').length) writeFileAtomicSync(file, kept.join('\n'), 0o600);
}
