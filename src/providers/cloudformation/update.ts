import { randomBytes, randomUUID } from 'node:crypto';
import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  ExecuteChangeSetCommand,
  type Change,
  type DescribeChangeSetOutput,
} from '@aws-sdk/client-cloudformation';
import { NephoError } from '../../errors.js';
import type { FormationRef, FormationSpec, OperationContext, Outcome, ProviderOptions, ResourceChange, UpdatePreview } from '../types.js';
import { awsClients, awsError, type AwsClients } from './client.js';
import { newestEventId, pollUntil } from './follow.js';
import { prepareStack } from './prepare.js';
import { currentStack, follow, optionsFor, outcome, secretScrubber, stackRequest, type StackState } from './provider.js';
import { pollInterval } from './aws-config.js';

/** What a preview keeps for `update` and `discard`: the stack, and the change set when one was made. */
export interface ChangeSetState {
  stackId: string;
  changeSetId?: string;
  changeSetName?: string;
}

/** Statuses from which a stack takes an update. */
const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);

/** Stacks whose creation never completed: CloudFormation can only delete them. */
const NEVER_CREATED = new Set(['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'CREATE_FAILED', 'REVIEW_IN_PROGRESS']);

/**
 * Why a stack cannot take an update now, as one user error saying what to do
 * next; undefined when it can. `name` is the formation (and stack) name.
 */
export function updateRefusal(name: string, region: string, status: string | undefined): NephoError | undefined {
  const stack = `stack ${name} in ${region}`;
  if (status === undefined || status === 'DELETE_COMPLETE') {
    return new NephoError('STACK_NOT_FOUND', `${stack} does not exist any more`, {
      hint: `it was deleted outside nepho; nepho formation:destroy ${name} removes the record`,
    });
  }
  if (UPDATABLE.has(status)) return undefined;
  if (status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS') {
    return new NephoError('STACK_BUSY', `${stack} is busy (${status}) and cannot be updated until that ends`, {
      hint: `wait for it to finish, then update again; nepho formation:describe ${name} shows how it stands`,
    });
  }
  if (status === 'UPDATE_ROLLBACK_FAILED') {
    return new NephoError('STACK_NOT_UPDATABLE', `${stack} is in UPDATE_ROLLBACK_FAILED: an earlier update failed, and so did its rollback`, {
      hint: `fix what stopped the rollback (its events say), then \`aws cloudformation continue-update-rollback --stack-name ${name}\` and update again; or nepho formation:destroy ${name}`,
    });
  }
  if (NEVER_CREATED.has(status)) {
    return new NephoError('STACK_NOT_UPDATABLE', `${stack} was never fully created (${status}); it can only be deleted`, {
      hint: `destroy it and create it again: nepho formation:destroy ${name}`,
    });
  }
  if (status === 'DELETE_FAILED') {
    return new NephoError('STACK_NOT_UPDATABLE', `${stack} failed to delete (DELETE_FAILED); it can only be deleted`, {
      hint: `try again: nepho formation:destroy ${name}`,
    });
  }
  return new NephoError('STACK_NOT_UPDATABLE', `${stack} cannot be updated in ${status}`, { hint: `nepho formation:describe ${name} shows how it stands` });
}

/** True when CloudFormation refuses a change set because nothing would change (both ways it says so). */
function nothingToChange(text: string | undefined): boolean {
  return /didn't contain changes|no updates are to be performed/i.test(text ?? '');
}

/** A change set name nepho recognises, unique per request: `nepho-<UTC time>-<random>`. */
function changeSetName(): string {
  return `nepho-${new Date().toISOString().replace(/[^0-9TZ]/g, '')}-${randomBytes(3).toString('hex')}`;
}

/**
 * Preview an update of the formation's stack to `spec` as a change set:
 * the template and parameters sent exactly as create sends them (a secret not
 * given again as UsePreviousValue), then described until CloudFormation has
 * worked it out. A stack that cannot be updated now is refused before any
 * change set is made. When nothing would change, no change set is left
 * behind (`empty`). The change set is the only thing made at the provider;
 * `discardPreview` removes it.
 */
export async function previewUpdate(ref: FormationRef, spec: FormationSpec, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<UpdatePreview> {
  const prepared = prepareStack(spec);
  const { clients, base, region, stack } = await currentStack(ref, options, env, 'previewing the update of');
  const refusal = updateRefusal(ref.name, region, stack?.StackStatus);
  if (refusal) throw refusal;
  const stackId = stack!.StackId!;
  const what = `previewing the update of stack ${ref.name} in ${region}`;
  const scrub = secretScrubber(spec);
  const request = await stackRequest(clients, spec, prepared, what);
  const name = changeSetName();
  let changeSetId: string;
  try {
    const made = await clients.cfn.send(
      new CreateChangeSetCommand({
        // By name: a live stack's name is as unique as its id, and some endpoints (moto) look change set stacks up by name only.
        StackName: stack!.StackName ?? ref.name,
        ChangeSetName: name,
        ChangeSetType: 'UPDATE',
        Description: `nepho: formation ${ref.name} to ${spec.cloudlet.id} ${spec.cloudlet.version}`.slice(0, 1024),
        ...request,
        // A retry of a request that timed out finds this change set instead of making another.
        ClientToken: `nepho-${randomUUID()}`,
      }),
    );
    changeSetId = made.Id!;
  } catch (error) {
    // Some endpoints refuse at once instead of making a change set that fails.
    if ((error as { name?: string }).name === 'ValidationError' && nothingToChange((error as Error).message))
      return { empty: true, changes: [], state: { stackId } };
    throw awsError(error, what, clients.settings, scrub);
  }
  const state: ChangeSetState = { stackId, changeSetId, changeSetName: name };

  let described: DescribeChangeSetOutput;
  try {
    described = await pollUntil(
      () => clients.poll.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackId })),
      (cs) => cs.Status !== 'CREATE_PENDING' && cs.Status !== 'CREATE_IN_PROGRESS',
      base,
    );
  } catch (error) {
    await deleteChangeSet(clients, ref.name, state).catch(() => undefined);
    throw awsError(error, what, clients.settings, scrub);
  }
  if (described.Status !== 'CREATE_COMPLETE') {
    await deleteChangeSet(clients, ref.name, state);
    if (nothingToChange(described.StatusReason)) return { empty: true, changes: [], state: { stackId } };
    throw new NephoError(
      'CHANGE_SET_FAILED',
      `${what}: CloudFormation could not make the change set (${described.Status}: ${scrub(described.StatusReason ?? 'no reason given')})`,
      {
        hint: 'nothing was changed; fix what the reason says (often the template or a parameter) and update again',
      },
    );
  }
  let changes: Change[];
  try {
    changes = await allChanges(clients, described, stackId);
  } catch (error) {
    await deleteChangeSet(clients, ref.name, state).catch(() => undefined);
    throw awsError(error, what, clients.settings, scrub);
  }
  return { empty: false, changes: changes.flatMap(resourceChange), state: { ...state } };
}

/** Every change of a complete change set: DescribeChangeSet pages them. */
async function allChanges(clients: AwsClients, first: DescribeChangeSetOutput, stackId: string): Promise<Change[]> {
  const changes = [...(first.Changes ?? [])];
  for (let token = first.NextToken; token;) {
    const page = await clients.cfn.send(new DescribeChangeSetCommand({ ChangeSetName: first.ChangeSetId, StackName: stackId, NextToken: token }));
    changes.push(...(page.Changes ?? []));
    token = page.NextToken;
  }
  return changes;
}

const ACTIONS = new Set<string>(['Add', 'Modify', 'Remove', 'Import', 'Dynamic']);
const REPLACEMENTS = new Set<string>(['True', 'False', 'Conditional']);

/** A change set's resource change as the preview lists it; an action newer than nepho shows as Modify, not hidden. */
function resourceChange(change: Change): ResourceChange[] {
  const rc = change.ResourceChange;
  if (change.Type !== 'Resource' || !rc?.LogicalResourceId) return [];
  const action = ACTIONS.has(rc.Action ?? '') ? (rc.Action as ResourceChange['action']) : 'Modify';
  return [
    {
      action,
      resource: rc.LogicalResourceId,
      ...(rc.ResourceType ? { type: rc.ResourceType } : {}),
      ...(REPLACEMENTS.has(rc.Replacement ?? '') ? { replacement: rc.Replacement as ResourceChange['replacement'] } : {}),
    },
  ];
}

/** The change set a preview made, read defensively (a plan is data that crossed a process boundary). */
function changeSetOf(preview: UpdatePreview): ChangeSetState {
  const { stackId, changeSetId, changeSetName: name } = preview.state;
  if (typeof stackId !== 'string' || stackId === '') throw new Error('cloudformation update: the preview names no stack');
  return {
    stackId,
    ...(typeof changeSetId === 'string' && changeSetId !== '' ? { changeSetId } : {}),
    ...(typeof name === 'string' && name !== '' ? { changeSetName: name } : {}),
  };
}

/**
 * Apply a previewed update: execute its change set, then follow the stack's
 * update to its end. Events of earlier operations (an earlier update also
 * began with UPDATE_IN_PROGRESS) are history and are not shown. Only
 * UPDATE_COMPLETE is success; a rollback ends not ok, with the failed
 * resources and their reasons (secret values given for this update masked).
 */
export async function applyUpdate(ref: FormationRef, spec: FormationSpec, preview: UpdatePreview, ctx: OperationContext): Promise<Outcome> {
  const { stackId, changeSetId } = changeSetOf(preview);
  if (!changeSetId) throw new Error('cloudformation update: the preview has no change set to apply');
  const clients = awsClients(optionsFor(ref, ctx.options), ctx.env);
  const { region } = clients.settings;
  const what = `updating stack ${ref.name} in ${region}`;
  const scrub = secretScrubber(spec);
  const before: string[] = [];
  try {
    const newest = await newestEventId(clients.cfn, stackId);
    if (newest) before.push(newest);
    await clients.cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackId, ClientRequestToken: `nepho-${randomUUID()}` }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'InvalidChangeSetStatusException' || name === 'ChangeSetNotFoundException') {
      throw new NephoError('CHANGE_SET_STALE', `${what}: the previewed change set can no longer be applied (${scrub((error as Error).message)})`, {
        hint: `the stack changed since the preview, or the change set was deleted; nothing was applied: run nepho formation:update ${ref.name} again`,
        cause: error,
      });
    }
    throw awsError(error, what, clients.settings, scrub);
  }
  const state: StackState = { stackId, stackName: ref.name, region };
  ctx.accepted({ ...state });

  const followed = await follow(clients, stackId, 'update', 'UPDATE_IN_PROGRESS', pollInterval(ctx.env), ctx, scrub, what, before);
  return outcome(followed, state, (s) => s === 'UPDATE_COMPLETE');
}

/** Drop a preview's change set; one already gone (executed, or deleted elsewhere) is fine. */
export async function discardPreview(ref: FormationRef, preview: UpdatePreview, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const state = changeSetOf(preview);
  if (!state.changeSetId) return;
  await deleteChangeSet(awsClients(optionsFor(ref, options), env), ref.name, state);
}

async function deleteChangeSet(clients: AwsClients, name: string, state: ChangeSetState): Promise<void> {
  try {
    await clients.cfn.send(new DeleteChangeSetCommand({ ChangeSetName: state.changeSetId, StackName: state.stackId }));
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e.name === 'ChangeSetNotFoundException' || (e.name === 'ValidationError' && /does not exist/i.test(e.message ?? ''))) return;
    throw awsError(error, `deleting change set ${state.changeSetName ?? state.changeSetId} of stack ${name} in ${clients.settings.region}`, clients.settings);
  }
}
