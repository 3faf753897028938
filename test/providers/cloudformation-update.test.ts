// The cloudformation provider's update hooks in-process: which stack states
// take an update, preview as a change set (empty, failed, paged, throttled),
// update following only its own events, discard of a change set already
// gone, and a change set that can no longer be executed. Real moto through
// the real AWS SDK, behind the recording proxy of test/fixtures/aws.ts.
//
// moto gives no Replacement, never pages changes, never throttles, answers at
// once, cannot fail a change set for a reason other than "no changes", and
// answers HTTP 500 for a change set that is gone (testing.md). Where a test
// needs one of those, the proxy rewrites moto's answer into the shape
// CloudFormation gives, and the test says so.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { cloudformationProvider as cfn } from '../../src/providers/cloudformation/index.js';
import { updateRefusal } from '../../src/providers/cloudformation/update.js';
import type { FormationRef, FormationSpec } from '../../src/providers/types.js';
import {
  motoQuery,
  recordingContext,
  rewrite,
  serveAwsProxy,
  stackSpec,
  startMoto,
  throttlingAnswer,
  type AwsProxy,
  type Moto,
  type ProxiedAnswer,
} from '../fixtures/aws.js';
import { tempDir } from '../fixtures/paths.js';

const SECRET = 'a secret of the queue';
let moto: Moto;
t.before(async () => {
  moto = await startMoto(t);
});

/** A queue whose delay is a parameter, a second queue, and a secret parameter. */
const QUEUES = {
  Parameters: { Delay: { Type: 'Number', Default: 0 }, Token: { Type: 'String', NoEcho: true, Default: '' } },
  Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: { Ref: 'Delay' } } }, Old: { Type: 'AWS::SQS::Queue' } },
};

function pattern(t: Test, template: unknown): string {
  const dir = join(tempDir(t), 'patterns', 'aws');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'p.cf');
  writeFileSync(file, JSON.stringify(template));
  return file;
}

async function proxied(t: Test): Promise<{ proxy: AwsProxy; env: Record<string, string> }> {
  const proxy = await serveAwsProxy(t, moto.endpoint);
  return { proxy, env: { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint } };
}

/** Create the stack of `spec` and return the ref of its formation. */
async function createdStack(t: Test, spec: FormationSpec, env: Record<string, string>): Promise<FormationRef> {
  const outcome = await cfn.create(spec, recordingContext(tempDir(t), env));
  t.match(outcome, { ok: true, status: 'CREATE_COMPLETE' }, `stack ${spec.name} created`);
  return { name: spec.name, dir: join('/nonexistent', spec.name), state: outcome.state!, options: {} };
}

/** A proxy in front of moto, and the stack `name` created there from QUEUES (its pattern file and formation ref). */
async function queueStack(t: Test, name: string): Promise<{ proxy: AwsProxy; env: Record<string, string>; file: string; ref: FormationRef }> {
  const { proxy, env } = await proxied(t);
  const file = pattern(t, QUEUES);
  return { proxy, env, file, ref: await createdStack(t, await stackSpec({ name, patternFile: file }), env) };
}

/** The stack's change sets, from moto directly (moto lists every stack's: others are left out). */
async function changeSetsOf(name: string): Promise<string[]> {
  const xml = await motoQuery(moto.endpoint, 'cloudformation', { Action: 'ListChangeSets', StackName: name, Version: '2010-05-15' });
  return xml
    .split('<member>')
    .slice(1)
    .filter((m) => m.includes(`<StackName>${name}</StackName>`))
    .map((m) => /<ChangeSetName>([^<]+)</.exec(m)?.[1] ?? '?');
}

/** CloudFormation's error document for a Query API call. */
function errorAnswer(status: number, code: string, message: string): ProxiedAnswer {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
  };
}

/** One `<member>` of DescribeChangeSet's Changes. */
function changeXml(action: string, resource: string, type: string, replacement?: string): string {
  return (
    `<member><Type>Resource</Type><ResourceChange><Action>${action}</Action><LogicalResourceId>${resource}</LogicalResourceId><ResourceType>${type}</ResourceType>` +
    `${replacement ? `<Replacement>${replacement}</Replacement>` : ''}</ResourceChange></member>`
  );
}

t.test('a change set that fails because nothing would change is an empty preview, deleted at once', async (t) => {
  const { proxy, env } = await proxied(t);
  // No parameters: moto then makes the change set and fails it, as CloudFormation does (with parameters it refuses at once).
  const spec = await stackSpec({ name: 'unchanged', patternFile: pattern(t, { Resources: { Queue: { Type: 'AWS::SQS::Queue' } } }) });
  const ref = await createdStack(t, spec, env);
  const preview = await cfn.preview!(ref, spec, {}, env);
  t.same(preview, { empty: true, changes: [], state: { stackId: ref.state.stackId } }, 'empty, no change set to remember');
  t.same(
    proxy.calls
      .map((c) => c.action)
      .filter((a) => /ChangeSet/.test(a))
      .slice(0, 1),
    ['CreateChangeSet'],
  );
  t.equal(proxy.count('DeleteChangeSet'), 1, 'the failed change set was deleted');
  t.same(await changeSetsOf('unchanged'), [], 'none is left');
  await cfn.discard!(ref, preview, {}, env);
  t.equal(proxy.count('DeleteChangeSet'), 1, 'discarding an empty preview calls nothing');
});

t.test('a change set CloudFormation cannot make is CHANGE_SET_FAILED with its reason, secrets masked, and is deleted (failure injected)', async (t) => {
  const { proxy, env, file, ref } = await queueStack(t, 'refused');
  proxy.intercept('DescribeChangeSet', async (req) =>
    rewrite(
      await req.forward(),
      '<Status>CREATE_COMPLETE</Status>',
      `<Status>FAILED</Status><StatusReason>Parameter Token value ${SECRET} failed to satisfy constraint</StatusReason>`,
    ),
  );
  const spec = await stackSpec({ name: 'refused', patternFile: file, parameters: { Delay: 5, Token: SECRET }, secrets: ['Token'] });
  const error = await cfn.preview!(ref, spec, {}, env).catch((e: unknown) => e);
  t.match(error, {
    name: 'NephoError',
    code: 'CHANGE_SET_FAILED',
    message:
      'previewing the update of stack refused in us-east-1: CloudFormation could not make the change set (FAILED: Parameter Token value **** failed to satisfy constraint)',
  });
  t.equal(proxy.count('DeleteChangeSet'), 1, 'deleted');
  t.same(await changeSetsOf('refused'), []);
});

t.test(
  "changes come with CloudFormation's Replacement, from every page, polled until ready and backing off when throttled (answers injected: moto neither pages nor says Replacement)",
  async (t) => {
    const { proxy, env, ref } = await queueStack(t, 'paged');
    let polls = 0;
    proxy.intercept('DescribeChangeSet', async (req) => {
      const answer = await req.forward();
      if (req.params.get('NextToken') === 'page-2') {
        return rewrite(answer, /<Changes>.*<\/Changes>/s, `<Changes>${changeXml('Dynamic', 'Nested', 'AWS::CloudFormation::Stack', 'Conditional')}</Changes>`);
      }
      polls++;
      if (polls === 1) return throttlingAnswer();
      if (polls === 2)
        return rewrite(rewrite(answer, '<Status>CREATE_COMPLETE</Status>', '<Status>CREATE_IN_PROGRESS</Status>'), /<Changes>.*<\/Changes>/s, '<Changes/>');
      const page =
        changeXml('Modify', 'Queue', 'AWS::SQS::Queue', 'True') +
        changeXml('Remove', 'Old', 'AWS::SQS::Queue') +
        changeXml('Add', 'New', 'AWS::SQS::Queue', 'False');
      return rewrite(answer, /<Changes>.*<\/Changes>/s, `<Changes>${page}</Changes><NextToken>page-2</NextToken>`);
    });
    const next = { ...QUEUES, Resources: { Queue: QUEUES.Resources.Queue, New: { Type: 'AWS::SQS::Queue' } } };
    const preview = await cfn.preview!(ref, await stackSpec({ name: 'paged', patternFile: pattern(t, next), parameters: { Delay: 3 } }), {}, env);
    t.equal(preview.empty, false);
    t.same(
      preview.changes,
      [
        { action: 'Modify', resource: 'Queue', type: 'AWS::SQS::Queue', replacement: 'True' },
        { action: 'Remove', resource: 'Old', type: 'AWS::SQS::Queue' },
        { action: 'Add', resource: 'New', type: 'AWS::SQS::Queue', replacement: 'False' },
        { action: 'Dynamic', resource: 'Nested', type: 'AWS::CloudFormation::Stack', replacement: 'Conditional' },
      ],
      'every change of both pages, in order',
    );
    t.same(
      proxy.calls.filter((c) => c.action === 'DescribeChangeSet').map((c) => `${c.status} ${c.params.get('NextToken') ?? ''}`.trim()),
      ['400', '200', '200', '200 page-2'],
      'throttled, in progress, ready, then the second page',
    );
    t.match(preview.state, {
      stackId: ref.state.stackId,
      changeSetId: /^arn:aws:cloudformation:us-east-1:\d+:changeSet\/nepho-\d{8}T\d{9}Z-[0-9a-f]{6}\//,
      changeSetName: /^nepho-/,
    });
    const sent = proxy.calls.find((c) => c.action === 'CreateChangeSet')!.params;
    t.equal(sent.get('ChangeSetType'), 'UPDATE');
    t.equal(sent.get('StackName'), 'paged');
    t.match(sent.get('TemplateBody'), /"New":\{"Type":"AWS::SQS::Queue"\}/, 'the template as create sends it');
    t.equal(sent.get('Tags.member.1.Key'), 'nepho:formation', 'tagged as create tags');

    await cfn.discard!(ref, preview, {}, env);
    t.same(await changeSetsOf('paged'), [], 'discarded');
  },
);

t.test('an update follows only its own events, even when they lag behind its status (lag injected: moto answers at once)', async (t) => {
  const { proxy, env, file, ref } = await queueStack(t, 'twice');
  const updateTo = async (delay: number) => {
    const spec = await stackSpec({ name: 'twice', patternFile: file, parameters: { Delay: delay, Token: SECRET }, secrets: ['Token'] });
    const preview = await cfn.preview!(ref, spec, {}, env);
    const ctx = recordingContext(tempDir(t), env);
    return { outcome: await cfn.update!(ref, spec, preview, ctx), ctx };
  };
  const first = await updateTo(2);
  t.match(first.outcome, { ok: true, status: 'UPDATE_COMPLETE', failures: [], state: { stackId: ref.state.stackId, stackName: 'twice', region: 'us-east-1' } });
  t.same(first.ctx.acceptedStates, [{ stackId: ref.state.stackId, stackName: 'twice', region: 'us-east-1' }], 'accepted once, with the stack');
  t.same(
    first.ctx.events.map((e) => e.status),
    ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
  );

  // The second update's first poll: still in progress, and its events not listed yet.
  let lagging = true;
  const executed = () => proxy.count('ExecuteChangeSet') === 2;
  proxy.intercept('DescribeStacks', async (req) => {
    const answer = await req.forward();
    return lagging && executed() ? rewrite(answer, '<StackStatus>UPDATE_COMPLETE</StackStatus>', '<StackStatus>UPDATE_IN_PROGRESS</StackStatus>') : answer;
  });
  proxy.intercept('DescribeStackEvents', async (req) => {
    const answer = await req.forward();
    if (!lagging || !executed()) return answer;
    lagging = false;
    return rewrite(rewrite(answer, /<member>.*?<\/member>/s, ''), /<member>.*?<\/member>/s, '');
  });
  const second = await updateTo(4);
  t.match(second.outcome, { ok: true, status: 'UPDATE_COMPLETE' });
  t.same(
    second.ctx.events.map((e) => e.status),
    ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
    "this update's two events, not the first one's",
  );
  const firstIds = new Set(first.ctx.events.map((e) => e.id));
  t.notOk(
    second.ctx.events.some((e) => firstIds.has(e.id)),
    'no event of the first update shown again',
  );
  const sent = proxy.calls.filter((c) => c.action === 'CreateChangeSet').at(-1)!.params;
  t.ok([...sent.values()].includes(SECRET), 'a secret given again is sent as its value');
});

t.test("discarding a change set that is already gone is fine (CloudFormation's ChangeSetNotFound injected: moto answers HTTP 500)", async (t) => {
  const { proxy, env, file, ref } = await queueStack(t, 'gone');
  const preview = await cfn.preview!(ref, await stackSpec({ name: 'gone', patternFile: file, parameters: { Delay: 7 } }), {}, env);
  t.same(await changeSetsOf('gone'), [preview.state.changeSetName]);
  await cfn.discard!(ref, preview, {}, env);
  t.same(await changeSetsOf('gone'), [], 'deleted');
  proxy.intercept('DeleteChangeSet', () => errorAnswer(404, 'ChangeSetNotFound', `ChangeSet [${String(preview.state.changeSetId)}] does not exist`));
  await cfn.discard!(ref, preview, {}, env);
  t.equal(proxy.count('DeleteChangeSet'), 2, 'asked again, and the answer that it is gone taken as done');
});

t.test('a change set that can no longer be executed is CHANGE_SET_STALE, and nothing is accepted (refusal injected)', async (t) => {
  const { proxy, env, file, ref } = await queueStack(t, 'stale');
  const spec = await stackSpec({ name: 'stale', patternFile: file, parameters: { Delay: 9 } });
  const preview = await cfn.preview!(ref, spec, {}, env);
  proxy.intercept('ExecuteChangeSet', () => errorAnswer(400, 'InvalidChangeSetStatus', 'ChangeSet cannot be executed in its current status of [OBSOLETE]'));
  const ctx = recordingContext(tempDir(t), env);
  const error = await cfn.update!(ref, spec, preview, ctx).catch((e: unknown) => e);
  t.match(error, {
    name: 'NephoError',
    code: 'CHANGE_SET_STALE',
    message: /^updating stack stale in us-east-1: the previewed change set can no longer be applied \(ChangeSet cannot be executed/,
    hint: /nepho formation:update stale again/,
  });
  t.same(ctx.acceptedStates, [], 'not accepted');
});

t.test('a stack deleted outside nepho cannot be previewed: STACK_NOT_FOUND, saying how to clear the record', async (t) => {
  const { proxy, env, file, ref } = await queueStack(t, 'deleted');
  await motoQuery(moto.endpoint, 'cloudformation', { Action: 'DeleteStack', StackName: 'deleted', Version: '2010-05-15' });
  const error = await cfn.preview!(ref, await stackSpec({ name: 'deleted', patternFile: file, parameters: { Delay: 1 } }), {}, env).catch((e: unknown) => e);
  t.match(error, { code: 'STACK_NOT_FOUND', message: 'stack deleted in us-east-1 does not exist any more', hint: /nepho formation:destroy deleted/ });
  t.equal(proxy.count('CreateChangeSet'), 0);
});

t.test('which stack states take an update, and what each refusal tells the user to do', async (t) => {
  for (const status of ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']) {
    t.equal(updateRefusal('web', 'eu-west-1', status), undefined, `${status} takes an update`);
  }
  const refused = (status: string | undefined) => {
    const e = updateRefusal('web', 'eu-west-1', status);
    return e && { code: e.code, message: e.message, hint: e.hint };
  };
  t.match(refused('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'), {
    code: 'STACK_BUSY',
    message: 'stack web in eu-west-1 is busy (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) and cannot be updated until that ends',
    hint: /^wait for it to finish/,
  });
  t.match(refused('DELETE_IN_PROGRESS'), { code: 'STACK_BUSY' });
  t.match(refused('ROLLBACK_COMPLETE'), {
    code: 'STACK_NOT_UPDATABLE',
    message: 'stack web in eu-west-1 was never fully created (ROLLBACK_COMPLETE); it can only be deleted',
    hint: 'destroy it and create it again: nepho formation:destroy web',
  });
  t.match(refused('REVIEW_IN_PROGRESS'), { code: 'STACK_NOT_UPDATABLE', message: /never fully created \(REVIEW_IN_PROGRESS\)/ });
  t.match(refused('DELETE_FAILED'), { code: 'STACK_NOT_UPDATABLE', hint: 'try again: nepho formation:destroy web' });
  t.match(refused('UPDATE_ROLLBACK_FAILED'), { code: 'STACK_NOT_UPDATABLE', hint: /continue-update-rollback --stack-name web/ });
  t.match(refused('DELETE_COMPLETE'), { code: 'STACK_NOT_FOUND', message: 'stack web in eu-west-1 does not exist any more' });
  t.match(refused(undefined), { code: 'STACK_NOT_FOUND' });
});
