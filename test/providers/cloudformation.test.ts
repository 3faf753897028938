// The cloudformation provider end to end against a real moto server, through
// the real AWS SDK v3: create (YAML and JSON patterns, with the bootstrap as
// user data), describe, discover, destroy, the S3 path for large templates,
// and what happens when the stack name is taken.
//
// moto gaps met here (testing.md, and one more: moto 5.2 does not mask NoEcho
// parameters in DescribeStacks): moto's stacks complete at once and its
// events are stack-level only. A stack that stays CREATE_IN_PROGRESS is made
// for real with a custom resource whose Lambda moto cannot run (gateTemplate),
// released by answering it as the Lambda would. The official multi-tenant
// stack is created but not destroyed: moto keeps a route table, so its VPC
// cannot be deleted there (not worked around). moto 5.2's CloudFormation
// knows no AWS::SecretsManager::Secret; the fixture's moto makes it
// (test/fixtures/moto-server.py), so the official patterns' secret is real.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import t, { type Test } from 'tap';
import { NephoError } from '../../src/errors.js';
import { cloudformationProvider } from '../../src/providers/cloudformation/index.js';
import type { DiscoveredFormation, FormationRef } from '../../src/providers/types.js';
import { prepareStack } from '../../src/providers/cloudformation/prepare.js';
import {
  gateTemplate,
  motoJson,
  motoQuery,
  recordingContext,
  releaseGate,
  rolePolicy,
  serveAwsProxy,
  stackSpec,
  startMoto,
  type Moto,
} from '../fixtures/aws.js';
import { waitFor } from '../fixtures/cli.js';
import { ROOT, tempDir } from '../fixtures/paths.js';

const MEDIAWIKI = join(ROOT, 'official', 'huit', 'mediawiki');
const SINGLE_HOST = join(MEDIAWIKI, 'patterns', 'aws', 'single-host.cf');
const TWO_TIER = join(MEDIAWIKI, 'patterns', 'aws', 'two-tier-with-vpc.cf');
const BOOTSTRAP = join(MEDIAWIKI, 'provisioners', 'bootstrap.sh');
const SECRET = 'correct horse battery staple';
const ARN = /^arn:aws:cloudformation:us-east-1:123456789012:stack\/[a-z0-9-]+\/[0-9a-f-]{36}$/;

let moto: Moto;
t.before(async () => {
  moto = await startMoto(t);
});

function sdk(): CloudFormationClient {
  return new CloudFormationClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}

async function stackOf(name: string) {
  return (await sdk().send(new DescribeStacksCommand({ StackName: name }))).Stacks![0]!;
}

function ref(name: string, state: Record<string, unknown> = {}): FormationRef {
  return { name, dir: join('/nonexistent', name), state, options: {} };
}

/** The user data EC2 (moto) holds for an instance, decoded. */
async function instanceUserData(instanceId: string): Promise<string> {
  const xml = await motoQuery(moto.endpoint, 'ec2', {
    Action: 'DescribeInstanceAttribute',
    Version: '2016-11-15',
    InstanceId: instanceId,
    Attribute: 'userData',
  });
  const value = /<userData>\s*<value>([^<]*)<\/value>/.exec(xml)?.[1];
  if (value === undefined) throw new Error(`no user data in ${xml}`);
  return Buffer.from(value, 'base64').toString('utf8');
}

/** Write a small JSON pattern and a bootstrap script into a fresh cloudlet-like directory. */
function smallCloudlet(
  t: Test,
  template: unknown,
  script = '#!/bin/sh\nprintf "%s|%s|%s|%s\\n" "$NEPHO_FORMATION" "$NEPHO_SCENARIO" "$NEPHO_Greeting" "${NEPHO_DbPassword-unset}" >"$NEPHO_BOOTSTRAP_DIR/ran"\n',
) {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'patterns', 'aws'), { recursive: true });
  mkdirSync(join(dir, 'provisioners'), { recursive: true });
  const patternFile = join(dir, 'patterns', 'aws', 'small.cf');
  writeFileSync(patternFile, typeof template === 'string' ? template : JSON.stringify(template, null, 2));
  const scriptFile = join(dir, 'provisioners', 'bootstrap.sh');
  writeFileSync(scriptFile, script, { mode: 0o755 });
  return { dir, patternFile, scriptFile };
}

const SMALL = {
  AWSTemplateFormatVersion: '2010-09-09',
  Parameters: {
    Greeting: { Type: 'String', Default: 'hello' },
    DbPassword: { Type: 'String', NoEcho: true },
  },
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue' },
    Host: { Type: 'AWS::EC2::Instance', Metadata: { nepho: { bootstrap: true } }, Properties: { ImageId: 'ami-0abcdef1234567890', InstanceType: 't3.small' } },
  },
  Outputs: { QueueUrl: { Value: { Ref: 'Queue' } }, HostId: { Value: { Ref: 'Host' } } },
};

t.test('create from the official single-host YAML pattern with the mediawiki bootstrap', async (t) => {
  const spec = await stackSpec({
    name: 'wiki-single',
    patternFile: SINGLE_HOST,
    scriptFile: BOOTSTRAP,
    parameters: { WikiName: 'Team Wiki', AppPort: 8080, AdminPassword: SECRET, Box: 'generic/debian12', InstanceType: 't3.small' },
    secrets: ['AdminPassword'],
  });
  await cloudformationProvider.validate(spec, {});
  const ctx = recordingContext(tempDir(t), moto.env);
  const outcome = await cloudformationProvider.create(spec, ctx);

  t.same({ ok: outcome.ok, status: outcome.status, failures: outcome.failures }, { ok: true, status: 'CREATE_COMPLETE', failures: [] });
  t.equal(ctx.acceptedStates.length, 1, 'accepted() once');
  const state = ctx.acceptedStates[0]!;
  t.match(state, { stackId: ARN, stackName: 'wiki-single', region: 'us-east-1' }, 'with the stack id');
  t.same(outcome.state, state, 'the outcome carries the same state');

  t.ok(ctx.events.length >= 2, 'events were emitted');
  t.same(
    ctx.events.map((e) => e.status),
    ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
    'oldest first (moto: stack-level events only)',
  );
  t.match(ctx.events[0], { resource: 'wiki-single', type: 'AWS::CloudFormation::Stack', reason: 'User Initiated', id: String, time: /^\d{4}-\d\d-\d\dT/ });
  t.equal(new Set(ctx.events.map((e) => e.id)).size, ctx.events.length, 'each event once');

  const described = await cloudformationProvider.describe(ref('wiki-single', state), {}, moto.env);
  t.equal(described.exists, true);
  t.equal(described.status, 'CREATE_COMPLETE');
  t.equal(described.inProgress, false);
  t.same(Object.keys(described.outputs).sort(), ['InstanceId', 'PublicDnsName', 'PublicIp'], 'outputs present');
  t.match(described.outputs.InstanceId, /^i-[0-9a-f]+$/);
  t.match(
    described.resources.find((r) => r.id === 'Instance'),
    { type: 'AWS::EC2::Instance', status: 'CREATE_COMPLETE', physicalId: described.outputs.InstanceId },
  );

  const stack = await stackOf('wiki-single');
  t.same(
    Object.fromEntries(stack.Tags!.map((x) => [x.Key, x.Value])),
    {
      'nepho:formation': 'wiki-single',
      'nepho:cloudlet': 'huit/mediawiki',
      'nepho:scenario': 'default',
      'nepho:version': '0.7.2',
    },
    'tagged for discovery',
  );
  const sent = Object.fromEntries(stack.Parameters!.map((p) => [p.ParameterKey, p.ParameterValue]));
  t.same(
    Object.keys(sent).sort(),
    ['AdminPassword', 'AmiId', 'AppPort', 'InstanceType', 'KeyName', 'SshCidr', 'WikiName'],
    "only the template's parameters (AdminPassword, NoEcho, but no Box)",
  );
  t.equal(sent.AppPort, '8080');
  t.equal(sent.WikiName, 'Team Wiki');

  const arn = described.resources.find((r) => r.id === 'AdminPasswordSecret')?.physicalId ?? '';
  t.equal(
    (await motoJson(moto.endpoint, 'secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: arn })).SecretString,
    SECRET,
    'the stack keeps AdminPassword in Secrets Manager',
  );
  const role = described.resources.find((r) => r.id === 'WikiHostRole')?.physicalId ?? '';
  const policy = await rolePolicy(moto.endpoint, role, 'read-admin-password');
  t.same(policy.policies, ['read-admin-password'], "the wiki host's role has one policy");
  t.same(policy.resources, [arn], 'which names that secret alone');
  const instance = await motoQuery(moto.endpoint, 'ec2', { Action: 'DescribeInstances', 'InstanceId.1': described.outputs.InstanceId!, Version: '2016-11-15' });
  t.match(instance, /<iamInstanceProfile>\s*<arn>arn:aws:iam::123456789012:instance-profile\//, "the wiki host runs with that role's profile");
  const userData = await instanceUserData(described.outputs.InstanceId!);
  t.equal(
    userData,
    prepareStack(spec).userData!.replace('${AdminPasswordSecret}', arn),
    "the user data EC2 holds is the rendered bootstrap, the secret's ARN filled in",
  );
  t.match(userData, /export NEPHO_WikiName='Team Wiki'/);
  t.notOk(userData.includes(SECRET), 'no secret in the user data');
  const template = (await sdk().send(new GetTemplateCommand({ StackName: 'wiki-single' }))).TemplateBody!;
  t.notOk(template.includes(SECRET), 'no secret in the template');
  t.match(
    JSON.parse(template).Resources.Instance.Properties.UserData,
    { 'Fn::Base64': { 'Fn::Join': ['', [String, { Ref: 'AdminPasswordSecret' }, String]] } },
    "sent as JSON, user data a plain string joined around the secret's ARN",
  );
});

t.test('create from a JSON pattern: a NoEcho secret parameter goes to CloudFormation, never into the user data; the user data runs', async (t) => {
  const { patternFile, scriptFile } = smallCloudlet(t, SMALL);
  const spec = await stackSpec({
    name: 'small-json',
    patternFile,
    scriptFile,
    cloudlet: 'local/small',
    scenario: 'default',
    parameters: { Greeting: "it's me", DbPassword: SECRET, Unused: 'x' },
    secrets: ['DbPassword'],
  });
  const ctx = recordingContext(tempDir(t), moto.env);
  const outcome = await cloudformationProvider.create(spec, ctx);
  t.equal(outcome.status, 'CREATE_COMPLETE');
  t.ok(outcome.ok);
  t.equal(ctx.acceptedStates.length, 1);

  const stack = await stackOf('small-json');
  const sent = Object.fromEntries(stack.Parameters!.map((p) => [p.ParameterKey, p.ParameterValue]));
  // moto gap: moto 5.2 shows NoEcho values in DescribeStacks (its mask compares values with keys); CloudFormation shows ****.
  t.same(Object.keys(sent).sort(), ['DbPassword', 'Greeting'], 'Unused was not sent');
  t.equal(sent.Greeting, "it's me");
  t.ok(sent.DbPassword === SECRET || sent.DbPassword === '****', 'the secret reached CloudFormation as a NoEcho parameter');
  const outputs = Object.fromEntries(stack.Outputs!.map((o) => [o.OutputKey, o.OutputValue]));
  t.match(outputs.QueueUrl, /small-json/);

  const userData = await instanceUserData(outputs.HostId!);
  t.equal(userData, spec.bootstrap!.script);
  t.notOk(userData.includes(SECRET), 'no secret in the user data');
  t.notOk((await sdk().send(new GetTemplateCommand({ StackName: 'small-json' }))).TemplateBody!.includes(SECRET), 'nor in the template');

  // The hand-off works: run what EC2 would run, in a temp dir instead of /var.
  const box = tempDir(t);
  const file = join(box, 'user-data');
  writeFileSync(file, userData);
  execFileSync('sh', [file], { env: { PATH: process.env.PATH, NEPHO_BOOTSTRAP_LOG: join(box, 'log'), NEPHO_BOOTSTRAP_DIR: join(box, 'lib') } });
  t.equal(
    readFileSync(join(box, 'lib', 'ran'), 'utf8'),
    "small-json|default|it's me|unset\n",
    "the script ran with the formation's variables and without the secret",
  );
  t.match(readFileSync(join(box, 'log'), 'utf8'), /bootstrap of small-json finished with status 0/);
});

t.test('the official multi-tenant pattern: the launch template and the standalone host get the user data', async (t) => {
  const spec = await stackSpec({
    name: 'wiki-multi',
    patternFile: TWO_TIER,
    scriptFile: BOOTSTRAP,
    scenario: 'multi-tenant',
    parameters: { Replicas: 1, AdminPassword: SECRET },
    secrets: ['AdminPassword'],
  });
  const ctx = recordingContext(tempDir(t), moto.env);
  const outcome = await cloudformationProvider.create(spec, ctx);
  t.equal(outcome.status, 'CREATE_COMPLETE');
  const described = await cloudformationProvider.describe(ref('wiki-multi', outcome.state), {}, moto.env);
  t.same(Object.keys(described.outputs).sort(), ['AppPrivateIp', 'AutoScalingGroupName', 'BastionPublicIp', 'LoadBalancerDNS', 'VpcId']);
  const lt = described.resources.find((r) => r.id === 'AppLaunchTemplate')!;
  const xml = await motoQuery(moto.endpoint, 'ec2', { Action: 'DescribeLaunchTemplateVersions', Version: '2016-11-15', LaunchTemplateId: lt.physicalId! });
  const encoded = /<userData>([^<]*)<\/userData>/.exec(xml)?.[1];
  const arn = described.resources.find((r) => r.id === 'AdminPasswordSecret')?.physicalId ?? '';
  const expected = prepareStack(spec).userData!.replace('${AdminPasswordSecret}', arn);
  t.equal(Buffer.from(encoded ?? '', 'base64').toString('utf8'), expected, "the launch template's user data");
  t.match(xml, /<iamInstanceProfile>\s*<arn>arn:aws:iam::123456789012:instance-profile\//, "with the wiki hosts' instance profile");
  const app = described.resources.find((r) => r.id === 'AppInstance')!;
  t.equal(await instanceUserData(app.physicalId!), expected, "the standalone host's user data");
  const bastion = described.resources.find((r) => r.id === 'Bastion')!;
  await t.rejects(instanceUserData(bastion.physicalId!), 'the bastion has none');
  // Not destroyed: moto cannot delete this stack (a route table keeps the VPC); see the top of this file.
});

t.test('a template over 51,200 bytes goes through the S3 artifacts bucket; over 1 MB is refused before anything is sent', async (t) => {
  const proxy = await serveAwsProxy(t, moto.endpoint); // pass-through: it only records the calls
  const env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint };
  const big = { ...SMALL, Resources: { ...SMALL.Resources, Queue: { Type: 'AWS::SQS::Queue', Metadata: { Padding: 'x'.repeat(60_000) } } } };
  const { patternFile, scriptFile } = smallCloudlet(t, big);
  const spec = await stackSpec({ name: 'big-template', patternFile, scriptFile, parameters: { DbPassword: SECRET }, secrets: ['DbPassword'] });
  const outcome = await cloudformationProvider.create(spec, recordingContext(tempDir(t), env));
  t.equal(outcome.status, 'CREATE_COMPLETE');

  const create = proxy.calls.find((c) => c.action === 'CreateStack')!;
  t.equal(create.params.get('TemplateBody'), null, 'no TemplateBody');
  const url = create.params.get('TemplateURL')!;
  t.match(
    url,
    /^https:\/\/nepho-artifacts-123456789012-us-east-1\.s3\.us-east-1\.amazonaws\.com\/templates\/big-template\/[0-9a-f]{32}\.json$/,
    'TemplateURL in the artifacts bucket',
  );
  t.ok(proxy.count('GetCallerIdentity') >= 1, 'the account came from STS');

  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  await t.resolves(s3.send(new HeadBucketCommand({ Bucket: 'nepho-artifacts-123456789012-us-east-1' })), 'the bucket exists afterwards');
  const keys = (await s3.send(new ListObjectsV2Command({ Bucket: 'nepho-artifacts-123456789012-us-east-1' }))).Contents!.map((o) => o.Key);
  t.same(keys, [new URL(url).pathname.slice(1)]);
  const template = (await sdk().send(new GetTemplateCommand({ StackName: 'big-template' }))).TemplateBody!;
  t.ok(template.length > 51_200, 'the stack has the big template');

  // A second big formation reuses the bucket.
  const spec2 = await stackSpec({ name: 'big-template-2', patternFile, scriptFile, parameters: { DbPassword: SECRET }, secrets: ['DbPassword'] });
  t.equal((await cloudformationProvider.create(spec2, recordingContext(tempDir(t), env))).status, 'CREATE_COMPLETE');
  t.equal(
    proxy.calls.filter((c) => c.action.startsWith('PUT /nepho-artifacts-123456789012-us-east-1') && !c.action.includes('/templates/')).length,
    1,
    'the bucket was created once',
  );

  const huge = smallCloudlet(t, {
    ...SMALL,
    Resources: { ...SMALL.Resources, Queue: { Type: 'AWS::SQS::Queue', Metadata: { Padding: 'x'.repeat(1_000_000) } } },
  });
  const before = proxy.calls.length;
  const error = await cloudformationProvider
    .create(
      await stackSpec({ name: 'huge-template', patternFile: huge.patternFile, parameters: { DbPassword: SECRET }, secrets: ['DbPassword'] }),
      recordingContext(tempDir(t), env),
    )
    .catch((e: unknown) => e);
  t.type(error, NephoError);
  t.match(error, { code: 'TEMPLATE_TOO_LARGE', message: new RegExp(`^${huge.patternFile}: the template is \\d+ bytes as sent`) });
  t.equal(proxy.calls.length, before, 'nothing was sent to AWS');
});

t.test('destroy follows to DELETE_COMPLETE; then describe says it no longer exists, and destroying again is fine', async (t) => {
  const { patternFile } = smallCloudlet(t, { Resources: { Queue: { Type: 'AWS::SQS::Queue' } } });
  const created = await cloudformationProvider.create(await stackSpec({ name: 'short-lived', patternFile }), recordingContext(tempDir(t), moto.env));
  t.ok(created.ok);
  const ctx = recordingContext(tempDir(t), moto.env);
  const outcome = await cloudformationProvider.destroy(ref('short-lived', created.state), ctx);
  t.same({ ok: outcome.ok, status: outcome.status, failures: outcome.failures }, { ok: true, status: 'DELETE_COMPLETE', failures: [] });
  t.same(
    ctx.events.map((e) => e.status),
    ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE'],
    "the delete's events only, not the create's",
  );
  t.equal(ctx.acceptedStates.length, 1);
  t.same(ctx.acceptedStates[0], created.state);

  const gone = await cloudformationProvider.describe(ref('short-lived', created.state), {}, moto.env);
  t.same(gone, { exists: false, status: 'DELETE_COMPLETE', inProgress: false, outputs: {}, resources: [] }, 'by stack id');
  t.match(await cloudformationProvider.describe(ref('short-lived'), {}, moto.env), { exists: false, status: 'NOT_FOUND' }, 'by name');
  const again = await cloudformationProvider.destroy(ref('short-lived', created.state), recordingContext(tempDir(t), moto.env));
  t.match(again, { ok: true, status: 'DELETE_COMPLETE', failures: [] }, 'already gone is ok');
  t.match(
    await cloudformationProvider.destroy(ref('never-was'), recordingContext(tempDir(t), moto.env)),
    { ok: true, status: 'DELETE_COMPLETE' },
    'by name, never existed',
  );
});

t.test('discover finds the stacks tagged nepho:formation, with their cloudlet, scenario and version, and skips deleted ones', async (t) => {
  const { patternFile } = smallCloudlet(t, { Resources: { Queue: { Type: 'AWS::SQS::Queue' } } });
  for (const name of ['team-a', 'team-b', 'team-gone']) {
    const spec = await stackSpec({ name, patternFile, cloudlet: 'acme/queue', scenario: name === 'team-b' ? 'big' : 'default' });
    t.ok((await cloudformationProvider.create(spec, recordingContext(tempDir(t), moto.env))).ok);
  }
  await sdk().send(new CreateStackCommand({ StackName: 'not-nepho', TemplateBody: JSON.stringify({ Resources: { Q: { Type: 'AWS::SQS::Queue' } } }) }));
  const gone = await stackOf('team-gone');
  await sdk().send(new DeleteStackCommand({ StackName: gone.StackId }));

  const found = ((await cloudformationProvider.discover!({}, moto.env)) as { formations: DiscoveredFormation[] }).formations.filter(
    (f) => f.name.startsWith('team-') || f.name === 'not-nepho',
  );
  t.same(
    found.map((f) => f.name),
    ['team-a', 'team-b'],
  );
  t.match(found[1], {
    name: 'team-b',
    status: 'CREATE_COMPLETE',
    cloudlet: 'acme/queue',
    scenario: 'big',
    version: '0.7.2',
    createdAt: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/,
    state: { stackId: ARN, stackName: 'team-b', region: 'us-east-1' },
  });
  const all = (await cloudformationProvider.discover!({}, moto.env)) as { formations: DiscoveredFormation[] };
  t.notOk(
    all.formations.some((f) => f.name === 'not-nepho'),
    'untagged stacks are not formations',
  );
  const { AWS_REGION: _region, AWS_DEFAULT_REGION: _default, ...noRegion } = moto.env;
  t.match(
    await cloudformationProvider.discover!({}, { ...noRegion, AWS_CONFIG_FILE: join(tempDir(t), 'none') }),
    { unconfigured: /no AWS region/ },
    'a machine not set up for AWS is said as data',
  );
});

t.test('preflight says what holds a name: nothing, a finished stack (refuse), one being created (adopt); follow() by name takes it to the end', async (t) => {
  t.equal(await cloudformationProvider.preflight!(ref('free'), {}, moto.env), undefined, 'a free name');
  const { patternFile } = smallCloudlet(t, { Resources: { Queue: { Type: 'AWS::SQS::Queue' } } });
  const spec = await stackSpec({ name: 'taken', patternFile });
  t.ok((await cloudformationProvider.create(spec, recordingContext(tempDir(t), moto.env))).ok);
  t.same(await cloudformationProvider.preflight!(ref('taken'), {}, moto.env), {
    action: 'refuse',
    reason: 'stack taken already exists in us-east-1 (CREATE_COMPLETE)',
    hint: 'pick another --name, or destroy the formation that has it',
  });
  const exists = await cloudformationProvider.create(spec, recordingContext(tempDir(t), moto.env)).catch((e: unknown) => e);
  t.match(
    exists,
    { code: 'STACK_EXISTS', message: 'stack taken already exists in us-east-1 (CREATE_COMPLETE)' },
    'a create that races past preflight says the same',
  );

  // A real in-progress stack (see gateTemplate): its create waits at the gate.
  const gate = smallCloudlet(t, gateTemplate());
  const gateSpec = await stackSpec({ name: 'busy', patternFile: gate.patternFile });
  const first = recordingContext(tempDir(t), moto.env);
  const creating = cloudformationProvider.create(gateSpec, first);
  await waitFor(() => first.acceptedStates.length > 0, 'the create to be accepted');
  const stackId = first.acceptedStates[0]!.stackId as string;
  t.equal((await stackOf('busy')).StackStatus, 'CREATE_IN_PROGRESS', 'the stack waits at its gate');
  t.match((await stackOf('busy')).Capabilities ?? ['CAPABILITY_IAM'], ['CAPABILITY_IAM']);
  t.same(await cloudformationProvider.preflight!(ref('busy'), {}, moto.env), {
    action: 'adopt',
    reason: 'stack busy in us-east-1 is already being created (CREATE_IN_PROGRESS)',
  });

  // Follow it by name, as the command offers; the custom resource answers once following has started.
  let released = false;
  const watcher = recordingContext(tempDir(t), moto.env, {
    onEvent: () => {
      if (!released) {
        released = true;
        void releaseGate(moto.endpoint, stackId, 'opened');
      }
    },
  });
  const followed = await cloudformationProvider.follow!(ref('busy'), watcher);
  t.match(followed, { ok: true, status: 'CREATE_COMPLETE', failures: [], state: { stackId } });
  t.match(await creating, { ok: true, status: 'CREATE_COMPLETE' }, 'and the create that started it ends as well');
  t.same(
    watcher.events.map((e) => e.status),
    ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
    "the create's events, from its start",
  );
  t.same((await cloudformationProvider.describe(ref('busy', followed.state), {}, moto.env)).outputs, { Opened: 'opened' });

  const rest = await cloudformationProvider.follow!(ref('busy', followed.state), recordingContext(tempDir(t), moto.env));
  t.match(rest, { ok: true, status: 'CREATE_COMPLETE' }, 'following a stack at rest returns at once');
  t.match(await cloudformationProvider.follow!(ref('nothing-here'), recordingContext(tempDir(t), moto.env)).catch((e: unknown) => e), {
    code: 'STACK_NOT_FOUND',
  });
});

t.test('AWS problems are one clear line: no region, an endpoint that does not answer, a template CloudFormation refuses', async (t) => {
  const { patternFile } = smallCloudlet(t, { Resources: { Queue: { Type: 'AWS::SQS::Queue' } } });
  const spec = await stackSpec({ name: 'problems', patternFile });
  const home = tempDir(t);
  const noRegion = { ...moto.env, AWS_REGION: '', HOME: home, AWS_CONFIG_FILE: join(home, 'none') };
  t.match(await cloudformationProvider.create(spec, recordingContext(home, noRegion)).catch((e: unknown) => e), { code: 'NO_REGION', message: /--region/ });
  t.match(
    await cloudformationProvider.create(spec, recordingContext(home, moto.env, { options: { region: 'us-east-1' } })).then((o) => o.status),
    'CREATE_COMPLETE',
    '--region alone is enough',
  );

  const closed = { ...moto.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };
  const unreachable = await cloudformationProvider.describe(ref('problems'), {}, closed).catch((e: unknown) => e);
  t.match(unreachable, {
    code: 'AWS_UNREACHABLE',
    message: /^describing stack problems in us-east-1: cannot reach AWS at http:\/\/127\.0\.0\.1:9 \(AWS_ENDPOINT_URL\)/,
  });

  // moto's one realistic refusal here: an export name already taken (real CloudFormation would fail the create instead).
  const exporting = smallCloudlet(t, {
    Resources: { Q: { Type: 'AWS::SQS::Queue' } },
    Outputs: { Url: { Value: { Ref: 'Q' }, Export: { Name: 'shared-url' } } },
  });
  t.ok((await cloudformationProvider.create(await stackSpec({ name: 'exporter', patternFile: exporting.patternFile }), recordingContext(home, moto.env))).ok);
  const refused = await cloudformationProvider
    .create(await stackSpec({ name: 'refused', patternFile: exporting.patternFile }), recordingContext(home, moto.env))
    .catch((e: unknown) => e);
  t.type(refused, NephoError, 'a NephoError, not a stack trace');
  t.match(refused, { code: 'AWS_ERROR', message: 'creating stack refused in us-east-1: ValidationError: Export names must be unique across a given region' });
  t.notMatch((refused as Error).message, /\n/);
  t.notOk(existsSync(join(home, 'formation.json')), 'the provider writes no record of its own');
});
