/**
 * The formation commands through a team server. Everything a person decides
 * happens here, on the client: a create's parameters are resolved (asked for
 * when missing) and checked against the cloudlet installed on this machine,
 * and its plan shown; an update is previewed by the server and agreed to
 * here before it is applied; a destroy is agreed to here. The server checks
 * everything again and carries the operation; this machine follows its
 * events, re-attaching when the connection drops, from any machine.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError } from '../errors.js';
import { checkSshEndpoint } from '../formations/ssh.js';
import { describePlan } from '../formations/plan.js';
import type { FormationListing, ListingProblem } from '../operations/inventory.js';
import { installedVersion } from '../operations/installed-version.js';
import type { HistoryEntry } from '../operations/history.js';
import { given, prepareCreate, resolveUpdate } from '../operations/plan.js';
import type { DescribedFormation, FormationDescription, FormationDrift, ReachProblem, SshTarget } from '../operations/query.js';
import type {
  CreateRequest,
  EngineContext,
  OperationIo,
  OperationMessage,
  OperationRequest,
  OperationResult,
  Question,
  RunMode,
  UpdateRequest,
} from '../operations/types.js';
import { findInstalled } from '../cloudlets/installed.js';
import { parseFlag, readParamsFile } from '../scenarios/resolve.js';
import type { FormationView } from '../server/app.js';
import type { OperationBody, OperationView, ParameterValue } from '../server/operations.js';
import type { ServerClient } from './client.js';

/** `GET /v1/formations/{name}`. */
interface FormationAnswer {
  formation: FormationView | null;
  history: HistoryEntry[];
  operations: OperationView[];
}

const ACTIVE = new Set(['queued', 'running']);

function notice(io: OperationIo, text: string): void {
  io.notify({ kind: 'notice', time: new Date().toISOString(), text });
}

/** Ask, and end the operation when the answer is no. */
async function agree(io: OperationIo, question: Question): Promise<void> {
  if (!(await io.confirm(question))) throw new NephoError('CANCELLED', 'cancelled; nothing was changed');
}

/** One formation as the server has it; FORMATION_NOT_FOUND (the server's words) when it has none. */
async function formationOn(client: ServerClient, name: string): Promise<FormationAnswer> {
  return client.get<FormationAnswer>(`/v1/formations/${encodeURIComponent(name)}`);
}

/**
 * Follow an operation's events from the start, each handed to `io` once,
 * to its end (its result, as the server recorded it), or until `signal`
 * aborts or, with `untilAccepted`, the provider has accepted it (detached).
 */
async function followOperation(
  client: ServerClient,
  op: Pick<OperationView, 'id' | 'kind' | 'formation'>,
  io: OperationIo,
  options: { signal?: AbortSignal; untilAccepted?: boolean; skip?: (message: OperationMessage) => boolean } = {},
): Promise<OperationResult> {
  const accepted = new AbortController();
  const signals = [...(options.signal ? [options.signal] : []), accepted.signal];
  let wasAccepted = false;
  const followed = await client.follow(
    op.id,
    0,
    ({ entry }) => {
      if (!options.skip?.(entry)) io.notify(entry);
      if (entry.kind === 'accepted') {
        wasAccepted = true;
        if (options.untilAccepted) accepted.abort();
      }
    },
    { signal: AbortSignal.any(signals), onReattach: (why) => notice(io, `lost the connection to ${client.what} (${why}); re-attaching ...`) },
  );
  if (followed.kind === 'detached') return { outcome: 'detached', kind: op.kind, name: op.formation, accepted: wasAccepted, server: client.server.url };
  const ended = await client.get<OperationView>(`/v1/operations/${encodeURIComponent(op.id)}`);
  return (
    ended.result ?? {
      outcome: 'errored',
      kind: op.kind,
      name: op.formation,
      error: { code: 'OPERATION_LOST', message: `operation ${op.id} on ${client.what} ended (${followed.state}) without a result` },
    }
  );
}

/** Send a request; the operation the server started for it. */
async function submit(client: ServerClient, body: OperationBody, io: OperationIo): Promise<OperationView> {
  const op = await client.post<OperationView>('/v1/operations', body);
  notice(io, `${body.kind} of ${body.formation} sent to ${client.what}: operation ${op.id}`);
  return op;
}

/** A question the server could not ask (it names the answer it needs), read from its error. */
function unaskedQuestion(result: OperationResult): Question | undefined {
  if (result.outcome !== 'errored' || result.error.code !== 'CONFIRMATION_REQUIRED') return undefined;
  const m = /^(.*\?) The server cannot ask: .*"confirm": \["([a-z]+)"\]/s.exec(result.error.message);
  return m ? { id: m[2]!, text: m[1]! } : undefined;
}

/** A create's request to the server: resolved, checked and shown here; the cloudlet named with its exact commit. */
async function createBody(ctx: EngineContext, client: ServerClient, request: CreateRequest, io: OperationIo): Promise<OperationBody> {
  const { prepared, plan } = await prepareCreate(ctx, request, io);
  const cloudlet = prepared.cloudlet.record;
  if (cloudlet.develop || !cloudlet.commit) {
    throw new NephoError(
      'CLOUDLET_UNPUBLISHED',
      `${cloudlet.id} is installed from ${cloudlet.source}, without a commit a registry pins: ${client.what} installs cloudlets only from its registries`,
      {
        hint: `install it from a registry the server uses (nepho cloudlet:install ${cloudlet.id}), or pass --local to create it on this machine`,
      },
    );
  }
  const shown = describePlan(prepared);
  notice(
    io,
    `Plan: formation ${shown.name} from ${shown.cloudlet.name} ${shown.cloudlet.version} (commit ${cloudlet.commit.slice(0, 12)}), scenario ${shown.scenario.name}, provider ${shown.provider}, on ${client.what}`,
  );
  const given = shown.parameters.filter((p) => p.value !== null);
  if (given.length > 0) notice(io, `Parameters: ${given.map((p) => `${p.name}=${String(p.value)} (${p.source})`).join(', ')}`);
  const parameters = Object.fromEntries(prepared.resolution.parameters.filter((p) => p.value !== undefined).map((p) => [p.spec.name, p.value!]));
  return {
    kind: 'create',
    formation: plan.record.name,
    cloudlet: cloudlet.id,
    commit: cloudlet.commit,
    scenario: prepared.scenario.name,
    provider: prepared.provider.name,
    parameters,
    options: request.options,
  };
}

/** `-p` flags and `--params-file` files as values, flags last (they win), as the engine reads them. */
function givenValues(params: string[], paramsFiles: string[]): Record<string, string | number | boolean> {
  const flags = params.map(parseFlag);
  const values: Record<string, string | number | boolean> = {};
  for (const file of paramsFiles.map(readParamsFile)) {
    for (const [key, value] of Object.entries(file.values)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new NephoError('BAD_PARAMETER', `${file.path}: ${key} must be a string, number or boolean`);
      }
      values[key] = value;
    }
  }
  for (const { key, value } of flags) values[key] = value;
  return values;
}

/** The cloudlet commit installed here, for an update to move the formation to (as a local update would). */
function installedCommit(ctx: EngineContext, cloudlet: string | null): { cloudlet: string; commit: string } | undefined {
  if (!cloudlet) return undefined;
  const installed = findInstalled(ctx.home, cloudlet)?.record;
  return installed?.commit && !installed.develop ? { cloudlet, commit: installed.commit } : undefined;
}

/**
 * An update's values, resolved here against the cloudlet version it moves
 * to, as a local update resolves them: the parameters that version adds are
 * asked for (or refused in one line without a terminal or with --no-input).
 * What was found or given here is sent (flags, files, answers, saved
 * values); what was deployed and the defaults the server finds itself.
 */
async function updateValues(ctx: EngineContext, f: FormationView, request: UpdateRequest, io: OperationIo): Promise<Record<string, ParameterValue>> {
  if (!f.cloudlet || !f.scenario || !f.provider) return givenValues(request.params, request.paramsFiles);
  const deployed = { name: f.name, cloudlet: f.cloudlet, scenario: f.scenario, provider: f.provider, parameters: f.parameters, secrets: f.secrets };
  const { prepared } = await resolveUpdate(ctx, deployed, request, io);
  return Object.fromEntries(
    prepared.resolution.parameters.filter((p) => p.value !== undefined && (given(p.origin) || p.origin === 'saved')).map((p) => [p.spec.name, p.value!]),
  );
}

/**
 * An update: previewed by the server (nothing applied), the preview shown
 * and agreed to here, then applied. The preview is not shown again unless
 * the server's second one differs (someone changed the formation between).
 */
async function remoteUpdate(ctx: EngineContext, client: ServerClient, request: UpdateRequest, io: OperationIo, run: RunMode): Promise<OperationResult> {
  const { formation } = await formationOn(client, request.name);
  if (!formation) throw new NephoError('FORMATION_NOT_FOUND', `no formation named '${request.name}' on ${client.what}`, { hint: 'see nepho formation:list' });
  const moveTo = installedCommit(ctx, formation.cloudlet);
  const body: OperationBody = {
    kind: 'update',
    formation: request.name,
    parameters: moveTo ? await updateValues(ctx, formation, request, io) : givenValues(request.params, request.paramsFiles),
    options: request.options,
    ...(moveTo ?? {}),
  };
  let previewed: string | undefined;
  const preview = await followOperation(client, await submit(client, { ...body, dryRun: true }, io), io, {
    signal: run.signal,
    skip: (m) => {
      if (m.kind === 'preview') previewed = JSON.stringify(m.summary);
      return false;
    },
  });
  if (preview.outcome !== 'previewed' || request.dryRun) return preview;
  await agree(io, { id: 'update', text: `Apply these changes to formation ${request.name}?` });
  const op = await submit(client, body, io);
  return followOperation(client, op, io, {
    untilAccepted: run.mode === 'detach',
    ...(run.signal ? { signal: run.signal } : {}),
    skip: (m) => m.kind === 'preview' && JSON.stringify(m.summary) === previewed,
  });
}

/**
 * Carry a request through the team server: the client's half of every
 * operation, then its events followed as `run` says (`detach`: until the
 * provider accepted it; Ctrl-C detaches; the server carries on).
 */
export async function runRemote(ctx: EngineContext, client: ServerClient, request: OperationRequest, io: OperationIo, run: RunMode): Promise<OperationResult> {
  if (run.mode === 'foreground') {
    throw new NephoError('SERVER_UNSUPPORTED', `--foreground runs the operation in this process, but ${client.what} carries it`, {
      hint: 'pass --local as well to run it on this machine',
    });
  }
  const follow = (op: OperationView) =>
    followOperation(client, op, io, { untilAccepted: run.mode === 'detach', ...(run.signal ? { signal: run.signal } : {}) });
  switch (request.kind) {
    case 'create': {
      const body = await createBody(ctx, client, request, io);
      const result = await follow(await submit(client, body, io));
      // What the provider holds under the name needs a yes the server cannot ask for: asked here, then sent again.
      const question = unaskedQuestion(result);
      if (!question) return result;
      await agree(io, question);
      return follow(await submit(client, { ...body, confirm: [question.id] }, io));
    }
    case 'destroy': {
      const { formation } = await formationOn(client, request.name);
      if (!formation)
        throw new NephoError('FORMATION_NOT_FOUND', `no formation named '${request.name}' on ${client.what}`, { hint: 'see nepho formation:list' });
      await agree(io, {
        id: 'destroy',
        text: `Destroy formation ${formation.name} (${formation.cloudlet ?? '?'}, scenario ${formation.scenario ?? '?'}, ${formation.provider ?? '?'}) on ${client.what}? Everything in it will be deleted.`,
      });
      return follow(await submit(client, { kind: 'destroy', formation: request.name, options: request.options }, io));
    }
    case 'provision': {
      if (request.identity !== undefined) {
        throw new NephoError('SERVER_UNSUPPORTED', `-i names a key on this machine, but ${client.what} logs in with its own`, {
          hint: 'leave -i out, or pass --local to run the bootstrap from this machine',
        });
      }
      return follow(
        await submit(
          client,
          {
            kind: 'provision',
            formation: request.name,
            parameters: givenValues(request.params, []),
            options: request.options,
            ...(request.user ? { user: request.user } : {}),
          },
          io,
        ),
      );
    }
    case 'update':
      return remoteUpdate(ctx, client, request, io, run);
  }
}

/** `formation:watch` through the server: the formation's latest operation, replayed and followed to its end. */
export async function watchRemote(client: ServerClient, name: string, io: OperationIo, signal?: AbortSignal): Promise<OperationResult> {
  const { operations } = await formationOn(client, name);
  const latest = operations[0];
  if (!latest) throw new NephoError('NO_OPERATION', `formation ${name} has no operation to watch on ${client.what}`, { hint: 'see nepho formation:list' });
  return followOperation(client, latest, io, signal ? { signal } : {});
}

/** `formation:list` through the server: every formation it has, with its latest operation. */
export async function listRemote(ctx: EngineContext, client: ServerClient): Promise<{ formations: FormationListing[]; problems: ListingProblem[] }> {
  const { formations } = await client.get<{ formations: FormationView[] }>('/v1/formations');
  return {
    problems: [],
    formations: formations.map((f) => {
      const op = f.lastOperation;
      const listing: FormationListing = {
        name: f.name,
        cloudlet: f.cloudlet ?? '',
        version: f.version,
        newer: f.cloudlet && f.version ? installedVersion(ctx.home, f.cloudlet, f.version).newer : false,
        scenario: f.scenario ?? '',
        provider: f.provider ?? '',
        status: f.status,
        source: 'server',
        exists: true,
      };
      if (op && ACTIVE.has(op.state)) listing.operation = { kind: op.kind, since: op.createdAt, pid: 0, by: `token ${op.startedBy}`, state: 'running' };
      if (op && (op.state === 'failed' || op.state === 'errored')) {
        listing.failed = { operation: op.kind, reason: `operation ${op.id} ${op.state}`, next: `nepho formation:watch ${f.name} shows why` };
      }
      return listing;
    }),
  };
}

/** `GET /v1/formations/{name}/describe`: the formation as the server's provider sees it now, and how it is reached. */
async function describedOn(client: ServerClient, name: string): Promise<DescribedFormation> {
  return client.get<DescribedFormation>(`/v1/formations/${encodeURIComponent(name)}/describe`);
}

/** What the server could not give (a URL, an ssh endpoint), as the error the command line would have thrown. */
function reachError(client: ServerClient, problem: ReachProblem): NephoError {
  return client.refusal(422, { error: problem });
}

/**
 * `formation:describe` through the server: what its provider reports now,
 * as a local describe shows it; which version is installed is this
 * machine's, since an update from here moves to it.
 */
export async function describeRemote(ctx: EngineContext, client: ServerClient, name: string): Promise<FormationDescription> {
  const { formation } = await describedOn(client, name);
  return { ...formation, installed: installedVersion(ctx.home, formation.cloudlet, formation.version) };
}

/** `formation:open` through the server: the URL its provider's outputs fill in. */
export async function urlRemote(client: ServerClient, name: string): Promise<string> {
  const { url } = (await describedOn(client, name)).reach;
  if ('error' in url) throw reachError(client, url.error);
  return url.url;
}

/**
 * `formation:ssh` through the server: the endpoint the server reports,
 * checked here as any value going into an ssh config file is; the config
 * file lives under `$NEPHO_HOME/remote-ssh/NAME` (this machine has no
 * record of the formation), and ssh runs here, with the user's own key.
 */
export function sshTargetOn(client: ServerClient): (ctx: EngineContext, name: string) => Promise<SshTarget> {
  return async (ctx, name) => {
    const { formation, reach } = await describedOn(client, name);
    if ('error' in reach.ssh) throw reachError(client, reach.ssh.error);
    const reported = (field: string) => `the ssh ${field} ${client.what} reported`;
    const endpoint = checkSshEndpoint(name, reach.ssh.endpoint, {
      host: reported('host'),
      port: reported('port'),
      user: reported('user'),
      bastion: reported('bastion host'),
      bastion_port: reported('bastion port'),
      bastion_user: reported('bastion user'),
    });
    const configDir = join(ctx.home.root, 'remote-ssh', name);
    mkdirSync(configDir, { recursive: true, mode: 0o700 });
    return { formation, endpoint, configDir };
  };
}

/** `formation:drift` through the server: its provider's drift check, run there (a long one is waited for up to ten minutes). */
export async function driftRemote(client: ServerClient, name: string): Promise<FormationDrift> {
  return client.post<FormationDrift>(`/v1/formations/${encodeURIComponent(name)}/drift`, {}, { timeoutSeconds: 600 });
}

/** `formation:history` through the server. */
export async function historyRemote(client: ServerClient, name: string): Promise<HistoryEntry[]> {
  return (await formationOn(client, name)).history;
}
