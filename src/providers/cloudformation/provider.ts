import { randomUUID } from 'node:crypto';
import {
  CreateStackCommand,
  DeleteStackCommand,
  paginateDescribeStacks,
  paginateListStackResources,
  type Capability,
  type CreateStackInput,
  type Stack,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { NephoError } from '../../errors.js';
import type {
  DiscoveredFormation,
  Discovery,
  FormationRef,
  FormationSpec,
  FormationState,
  OperationContext,
  Outcome,
  Preflight,
  ProviderOptions,
} from '../types.js';
import { uploadTemplate } from './artifacts.js';
import { pollInterval } from './aws-config.js';
import { awsClients, awsError, type AwsClients } from './client.js';
import { describe, failuresOf, followStack, isSuccess, isTerminal, newestEventId, type FollowResult, type Operation } from './follow.js';
import { prepareStack, type PreparedStack } from './prepare.js';

/** The tag that marks a stack as a nepho formation (its value is the formation's name). */
export const FORMATION_TAG = 'nepho:formation';

/**
 * What a formation's record keeps for the provider: enough to find the stack
 * again from any machine with access to the account.
 */
export interface StackState {
  stackId: string;
  stackName: string;
  region: string;
}

/**
 * Create the stack and follow it to the end. `ctx.accepted` is called once,
 * with the stack id, as soon as CloudFormation has taken the request. A
 * stack of the same name is found by `preflightStack` before; one that
 * appears in between is a STACK_EXISTS error saying how it stands.
 */
export async function createStack(spec: FormationSpec, ctx: OperationContext): Promise<Outcome> {
  const prepared = prepareStack(spec);
  const clients = awsClients(ctx.options, ctx.env);
  const base = pollInterval(ctx.env);
  const scrub = secretScrubber(spec);
  const { region } = clients.settings;
  const what = `creating stack ${spec.name} in ${region}`;
  const request = await stackRequest(clients, spec, prepared, what);
  let stackId: string;
  try {
    const answer = await clients.cfn.send(
      new CreateStackCommand({
        StackName: spec.name,
        ...request,
        // The SDK retries a request that timed out; the token makes a retry find our own stack instead of failing as a duplicate.
        ClientRequestToken: `nepho-${randomUUID()}`,
      }),
    );
    stackId = answer.StackId!;
  } catch (error) {
    if ((error as { name?: string }).name === 'AlreadyExistsException') throw await existingStackError(clients, spec.name);
    throw awsError(error, what, clients.settings, scrub);
  }
  const state: StackState = { stackId, stackName: spec.name, region };
  ctx.accepted({ ...state });

  const followed = await follow(clients, stackId, 'create', 'CREATE_IN_PROGRESS', base, ctx, scrub, what);
  return outcome(followed, state, (s) => s === 'CREATE_COMPLETE');
}

/** What CreateStack and CreateChangeSet both send for a formation. */
export type StackRequest = Pick<CreateStackInput, 'TemplateBody' | 'TemplateURL' | 'Parameters' | 'Tags' | 'Capabilities'>;

/**
 * The template (inline, or through the artifacts bucket when it is too large
 * to send), parameters, tags and capabilities of a prepared stack, the same
 * for a create and for an update's change set. A secret the stack keeps is
 * sent as UsePreviousValue, never as an empty value.
 */
export async function stackRequest(clients: AwsClients, spec: FormationSpec, prepared: PreparedStack, what: string): Promise<StackRequest> {
  let source: { TemplateBody: string } | { TemplateURL: string };
  try {
    source = prepared.viaS3 ? { TemplateURL: (await uploadTemplate(clients, spec.name, prepared.body)).url } : { TemplateBody: prepared.body };
  } catch (error) {
    throw awsError(error, `${what}: uploading the ${prepared.bytes}-byte template to S3`, clients.settings);
  }
  const tags = { [FORMATION_TAG]: spec.name, ...spec.tags };
  return {
    ...source,
    Parameters: prepared.parameters.map((p) =>
      p.previous ? { ParameterKey: p.key, UsePreviousValue: true } : { ParameterKey: p.key, ParameterValue: p.value },
    ),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    Capabilities: prepared.capabilities as Capability[],
  };
}

/**
 * Whether this machine can reach CloudFormation: a region (from --region, the
 * environment or the profile) and credentials the SDK can find. Asks AWS
 * nothing: the credential chain is resolved locally (and from instance
 * metadata on EC2).
 */
export async function awsReady(options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const clients = awsClients(options, env);
  try {
    await clients.cfn.config.credentials();
  } catch (error) {
    throw awsError(error, `using CloudFormation in ${clients.settings.region}`, clients.settings);
  }
}

/**
 * What holds the stack name of a formation about to be created: nothing, a
 * stack an earlier attempt left in ROLLBACK_COMPLETE (it can only be deleted:
 * recreate), a create under way (adopt it), or anything else (refuse).
 */
export async function preflightStack(ref: FormationRef, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<Preflight | undefined> {
  const clients = awsClients(optionsFor(ref, options), env);
  let stack: Stack | undefined;
  try {
    stack = await describe(clients.cfn, ref.name);
  } catch (error) {
    throw awsError(error, `looking for stack ${ref.name} in ${clients.settings.region}`, clients.settings);
  }
  return stack ? standing(stack, ref.name, clients.settings.region) : undefined;
}

/** How a stack that holds the name stands in the way of a create; undefined when it does not (deleted). */
function standing(stack: Stack, name: string, region: string): Preflight | undefined {
  const status = stack.StackStatus ?? 'UNKNOWN';
  if (status === 'DELETE_COMPLETE') return undefined;
  if (status === 'ROLLBACK_COMPLETE') {
    return { action: 'recreate', reason: `stack ${name} in ${region} is left in ROLLBACK_COMPLETE by an earlier attempt; it can only be deleted` };
  }
  if (status === 'CREATE_IN_PROGRESS') return { action: 'adopt', reason: `stack ${name} in ${region} is already being created (${status})` };
  if (status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS') {
    return {
      action: 'refuse',
      reason: `stack ${name} already exists in ${region} and is busy (${status})`,
      hint: 'wait for it to finish, or pick another --name',
    };
  }
  return {
    action: 'refuse',
    reason: `stack ${name} already exists in ${region} (${status})`,
    hint: 'pick another --name, or destroy the formation that has it',
  };
}

/** The error for a name taken between preflight and create (another machine was quicker). */
async function existingStackError(clients: AwsClients, name: string): Promise<NephoError> {
  const { region } = clients.settings;
  let stack: Stack | undefined;
  try {
    stack = await describe(clients.cfn, name);
  } catch (error) {
    throw awsError(error, `describing stack ${name} in ${region}`, clients.settings);
  }
  const found = stack ? standing(stack, name, region) : undefined;
  return new NephoError('STACK_EXISTS', found?.reason ?? `stack ${name} already exists in ${region}`, {
    hint: found?.hint ?? `try again: nepho formation:create will offer what can be done with it`,
  });
}

/**
 * Delete the stack and follow it to the end. The recorded stack id is used
 * when there is one (it still answers once deleted); without it, the stack of
 * that name. A stack already gone is success. DELETE_FAILED lists the
 * resources that remain, each with CloudFormation's reason.
 */
export async function destroyStack(ref: FormationRef, ctx: OperationContext): Promise<Outcome> {
  const { clients, base, region, what, stack } = await currentStack(ref, ctx.options, ctx.env, 'deleting');
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') {
    return { ok: true, status: 'DELETE_COMPLETE', failures: [], state: { ...ref.state, ...(stack ? stateFrom(stack, region) : {}) } };
  }
  const state = stateFrom(stack, region);
  const before: string[] = [];
  if (stack.StackStatus !== 'DELETE_IN_PROGRESS') {
    try {
      // Deleting again after DELETE_FAILED: the failed attempt's events must not pass for this one's.
      const newest = stack.StackStatus === 'DELETE_FAILED' ? await newestEventId(clients.cfn, state.stackId) : undefined;
      if (newest) before.push(newest);
      await clients.cfn.send(new DeleteStackCommand({ StackName: state.stackId, ClientRequestToken: `nepho-${randomUUID()}` }));
    } catch (error) {
      throw awsError(error, what, clients.settings);
    }
  }
  ctx.accepted({ ...state });

  const followed = await follow(clients, state.stackId, 'delete', 'DELETE_IN_PROGRESS', base, ctx, (s) => s, what, before);
  const result = outcome(followed, state, (s) => s === 'DELETE_COMPLETE');
  if (followed.status === 'DELETE_FAILED') result.failures = await remainingResources(clients, state.stackId, followed);
  return result;
}

/**
 * Follow whatever the stack is doing now (a create or destroy started
 * elsewhere), by recorded stack id or by name. Events of the latest operation
 * are shown, from its start. A stack already at rest returns at once.
 */
export async function followExisting(ref: FormationRef, ctx: OperationContext): Promise<Outcome> {
  const { clients, base, region, what, stack } = await currentStack(ref, ctx.options, ctx.env, 'following');
  if (!stack) {
    throw new NephoError('STACK_NOT_FOUND', `stack ${ref.name} does not exist in ${region}`, {
      hint: 'it may have been deleted, or live in another region (--region)',
    });
  }
  const state = stateFrom(stack, region);
  const status = stack.StackStatus ?? 'UNKNOWN';
  const followed = await follow(clients, state.stackId, undefined, status, base, ctx, (s) => s, what);
  const result = outcome(followed, state, isSuccess);
  if (followed.status === 'DELETE_FAILED') result.failures = await remainingResources(clients, state.stackId, followed);
  return result;
}

/** The stack a formation names: by its recorded id (which still answers once the stack is deleted), else by name. */
function stackTarget(ref: FormationRef): string {
  return stateOf(ref).stackId ?? ref.name;
}

/** A formation's stack as it is now, with what it takes to act on it. */
export interface CurrentStack {
  clients: AwsClients;
  /** The poll interval, ms. */
  base: number;
  region: string;
  /** The action, as AWS errors name it (`deleting stack NAME in REGION`). */
  what: string;
  /** Undefined when there is no such stack. */
  stack: Stack | undefined;
}

/**
 * The formation's stack as it is now (undefined when there is none), with the
 * clients and poll interval to act on it. `doing` ("deleting") names the
 * action in AWS errors.
 */
export async function currentStack(ref: FormationRef, options: ProviderOptions, env: NodeJS.ProcessEnv, doing: string): Promise<CurrentStack> {
  const clients = awsClients(optionsFor(ref, options), env);
  const base = pollInterval(env);
  const { region } = clients.settings;
  const what = `${doing} stack ${ref.name} in ${region}`;
  try {
    return { clients, base, region, what, stack: await describe(clients.cfn, stackTarget(ref)) };
  } catch (error) {
    throw awsError(error, what, clients.settings);
  }
}

/** Follow the stack's operation to its end through the poll client; AWS failures become user errors naming `what`. */
export async function follow(
  clients: AwsClients,
  stackId: string,
  operation: Operation | undefined,
  status: string,
  base: number,
  ctx: OperationContext,
  scrub: (s: string) => string,
  what: string,
  before: string[] = [],
): Promise<FollowResult> {
  try {
    return await followStack({
      client: clients.poll,
      stack: stackId,
      status,
      baseInterval: base,
      emit: (e) => ctx.emit(e),
      scrub,
      before,
      ...(operation ? { operation } : {}),
    });
  } catch (error) {
    throw awsError(error, what, clients.settings, scrub);
  }
}

/** How a followed operation ended. */
export function outcome(followed: FollowResult, state: StackState, succeeded: (status: string) => boolean): Outcome {
  const ok = succeeded(followed.status);
  return { ok, status: followed.status, failures: ok ? [] : followed.failures, state: { ...state } };
}

/** After DELETE_FAILED: the resources still there, with the reason each was not deleted. */
async function remainingResources(clients: AwsClients, stackId: string, followed: FollowResult): Promise<Outcome['failures']> {
  const reasons = new Map(failuresOf(followed.events).map((f) => [f.resource, f.reason]));
  let resources: StackResourceSummary[];
  try {
    resources = await listResources(clients, stackId);
  } catch {
    return followed.failures;
  }
  const remaining = resources.filter((r) => r.ResourceStatus !== 'DELETE_COMPLETE' && r.ResourceStatus !== 'DELETE_SKIPPED');
  if (remaining.length === 0) return followed.failures;
  return remaining.map((r) => ({
    resource: r.LogicalResourceId ?? '',
    ...(r.ResourceType ? { type: r.ResourceType } : {}),
    status: r.ResourceStatus ?? 'UNKNOWN',
    reason: r.ResourceStatusReason ?? reasons.get(r.LogicalResourceId ?? '') ?? `not deleted (${r.ResourceStatus ?? 'status unknown'})`,
  }));
}

async function listResources(clients: AwsClients, stackId: string): Promise<StackResourceSummary[]> {
  const all: StackResourceSummary[] = [];
  for await (const page of paginateListStackResources({ client: clients.cfn }, { StackName: stackId })) all.push(...(page.StackResourceSummaries ?? []));
  return all;
}

/** Status, outputs and resources now; `exists: false` once the stack is gone. */
export async function describeStack(ref: FormationRef, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<FormationState> {
  const clients = awsClients(optionsFor(ref, options), env);
  const target = stackTarget(ref);
  const what = `describing stack ${ref.name} in ${clients.settings.region}`;
  try {
    const stack = await describe(clients.cfn, target);
    if (!stack || stack.StackStatus === 'DELETE_COMPLETE') {
      return { exists: false, status: stack?.StackStatus ?? 'NOT_FOUND', inProgress: false, outputs: {}, resources: [] };
    }
    const status = stack.StackStatus ?? 'UNKNOWN';
    const outputs: Record<string, string> = {};
    for (const o of stack.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? '';
    const resources = (await listResources(clients, stack.StackId ?? target)).map((r) => ({
      id: r.LogicalResourceId ?? '',
      type: r.ResourceType ?? '',
      status: r.ResourceStatus ?? '',
      ...(r.PhysicalResourceId ? { physicalId: r.PhysicalResourceId } : {}),
      ...(r.ResourceStatusReason ? { reason: r.ResourceStatusReason } : {}),
    }));
    return { exists: true, status, inProgress: !isTerminal(status), outputs, resources };
  } catch (error) {
    throw awsError(error, what, clients.settings);
  }
}

/**
 * Every stack of the region tagged nepho:formation (a team's formations, made
 * from any machine), deleted ones left out. One DescribeStacks page per 100
 * stacks. A machine with no region or no credentials is not set up for AWS:
 * that is said as data, not thrown.
 */
export async function discoverStacks(options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<Discovery> {
  try {
    return { formations: await listTaggedStacks(options, env) };
  } catch (error) {
    if (error instanceof NephoError && (error.code === 'NO_REGION' || error.code === 'NO_CREDENTIALS')) return { unconfigured: error.message };
    throw error;
  }
}

async function listTaggedStacks(options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<DiscoveredFormation[]> {
  const clients = awsClients(options, env);
  const { region } = clients.settings;
  const found: DiscoveredFormation[] = [];
  try {
    for await (const page of paginateDescribeStacks({ client: clients.cfn }, {})) {
      for (const stack of page.Stacks ?? []) {
        const tags = Object.fromEntries((stack.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
        const name = tags[FORMATION_TAG];
        if (!name || stack.StackStatus === 'DELETE_COMPLETE') continue;
        found.push({
          name,
          status: stack.StackStatus ?? 'UNKNOWN',
          ...(tags['nepho:cloudlet'] ? { cloudlet: tags['nepho:cloudlet'] } : {}),
          ...(tags['nepho:scenario'] ? { scenario: tags['nepho:scenario'] } : {}),
          ...(tags['nepho:version'] ? { version: tags['nepho:version'] } : {}),
          ...(stack.CreationTime ? { createdAt: stack.CreationTime.toISOString() } : {}),
          state: { ...stateFrom(stack, region) },
        });
      }
    }
  } catch (error) {
    throw awsError(error, `listing stacks in ${region}`, clients.settings);
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

function stateFrom(stack: Stack, region: string): StackState {
  return { stackId: stack.StackId!, stackName: stack.StackName!, region };
}

/** The recorded state, read defensively (records are files a person may have edited). */
function stateOf(ref: FormationRef): Partial<StackState> {
  const s = ref.state ?? {};
  return {
    ...(typeof s.stackId === 'string' && s.stackId !== '' ? { stackId: s.stackId } : {}),
    ...(typeof s.region === 'string' && s.region !== '' ? { region: s.region } : {}),
  };
}

/**
 * The options to reach a recorded formation: its stack lives in the recorded
 * region whatever --region says now; the profile is today's, else the recorded one.
 */
export function optionsFor(ref: FormationRef, options: ProviderOptions): ProviderOptions {
  const region = stateOf(ref).region ?? regionOfArn(stateOf(ref).stackId) ?? options.region ?? ref.options?.region;
  const profile = options.profile ?? ref.options?.profile;
  return { ...(region ? { region } : {}), ...(profile ? { profile } : {}) };
}

function regionOfArn(arn: string | undefined): string | undefined {
  return arn?.startsWith('arn:') ? arn.split(':')[3] || undefined : undefined;
}

/** A scrubber for the formation's secret values (a secret the stack keeps is not known here). */
export function secretScrubber(spec: FormationSpec): (text: string) => string {
  return scrubber(
    Object.values(spec.parameters)
      .filter((p) => p.secret && !p.previous)
      .map((p) => String(p.value)),
  );
}

/** Replace secret values in text from AWS (reasons, error messages) before anyone sees it. */
function scrubber(secrets: string[]): (text: string) => string {
  const values = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  return (text) => values.reduce((t, v) => t.split(v).join('****'), text);
}
