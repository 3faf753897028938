// The main job end to end through the CLI, against a real moto server
// through the real AWS SDK: install a cloudlet from a local registry, create
// a formation, list it (also with the local records gone, as a teammate
// would see it), describe it, open --print, run the user data moto stored,
// and destroy it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { motoQuery, startMoto } from '../fixtures/aws.js';
import { nepho } from '../fixtures/cli.js';
import { writeConfig } from '../fixtures/files.js';
import { makeCloudletRepo } from '../fixtures/git.js';
import { tempDir } from '../fixtures/paths.js';
import { indexDoc } from '../fixtures/registry.js';

const BOOTSTRAP = `#!/bin/sh
set -eu
# Writes what it was given, so the test can check the hand-off.
{
  echo "formation=$NEPHO_FORMATION"
  echo "cloudlet=$NEPHO_CLOUDLET"
  echo "scenario=$NEPHO_SCENARIO"
  echo "greeting=$NEPHO_Greeting"
  echo "port=$NEPHO_AppPort"
  echo "secret=\${NEPHO_DbPassword:-unset}"
  echo "user=$(id -un)"
} > "$NEPHO_BOOTSTRAP_DIR/handed-off.txt"
`;

const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Greeting: {Type: String, Default: hello}
  AppPort: {Type: Number, Default: 8080, MinValue: 1, MaxValue: 65535}
  DbPassword: {Type: String, NoEcho: true, MinLength: 8}
Resources:
  Web:
    Type: AWS::EC2::Instance
    Metadata: {nepho: {bootstrap: true}}
    Properties:
      ImageId: ami-12c6146b
      InstanceType: t3.micro
      Tags: [{Key: Name, Value: !Sub "\${AWS::StackName}-web"}]
Outputs:
  PublicDnsName: {Value: !GetAtt Web.PublicDnsName}
  PublicIp: {Value: !GetAtt Web.PublicIp}
  InstanceId: {Value: !Ref Web}
`;

function helloFiles(version: string): Record<string, string> {
  return {
    'cloudlet.yaml': `name: hello\nversion: ${version}\nsummary: a web host that says hello\nkeywords: [web]\n`,
    'scenarios/default.yaml': [
      'summary: one host',
      'providers:',
      '  cloudformation: {pattern: single}',
      'provisioner: {type: shell, script: provisioners/bootstrap.sh}',
      'parameters:',
      '  Greeting: {type: string, default: hi there, description: what the host says}',
      '  DbPassword: {type: string, secret: true, description: database password}',
      'access:',
      '  url: "http://{{outputs.PublicDnsName}}:{{parameters.AppPort}}/"',
      '  ssh: {host: "{{outputs.PublicIp}}", user: ec2-user}',
      '',
    ].join('\n'),
    'patterns/aws/single.cf': TEMPLATE,
    'provisioners/bootstrap.sh': BOOTSTRAP,
  };
}

t.test('create, list (here and from another machine), describe, open, run the user data, destroy', async (t) => {
  const moto = await startMoto(t);
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const repo = makeCloudletRepo(dir, 'hello', ['1.0.0'], { files: helloFiles });
  const registry = join(dir, 'registry');
  mkdirSync(registry);
  writeFileSync(
    join(registry, 'index.json'),
    indexDoc({
      'team/hello': { summary: 'a web host', source: repo.url, versions: [{ version: '1.0.0', ref: 'v1.0.0', commit: repo.commits['1.0.0'] }] },
    }),
  );
  writeConfig(home, `registries:\n  - name: team\n    url: file://${registry}/index.json\n`);
  const env = moto.env;
  const run = (...args: string[]) => nepho(args, { home, env });

  const installed = await run('cloudlet:install', 'team/hello');
  t.equal(installed.code, 0, installed.stderr);

  const secret = 'correct-horse-battery';
  const created = await run('formation:create', 'hello', '--name', 'web1', '-p', `DbPassword=${secret}`, '-p', 'AppPort=9090', '--no-input');
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, /created web1 in \d+/);
  t.match(created.stderr, /CREATE_COMPLETE/, 'events were shown as they happened');
  t.notMatch(created.stdout + created.stderr, secret, 'the secret is never printed');

  const record = JSON.parse(readFileSync(join(home, 'formations', 'web1', 'formation.json'), 'utf8'));
  t.equal(record.status, 'CREATE_COMPLETE');
  t.same(record.secrets, ['DbPassword']);
  t.notMatch(JSON.stringify(record), secret, 'the record holds no secret');
  t.match(record.state.stackId, /^arn:aws:cloudformation:us-east-1:/);

  // The stack carries nepho's tags, so teammates can find it.
  const stacks = await motoQuery(moto.endpoint, 'cloudformation', { Action: 'DescribeStacks', StackName: 'web1', Version: '2010-05-15' });
  for (const [k, v] of [
    ['nepho:formation', 'web1'],
    ['nepho:cloudlet', 'team/hello'],
    ['nepho:scenario', 'default'],
    ['nepho:version', '1.0.0'],
  ]) {
    t.match(stacks, new RegExp(`<Key>${k}</Key>\\s*<Value>${v.replace('/', '\\/')}</Value>`), `tag ${k}`);
  }

  const listed = await run('formation:list', '-o', 'json');
  t.equal(listed.code, 0, listed.stderr);
  t.match(JSON.parse(listed.stdout), [
    { name: 'web1', cloudlet: 'team/hello', scenario: 'default', provider: 'cloudformation', status: 'CREATE_COMPLETE', source: 'local' },
  ]);

  const described = await run('formation:describe', 'web1', '-o', 'json');
  t.equal(described.code, 0, described.stderr);
  const d = JSON.parse(described.stdout);
  t.equal(d.status, 'CREATE_COMPLETE');
  t.equal(d.parameters.DbPassword, '(secret)', 'a secret is an answer by name only');
  t.match(
    d,
    { version: '1.0.0', commit: repo.commits['1.0.0'], installed: { version: '1.0.0', newer: false } },
    'the version and commit it runs, and whether a newer one is installed',
  );
  t.equal(d.parameters.AppPort, 9090);
  t.ok(d.outputs.PublicDnsName, 'outputs are there');
  t.equal(d.url, `http://${d.outputs.PublicDnsName}:9090/`);
  t.equal(d.ssh, `ec2-user@${d.outputs.PublicIp}:22`);
  t.ok(d.resources.some((r: { id: string; type: string }) => r.id === 'Web' && r.type === 'AWS::EC2::Instance'));

  const opened = await run('formation:open', 'web1', '--print');
  t.equal(opened.code, 0, opened.stderr);
  t.equal(opened.stdout.trim(), d.url);

  // The user data moto stored, decoded and run with sh: the hand-off works.
  const attr = await motoQuery(moto.endpoint, 'ec2', {
    Action: 'DescribeInstanceAttribute',
    InstanceId: d.outputs.InstanceId,
    Attribute: 'userData',
    Version: '2016-11-15',
  });
  const encoded = /<userData>\s*<value>([^<]+)<\/value>/.exec(attr)?.[1];
  t.ok(encoded, 'the instance has user data');
  const userData = Buffer.from(encoded!, 'base64').toString('utf8');
  t.notMatch(userData, secret, 'no secret in the user data');
  const boot = join(dir, 'boot');
  mkdirSync(boot);
  writeFileSync(join(dir, 'user-data.sh'), userData);
  execFileSync('sh', [join(dir, 'user-data.sh')], { env: { PATH: process.env.PATH, NEPHO_BOOTSTRAP_DIR: boot, NEPHO_BOOTSTRAP_LOG: join(boot, 'log') } });
  const handed = readFileSync(join(boot, 'handed-off.txt'), 'utf8');
  t.match(handed, 'formation=web1\ncloudlet=team/hello\nscenario=default\ngreeting=hi there\nport=9090\nsecret=unset\n');
  t.match(readFileSync(join(boot, 'log'), 'utf8'), /bootstrap of web1 finished with status 0/);

  // From another machine: no local records, the stack is found by its tags.
  rmSync(join(home, 'formations'), { recursive: true });
  const remote = await run('formation:list', '-o', 'json');
  t.equal(remote.code, 0, remote.stderr);
  t.match(JSON.parse(remote.stdout), [{ name: 'web1', cloudlet: 'team/hello', scenario: 'default', status: 'CREATE_COMPLETE', source: 'remote' }]);
  const remoteDescribe = await run('formation:describe', 'web1', '-o', 'json');
  t.equal(remoteDescribe.code, 0, remoteDescribe.stderr);
  t.equal(JSON.parse(remoteDescribe.stdout).outputs.InstanceId, d.outputs.InstanceId);

  const destroyed = await run('formation:destroy', 'web1', '--yes');
  t.equal(destroyed.code, 0, destroyed.stderr);
  t.match(destroyed.stdout, /destroyed web1/);
  t.notOk(existsSync(join(home, 'formations', 'web1', 'formation.json')), 'the record is gone');
  const after = await run('formation:list', '-o', 'json');
  t.same(JSON.parse(after.stdout), []);
  const gone = await run('formation:describe', 'web1');
  t.equal(gone.code, 1);
  t.match(gone.stderr, /no formation named 'web1'/);
});

t.test('a record whose stack was deleted elsewhere shows as GONE', async (t) => {
  const moto = await startMoto(t);
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const repo = makeCloudletRepo(dir, 'hello', ['1.0.0'], { files: helloFiles });
  const run = (...args: string[]) => nepho(args, { home, env: moto.env });
  t.equal((await run('cloudlet:install', `${repo.url}#v1.0.0`)).code, 0);
  const created = await run('create', 'hello', '--name', 'web2', '-p', 'DbPassword=abcdefgh12', '--no-input');
  t.equal(created.code, 0, created.stderr);
  await motoQuery(moto.endpoint, 'cloudformation', { Action: 'DeleteStack', StackName: 'web2', Version: '2010-05-15' });
  const listed = await run('formation:list', '-o', 'json');
  t.match(JSON.parse(listed.stdout), [{ name: 'web2', status: 'GONE', exists: false, source: 'local' }]);
});

t.test('without AWS credentials the create fails before anything is recorded', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const repo = makeCloudletRepo(dir, 'hello', ['1.0.0'], { files: helloFiles });
  const env = {
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
  };
  t.equal((await nepho(['cloudlet:install', `${repo.url}#v1.0.0`], { home, env })).code, 0);
  const r = await nepho(['create', 'hello', '-p', 'DbPassword=abcdefgh12', '--no-input'], { home, env });
  t.equal(r.code, 1);
  t.match(r.stderr, /credentials/i);
  t.match(r.stderr, /nepho register/);
  t.notOk(existsSync(join(home, 'formations', 'hello-default', 'formation.json')), 'no record was left');
});
