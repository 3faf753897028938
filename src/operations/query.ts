import { NephoError } from '../errors.js';
import { assertExists, fillPlaceholders, formationUrl, unfilledPlaceholders } from '../formations/access.js';
import { SECRET_ANSWER, refOf, requireRecord, type FormationRecord } from '../formations/records.js';
import {
  checkConnectTimeout,
  checkIdentityFile,
  checkSshUser,
  DEFAULT_CONNECT_TIMEOUT,
  formationInstance,
  formationSshEndpoint,
  knownHostsFile,
  printedSsh,
  sshArgv,
  systemSsh,
  writeSshConfig,
  type PrintedSsh,
} from '../formations/ssh.js';
import { findProvider } from '../plugins.js';
import type { DriftReport, FormationState, ProviderOptions, SshEndpoint } from '../providers/types.js';
import { findFormation } from './inventory.js';
import { installedVersion, type InstalledVersion } from './installed-version.js';
import type { EngineContext } from './types.js';

/**
 * A formation as `formation:describe` shows it, and as an operation's report
 * leaves it. Secret parameters appear by name, masked.
 */
export interface FormationDescription {
  name: string;
  status: string;
  /** False when the provider no longer has it (GONE, or destroyed). */
  exists: boolean;
  inProgress: boolean;
  cloudlet: string;
  version: string;
  /** The cloudlet's commit the formation runs, when it came from git. */
  commit: string | null;
  /** The version installed now, and whether it is newer (an update would move to it). */
  installed: InstalledVersion;
  scenario: string;
  provider: string;
  createdAt: string;
  url: string | null;
  /** `user@host:port via bastion`, when it can be reached by ssh now. */
  ssh: string | null;
  /** The answers the formation was deployed with; secrets by name only, as `(secret)`. */
  parameters: Record<string, string | number | boolean>;
  outputs: Record<string, string>;
  resources: FormationState['resources'];
}

function endpointText(e: SshEndpoint): string {
  const at = (user: string | undefined, host: string, port: number) => `${user ? `${user}@` : ''}${host}:${port}`;
  return `${at(e.user, e.host, e.port)}${e.bastion ? ` via ${at(e.bastion.user, e.bastion.host, e.bastion.port)}` : ''}`;
}

/** Describe a formation (this machine's, or a teammate's found by its tags) as its provider sees it now. */
export async function describeFormation(ctx: EngineContext, name: string, options: ProviderOptions): Promise<FormationDescription> {
  const record = await findFormation(ctx, name, options);
  const provider = findProvider(ctx.registry, record.provider, `formation ${record.name}: provider`);
  const ref = refOf(record, ctx.store.dir(record.name));
  const state = await provider.describe(ref, record.options, ctx.env);
  let ssh: string | null = null;
  try {
    if (provider.sshEndpoint || record.access.ssh) ssh = endpointText(await formationSshEndpoint(record, ref, provider, ctx.env, state));
  } catch {
    ssh = null; // not reachable yet: describe still shows everything else
  }
  return describeRecord(ctx, record, state, ssh);
}

/**
 * A formation from its record and the provider's `state` of it: what
 * describe shows, and what a destroy's report shows of a formation that is
 * gone (its record as it was, no outputs, no resources).
 */
export function describeRecord(ctx: EngineContext, record: FormationRecord, state: FormationState, ssh: string | null = null): FormationDescription {
  return {
    name: record.name,
    status: state.exists ? state.status : 'GONE',
    exists: state.exists,
    inProgress: state.inProgress,
    cloudlet: record.cloudlet,
    version: record.version,
    commit: record.commit ?? null,
    installed: installedVersion(ctx.home, record.cloudlet, record.version),
    scenario: record.scenario,
    provider: record.provider,
    createdAt: record.createdAt,
    url: formationUrl(record, state.outputs) ?? null,
    ssh,
    parameters: { ...record.parameters, ...Object.fromEntries(record.secrets.map((s) => [s, SECRET_ANSWER])) },
    outputs: state.outputs,
    resources: state.resources,
  };
}

/** The URL normalised (blanks and control characters percent-encoded), or undefined when it is not http(s). */
function webUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The formation's URL: the scenario's `access.url` filled from its outputs
 * and parameters, checked to be http or https. A user error says what is
 * missing (no access.url, an output without a value yet).
 */
export async function formationUrlOf(ctx: EngineContext, name: string): Promise<string> {
  const record = requireRecord(ctx.home, name);
  const template = record.access.url;
  if (template === undefined) {
    throw new NephoError('NO_URL', `formation ${record.name}: scenario ${record.scenario} of ${record.cloudlet} declares no access.url`);
  }
  const provider = findProvider(ctx.registry, record.provider, `formation ${record.name}: provider`);
  const state = await provider.describe(refOf(record, ctx.store.dir(record.name)), record.options, ctx.env);
  assertExists(record, state);
  const filled = fillPlaceholders(template, state.outputs, record.parameters);
  if (filled === undefined) {
    const missing = unfilledPlaceholders(template, state.outputs, record.parameters);
    throw new NephoError(
      'URL_NOT_READY',
      `formation ${record.name}: access.url needs ${missing.join(', ')}, which ${missing.length > 1 ? 'have' : 'has'} no value yet (status ${state.status})`,
      {
        hint: state.inProgress ? `wait for it: nepho formation:watch ${record.name}` : `see nepho formation:describe ${record.name}`,
      },
    );
  }
  const url = webUrl(filled);
  if (!url) throw new NephoError('URL_INVALID', `formation ${record.name}: access.url ${JSON.stringify(filled)} is not an http or https URL`);
  return url;
}

/** What `formation:ssh` was asked for. */
export interface SshRequest {
  name: string;
  /** `-i`: a key for the host and the bastion. */
  identity?: string;
  /** `--user`: the user on the host. */
  user?: string;
  /** `--print`: no ssh program is needed. */
  print: boolean;
  /** Words to run on the host. */
  command: string[];
  /** `--connect-timeout`, as given: seconds for each hop to connect and answer (15 when absent). */
  connectTimeout?: string;
}

/** How to reach a formation by ssh: the program and its arguments (`ssh -o ConnectTimeout=N -F FILE nepho-NAME [-- COMMAND]`), and the same as a person types it. */
export interface SshCommand {
  program: string;
  argv: string[];
  /** Where it connects, checked (the host, and the bastion it goes through). */
  endpoint: SshEndpoint;
  /** Seconds each hop has to connect and answer. */
  connectTimeout: number;
  /** The command for `--print`: nepho's settings on the command line, not in a file of nepho's. */
  printed: PrintedSsh;
}

/**
 * Prepare an ssh connection to a formation: arguments checked first (so
 * nothing is asked of the provider for a command that cannot run), then the
 * endpoint from the provider or the scenario's `access.ssh`, written into
 * the formation's ssh config file.
 */
export async function sshCommandFor(ctx: EngineContext, request: SshRequest): Promise<SshCommand> {
  const record = requireRecord(ctx.home, request.name);
  const identityFile = request.identity === undefined ? undefined : checkIdentityFile(request.identity);
  const user = request.user === undefined ? undefined : checkSshUser(record.name, '--user', request.user);
  const connectTimeout = request.connectTimeout === undefined ? DEFAULT_CONNECT_TIMEOUT : checkConnectTimeout(request.connectTimeout);
  const program = request.print ? 'ssh' : systemSsh(ctx.env);
  const provider = findProvider(ctx.registry, record.provider, `formation ${record.name}: provider`);
  const endpoint = await formationSshEndpoint(record, refOf(record, ctx.store.dir(record.name)), provider, ctx.env);
  if (user !== undefined) endpoint.user = user;
  const input = { formation: record.name, endpoint, instance: formationInstance(record), connectTimeout, ...(identityFile ? { identityFile } : {}) };
  const configFile = writeSshConfig(ctx.home, input);
  const printed = printedSsh({ ...input, knownHostsFile: knownHostsFile(ctx.home) }, request.command);
  return { program, argv: sshArgv(configFile, record.name, request.command, connectTimeout), endpoint, connectTimeout, printed };
}

/** A formation's drift, with what it is about. */
export interface FormationDrift extends DriftReport {
  name: string;
  provider: string;
}

/**
 * How a formation differs from what it should be, by its provider's drift
 * detection, under the formation's lock (no operation runs meanwhile).
 */
export async function driftOf(ctx: EngineContext, name: string): Promise<FormationDrift> {
  const record = requireRecord(ctx.home, name);
  const provider = findProvider(ctx.registry, record.provider, `formation ${record.name}: provider`);
  if (!provider.drift) {
    throw new NephoError('DRIFT_UNSUPPORTED', `formation ${record.name}: provider ${provider.name} cannot detect drift`);
  }
  const lock = await ctx.store.lock(name, 'drift');
  try {
    return { name: record.name, provider: provider.name, ...(await provider.drift(refOf(record, ctx.store.dir(name)), record.options, ctx.env)) };
  } finally {
    await lock.release();
  }
}
