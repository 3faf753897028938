// Templates users already run, through the built binary: errors as one line
// naming file:line:col (lint lists all, create stops on the first with the
// same line), YAML that is not strict read with a warning, Java
// AllowedPatterns never "unexpected failure", JSON nested 10,000 deep refused
// in one line, and NoEcho in any spelling kept out of the plan, -o json, the
// record, the journal and the user data of a real create against moto.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { motoQuery, startMoto } from '../fixtures/aws.js';
import { expectUserError, nepho, stderrLines } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { filesContaining } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';

const CFN_SCENARIO = 'summary: on AWS\nproviders:\n  cloudformation: {pattern: app}\n';

/** A PATH without cfn-lint, so that lint output is nepho's own whatever the machine has. */
function withoutCfnLint(): Record<string, string> {
  return {
    PATH: (process.env.PATH ?? '')
      .split(':')
      .filter((p) => !/pyenv|\.local\/bin/.test(p))
      .join(':'),
  };
}

/** No stack trace and no "unexpected failure" anywhere in a run's output. */
function noCrash(t: Test, r: { stdout: string; stderr: string }, what: string): void {
  t.notMatch(r.stdout + r.stderr, /unexpected failure|bug in nepho/, `${what}: not a crash`);
  t.same(stderrLines(r.stderr).stackFrames, [], `${what}: no stack trace`);
}

const BROKEN = `Parameters:
  Size: {Type: String, Default: small}
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    DependsOn: Queue
    Properties:
      BucketName: !Ref Nmae
  Queue:
    Type: AWS::SQS::Queue
    DependsOn: [Bucket, Topic]
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmActions: [!GetAtt Topic.Arn]
`;

t.test('template errors: cloudlet:lint lists every one at file:line:col; formation:create stops on the first with the same line', async (t) => {
  const home = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, home, 'broken', { 'scenarios/default.yaml': CFN_SCENARIO, 'patterns/aws/app.cf': BROKEN });
  const env = withoutCfnLint();
  const lint = await nepho(['cloudlet:lint', c.dir], { home, env });
  t.equal(lint.code, 1, lint.stderr);
  const lines = lint.stdout.trim().split('\n');
  t.same(lines, [
    'patterns/aws/app.cf:6:16: circular dependency: Bucket → Queue → Bucket',
    "patterns/aws/app.cf:8:19: Ref 'Nmae': no parameter, resource or pseudo parameter has that name",
    "patterns/aws/app.cf:11:25: DependsOn 'Topic': no resource has that name",
    "patterns/aws/app.cf:15:22: Fn::GetAtt on 'Topic': no resource has that name",
  ]);
  const create = await nepho(['formation:create', c.id, '--dry-run'], { home, env });
  expectUserError(t, create, /./, 'create stops');
  t.equal(stderrLines(create.stderr).errors[0], `error: ${c.installed}/${lines[0]}`, 'on the first problem, with the same line');
  const real = await nepho(['formation:create', c.id, '--no-input'], {
    home,
    env: { ...env, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
  });
  t.equal(stderrLines(real.stderr).errors[0], `error: ${c.installed}/${lines[0]}`, 'a real create stops there too, before AWS');
});

t.test('YAML CloudFormation accepts but strict YAML does not: lint warns with the line, dry-run warns and goes on', async (t) => {
  const home = join(tempDir(t), 'home');
  const loose =
    'Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: "a name\n      that goes on"\n      Tags: [\n\t{Key: a, Value: b}]\n';
  const c = await installDevCloudlet(t, home, 'loose', { 'scenarios/default.yaml': CFN_SCENARIO, 'patterns/aws/app.cf': loose });
  const lint = await nepho(['cloudlet:lint', c.dir], { home, env: withoutCfnLint() });
  t.equal(lint.code, 0, lint.stdout + lint.stderr);
  t.match(lint.stdout, /^patterns\/aws\/app\.cf:5:20: warning: not strict YAML: the lines of this multi-line quoted string are not indented past its key/m);
  t.match(lint.stdout, /^patterns\/aws\/app\.cf:7:13: warning: not strict YAML: tabs indent the lines of this flow collection/m);
  const out = join(tempDir(t), 'out');
  const dry = await nepho(['formation:create', c.id, '--dry-run', '--out', out, '-o', 'json'], { home });
  t.equal(dry.code, 0, dry.stderr);
  t.same(stderrLines(dry.stderr).warnings.length, 2, 'two warning lines on stderr');
  t.match(JSON.parse(dry.stdout).warnings, [/app\.cf:5:20: not strict YAML/, /app\.cf:7:13: not strict YAML/]);
  const sent = JSON.parse(readFileSync(join(out, 'template.json'), 'utf8'));
  t.same(sent.Resources.Topic.Properties, { DisplayName: 'a name that goes on', Tags: [{ Key: 'a', Value: 'b' }] });
});

t.test('AllowedPattern in Java: never an unexpected failure; translated where it can be, otherwise one warning and CloudFormation judges', async (t) => {
  const home = join(tempDir(t), 'home');
  const template = `Parameters:
  Name:
    Type: String
    AllowedPattern: "[\\\\w-\\\\+]+"
  Code:
    Type: String
    AllowedPattern: "[A-Z&&[^AEIOU]]{3}"
    Default: XYZ
  Alpha:
    Type: String
    AllowedPattern: "\\\\p{Alpha}++"
    Default: abc
Resources:
  Topic: {Type: AWS::SNS::Topic, Properties: {DisplayName: !Sub "\${Name}-\${Code}-\${Alpha}"}}
`;
  const c = await installDevCloudlet(t, home, 'java', { 'scenarios/default.yaml': CFN_SCENARIO, 'patterns/aws/app.cf': template });
  const ok = await nepho(['formation:create', c.id, '--dry-run', '-p', 'Name=my-app+1', '-o', 'json'], { home });
  noCrash(t, ok, 'a good value');
  t.equal(ok.code, 0, ok.stderr);
  const warnings = stderrLines(ok.stderr).warnings;
  t.equal(warnings.length, 1, 'one warning line');
  t.match(
    warnings[0],
    new RegExp(
      `^warning: ${c.installed}/patterns/aws/app\\.cf:7:21: Parameters\\.Code\\.AllowedPattern is not checked by nepho \\(the class intersection .*\\); CloudFormation will check values of Code$`,
    ),
  );
  const bad = await nepho(['formation:create', c.id, '--dry-run', '-p', 'Name=my app', '--no-input'], { home });
  noCrash(t, bad, 'a bad value');
  t.equal(bad.code, 1);
  t.match(stderrLines(bad.stderr).errors[0], /Name.*must match the pattern \[\\w-\\\+\]\+/, 'the translated pattern judges the value');
  const possessive = await nepho(['formation:create', c.id, '--dry-run', '-p', 'Name=x', '-p', 'Alpha=ab1', '--no-input'], { home });
  t.equal(possessive.code, 1, 'a possessive \\p{Alpha}++ is checked too');
  t.match(stderrLines(possessive.stderr).errors[0], /Alpha.*must match the pattern/);
  const described = await nepho(['scenario:describe', c.id, '-o', 'json'], { home });
  t.equal(described.code, 0, described.stderr);
  t.match(JSON.parse(described.stdout).parameters.find((p: { name: string }) => p.name === 'Code').constraints, [
    'matches [A-Z&&[^AEIOU]]{3} (checked by the provider only)',
  ]);
});

t.test('JSON nested 10,000 levels deep: one line naming the file, in lint and in dry-run; no stack overflow', async (t) => {
  const home = join(tempDir(t), 'home');
  const deep = `{"Resources": {"A": {"Type": "AWS::SNS::Topic", "Properties": {"Tags": ${'['.repeat(10_000)}${']'.repeat(10_000)}}}}}`;
  const c = await installDevCloudlet(t, home, 'deep', { 'scenarios/default.yaml': CFN_SCENARIO, 'patterns/aws/app.cf': deep });
  const lint = await nepho(['cloudlet:lint', c.dir], { home, env: withoutCfnLint() });
  noCrash(t, lint, 'lint');
  t.equal(lint.code, 1);
  t.match(lint.stdout, /^patterns\/aws\/app\.cf:1:\d+: nested more than 256 levels deep$/m);
  const dry = await nepho(['formation:create', c.id, '--dry-run'], { home });
  expectUserError(t, dry, new RegExp(`${c.installed}/patterns/aws/app\\.cf:1:\\d+: nested more than 256 levels deep$`), 'dry-run');
  const described = await nepho(['scenario:describe', c.id], { home });
  expectUserError(t, described, /app\.cf:1:\d+: nested more than 256 levels deep$/, 'describe');
});

const NOECHO = `Parameters:
  DbPassword: {Type: String, NoEcho: "TRUE", MinLength: 8}
  ApiKey: {Type: String, NoEcho: "True"}
  Greeting: {Type: String, Default: hello}
Resources:
  Host:
    Type: AWS::EC2::Instance
    Metadata: {nepho: {bootstrap: true}}
    Properties: {ImageId: ami-12c6146b, InstanceType: t3.nano}
Outputs:
  InstanceId: {Value: !Ref Host}
`;

t.test('NoEcho "TRUE" and "True" make secrets: never in the plan, -o json, the record, the journal or the user data (real create through moto)', async (t) => {
  const moto = await startMoto(t);
  const home = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, home, 'noecho', {
    'scenarios/default.yaml': `${CFN_SCENARIO}provisioner: {type: shell, script: provisioners/bootstrap.sh}\n`,
    'patterns/aws/app.cf': NOECHO,
    'provisioners/bootstrap.sh': '#!/bin/sh\nenv | grep NEPHO_ > /tmp/nepho-env\n',
  });
  const password = 'db-pass-7c1e9a3f5b';
  const key = 'api-key-42d8e0b6c1';
  const args = ['formation:create', c.id, '--name', 'secretive', '-p', `DbPassword=${password}`, '-p', `ApiKey=${key}`, '--no-input'];
  const [table, json] = await Promise.all([
    nepho([...args, '--dry-run'], { home, env: moto.env }),
    nepho([...args, '--dry-run', '-o', 'json'], { home, env: moto.env }),
  ]);
  for (const [what, r] of Object.entries({ table, json })) {
    t.equal(r.code, 0, `${what}: ${r.stderr}`);
    t.notMatch(r.stdout + r.stderr, new RegExp(`${password}|${key}`), `${what}: no secret printed`);
  }
  t.match(table.stdout, /^\s*DbPassword\s+\*{8}\s/m);
  t.match(JSON.parse(json.stdout).parameters, [
    { name: 'DbPassword', value: '********', secret: true },
    { name: 'ApiKey', value: '********', secret: true },
    { name: 'Greeting', secret: false },
  ]);

  const created = await nepho(args, { home, env: moto.env });
  t.equal(created.code, 0, created.stderr);
  t.notMatch(created.stdout + created.stderr, new RegExp(`${password}|${key}`), 'create prints no secret');
  const record = JSON.parse(readFileSync(join(home, 'formations', 'secretive', 'formation.json'), 'utf8'));
  t.same(record.secrets.sort(), ['ApiKey', 'DbPassword'], 'the record names the secrets, without their values');
  for (const secret of [password, key]) t.same(filesContaining(home, secret), [], 'no file under NEPHO_HOME (record, journal) holds a secret');
  const described = JSON.parse((await nepho(['formation:describe', 'secretive', '-o', 'json'], { home, env: moto.env })).stdout);
  const attr = await motoQuery(moto.endpoint, 'ec2', {
    Action: 'DescribeInstanceAttribute',
    InstanceId: described.outputs.InstanceId,
    Attribute: 'userData',
    Version: '2016-11-15',
  });
  const userData = Buffer.from(/<userData>\s*<value>([^<]+)<\/value>/.exec(attr)![1]!, 'base64').toString('utf8');
  t.match(userData, /NEPHO_Greeting='hello'/, 'non-secret parameters reach the user data');
  t.notMatch(userData, /NEPHO_DbPassword|NEPHO_ApiKey/, 'secret ones do not');
  t.notMatch(userData, new RegExp(`${password}|${key}`));
});
