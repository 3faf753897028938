// Secret parameters on AWS, end to end through the CLI against moto: the
// pattern keeps the NoEcho parameter in an AWS::SecretsManager::Secret that
// only the instance's role may read, nepho puts the secret's ARN (never its
// value) into the user data, and the boot script reads it with the AWS CLI.
//
// moto gap filled (test/fixtures/moto-server.py): moto 5.2's CloudFormation
// skips AWS::SecretsManager::Secret; the fixture makes it in moto's own
// Secrets Manager, as CloudFormation does. No instance boots in moto, so the
// user data EC2 holds is run here with sh, the AWS CLI pointed at moto (the
// real `aws` where installed, else test/fixtures/stand-in-aws.py), its
// credentials from the environment where an instance would take its role's.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { awsCliPath, motoJson, motoQuery, rolePolicy, startMoto } from '../fixtures/aws.js';
import { nepho, stderrLines } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { filesContaining } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';

const ROLE = `  HostRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: read-api-token
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: secretsmanager:GetSecretValue
                Resource: !Ref ApiTokenSecret
  HostProfile:
    Type: AWS::IAM::InstanceProfile
    Properties:
      Roles: [!Ref HostRole]
`;

function template(profile = true): string {
  return `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Greeting: {Type: String, Default: hello}
  ApiToken: {Type: String, NoEcho: true, MinLength: 12}
Resources:
  ApiTokenSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Description: !Sub "ApiToken of \${AWS::StackName}, read by its host at boot"
      SecretString: !Ref ApiToken
${profile ? ROLE : ''}  Host:
    Type: AWS::EC2::Instance
    Metadata: {nepho: {bootstrap: true}}
    Properties:
      ImageId: ami-12c6146b
      InstanceType: t3.micro
${profile ? '      IamInstanceProfile: !Ref HostProfile\n' : ''}Outputs:
  InstanceId: {Value: !Ref Host}
`;
}

const SCENARIO = [
  'summary: a host that needs a token',
  'providers:\n  cloudformation: {pattern: single}',
  'provisioner: {type: shell, script: provisioners/bootstrap.sh}',
  'parameters:',
  '  ApiToken: {type: string, secret: true, description: token of the API the host calls}',
  '',
].join('\n');

// Writes what it received, so the test can check the hand-off.
const BOOTSTRAP = '#!/bin/sh\nprintf %s "$NEPHO_Greeting" >greeting\nprintf %s "${NEPHO_ApiToken-unset}" >received\n';

t.test('the stack keeps the secret in Secrets Manager for the role alone; the boot script reads it; user data holds only its ARN', async (t) => {
  const moto = await startMoto(t);
  const home = tempDir(t, 'nepho-aws-secrets-');
  const marker = join(tempDir(t), 'expanded');
  const secret = `it's "quoted" $(touch ${marker}) \`touch ${marker}\` \\ ünï\nsecond line\n`;
  const cloudlet = await installDevCloudlet(t, home, 'tokened', {
    'scenarios/default.yaml': SCENARIO,
    'patterns/aws/single.cf': template(),
    'provisioners/bootstrap.sh': BOOTSTRAP,
  });
  const run = (...args: string[]) => nepho(args, { home, env: moto.env });

  const out = join(tempDir(t), 'out');
  const dry = await run('formation:create', cloudlet.id, '--name', 'api', '-p', `ApiToken=${secret}`, '--dry-run', '--out', out);
  t.equal(dry.code, 0, dry.stderr);
  const shown = readFileSync(join(out, 'user-data.sh'), 'utf8');
  t.match(shown, "nepho_arn='${ApiTokenSecret}'", 'the dry run shows where CloudFormation puts the ARN');
  const sent = JSON.parse(readFileSync(join(out, 'template.json'), 'utf8'));
  t.match(
    sent.Resources.Host.Properties.UserData,
    { 'Fn::Base64': { 'Fn::Join': ['', [String, { Ref: 'ApiTokenSecret' }, String]] } },
    'the user data is a Join around the Ref',
  );
  t.same(filesContaining(out, secret.slice(0, 12)), [], 'no secret in what the dry run wrote');

  const created = await run('formation:create', cloudlet.id, '--name', 'api', '-p', `ApiToken=${secret}`, '--no-input');
  t.equal(created.code, 0, created.stderr);
  t.notMatch(created.stdout + created.stderr, secret.slice(0, 12), 'the secret is never printed');
  const described = await run('formation:describe', 'api', '-o', 'json');
  t.equal(described.code, 0, described.stderr);
  const resources: { id: string; physicalId?: string }[] = JSON.parse(described.stdout).resources;
  const physical = (id: string) => resources.find((r) => r.id === id)?.physicalId ?? '';
  const arn = physical('ApiTokenSecret');
  t.match(arn, /^arn:aws:secretsmanager:us-east-1:123456789012:secret:/, 'the secret resource is a Secrets Manager secret');

  // The secret is in Secrets Manager, with the value.
  const value = await motoJson(moto.endpoint, 'secretsmanager', 'secretsmanager.GetSecretValue', { SecretId: arn });
  t.equal(value.SecretString, secret, 'Secrets Manager holds the value given');

  // The role may read that secret and nothing else.
  const role = physical('HostRole');
  const policy = await rolePolicy(moto.endpoint, role, 'read-api-token');
  t.same(policy.policies, ['read-api-token'], 'one policy on the role');
  t.same(policy.resources, [arn], 'the policy names only that secret');
  t.match(policy.document, /secretsmanager:GetSecretValue/);
  const instance = await motoQuery(moto.endpoint, 'ec2', { Action: 'DescribeInstances', 'InstanceId.1': physical('Host'), Version: '2016-11-15' });
  t.match(instance, /<iamInstanceProfile>\s*<arn>arn:aws:iam::123456789012:instance-profile\//, 'the instance runs with the profile of that role');

  // The user data EC2 holds names the secret by ARN, never by value.
  const attr = await motoQuery(moto.endpoint, 'ec2', {
    Action: 'DescribeInstanceAttribute',
    InstanceId: physical('Host'),
    Attribute: 'userData',
    Version: '2016-11-15',
  });
  const userData = Buffer.from(/<userData>\s*<value>([^<]+)<\/value>/.exec(attr)![1]!, 'base64').toString('utf8');
  t.match(userData, `nepho_arn='${arn}'`, 'the ARN, filled in by CloudFormation');
  for (const part of secret.split(/\n/).filter((p) => p !== '')) t.notMatch(userData, part, 'no part of the secret in the user data');
  t.same(filesContaining(home, 'second line'), [], 'nor anywhere under NEPHO_HOME (record, journal, rendered files)');

  // Booting: the user data, run with sh; its AWS CLI reads the secret from moto.
  const cli = awsCliPath(t);
  t.comment(`the boot script's aws is ${cli.which === 'aws' ? 'the real AWS CLI' : 'the boto3 stand-in (no AWS CLI here)'}`);
  const boot = tempDir(t, 'nepho-boot-');
  writeFileSync(join(boot, 'user-data'), userData);
  const machine = {
    PATH: cli.PATH,
    HOME: boot,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    NEPHO_BOOTSTRAP_LOG: join(boot, 'log'),
    NEPHO_BOOTSTRAP_DIR: join(boot, 'lib'),
  };
  execFileSync('sh', [join(boot, 'user-data')], { env: machine });
  t.equal(readFileSync(join(boot, 'lib', 'received'), 'utf8'), secret, 'the bootstrap received the secret exactly');
  t.equal(readFileSync(join(boot, 'lib', 'greeting'), 'utf8'), 'hello', 'and its other parameters as before');
  t.notOk(existsSync(marker), 'nothing in the secret was run');
  t.match(readFileSync(join(boot, 'log'), 'utf8'), /bootstrap of api finished with status 0/);

  // A machine without the AWS CLI stops at once, saying why in the log.
  const bare = join(boot, 'bare');
  mkdirSync(bare);
  const noCli = spawnSync('sh', [join(boot, 'user-data')], {
    env: { ...machine, PATH: '/usr/bin:/bin', NEPHO_BOOTSTRAP_LOG: join(bare, 'log'), NEPHO_BOOTSTRAP_DIR: join(bare, 'lib') },
  });
  t.equal(noCli.status, 1, 'the boot script fails');
  t.match(
    readFileSync(join(bare, 'log'), 'utf8'),
    /nepho: the AWS CLI \(aws\) is needed on this machine to read secret parameter ApiToken from AWS Secrets Manager/,
  );
  t.notOk(existsSync(join(bare, 'lib', 'received')), 'the bootstrap did not run without its secret');

  const destroyed = await run('formation:destroy', 'api', '--yes');
  t.equal(destroyed.code, 0, destroyed.stderr);
  const left = await motoJson(moto.endpoint, 'secretsmanager', 'secretsmanager.ListSecrets', {});
  t.same(left.SecretList, [], 'the secret goes with the stack');
});

t.test('a bootstrapped resource without an instance profile cannot read the secret: refused before anything is created', async (t) => {
  const home = tempDir(t, 'nepho-aws-secrets-');
  const cloudlet = await installDevCloudlet(t, home, 'noprofile', {
    'scenarios/default.yaml': SCENARIO,
    'patterns/aws/single.cf': template(false),
    'provisioners/bootstrap.sh': BOOTSTRAP,
  });
  const r = await nepho(['formation:create', cloudlet.id, '-p', 'ApiToken=long-enough-token', '--dry-run'], { home });
  t.equal(r.code, 1);
  const lines = stderrLines(r.stderr);
  t.equal(lines.errors.length, 1, 'one line');
  t.match(
    lines.errors[0],
    /single\.cf:\d+:\d+: Resources\.Host runs the bootstrap, which reads secret parameter ApiToken from Resources\.ApiTokenSecret at boot, but has no IamInstanceProfile to read it with/,
  );
  t.match(lines.hints[0], /secretsmanager:GetSecretValue on Resources\.ApiTokenSecret only/);
  const lint = await nepho(['cloudlet:lint', cloudlet.dir], { home });
  t.equal(lint.code, 1, 'cloudlet:lint finds it too');
  t.match(lint.stdout + lint.stderr, /has no IamInstanceProfile to read it with/);
});
