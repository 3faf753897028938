// Following stacks: how many calls a poll costs, stopping at the poll that
// sees the end, detaching, throttling, failures with their reasons, and the
// states of an existing stack. Real moto behind a recording HTTP proxy.
//
// moto never throttles, never rolls back and never fails a delete (testing.md:
// every stack completes at once). Where a test needs one of those, the proxy
// rewrites moto's real answer into the shape CloudFormation gives (same XML,
// same error codes), and the test says so: the last resort testing.md allows.
// In-progress stacks are real (gateTemplate).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { cloudformationProvider } from '../../src/providers/cloudformation/index.js';
import type { FormationRef } from '../../src/providers/types.js';
import {
  eventXml,
  gateTemplate,
  recordingContext,
  releaseGate,
  rewrite,
  serveAwsProxy,
  stackSpec,
  startMoto,
  throttlingAnswer,
  type AwsProxy,
  type Moto,
} from '../fixtures/aws.js';
import { tempDir } from '../fixtures/paths.js';

const SECRET = 'correct horse battery staple';
let moto: Moto;
t.before(async () => {
  moto = await startMoto(t);
});

function pattern(t: Test, template: unknown): string {
  const dir = join(tempDir(t), 'patterns', 'aws');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'p.cf');
  writeFileSync(file, typeof template === 'string' ? template : JSON.stringify(template));
  return file;
}

const QUEUE = { Parameters: { Token: { Type: 'String', NoEcho: true, Default: '' } }, Resources: { Queue: { Type: 'AWS::SQS::Queue' } } };

function ref(name: string, state: Record<string, unknown> = {}): FormationRef {
  return { name, dir: join('/nonexistent', name), state, options: {} };
}

async function proxied(t: Test): Promise<{ proxy: AwsProxy; env: Record<string, string> }> {
  const proxy = await serveAwsProxy(t, moto.endpoint);
  return { proxy, env: { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint } };
}

const DESCRIBES = ['DescribeStacks', 'DescribeStackEvents'];

t.test('each poll is one DescribeStacks and one DescribeStackEvents, and following stops at the poll that sees the stack finish', async (t) => {
  const { proxy, env } = await proxied(t);
  let stackId = '';
  // A real in-progress stack, completed by its custom resource's answer just before the 4th poll.
  proxy.intercept('DescribeStacks', async (req) => {
    if (proxy.count('DescribeStacks') === 3) await releaseGate(moto.endpoint, stackId);
    return req.forward();
  });
  const ctx = recordingContext(tempDir(t), env);
  ctx.accepted = (state) => {
    ctx.acceptedStates.push(state);
    stackId = state.stackId as string;
  };
  const outcome = await cloudformationProvider.create(await stackSpec({ name: 'paced', patternFile: pattern(t, gateTemplate()) }), ctx);
  t.match(outcome, { ok: true, status: 'CREATE_COMPLETE', failures: [] });
  const polls = proxy.count('DescribeStacks');
  t.equal(polls, 4, 'four polls: three in progress, the fourth saw CREATE_COMPLETE and was the last');
  t.equal(proxy.count('DescribeStackEvents'), polls, 'one DescribeStackEvents per poll: two describe calls per interval');
  t.same(
    proxy.calls.map((c) => c.action).filter((a) => !DESCRIBES.includes(a)),
    ['CreateStack'],
    'nothing else',
  );
  const actions = proxy.calls.map((c) => c.action).filter((a) => DESCRIBES.includes(a));
  t.same(actions, Array.from({ length: polls }, () => DESCRIBES).flat(), 'status first, then events, every poll');
  t.same(
    ctx.events.map((e) => e.status),
    ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
    'each event once',
  );

  const settled = proxy.calls.length;
  await new Promise((r) => setTimeout(r, 1000)); // five base intervals: no poll may come after the end
  t.equal(proxy.calls.length, settled, 'no polling after the end');
});

t.test('throttling backs off and carries on instead of failing (throttled answers injected: moto never throttles)', async (t) => {
  const { proxy, env } = await proxied(t);
  proxy.intercept('DescribeStacks', (req) => (proxy.count('DescribeStacks') < 2 ? throttlingAnswer() : req.forward()));
  proxy.intercept('DescribeStackEvents', (req) => (proxy.count('DescribeStackEvents') < 1 ? throttlingAnswer() : req.forward()));
  const ctx = recordingContext(tempDir(t), env);
  const outcome = await cloudformationProvider.create(await stackSpec({ name: 'throttled', patternFile: pattern(t, QUEUE) }), ctx);
  t.match(outcome, { ok: true, status: 'CREATE_COMPLETE' });
  t.same(
    proxy.calls.filter((c) => DESCRIBES.includes(c.action)).map((c) => `${c.action} ${c.status}`),
    ['DescribeStacks 400', 'DescribeStacks 400', 'DescribeStacks 200', 'DescribeStackEvents 400', 'DescribeStacks 200', 'DescribeStackEvents 200'],
    'each throttled poll is retried later as a whole, never within the SDK',
  );
  t.same(
    ctx.events.map((e) => e.status),
    ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
    'events still shown once',
  );
});

t.test(
  'a create that rolls back ends not ok, listing each failed resource with its reason, secrets masked (rollback injected: moto never rolls back)',
  async (t) => {
    const { proxy, env } = await proxied(t);
    proxy.intercept('DescribeStacks', async (req) =>
      rewrite(await req.forward(), '<StackStatus>CREATE_COMPLETE</StackStatus>', '<StackStatus>ROLLBACK_COMPLETE</StackStatus>'),
    );
    proxy.intercept('DescribeStackEvents', async (req) => {
      const answer = await req.forward();
      const stackId = /<StackId>([^<]+)<\/StackId>/.exec(answer.body)![1]!;
      const e = (id: string, resource: string, type: string, status: string, reason?: string) =>
        eventXml({
          stackId,
          stackName: 'rolled-back',
          id,
          resource,
          type,
          status,
          time: '2026-01-01T00:00:0' + id.slice(-1) + 'Z',
          ...(reason ? { reason } : {}),
        });
      // Newest first, as CloudFormation lists them: the real CREATE_IN_PROGRESS of the stack stays last.
      const injected =
        e('ev-5', 'rolled-back', 'AWS::CloudFormation::Stack', 'ROLLBACK_COMPLETE') +
        e('ev-4', 'Queue', 'AWS::SQS::Queue', 'DELETE_COMPLETE') +
        e(
          'ev-3',
          'rolled-back',
          'AWS::CloudFormation::Stack',
          'ROLLBACK_IN_PROGRESS',
          'The following resource(s) failed to create: [Queue]. Rollback requested by user.',
        ) +
        e(
          'ev-2',
          'Queue',
          'AWS::SQS::Queue',
          'CREATE_FAILED',
          `Resource handler returned message: "Invalid value ${SECRET} for Token" (Service: Sqs, Status Code: 400)`,
        ) +
        e('ev-1', 'Queue', 'AWS::SQS::Queue', 'CREATE_IN_PROGRESS');
      return rewrite(answer, /<member>(?:(?!<member>).)*?<ResourceStatus>CREATE_COMPLETE<\/ResourceStatus><\/member>/s, injected);
    });
    const ctx = recordingContext(tempDir(t), env);
    const spec = await stackSpec({ name: 'rolled-back', patternFile: pattern(t, QUEUE), parameters: { Token: SECRET }, secrets: ['Token'] });
    const outcome = await cloudformationProvider.create(spec, ctx);
    t.same({ ok: outcome.ok, status: outcome.status }, { ok: false, status: 'ROLLBACK_COMPLETE' });
    t.same(
      outcome.failures,
      [
        {
          resource: 'Queue',
          type: 'AWS::SQS::Queue',
          status: 'CREATE_FAILED',
          reason: 'Resource handler returned message: "Invalid value **** for Token" (Service: Sqs, Status Code: 400)',
        },
      ],
      "the failed resource and why; the stack's own summary is not a resource",
    );
    t.same(
      ctx.events.map((e) => `${e.resource} ${e.status}`),
      [
        'rolled-back CREATE_IN_PROGRESS',
        'Queue CREATE_IN_PROGRESS',
        'Queue CREATE_FAILED',
        'rolled-back ROLLBACK_IN_PROGRESS',
        'Queue DELETE_COMPLETE',
        'rolled-back ROLLBACK_COMPLETE',
      ],
      'every event, oldest first',
    );
    t.notOk(JSON.stringify(ctx.events).includes(SECRET), 'no event shows the secret');
  },
);

t.test(
  'a stack left in ROLLBACK_COMPLETE: preflight offers to recreate, a create is refused, destroy by name clears it and create works again (state injected: moto never rolls back)',
  async (t) => {
    const { proxy, env } = await proxied(t);
    const file = pattern(t, QUEUE);
    t.ok((await cloudformationProvider.create(await stackSpec({ name: 'failed-before', patternFile: file }), recordingContext(tempDir(t), env))).ok);
    proxy.intercept('DescribeStacks', async (req) =>
      rewrite(await req.forward(), '<StackStatus>CREATE_COMPLETE</StackStatus>', '<StackStatus>ROLLBACK_COMPLETE</StackStatus>'),
    );

    const reason = 'stack failed-before in us-east-1 is left in ROLLBACK_COMPLETE by an earlier attempt; it can only be deleted';
    t.same(await cloudformationProvider.preflight!(ref('failed-before'), {}, env), { action: 'recreate', reason });
    const error = await cloudformationProvider
      .create(await stackSpec({ name: 'failed-before', patternFile: file }), recordingContext(tempDir(t), env))
      .catch((e: unknown) => e);
    t.match(error, { name: 'NephoError', code: 'STACK_EXISTS', message: reason });
    t.equal(proxy.calls.at(-2)?.action, 'CreateStack', 'CloudFormation said AlreadyExists; nepho then looked at the stack');
    t.equal(proxy.calls.at(-2)?.status, 400);

    const ctx = recordingContext(tempDir(t), env);
    const deleted = await cloudformationProvider.destroy(ref('failed-before'), ctx);
    t.match(deleted, { ok: true, status: 'DELETE_COMPLETE' }, 'deleted by name (no record of a failed create)');
    t.equal(ctx.acceptedStates.length, 1);
    proxy.clearIntercepts();
    t.match(await cloudformationProvider.create(await stackSpec({ name: 'failed-before', patternFile: file }), recordingContext(tempDir(t), env)), {
      ok: true,
      status: 'CREATE_COMPLETE',
    });
  },
);

t.test('DELETE_FAILED ends not ok with the resources that remain and why (failure injected: moto never fails a delete)', async (t) => {
  const { proxy, env } = await proxied(t);
  const created = await cloudformationProvider.create(await stackSpec({ name: 'sticky', patternFile: pattern(t, QUEUE) }), recordingContext(tempDir(t), env));
  t.ok(created.ok);
  const stackId = created.state!.stackId as string;
  const reason = 'Resource handler returned message: "The queue has a policy that denies deletion" (Service: Sqs, Status Code: 403)';
  let failing = Infinity; // how many more DescribeStacks answers say DELETE_FAILED
  proxy.intercept('DescribeStacks', async (req) => {
    const answer = await req.forward();
    if (!answer.body.includes('<StackStatus>DELETE_COMPLETE</StackStatus>') || failing-- <= 0) return answer;
    return rewrite(
      answer,
      '<StackStatus>DELETE_COMPLETE</StackStatus>',
      '<StackStatus>DELETE_FAILED</StackStatus><StackStatusReason>The following resource(s) failed to delete: [Queue].</StackStatusReason>',
    );
  });
  proxy.intercept('DescribeStackEvents', async (req) => {
    const answer = await req.forward();
    const e = (id: string, resource: string, type: string, status: string, why?: string) =>
      eventXml({ stackId, stackName: 'sticky', id, resource, type, status, time: '2026-01-01T00:00:0' + id.slice(-1) + 'Z', ...(why ? { reason: why } : {}) });
    return rewrite(
      answer,
      /<member>(?:(?!<member>).)*?<ResourceStatus>DELETE_COMPLETE<\/ResourceStatus><\/member>/s,
      e('dv-3', 'sticky', 'AWS::CloudFormation::Stack', 'DELETE_FAILED', 'The following resource(s) failed to delete: [Queue].') +
        e('dv-2', 'Queue', 'AWS::SQS::Queue', 'DELETE_FAILED', reason) +
        e('dv-1', 'Queue', 'AWS::SQS::Queue', 'DELETE_IN_PROGRESS'),
    );
  });
  proxy.intercept('ListStackResources', () => ({
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body:
      '<ListStackResourcesResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><ListStackResourcesResult><StackResourceSummaries>' +
      '<member><LogicalResourceId>Queue</LogicalResourceId><PhysicalResourceId>https://sqs.us-east-1.amazonaws.com/123456789012/sticky-Queue</PhysicalResourceId><ResourceType>AWS::SQS::Queue</ResourceType><ResourceStatus>DELETE_FAILED</ResourceStatus><ResourceStatusReason>' +
      reason.replace(/"/g, '&quot;') +
      '</ResourceStatusReason><LastUpdatedTimestamp>2026-01-01T00:00:02Z</LastUpdatedTimestamp></member>' +
      '</StackResourceSummaries></ListStackResourcesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListStackResourcesResponse>',
  }));
  const ctx = recordingContext(tempDir(t), env);
  const outcome = await cloudformationProvider.destroy(ref('sticky', created.state), ctx);
  t.same(outcome, {
    ok: false,
    status: 'DELETE_FAILED',
    state: created.state,
    failures: [{ resource: 'Queue', type: 'AWS::SQS::Queue', status: 'DELETE_FAILED', reason }],
  });
  t.same(
    ctx.events.map((e) => `${e.resource} ${e.status}`),
    ['sticky DELETE_IN_PROGRESS', 'Queue DELETE_IN_PROGRESS', 'Queue DELETE_FAILED', 'sticky DELETE_FAILED'],
  );

  // Destroying again: the stack is DELETE_FAILED once more, then (the cause fixed) deleted. The first attempt's
  // events also start with DELETE_IN_PROGRESS; they must not be shown again as this attempt's.
  failing = 1;
  const retry = recordingContext(tempDir(t), env);
  const again = await cloudformationProvider.destroy(ref('sticky', created.state), retry);
  t.match(again, { ok: true, status: 'DELETE_COMPLETE', failures: [] });
  t.equal(proxy.calls.filter((c) => c.action === 'DeleteStack').length, 2, 'deleted again');
  t.same(retry.events, [], 'no event of the failed attempt shown again');
});

t.test('no credentials anywhere is NO_CREDENTIALS, pointing to `nepho register`', async (t) => {
  // The SDK's chain reads shared files and instance metadata through process.env: isolate this process from the machine's.
  const home = tempDir(t);
  const saved = { ...process.env };
  t.teardown(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });
  for (const k of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
  ])
    delete process.env[k];
  Object.assign(process.env, {
    HOME: home,
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const { AWS_ACCESS_KEY_ID: _k, AWS_SECRET_ACCESS_KEY: _s, ...env } = moto.env;
  const error = await cloudformationProvider.describe(ref('anything'), {}, { ...env, HOME: home }).catch((e: unknown) => e);
  t.match(error, {
    name: 'NephoError',
    code: 'NO_CREDENTIALS',
    message: /^describing stack anything in us-east-1: no AWS credentials found/,
    hint: /nepho register/,
  });
  const profile = await cloudformationProvider.describe(ref('anything'), { profile: 'nosuch' }, { ...env, HOME: home }).catch((e: unknown) => e);
  t.match(profile, { code: 'NO_CREDENTIALS', message: /for profile nosuch/ });
});
