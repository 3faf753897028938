import {
  DescribeStackDriftDetectionStatusCommand,
  DetectStackDriftCommand,
  paginateDescribeStackResourceDrifts,
  type DescribeStackDriftDetectionStatusOutput,
  type StackResourceDrift,
} from '@aws-sdk/client-cloudformation';
import { NephoError } from '../../errors.js';
import type { DriftReport, FormationRef, ProviderOptions } from '../types.js';
import { awsError, cloudformationEndpoint, isUnsupportedAction, type AwsClients } from './client.js';
import { pollUntil } from './follow.js';
import { currentStack } from './provider.js';

/**
 * How the formation's stack differs from its template and parameters, by
 * CloudFormation's drift detection: DetectStackDrift, its status polled at
 * the follow loop's pace until it is done, then the resources found MODIFIED
 * or DELETED with their property differences (expected → actual). The stack
 * is described first, so a stack that is gone is said as such, and an
 * endpoint that then fails DetectStackDrift as not offering it does not
 * support drift detection (DRIFT_UNSUPPORTED). A detection that failed for
 * some resources still reports those found drifted; when it found none, it
 * cannot say the stack is in sync and is an error.
 */
export async function detectDrift(ref: FormationRef, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<DriftReport> {
  const { clients, base, region, what, stack } = await currentStack(ref, options, env, 'checking the drift of');
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') {
    throw new NephoError('STACK_NOT_FOUND', `stack ${ref.name} does not exist in ${region} any more`, {
      hint: `it was deleted outside nepho; nepho formation:destroy ${ref.name} removes the record`,
    });
  }
  const stackId = stack.StackId!;
  let detectionId: string;
  try {
    detectionId = (await clients.cfn.send(new DetectStackDriftCommand({ StackName: stackId }))).StackDriftDetectionId!;
  } catch (error) {
    if (isUnsupportedAction(error)) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new NephoError(
        'DRIFT_UNSUPPORTED',
        `${cloudformationEndpoint(clients.settings)} does not support drift detection (DetectStackDrift answered${status ? ` HTTP ${status}` : ''} without a result)`,
        {
          hint: 'drift detection needs AWS CloudFormation itself; local emulators do not offer it',
          cause: error,
        },
      );
    }
    throw awsError(error, what, clients.settings);
  }

  let status: DescribeStackDriftDetectionStatusOutput;
  let drifts: StackResourceDrift[];
  try {
    status = await pollUntil(
      () => clients.poll.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: detectionId })),
      (s) => s.DetectionStatus !== 'DETECTION_IN_PROGRESS',
      base,
    );
    const inSync = status.DetectionStatus === 'DETECTION_COMPLETE' && status.StackDriftStatus === 'IN_SYNC';
    drifts = inSync ? [] : await driftedResources(clients, stackId);
  } catch (error) {
    throw awsError(error, what, clients.settings);
  }
  if (status.DetectionStatus !== 'DETECTION_COMPLETE' && drifts.length === 0) {
    throw new NephoError(
      'DRIFT_DETECTION_FAILED',
      `${what}: CloudFormation could not check every resource (${status.DetectionStatus ?? 'no status'}: ${status.DetectionStatusReason ?? 'no reason given'})`,
      {
        hint: 'resources it could not check may have drifted; see the reason, and try again later',
      },
    );
  }
  return {
    drifted: drifts.length > 0 || status.StackDriftStatus === 'DRIFTED',
    resources: drifts.map((d) => ({
      resource: d.LogicalResourceId ?? '',
      ...(d.ResourceType ? { type: d.ResourceType } : {}),
      status: d.StackResourceDriftStatus ?? 'UNKNOWN',
      differences: (d.PropertyDifferences ?? []).map((p) => ({
        path: p.PropertyPath ?? '',
        ...(p.ExpectedValue === undefined ? {} : { expected: p.ExpectedValue }),
        ...(p.ActualValue === undefined ? {} : { actual: p.ActualValue }),
        ...(p.DifferenceType === undefined ? {} : { kind: p.DifferenceType }),
      })),
    })),
  };
}

/** The stack's resources found modified or deleted by the latest detection, every page. */
async function driftedResources(clients: AwsClients, stackId: string): Promise<StackResourceDrift[]> {
  const all: StackResourceDrift[] = [];
  const pages = paginateDescribeStackResourceDrifts({ client: clients.cfn }, { StackName: stackId, StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'] });
  for await (const page of pages) all.push(...(page.StackResourceDrifts ?? []));
  return all;
}
