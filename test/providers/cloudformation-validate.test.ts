// The cloudformation provider before it talks to AWS: the bootstrap hand-off,
// size rules, parameters, capabilities, and how region, credentials and
// endpoints are taken from the environment it is given. No server needed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { NephoError } from '../../src/errors.js';
import { cloudformationProvider } from '../../src/providers/cloudformation/index.js';
import { pollInterval, resolveAwsSettings } from '../../src/providers/cloudformation/aws-config.js';
import { PollPace, isTerminal } from '../../src/providers/cloudformation/follow.js';
import { capabilitiesFor, prepareStack, TEMPLATE_BODY_LIMIT, TEMPLATE_URL_LIMIT, USER_DATA_LIMIT } from '../../src/providers/cloudformation/prepare.js';
import type { FormationSpec } from '../../src/providers/types.js';
import { stackSpec } from '../fixtures/aws.js';
import { ROOT, tempDir } from '../fixtures/paths.js';

const MEDIAWIKI = join(ROOT, 'official', 'huit', 'mediawiki');
const SINGLE_HOST = join(MEDIAWIKI, 'patterns', 'aws', 'single-host.cf');
const TWO_TIER = join(MEDIAWIKI, 'patterns', 'aws', 'two-tier-with-vpc.cf');
const BOOTSTRAP = join(MEDIAWIKI, 'provisioners', 'bootstrap.sh');
const SECRET = 'correct horse battery staple';

/** Expect `promise` to reject with a NephoError of `code` whose message matches `pattern`. */
async function rejects(t: Test, promise: Promise<unknown>, code: string, pattern: RegExp, what: string): Promise<NephoError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, NephoError, `${what}: a NephoError`);
  t.equal((error as NephoError).code, code, `${what}: code ${code}`);
  t.match((error as NephoError).message, pattern, `${what}: the message names the culprit`);
  t.notMatch((error as NephoError).message, /\n/, `${what}: one line`);
  return error as NephoError;
}

/** Write a JSON template into a temp dir and return its path. */
function templateFile(t: Test, document: unknown, name = 'pattern.cf'): string {
  const file = join(tempDir(t), name);
  writeFileSync(file, typeof document === 'string' ? document : JSON.stringify(document, null, 2));
  return file;
}

/** The user data as sent for `text` (prepareStack's userData): plain strings joined around the ARN of AdminPasswordSecret. */
function joinedAroundArn(text: string): unknown {
  const [before, after] = text.split('${AdminPasswordSecret}');
  return { 'Fn::Base64': { 'Fn::Join': ['', [before, { Ref: 'AdminPasswordSecret' }, after]] } };
}

function withScript(spec: FormationSpec, script: string): FormationSpec {
  return { ...spec, bootstrap: { script, environment: {}, scriptBody: script, scriptFile: '/cloudlet/provisioners/big.sh' } };
}

t.test('render: the YAML pattern is sent as long-form JSON, the bootstrap as plain Fn::Base64 user data on the marked instance', async (t) => {
  const spec = await stackSpec({
    name: 'wiki',
    patternFile: SINGLE_HOST,
    scriptFile: BOOTSTRAP,
    parameters: { WikiName: 'Team Wiki', AppPort: 8080, AdminPassword: SECRET, Box: 'generic/debian12' },
    secrets: ['AdminPassword'],
  });
  const files = await cloudformationProvider.render(spec, {});
  t.same(
    files.map((f) => f.path),
    ['template.json', 'user-data.sh'],
  );
  const template = JSON.parse(files[0]!.content);
  const instance = template.Resources.Instance;
  const prepared = prepareStack(spec);
  t.same(prepared.secrets, [{ name: 'AdminPassword', resource: 'AdminPasswordSecret' }], 'AdminPassword is read from its Secrets Manager secret at boot');
  t.same(instance.Properties.UserData, joinedAroundArn(prepared.userData!), "the whole rendered script, joined around the secret's ARN");
  t.ok(prepared.userData!.endsWith(spec.bootstrap!.script.slice('#!/bin/sh\n'.length)), "the rendered script follows the secret's fetch");
  t.same(instance.Properties.SecurityGroupIds, [{ 'Fn::GetAtt': ['SecurityGroup', 'GroupId'] }], '!GetAtt became Fn::GetAtt');
  t.same(instance.Properties.KeyName, { 'Fn::If': ['HasKeyName', { Ref: 'KeyName' }, { Ref: 'AWS::NoValue' }] }, '!If and !Ref became long form');
  t.equal(template.Resources.SecurityGroup.Properties.UserData, undefined, 'unmarked resources get nothing');
  t.equal(files[1]!.content, prepared.userData, 'user-data.sh is the user data, ${AdminPasswordSecret} where the ARN goes');
  t.match(files[1]!.content, /export NEPHO_WikiName='Team Wiki'/);
  t.match(files[1]!.content, /export NEPHO_AppPort='8080'/);
  for (const f of files) t.notOk(f.content.includes(SECRET), `${f.path} holds no secret`);
  t.same(
    Object.keys(template.Parameters),
    ['InstanceType', 'KeyName', 'AmiId', 'WikiName', 'AdminPassword', 'AppPort', 'SshCidr'],
    "the template's parameters stay as declared",
  );
});

t.test('without a provisioner the template is sent as parsed, user data untouched', async (t) => {
  const spec = await stackSpec({ name: 'wiki', patternFile: SINGLE_HOST, parameters: { AdminPassword: SECRET }, secrets: ['AdminPassword'] });
  const files = await cloudformationProvider.render(spec, {});
  t.same(
    files.map((f) => f.path),
    ['template.json'],
  );
  const prepared = prepareStack(spec);
  t.equal(files[0]!.content, JSON.stringify(prepared.template.document), 'exactly the parsed document');
  t.same(prepared.bootstrapped, []);
});

t.test('the two-tier pattern: the launch template and the standalone instance get the user data, the bastion does not', async (t) => {
  const spec = await stackSpec({
    name: 'wiki',
    patternFile: TWO_TIER,
    scriptFile: BOOTSTRAP,
    scenario: 'multi-tenant',
    parameters: { AdminPassword: SECRET },
    secrets: ['AdminPassword'],
  });
  const prepared = prepareStack(spec);
  t.same(prepared.bootstrapped.sort(), ['AppInstance', 'AppLaunchTemplate']);
  const r = prepared.document.Resources as Record<string, any>;
  t.same(r.AppLaunchTemplate.Properties.LaunchTemplateData.UserData, joinedAroundArn(prepared.userData!));
  t.same(r.AppInstance.Properties.UserData, joinedAroundArn(prepared.userData!));
  t.equal(r.Bastion.Properties.UserData, undefined);
  t.equal((prepareStack(spec).template.document.Resources as any).AppInstance.Properties.UserData, undefined, 'the parsed template itself is not changed');
});

t.test('a launch configuration takes the user data too, and a launch template without LaunchTemplateData gets one', async (t) => {
  const file = templateFile(t, {
    Resources: {
      Config: {
        Type: 'AWS::AutoScaling::LaunchConfiguration',
        Metadata: { nepho: { bootstrap: true } },
        Properties: { ImageId: 'ami-12345678', InstanceType: 't3.small' },
      },
      Template: { Type: 'AWS::EC2::LaunchTemplate', Metadata: { nepho: { bootstrap: true } }, Properties: {} },
    },
  });
  const spec = withScript(await stackSpec({ name: 'x', patternFile: file }), '#!/bin/sh\necho hi\n');
  const r = prepareStack(spec).document.Resources as Record<string, any>;
  t.same(r.Config.Properties.UserData, { 'Fn::Base64': '#!/bin/sh\necho hi\n' });
  t.same(r.Template.Properties.LaunchTemplateData, { UserData: { 'Fn::Base64': '#!/bin/sh\necho hi\n' } });
});

t.test('marked-resource errors name the pattern file and the resource', async (t) => {
  const script = '#!/bin/sh\ntrue\n';
  const wrongType = templateFile(t, { Resources: { Bucket: { Type: 'AWS::S3::Bucket', Metadata: { nepho: { bootstrap: true } } } } });
  await rejects(
    t,
    cloudformationProvider.validate(withScript(await stackSpec({ name: 'x', patternFile: wrongType }), script), {}),
    'BOOTSTRAP_UNSUPPORTED',
    new RegExp(`^${wrongType}:\\d+:\\d+: Resources\\.Bucket is marked nepho\\.bootstrap, but a AWS::S3::Bucket cannot take user data$`),
    'a bucket',
  );
  await rejects(
    t,
    cloudformationProvider.validate(await stackSpec({ name: 'x', patternFile: wrongType }), {}),
    'BOOTSTRAP_UNSUPPORTED',
    /Resources\.Bucket/,
    'a wrong mark is an error even without a provisioner',
  );

  const hasUserData = templateFile(t, {
    Resources: {
      Host: {
        Type: 'AWS::EC2::Instance',
        Metadata: { nepho: { bootstrap: true } },
        Properties: { ImageId: 'ami-12345678', UserData: { 'Fn::Base64': 'echo' } },
      },
    },
  });
  await rejects(
    t,
    cloudformationProvider.validate(withScript(await stackSpec({ name: 'x', patternFile: hasUserData }), script), {}),
    'BOOTSTRAP_CONFLICT',
    new RegExp(`^${hasUserData}:\\d+:\\d+: Resources\\.Host\\.Properties\\.UserData is set`),
    'user data already there',
  );

  const ltUserData = templateFile(t, {
    Resources: { Lt: { Type: 'AWS::EC2::LaunchTemplate', Metadata: { nepho: { bootstrap: true } }, Properties: { LaunchTemplateData: { UserData: 'eA==' } } } },
  });
  await rejects(
    t,
    cloudformationProvider.validate(withScript(await stackSpec({ name: 'x', patternFile: ltUserData }), script), {}),
    'BOOTSTRAP_CONFLICT',
    /Resources\.Lt\.Properties\.LaunchTemplateData\.UserData is set/,
    'launch template user data already there',
  );

  const badFlag = templateFile(t, { Resources: { Host: { Type: 'AWS::EC2::Instance', Metadata: { nepho: { bootstrap: 'yes' } } } } });
  await rejects(
    t,
    cloudformationProvider.validate(withScript(await stackSpec({ name: 'x', patternFile: badFlag }), script), {}),
    'TEMPLATE_INVALID',
    /Resources\.Host\.Metadata\.nepho\.bootstrap must be true or false/,
    'a mark that is not a boolean',
  );

  const unmarked = templateFile(t, { Resources: { Host: { Type: 'AWS::EC2::Instance', Properties: { ImageId: 'ami-12345678' } } } });
  await rejects(
    t,
    cloudformationProvider.validate(withScript(await stackSpec({ name: 'x', patternFile: unmarked }), script), {}),
    'BOOTSTRAP_NOWHERE',
    new RegExp(`^${unmarked}:\\d+:\\d+: the scenario has a provisioner, but no resource is marked to receive it$`),
    'nothing marked',
  );
  await t.resolves(cloudformationProvider.validate(await stackSpec({ name: 'x', patternFile: unmarked }), {}), 'nothing marked and no provisioner is fine');
});

t.test('user data over 16 KB is refused, naming the script; exactly 16 KB passes', async (t) => {
  const host = templateFile(t, {
    Resources: { Host: { Type: 'AWS::EC2::Instance', Metadata: { nepho: { bootstrap: true } }, Properties: { ImageId: 'ami-12345678' } } },
  });
  const spec = await stackSpec({ name: 'x', patternFile: host });
  const exact = '#!/bin/sh\n' + 'é'.repeat((USER_DATA_LIMIT - 10) / 2); // multi-byte: the limit is in bytes
  t.equal(Buffer.byteLength(exact), USER_DATA_LIMIT);
  await t.resolves(cloudformationProvider.validate(withScript(spec, exact), {}));
  await rejects(
    t,
    cloudformationProvider.validate(withScript(spec, `${exact}\n`), {}),
    'USER_DATA_TOO_LARGE',
    /^\/cloudlet\/provisioners\/big\.sh: the bootstrap is 16385 bytes as user data, over EC2's 16384-byte limit$/,
    'one byte over',
  );

  // Through the real provisioner: a scenario script that is too big.
  const big = join(tempDir(t), 'bootstrap.sh');
  writeFileSync(big, `#!/bin/sh\n${'# padding\n'.repeat(1700)}`);
  await rejects(
    t,
    cloudformationProvider.validate(
      await stackSpec({ name: 'x', patternFile: SINGLE_HOST, scriptFile: big, parameters: { AdminPassword: SECRET }, secrets: ['AdminPassword'] }),
      {},
    ),
    'USER_DATA_TOO_LARGE',
    new RegExp(`^${big}: `),
    'the scenario script is named',
  );
});

t.test('a secret never goes into user data: a script that holds a secret value is refused', async (t) => {
  const script = join(tempDir(t), 'bootstrap.sh');
  writeFileSync(script, `#!/bin/sh\necho '${SECRET}'\n`);
  const spec = await stackSpec({ name: 'x', patternFile: SINGLE_HOST, scriptFile: script, parameters: { AdminPassword: SECRET }, secrets: ['AdminPassword'] });
  const error = await rejects(
    t,
    cloudformationProvider.validate(spec, {}),
    'SECRET_IN_USER_DATA',
    /the user data would contain the value of secret parameter AdminPassword$/,
    'secret in the script',
  );
  t.notOk(error.message.includes(SECRET), 'the error does not show it either');
});

t.test("parameters: only the template's are sent; a required one without a value is named; a secret needs NoEcho", async (t) => {
  const file = templateFile(t, {
    Parameters: {
      Size: { Type: 'Number', Default: 1 },
      Owner: { Type: 'String' },
      DbPassword: { Type: 'String', NoEcho: true },
      Plain: { Type: 'String', Default: 'x' },
    },
    Resources: { Q: { Type: 'AWS::SQS::Queue' } },
  });
  const values = { Owner: 'ops', DbPassword: SECRET, Enabled: true, Size: 3, NotInTemplate: 'y' };
  const spec = await stackSpec({ name: 'x', patternFile: file, parameters: values, secrets: ['DbPassword'] });
  t.same(
    prepareStack(spec).parameters,
    [
      { key: 'Size', value: '3', secret: false },
      { key: 'Owner', value: 'ops', secret: false },
      { key: 'DbPassword', value: SECRET, secret: true },
    ],
    'template parameters only, as strings; Plain keeps its Default by not being sent',
  );

  const { Owner: _owner, ...withoutOwner } = values;
  await rejects(
    t,
    cloudformationProvider.validate(await stackSpec({ name: 'x', patternFile: file, parameters: withoutOwner, secrets: ['DbPassword'] }), {}),
    'PARAMETER_MISSING',
    new RegExp(`^${file}:\\d+:\\d+: Parameters\\.Owner has no Default and no value was given$`),
    'required parameter',
  );

  await rejects(
    t,
    cloudformationProvider.validate(
      await stackSpec({ name: 'x', patternFile: file, parameters: { ...values, Plain: 'hush' }, secrets: ['DbPassword', 'Plain'] }),
      {},
    ),
    'SECRET_NOT_NOECHO',
    new RegExp(`^${file}:\\d+:\\d+: Parameters\\.Plain receives a secret but is not NoEcho: true$`),
    'secret to a visible parameter',
  );
});

t.test('size rules: over 51,200 bytes goes through S3, over 1,000,000 is refused naming the pattern', async (t) => {
  const sized = (bytes: number) => {
    const doc = { Description: '', Resources: { Q: { Type: 'AWS::SQS::Queue' } } };
    doc.Description = 'x'.repeat(bytes - JSON.stringify(doc).length);
    return doc;
  };
  const atLimit = templateFile(t, sized(TEMPLATE_BODY_LIMIT), 'a.cf');
  const over = templateFile(t, sized(TEMPLATE_BODY_LIMIT + 1), 'b.cf');
  const huge = templateFile(t, sized(TEMPLATE_URL_LIMIT + 1), 'c.cf');
  t.equal(prepareStack(await stackSpec({ name: 'x', patternFile: atLimit })).viaS3, false, '51,200 bytes go inline');
  t.equal(prepareStack(await stackSpec({ name: 'x', patternFile: over })).viaS3, true, '51,201 bytes go through S3');
  await rejects(
    t,
    cloudformationProvider.validate(await stackSpec({ name: 'x', patternFile: huge }), {}),
    'TEMPLATE_TOO_LARGE',
    new RegExp(`^${huge}: the template is 1000001 bytes as sent \\(JSON\\), over CloudFormation's 1000000-byte limit$`),
    '1 MB + 1',
  );

  // User data counts: the template as sent is what is measured.
  const near = templateFile(
    t,
    { ...sized(TEMPLATE_BODY_LIMIT - 2000), Resources: { H: { Type: 'AWS::EC2::Instance', Metadata: { nepho: { bootstrap: true } } } } },
    'd.cf',
  );
  const spec = withScript(await stackSpec({ name: 'x', patternFile: near }), `#!/bin/sh\n${'x'.repeat(4000)}\n`);
  t.equal(prepareStack(spec).viaS3, true, 'the user data pushes it over the inline limit');
});

t.test('capabilities follow the template: IAM, named IAM, transforms', async (t) => {
  t.same(capabilitiesFor({ Resources: { Q: { Type: 'AWS::SQS::Queue' } } }), []);
  t.same(capabilitiesFor({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: {} } } }), ['CAPABILITY_IAM']);
  t.same(capabilitiesFor({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'x' } } } }), ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM']);
  t.same(capabilitiesFor({ Transform: 'AWS::Serverless-2016-10-31', Resources: { F: { Type: 'AWS::Serverless::Function' } } }), [
    'CAPABILITY_AUTO_EXPAND',
    'CAPABILITY_IAM',
    'CAPABILITY_NAMED_IAM',
  ]);
  t.same(
    capabilitiesFor({ Resources: { S: { Type: 'AWS::CloudFormation::Stack' } } }),
    ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    'a nested stack may hold IAM resources',
  );
});

t.test("region: --region, then AWS_REGION, AWS_DEFAULT_REGION, then the profile's config; none is an error naming --region", async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'config');
  writeFileSync(config, '[default]\nregion = eu-west-3\n[profile team]\nregion=ap-southeast-2\ns3 =\n  region = nope\n');
  const base = { HOME: dir, AWS_CONFIG_FILE: config };
  t.equal(resolveAwsSettings({ region: 'us-west-2' }, { ...base, AWS_REGION: 'eu-central-1' }).region, 'us-west-2');
  t.equal(resolveAwsSettings({}, { ...base, AWS_REGION: 'eu-central-1', AWS_DEFAULT_REGION: 'us-east-2' }).region, 'eu-central-1');
  t.equal(resolveAwsSettings({}, { ...base, AWS_DEFAULT_REGION: 'us-east-2' }).region, 'us-east-2');
  t.equal(resolveAwsSettings({}, base).region, 'eu-west-3', 'the default profile');
  t.equal(resolveAwsSettings({ profile: 'team' }, base).region, 'ap-southeast-2', '--profile');
  t.equal(resolveAwsSettings({}, { ...base, AWS_PROFILE: 'team' }).region, 'ap-southeast-2', 'AWS_PROFILE');
  await rejects(t, (async () => resolveAwsSettings({}, { HOME: dir, AWS_CONFIG_FILE: join(dir, 'missing') }))(), 'NO_REGION', /--region/, 'no region anywhere');
  await rejects(t, (async () => resolveAwsSettings({ profile: 'other' }, base))(), 'NO_REGION', /--region/, 'a profile without a region');
  await rejects(
    t,
    (async () => resolveAwsSettings({ region: 'us-east-1.evil.com' }, base))(),
    'BAD_REGION',
    /^--region 'us-east-1\.evil\.com' is not an AWS region$/,
    'a region that is not one',
  );
});

t.test('credentials and endpoints come from the given environment; --profile beats keys there', async (t) => {
  const env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_SESSION_TOKEN: 'token',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
    AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:2',
  };
  const s = resolveAwsSettings({}, env);
  t.same(s.credentials, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
  t.same(s.endpoints, { cloudformation: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:1', sts: 'http://127.0.0.1:2' }, 'the service-specific variable wins');
  const p = resolveAwsSettings({ profile: 'team' }, env);
  t.equal(p.profile, 'team');
  t.equal(p.credentials, undefined, "the profile's credentials, not the environment's keys");
  t.same(resolveAwsSettings({}, { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }).endpoints, {});
  await rejects(
    t,
    (async () => resolveAwsSettings({}, { ...env, AWS_ENDPOINT_URL_CLOUDFORMATION: 'file:///etc/passwd' }))(),
    'BAD_ENDPOINT',
    /^AWS_ENDPOINT_URL_CLOUDFORMATION 'file:\/\/\/etc\/passwd' must be an http/,
    'not http',
  );
  await rejects(
    t,
    (async () => resolveAwsSettings({}, { ...env, AWS_ENDPOINT_URL: 'not a url' }))(),
    'BAD_ENDPOINT',
    /^AWS_ENDPOINT_URL 'not a url' is not a URL$/,
    'not a URL',
  );
});

t.test(
  'polling pace: 2 s by default or NEPHO_POLL_INTERVAL_MS; throttling doubles to 15x, then any answer returns to base; quiet polls stretch to 2.5x',
  async (t) => {
    t.equal(pollInterval({}), 2000);
    t.equal(pollInterval({ NEPHO_POLL_INTERVAL_MS: '200' }), 200);
    await rejects(t, (async () => pollInterval({ NEPHO_POLL_INTERVAL_MS: '0' }))(), 'BAD_ENVIRONMENT', /NEPHO_POLL_INTERVAL_MS '0'/, 'zero');
    const pace = new PollPace(2000);
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      pace.refused();
      seen.push(pace.interval);
    }
    t.same(seen, [4000, 8000, 16000, 30000, 30000, 30000], 'doubling up to 30 s');
    pace.answered(false);
    t.equal(pace.interval, 2000, 'back to base');
    const quiet: number[] = [];
    for (let i = 0; i < 10; i++) {
      pace.answered(false);
      quiet.push(pace.interval);
    }
    t.ok(
      quiet.every((ms) => ms >= 2000 && ms <= 5000),
      'never outside 2 to 5 s',
    );
    t.equal(quiet.at(-1), 5000, 'a long quiet spell polls every 5 s');
    pace.answered(true);
    t.equal(pace.interval, 2000, 'news brings it back to 2 s');
    t.ok(isTerminal('CREATE_COMPLETE') && isTerminal('ROLLBACK_COMPLETE') && isTerminal('DELETE_FAILED') && isTerminal('REVIEW_IN_PROGRESS'));
    t.notOk(isTerminal('CREATE_IN_PROGRESS') || isTerminal('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS') || isTerminal('ROLLBACK_IN_PROGRESS'));
  },
);

t.test('the provider module is light: nothing heavy is imported statically, so `nepho --help` never loads the SDK', async (t) => {
  const source = readFileSync(join(ROOT, 'src', 'providers', 'cloudformation', 'index.ts'), 'utf8');
  const statics = [...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
  t.same(statics, [], 'nothing but types');
  t.match(source, /import\('\.\/provider\.js'\)/, 'the SDK side loads on demand');
});
