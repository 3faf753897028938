import { DescribeStackEventsCommand, DescribeStacksCommand, type CloudFormationClient, type Stack, type StackEvent } from '@aws-sdk/client-cloudformation';
import { sleep } from '../../timers.js';
import type { FormationEvent, Outcome } from '../types.js';
import { isNoSuchStack, isThrottling, isTransient } from './client.js';

/** The kinds of stack operation, by the stack-level status that starts each. */
const STARTS: Record<string, Operation> = {
  CREATE_IN_PROGRESS: 'create',
  DELETE_IN_PROGRESS: 'delete',
  UPDATE_IN_PROGRESS: 'update',
  IMPORT_IN_PROGRESS: 'import',
  REVIEW_IN_PROGRESS: 'review',
};

/** A stack operation, as its events show it. */
export type Operation = 'create' | 'delete' | 'update' | 'import' | 'review';

/**
 * Statuses that end an operation. Everything ending in `_IN_PROGRESS` is under
 * way, except REVIEW_IN_PROGRESS: a stack waiting for a change set to be
 * executed, which only a person can move on.
 */
export function isTerminal(status: string): boolean {
  return !status.endsWith('_IN_PROGRESS') || status === 'REVIEW_IN_PROGRESS';
}

/** The status a successful operation ends in. */
export function isSuccess(status: string): boolean {
  return ['CREATE_COMPLETE', 'DELETE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE'].includes(status);
}

/**
 * The poll loop's pace, all relative to the base interval (2 s; tests set
 * NEPHO_POLL_INTERVAL_MS): base while events arrive, stretching by a quarter
 * per quiet poll after three quiet ones up to 2.5 × base (5 s), doubling on
 * throttling up to 15 × base (30 s), and back to base after the first poll
 * that gets through.
 */
export class PollPace {
  /** The wait before the next poll, ms. */
  interval: number;
  private quiet = 0;
  constructor(readonly base: number) {
    this.interval = base;
  }
  /** A poll got through; `progress` when it brought new events. Any answer ends a throttling backoff. */
  answered(progress: boolean): void {
    this.quiet = progress ? 0 : this.quiet + 1;
    this.interval = this.base * Math.min(1.25 ** Math.max(0, this.quiet - 3), 2.5);
  }
  /** A poll was throttled (or failed for a passing reason): wait longer. */
  refused(): void {
    this.interval = Math.min(this.interval * 2, this.base * 15);
  }
}

/** What a followed operation came to. */
export interface FollowResult {
  /** The last status seen (DELETE_COMPLETE when the stack is gone). */
  status: string;
  /** The stack as last described (absent when it is gone). */
  stack?: Stack;
  /** Every event of the operation that was seen, oldest first. */
  events: StackEvent[];
  failures: Outcome['failures'];
}

/** What the follow loop needs. */
export interface FollowInput {
  /** The client to poll with (one attempt per call). */
  client: CloudFormationClient;
  /** The stack id (preferred: it still answers once the stack is deleted) or name. */
  stack: string;
  /**
   * The operation followed: events before the stack-level event that starts
   * it are history and are not shown. Undefined: the latest operation, whichever it is.
   */
  operation?: Operation;
  /** The status known before the first poll (CreateStack's answer means CREATE_IN_PROGRESS). */
  status: string;
  baseInterval: number;
  emit(event: FormationEvent): void;
  /** Takes secret values out of reasons before they are shown. */
  scrub?: (text: string) => string;
  /** Give up after this many failed polls in a row that were not throttling (network, 5xx). */
  maxFailures?: number;
  /**
   * Ids of events from before the operation, when its start cannot tell them
   * apart (deleting again after DELETE_FAILED: the failed delete also began
   * with DELETE_IN_PROGRESS).
   */
  before?: string[];
}

/**
 * Follow a stack operation to its end: each poll is one DescribeStacks for the
 * status, then one DescribeStackEvents for what is new (newest first, paged
 * only until an event already seen or the start of the operation), emitted
 * oldest first. A terminal status ends the loop at the poll that sees it, so
 * completion is reported within one interval. Throttling backs off instead of
 * failing.
 * Errors other than throttling and passing failures are thrown as the SDK threw them.
 */
export async function followStack(input: FollowInput): Promise<FollowResult> {
  const pace = new PollPace(input.baseInterval);
  const scrub = input.scrub ?? ((s: string) => s);
  const seen = new Set<string>(input.before ?? []);
  const events: StackEvent[] = [];
  let status = input.status;
  let stack: Stack | undefined;
  let failedPolls = 0;
  const result = (): FollowResult => ({ status, ...(stack ? { stack } : {}), events, failures: failuresOf(events, scrub) });

  for (let first = true; ; first = false) {
    if (!first) await sleep(pace.interval);
    let fresh: StackEvent[];
    try {
      const described = await describe(input.client, input.stack);
      fresh = await newEvents(input.client, input.stack, seen, input.operation);
      stack = described;
      status = described?.StackStatus ?? 'DELETE_COMPLETE';
    } catch (error) {
      if (isThrottling(error)) {
        pace.refused();
        continue;
      }
      if (isTransient(error) && ++failedPolls < (input.maxFailures ?? 5)) {
        pace.refused();
        continue;
      }
      throw error;
    }
    failedPolls = 0;
    for (const event of fresh) {
      seen.add(event.EventId!);
      events.push(event);
      input.emit(toFormationEvent(event, scrub));
    }
    pace.answered(fresh.length > 0);
    if (!stack || isTerminal(status)) return result();
  }
}

/**
 * Read something until it says it is done (a change set being made, a drift
 * detection), at the follow loop's pace: the first read at once, then one per
 * interval, throttling backing off instead of failing, and passing failures
 * (network, 5xx) retried up to `maxFailures` in a row. `read` should use a
 * client that tries once (`AwsClients.poll`). Other errors are thrown as the
 * SDK threw them.
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, baseInterval: number, maxFailures = 5): Promise<T> {
  const pace = new PollPace(baseInterval);
  let failedPolls = 0;
  for (let first = true; ; first = false) {
    if (!first) await sleep(pace.interval);
    let value: T;
    try {
      value = await read();
    } catch (error) {
      if (isThrottling(error) || (isTransient(error) && ++failedPolls < maxFailures)) {
        pace.refused();
        continue;
      }
      throw error;
    }
    failedPolls = 0;
    if (done(value)) return value;
    pace.answered(false);
  }
}

/** The id of the stack's newest event, if it has any: what came before an operation about to start. */
export async function newestEventId(client: CloudFormationClient, stack: string): Promise<string | undefined> {
  const page = await client.send(new DescribeStackEventsCommand({ StackName: stack }));
  return page.StackEvents?.[0]?.EventId;
}

/** The stack, or undefined when it does not exist (by name after deletion; a deleted stack's id still answers). */
export async function describe(client: CloudFormationClient, stack: string): Promise<Stack | undefined> {
  try {
    const answer = await client.send(new DescribeStacksCommand({ StackName: stack }));
    return answer.Stacks?.[0];
  } catch (error) {
    if (isNoSuchStack(error)) return undefined;
    throw error;
  }
}

/**
 * Events not seen before, oldest first. Pages are read newest first and only
 * until an event already seen, or the stack-level event that starts the
 * operation (kept): older history costs no calls. When a start of another
 * operation comes first, the followed one has not shown up yet (events lag a
 * little behind the status) and nothing is new.
 */
async function newEvents(client: CloudFormationClient, stack: string, seen: Set<string>, operation: Operation | undefined): Promise<StackEvent[]> {
  const collected: StackEvent[] = [];
  let token: string | undefined;
  pages: do {
    let page;
    try {
      page = await client.send(new DescribeStackEventsCommand({ StackName: stack, ...(token ? { NextToken: token } : {}) }));
    } catch (error) {
      if (isNoSuchStack(error)) return collected.reverse();
      throw error;
    }
    for (const event of page.StackEvents ?? []) {
      if (!event.EventId || seen.has(event.EventId)) break pages;
      const start = operationStarted(event);
      if (start) {
        if (operation === undefined || start === operation) {
          collected.push(event);
          break pages;
        }
        return [];
      }
      collected.push(event);
    }
    token = page.NextToken;
  } while (token);
  return collected.reverse();
}

/** The operation a stack-level event starts, if it starts one. */
function operationStarted(event: StackEvent): Operation | undefined {
  if (event.ResourceType !== 'AWS::CloudFormation::Stack' || event.PhysicalResourceId !== event.StackId) return undefined;
  return STARTS[event.ResourceStatus ?? ''];
}

function isStackLevel(event: StackEvent): boolean {
  return event.ResourceType === 'AWS::CloudFormation::Stack' && event.PhysicalResourceId === event.StackId;
}

/** A stack event as nepho's journal and terminal show it. */
export function toFormationEvent(event: StackEvent, scrub: (text: string) => string = (s) => s): FormationEvent {
  const out: FormationEvent = {
    time: (event.Timestamp ?? new Date()).toISOString(),
    resource: event.LogicalResourceId ?? event.StackName ?? '',
    status: event.ResourceStatus ?? '',
  };
  if (event.ResourceType) out.type = event.ResourceType;
  if (event.ResourceStatusReason) out.reason = scrub(event.ResourceStatusReason);
  if (event.EventId) out.id = event.EventId;
  return out;
}

/**
 * The failed resources of an operation, each once with its first reason (the
 * cause; later ones are mostly "Resource creation cancelled"). The stack's
 * own failure event counts only when no resource failed.
 */
export function failuresOf(events: StackEvent[], scrub: (text: string) => string = (s) => s): Outcome['failures'] {
  const failed = events.filter((e) => (e.ResourceStatus ?? '').endsWith('_FAILED'));
  const resources = failed.filter((e) => !isStackLevel(e));
  const chosen = resources.length > 0 ? resources : failed;
  const byResource = new Map<string, Outcome['failures'][number]>();
  for (const e of chosen) {
    const resource = e.LogicalResourceId ?? '';
    if (byResource.has(resource)) continue;
    byResource.set(resource, {
      resource,
      ...(e.ResourceType ? { type: e.ResourceType } : {}),
      status: e.ResourceStatus!,
      reason: scrub(e.ResourceStatusReason ?? 'no reason given'),
    });
  }
  return [...byResource.values()];
}
