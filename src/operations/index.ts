/**
 * The operation engine, as its hosts use it: the command line, the nanny, a
 * server. Everything a formation command needs is here, so a command loads
 * this one module when it runs.
 */
import type { NephoHome } from '../home.js';
import { configuredPlugins } from '../plugins.js';
import type { ProviderOptions } from '../providers/types.js';
import { ServerClient } from '../remote/client.js';
import { serverInUse } from '../remote/config.js';
import * as remote from '../remote/operations.js';
import { formationHistory as localHistory, type HistoryEntry } from './history.js';
import { listFormations as localList, type FormationListing, type ListingProblem } from './inventory.js';
import {
  describeFormation as localDescribe,
  driftOf as localDrift,
  formationUrlOf as localUrl,
  sshCommandFor as localSsh,
  type FormationDescription,
  type FormationDrift,
  type SshCommand,
  type SshRequest,
} from './query.js';
import { runOperation as localRun, watchOperation as localWatch } from './run.js';
import { localStore } from './store.js';
import type { EngineContext, OperationIo, OperationRequest, OperationResult, RunMode } from './types.js';

export { writeRendered } from '../formations/render.js';
export type { FormationListing, ListingProblem } from './inventory.js';
export { dryRunCreate } from './plan.js';
export type { FormationDescription, FormationDrift, SshCommand, SshRequest } from './query.js';
export type { HistoryEntry } from './history.js';
export { executePlan } from './run.js';
export { openInBrowser } from '../formations/access.js';
export { runSsh, shellCommandLine, sshDestination } from '../formations/ssh.js';
export type * from './types.js';

/**
 * The engine's context for a command: formations under `$NEPHO_HOME`, the
 * built-in providers and configured plugins, and the team server in use
 * (`NEPHO_SERVER`, or the remote chosen with remote:use), unless `local`.
 * The functions below go through that server when there is one, so the
 * commands are the same either way.
 */
export interface CommandContext extends EngineContext {
  server?: ServerClient;
}

/** The engine's context on this machine (and the team server in use, unless `local`). */
export async function engineContext(home: NephoHome, env: NodeJS.ProcessEnv, options: { local?: boolean } = {}): Promise<CommandContext> {
  const server = options.local ? undefined : serverInUse(home, env);
  return { home, store: localStore(home), registry: await configuredPlugins(home), env, ...(server ? { server: new ServerClient(server) } : {}) };
}

/** Plan and carry a request: see run.ts; through the team server when one is in use. */
export function runOperation(ctx: CommandContext, request: OperationRequest, io: OperationIo, run: RunMode): Promise<OperationResult> {
  return ctx.server ? remote.runRemote(ctx, ctx.server, request, io, run) : localRun(ctx, request, io, run);
}

/** Replay a formation's latest operation and follow it to its end, here or on the team server. */
export function watchOperation(ctx: CommandContext, name: string, io: OperationIo, signal?: AbortSignal): Promise<OperationResult> {
  return ctx.server ? remote.watchRemote(ctx.server, name, io, signal) : localWatch(ctx, name, io, signal);
}

/** Formations: this machine's and those found at the providers, or the team server's. */
export function listFormations(ctx: CommandContext, options: ProviderOptions): Promise<{ formations: FormationListing[]; problems: ListingProblem[] }> {
  return ctx.server ? remote.listRemote(ctx, ctx.server) : localList(ctx, options);
}

/** Describe a formation, as its provider sees it now, or as the team server records it. */
export function describeFormation(ctx: CommandContext, name: string, options: ProviderOptions): Promise<FormationDescription> {
  return ctx.server ? remote.describeRemote(ctx, ctx.server, name) : localDescribe(ctx, name, options);
}

/** A formation's operations, newest first, from its journal here or from the team server. */
export function formationHistory(ctx: CommandContext, name: string): Promise<HistoryEntry[]> {
  return ctx.server ? remote.historyRemote(ctx.server, name) : localHistory(ctx, name);
}

/** A formation's URL, from its provider's outputs here or on the team server. */
export function formationUrlOf(ctx: CommandContext, name: string): Promise<string> {
  return ctx.server ? remote.urlRemote(ctx.server, name) : localUrl(ctx, name);
}

/** An ssh command to a formation; through a team server, the endpoint is the server's and ssh still runs here. */
export function sshCommandFor(ctx: CommandContext, request: SshRequest): Promise<SshCommand> {
  return ctx.server ? localSsh(ctx, request, remote.sshTargetOn(ctx.server)) : localSsh(ctx, request);
}

/** A formation's drift, checked by its provider here or on the team server. */
export function driftOf(ctx: CommandContext, name: string): Promise<FormationDrift> {
  return ctx.server ? remote.driftRemote(ctx.server, name) : localDrift(ctx, name);
}
