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
import type { DriftReport, FormationState, Provider, ProviderOptions, SshEndpoint } from '../providers/types.js';
import { errorEntry } from './execute.js';
import { findFormation } from './inventory.js';
import { installedVersion, type InstalledVersion } from './installed-version.js';
import type { EngineContext } from './types.js';

/** A formation as `formation:describe` shows it. Secret parameters appear by name, masked. */
export interface FormationDescription {
  name: string;
  status: string;
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

/** A user error as data: what a team server answers instead of a URL or an ssh endpoint it cannot give. */
export interface ReachProblem {
  code: string;
  message: string;
  hint?: string;
}

/** How a formation is reached now, or why it cannot be: what `formation:open` and `formation:ssh` need. */
export interface FormationReach {
  url: { url: string } | { error: ReachProblem };
  ssh: { endpoint: SshEndpoint } | { error: ReachProblem };
}

/** A formation described, with how it is reached: what a team server answers for `formation:describe`, `open` and `ssh`. */
export interface DescribedFormation {
  formation: FormationDescription;
  reach: FormationReach;
}

/** The outcome of `work`, a failure kept as data (a bug as OPERATION_CRASHED, as the engine keeps it). */
async function settle<T>(work: () => Promise<T>): Promise<T | { error: ReachProblem }> {
  try {
    return await work();
  } catch (error) {
    return { error: errorEntry(error) };
  }
}

/**
 * Describe a formation whose record is known (this machine's, or a team
 * server's) as its provider sees it now, with its URL and ssh endpoint or
 * why each cannot be had: one provider call for all of them.
 */
export async function describeRecord(ctx: EngineContext, record: FormationRecord): Promise<DescribedFormation> {
  const provider = findProvider(ctx.registry, record.provider, `formation ${record.name}: provider`);
  const ref = refOf(record, ctx.store.dir(record.name));
  const state = await provider.describe(ref, record.options, ctx.env);
  const ssh = await settle(async () => ({ endpoint: await formationSshEndpoint(record, ref, provider, ctx.env, state) }));
  const url = await settle(async () => ({ url: urlFrom(record, state) }));
  return {
    formation: {
      name: record.name,
      status: state.exists ? state.status : 'GONE',
      inProgress: state.inProgress,
      cloudlet: record.cloudlet,
      version: record.version,
      commit: record.commit ?? null,
      installed: installedVersion(ctx.home, record.cloudlet, record.version),
      scenario: record.scenario,
      provider: record.provider,
      createdAt: record.createdAt,
      url: formationUrl(record, state.outputs) ?? null,
      // Not reachable yet (or not by ssh at all): describe still shows everything else.
      ssh: 'endpoint' in ssh ? endpointText(ssh.endpoint) : null,
      parameters: { ...record.parameters, ...Object.fromEntries(record.secrets.map((s) => [s, SECRET_ANSWER])) },
      outputs: state.outputs,
      resources: state.resources,
    },
    reach: { url, ssh },
  };
}

/** Describe a formation (this machine's, or a teammate's found by its tags) as its provider sees it now. */
export async function describeFormation(ctx: EngineContext, name: string, options: ProviderOptions): Promise<FormationDescription> {
  return (await describeRecord(ctx, await findFormation(ctx, name, options))).formation;
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

function noUrl(record: FormationRecord): NephoError {
  return new NephoError('NO_URL', `formation ${record.name}: scenario ${record.scenario} of ${record.cloudlet} declares no access.url`);
}

/**
 * The formation's URL from its state: the scenario's `access.url` filled
 * from its outputs and parameters, checked to be http or https. A user
 * error says what is missing (no access.url, an output without a value yet).
 */
function urlFrom(record: FormationRecord, state: FormationState): string {
  const template = record.access.url;
  if (template === undefined) throw noUrl(record);
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

/** The URL of a formation recorded on this machine (see urlFrom); a scenario without one is refused before the provider is asked. */
export async function formationUrlOf(ctx: EngineContext, name: string): Promise<string> {
  const record = requireRecord(ctx.home, name);
  if (record.access.url === undefined) throw noUrl(record);
  const provider = findProvider(ctx.registry, record.provider, `formation ${record.name}: provider`);
  return urlFrom(record, await provider.describe(refOf(record, ctx.store.dir(record.name)), record.options, ctx.env));
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

/** Where a formation's ssh connection goes: this machine's record and provider, or a team server's answer. */
export interface SshTarget {
  /** The formation's name and when it was made: its host keys are remembered under both. */
  formation: Pick<FormationRecord, 'name' | 'createdAt'>;
  endpoint: SshEndpoint;
  /** The directory its ssh config file is written in. */
  configDir: string;
}

/** A formation recorded on this machine: its endpoint from the provider or the scenario's `access.ssh`. */
async function localSshTarget(ctx: EngineContext, name: string): Promise<SshTarget> {
  const record = requireRecord(ctx.home, name);
  const provider = findProvider(ctx.registry, record.provider, `formation ${record.name}: provider`);
  const endpoint = await formationSshEndpoint(record, refOf(record, ctx.store.dir(record.name)), provider, ctx.env);
  return { formation: record, endpoint, configDir: ctx.store.dir(record.name) };
}

/**
 * Prepare an ssh connection to a formation: arguments checked first (so
 * nothing is asked of the provider or a server for a command that cannot
 * run), then the endpoint from `target` (this machine's formation unless
 * given), written into the formation's ssh config file.
 */
export async function sshCommandFor(
  ctx: EngineContext,
  request: SshRequest,
  target: (ctx: EngineContext, name: string) => Promise<SshTarget> = localSshTarget,
): Promise<SshCommand> {
  ctx.store.dir(request.name); // checks the name
  const identityFile = request.identity === undefined ? undefined : checkIdentityFile(request.identity);
  const user = request.user === undefined ? undefined : checkSshUser(request.name, '--user', request.user);
  const connectTimeout = request.connectTimeout === undefined ? DEFAULT_CONNECT_TIMEOUT : checkConnectTimeout(request.connectTimeout);
  const program = request.print ? 'ssh' : systemSsh(ctx.env);
  const { formation, endpoint, configDir } = await target(ctx, request.name);
  if (user !== undefined) endpoint.user = user;
  const input = { formation: formation.name, endpoint, instance: formationInstance(formation), connectTimeout, ...(identityFile ? { identityFile } : {}) };
  const configFile = writeSshConfig(ctx.home, input, configDir);
  const printed = printedSsh({ ...input, knownHostsFile: knownHostsFile(ctx.home) }, request.command);
  return { program, argv: sshArgv(configFile, formation.name, request.command, connectTimeout), endpoint, connectTimeout, printed };
}

/** A formation's drift, with what it is about. */
export interface FormationDrift extends DriftReport {
  name: string;
  provider: string;
}

/** The formation's provider, when it can detect drift. */
function driftProvider(ctx: EngineContext, record: FormationRecord): Provider & Required<Pick<Provider, 'drift'>> {
  const provider = findProvider(ctx.registry, record.provider, `formation ${record.name}: provider`);
  if (!provider.drift) {
    throw new NephoError('DRIFT_UNSUPPORTED', `formation ${record.name}: provider ${provider.name} cannot detect drift`);
  }
  return provider as Provider & Required<Pick<Provider, 'drift'>>;
}

/** How a formation whose record is known differs from what it should be, by its provider's drift detection (the caller sees to the lock). */
export async function driftOfRecord(ctx: EngineContext, record: FormationRecord): Promise<FormationDrift> {
  const provider = driftProvider(ctx, record);
  return { name: record.name, provider: provider.name, ...(await provider.drift(refOf(record, ctx.store.dir(record.name)), record.options, ctx.env)) };
}

/**
 * How a formation of this machine differs from what it should be, under
 * the formation's lock (no operation runs meanwhile).
 */
export async function driftOf(ctx: EngineContext, name: string): Promise<FormationDrift> {
  const record = requireRecord(ctx.home, name);
  driftProvider(ctx, record);
  const lock = await ctx.store.lock(name, 'drift');
  try {
    return await driftOfRecord(ctx, record);
  } finally {
    await lock.release();
  }
}
