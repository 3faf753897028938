// formation:update with the cloudformation provider, end to end through the
// CLI: real moto through the real AWS SDK, behind the recording proxy of
// test/fixtures/aws.ts so each test sees the requests nepho sent. The cloudlet
// comes from a git repository through a file:// registry, so a new version is
// a new tag and `cloudlet:update`.
//
// moto never rolls back and never leaves a stack busy or in
// UPDATE_ROLLBACK_FAILED (testing.md): where a test needs one of those, the
// proxy rewrites moto's real answers into the shape CloudFormation gives, and
// the test says so.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { eventXml, motoQuery, rewrite, serveAwsProxy, startMoto, type AwsProxy, type Moto } from '../fixtures/aws.js';
import { expectUserError, nepho, running, spawnNepho, type RunResult } from '../fixtures/cli.js';
import { filesContaining, writeConfig, writeFiles } from '../fixtures/files.js';
import { git, makeCloudletRepo, type CloudletRepo } from '../fixtures/git.js';
import { latestEntries, waitForJournal } from '../fixtures/nanny.js';
import { tempDir } from '../fixtures/paths.js';
import { indexDoc, indexEntry } from '../fixtures/registry.js';

const SECRET = 'kept-secret-4711';

/** The cloudlet `hello` at `version`: one host with the bootstrap; 1.1.0 adds a queue. */
function helloFiles(version: string): Record<string, string> {
  const queue = version === '1.0.0' ? '' : '  Jobs: {Type: "AWS::SQS::Queue"}\n';
  return {
    'cloudlet.yaml': `name: hello\nversion: ${version}\nsummary: a host that greets\n`,
    'scenarios/default.yaml': [
      'summary: one host',
      'providers:',
      '  cloudformation: {pattern: host}',
      'provisioner: {type: shell, script: provisioners/greet.sh}',
      'parameters:',
      '  Greeting: {type: string, default: hello, description: what the host says}',
      '  DbPassword: {type: string, secret: true, description: database password}',
      '',
    ].join('\n'),
    'patterns/aws/host.cf':
      [
        'Parameters:',
        '  Greeting: {Type: String}',
        '  DbPassword: {Type: String, NoEcho: true}',
        'Resources:',
        '  Web:',
        '    Type: AWS::EC2::Instance',
        '    Metadata: {nepho: {bootstrap: true}}',
        '    Properties: {ImageId: ami-12c6146b, InstanceType: t3.micro}',
        '',
      ].join('\n') + queue,
    'provisioners/greet.sh': '#!/bin/sh\necho "$NEPHO_Greeting" > /tmp/greeting\n',
  };
}

let moto: Moto;
t.before(async () => {
  moto = await startMoto(t);
});

/** A home with team/hello@^1.0 installed from a git repository through a file:// registry, nepho pointed at moto through a proxy. */
interface HelloHome {
  home: string;
  proxy: AwsProxy;
  env: Record<string, string>;
  repo: CloudletRepo;
  run(...args: string[]): Promise<RunResult>;
  /** Tag a new version in the repository and list it in the registry. */
  publish(version: string): void;
}

async function helloHome(t: Test): Promise<HelloHome> {
  const proxy = await serveAwsProxy(t, moto.endpoint);
  const env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint };
  const dir = tempDir(t, 'nepho-update-');
  const home = join(dir, 'home');
  const repo = makeCloudletRepo(dir, 'hello', ['1.0.0'], { files: helloFiles });
  const registry = join(dir, 'registry');
  mkdirSync(registry);
  const list = () => writeFileSync(join(registry, 'index.json'), indexDoc({ 'team/hello': indexEntry(repo) }));
  list();
  writeConfig(home, `registries:\n  - name: team\n    url: file://${registry}/index.json\n`);
  const run = (...args: string[]) => nepho(args, { home, env });
  const installed = await run('cloudlet:install', 'team/hello@^1.0');
  if (installed.code !== 0) throw new Error(`cloudlet:install failed: ${installed.stderr}`);
  return {
    home,
    proxy,
    env,
    repo,
    run,
    publish(version) {
      writeFiles(repo.dir, helloFiles(version));
      git(repo.dir, 'add', '--all');
      git(repo.dir, 'commit', '--quiet', '-m', `release ${version}`);
      git(repo.dir, 'tag', `v${version}`);
      repo.commits[version] = git(repo.dir, 'rev-parse', 'HEAD');
      list();
    },
  };
}

/** Create formation `name` from team/hello with the secret given, and check it worked. */
async function created(t: Test, h: HelloHome, name: string): Promise<void> {
  const r = await h.run('formation:create', 'hello', '--name', name, '-p', `DbPassword=${SECRET}`, '--no-input');
  t.equal(r.code, 0, `created ${name}: ${r.stderr}`);
}

/** The stack's parameters as CloudFormation (moto) holds them, asked directly. */
async function stackParameters(name: string): Promise<Record<string, string>> {
  const xml = await motoQuery(moto.endpoint, 'cloudformation', { Action: 'DescribeStacks', StackName: name, Version: '2010-05-15' });
  return Object.fromEntries([...xml.matchAll(/<ParameterKey>([^<]*)<\/ParameterKey>\s*<ParameterValue>([^<]*)<\/ParameterValue>/g)].map((m) => [m[1]!, m[2]!]));
}

/** The ids of the stack's change sets, asked directly (moto lists every stack's: those of other stacks are left out). */
async function changeSets(name: string): Promise<string[]> {
  const xml = await motoQuery(moto.endpoint, 'cloudformation', { Action: 'ListChangeSets', StackName: name, Version: '2010-05-15' });
  const summaries = xml
    .split('<member>')
    .slice(1)
    .filter((m) => m.includes(`<StackName>${name}</StackName>`));
  return summaries.map((m) => /<ChangeSetId>([^<]+)<\/ChangeSetId>/.exec(m)?.[1] ?? '?');
}

function record(home: string, name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(home, 'formations', name, 'formation.json'), 'utf8'));
}

t.test('a changed parameter: the preview lists a Modify of the instance; applied, it is what describe shows and what the stack has', async (t) => {
  const h = await helloHome(t);
  await created(t, h, 'greet');

  const preview = await h.run('formation:update', 'greet', '-p', 'Greeting=bonjour', '--dry-run', '-o', 'json');
  t.equal(preview.code, 0, preview.stderr);
  const summary = JSON.parse(preview.stdout).changes;
  t.same(
    summary.changes,
    [{ action: 'Modify', resource: 'Web', type: 'AWS::EC2::Instance' }],
    'the instance is modified (its user data carries the greeting); moto gives no Replacement',
  );
  t.same(summary.parameters, [{ name: 'Greeting', from: 'hello', to: 'bonjour', secret: false }]);

  const applied = await h.run('formation:update', 'greet', '-p', 'Greeting=bonjour', '-y');
  t.equal(applied.code, 0, applied.stderr);
  t.match(applied.stdout, /parameter Greeting: hello → bonjour/, 'the preview, as people read it');
  t.match(
    applied.stdout,
    /ACTION\s+RESOURCE\s+TYPE\s+REPLACEMENT\nModify\s+Web\s+AWS::EC2::Instance\s+–\n/,
    'the change as a table row, `–` where the endpoint does not say',
  );
  t.match(applied.stdout, /updated greet in \d+s \(UPDATE_COMPLETE\)/);
  t.match(applied.stderr, /UPDATE_IN_PROGRESS[\s\S]*UPDATE_COMPLETE/, 'the update was followed');
  t.equal(h.proxy.count('ExecuteChangeSet'), 1, 'the previewed change set was executed');

  const described = await h.run('formation:describe', 'greet', '-o', 'json');
  t.equal(described.code, 0, described.stderr);
  t.match(JSON.parse(described.stdout), { status: 'UPDATE_COMPLETE', parameters: { Greeting: 'bonjour', DbPassword: '(secret)' } });
  t.equal((await stackParameters('greet')).Greeting, 'bonjour', "the stack's parameter really changed");
});

t.test('a secret not given again is kept with UsePreviousValue, never sent, and never on disk', async (t) => {
  const h = await helloHome(t);
  await created(t, h, 'keeper');
  const r = await h.run('formation:update', 'keeper', '-p', 'Greeting=hej', '-y');
  t.equal(r.code, 0, r.stderr);

  const requests = h.proxy.calls.filter((c) => c.action === 'CreateChangeSet');
  t.equal(requests.length, 1, 'one change set');
  const params = requests[0]!.params;
  const members = new Map<string, Record<string, string>>();
  for (const [key, value] of params) {
    const m = /^Parameters\.member\.(\d+)\.(\w+)$/.exec(key);
    if (m) members.set(m[1]!, { ...members.get(m[1]!), [m[2]!]: value });
  }
  const sent = [...members.values()];
  t.same(
    sent.find((p) => p.ParameterKey === 'DbPassword'),
    { ParameterKey: 'DbPassword', UsePreviousValue: 'true' },
    'the secret is kept by CloudFormation, no value sent',
  );
  t.same(
    sent.find((p) => p.ParameterKey === 'Greeting'),
    { ParameterKey: 'Greeting', ParameterValue: 'hej' },
  );
  t.notOk(
    [...params.values()].some((v) => v.includes(SECRET)),
    'the request carries the secret nowhere',
  );
  t.equal((await stackParameters('keeper')).DbPassword, SECRET, 'the stack still has it (moto shows NoEcho values)');
  t.same(filesContaining(h.home, SECRET), [], 'no file in the nepho home holds the secret');
  t.notMatch(r.stdout + r.stderr, SECRET, 'nor was it printed');
});

t.test('no change: `no changes`, exit 0, nothing applied and no change set left', async (t) => {
  const h = await helloHome(t);
  await created(t, h, 'same');
  const before = readFileSync(join(h.home, 'formations', 'same', 'formation.json'), 'utf8');
  const r = await h.run('formation:update', 'same', '-y');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^no changes$/m);
  t.equal(h.proxy.count('CreateChangeSet'), 1, 'CloudFormation was asked');
  t.equal(h.proxy.count('ExecuteChangeSet'), 0, 'nothing was applied');
  t.same(await changeSets('same'), [], 'no change set is left behind');
  t.equal(readFileSync(join(h.home, 'formations', 'same', 'formation.json'), 'utf8'), before, 'the record is untouched');
});

t.test('--dry-run prints the preview, leaves no change set and changes nothing', async (t) => {
  const h = await helloHome(t);
  await created(t, h, 'dry');
  const before = readFileSync(join(h.home, 'formations', 'dry', 'formation.json'), 'utf8');
  const r = await h.run('formation:update', 'dry', '-p', 'Greeting=salut', '--dry-run');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /Modify\s+Web\s+AWS::EC2::Instance/);
  t.match(r.stdout, /Dry run: nothing was changed\./);
  t.equal(h.proxy.count('CreateChangeSet'), 1, 'a change set was made for the preview');
  t.equal(h.proxy.count('DeleteChangeSet'), 1, 'and deleted');
  t.equal(h.proxy.count('ExecuteChangeSet'), 0, 'never executed');
  t.same(await changeSets('dry'), [], 'ListChangeSets shows none');
  t.equal((await stackParameters('dry')).Greeting, 'hello', 'the stack is unchanged');
  t.equal(readFileSync(join(h.home, 'formations', 'dry', 'formation.json'), 'utf8'), before, 'the record is unchanged');
});

t.test(
  'a newer cloudlet version: the version change and the new resource in the preview, the new version recorded; history shows both operations',
  async (t) => {
    const h = await helloHome(t);
    await created(t, h, 'grow');
    h.publish('1.1.0');
    const moved = await h.run('cloudlet:update', 'hello', '-o', 'json');
    t.equal(moved.code, 0, moved.stderr);
    t.match(JSON.parse(moved.stdout), [{ name: 'team/hello', from: '1.0.0', to: '1.1.0' }]);

    const r = await h.run('formation:update', 'grow', '-p', 'Greeting=servus', '-y');
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /cloudlet version: 1\.0\.0 → 1\.1\.0/);
    t.match(r.stdout, /Add\s+Jobs\s+AWS::SQS::Queue/, 'the queue 1.1.0 adds');
    t.match(record(h.home, 'grow'), { version: '1.1.0', commit: h.repo.commits['1.1.0'], parameters: { Greeting: 'servus' }, status: 'UPDATE_COMPLETE' });
    const resources = await motoQuery(moto.endpoint, 'cloudformation', { Action: 'ListStackResources', StackName: 'grow', Version: '2010-05-15' });
    t.match(resources, /<LogicalResourceId>Jobs<\/LogicalResourceId>/, 'the stack has the queue');

    const history = await h.run('formation:history', 'grow', '-o', 'json');
    t.equal(history.code, 0, history.stderr);
    const entries = JSON.parse(history.stdout);
    t.match(
      entries,
      [
        {
          operation: 'update',
          version: '1.1.0',
          result: 'succeeded',
          status: 'UPDATE_COMPLETE',
          changes: [{ name: 'Greeting', from: 'hello', to: 'servus', secret: false }],
        },
        { operation: 'create', version: '1.0.0', result: 'succeeded', status: 'CREATE_COMPLETE', changes: [] },
      ],
      'newest first',
    );
    for (const e of entries) t.match(e.by, /^[^@\s]+@[^@\s]+$/, `${e.operation}: who, as user@host`);
    const table = await h.run('formation:history', 'grow');
    t.match(
      table.stdout,
      /update\s+\S+@\S+\s+1\.1\.0\s+Greeting: hello → servus\s+succeeded \(UPDATE_COMPLETE\)\n.*create\s+\S+@\S+\s+1\.0\.0\s+succeeded \(CREATE_COMPLETE\)/,
    );
  },
);

/**
 * Make the next update of formation `name` end as `final` after Web failed to update for `reason`: moto's
 * UPDATE_COMPLETE is rewritten, in the stack's status and in its events, into what CloudFormation reports.
 */
function injectRollback(h: HelloHome, name: string, final: 'UPDATE_ROLLBACK_COMPLETE' | 'UPDATE_ROLLBACK_FAILED', reason: string): void {
  h.proxy.intercept('DescribeStacks', async (req) =>
    rewrite(await req.forward(), '<StackStatus>UPDATE_COMPLETE</StackStatus>', `<StackStatus>${final}</StackStatus>`),
  );
  h.proxy.intercept('DescribeStackEvents', async (req) => {
    const answer = await req.forward();
    if (!answer.body.includes('<ResourceStatus>UPDATE_COMPLETE</ResourceStatus>')) return answer;
    const stackId = /<StackId>([^<]+)<\/StackId>/.exec(answer.body)![1]!;
    const e = (id: string, resource: string, type: string, status: string, why?: string) =>
      eventXml({ stackId, stackName: name, id, resource, type, status, time: `2026-01-01T00:00:0${id.slice(-1)}Z`, ...(why ? { reason: why } : {}) });
    const restored =
      final === 'UPDATE_ROLLBACK_COMPLETE'
        ? e('up-4', 'Web', 'AWS::EC2::Instance', 'UPDATE_COMPLETE')
        : e(
            'up-4',
            'Web',
            'AWS::EC2::Instance',
            'UPDATE_FAILED',
            'Resource handler returned message: "The instance is not in a state from which it can be modified"',
          );
    // Newest first, in place of moto's UPDATE_COMPLETE; moto's own UPDATE_IN_PROGRESS stays below them.
    return rewrite(
      answer,
      /<member>(?:(?!<member>).)*?<ResourceStatus>UPDATE_COMPLETE<\/ResourceStatus><\/member>/s,
      e('up-5', name, 'AWS::CloudFormation::Stack', final) +
        restored +
        e('up-3', name, 'AWS::CloudFormation::Stack', 'UPDATE_ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to update: [Web].') +
        e('up-2', 'Web', 'AWS::EC2::Instance', 'UPDATE_FAILED', reason) +
        e('up-1', 'Web', 'AWS::EC2::Instance', 'UPDATE_IN_PROGRESS'),
    );
  });
}

t.test(
  'an update that rolls back: exit 1 with the failed resource and its reason, the record keeps what is deployed (rollback injected: moto never rolls back)',
  async (t) => {
    const h = await helloHome(t);
    await created(t, h, 'fails');
    const fresh = 'fresh-secret-0815';
    injectRollback(
      h,
      'fails',
      'UPDATE_ROLLBACK_COMPLETE',
      `Resource handler returned message: "Password ${fresh} is not allowed" (Service: Ec2, Status Code: 400)`,
    );

    const r = await h.run('formation:update', 'fails', '-p', 'Greeting=ciao', '-p', `DbPassword=${fresh}`, '-y');
    t.equal(r.code, 1, 'exit 1');
    t.match(
      r.stderr,
      /✗ Web \(AWS::EC2::Instance\): Resource handler returned message: "Password \*\*\*\* is not allowed"/,
      'the failed resource and its reason, the secret masked',
    );
    t.match(r.stderr, /^error: formation fails: update failed with UPDATE_ROLLBACK_COMPLETE after \d+s; 1 resource\(s\) failed \(above\)$/m);
    t.match(r.stderr, /^hint: the formation still runs what it ran before/m);
    t.notMatch(r.stdout + r.stderr, fresh, 'the new secret is never printed');
    t.notMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
    t.match(
      record(h.home, 'fails'),
      { status: 'UPDATE_ROLLBACK_COMPLETE', version: '1.0.0', parameters: { Greeting: 'hello' }, operation: { kind: 'update', ok: false } },
      'the record keeps the answers really deployed',
    );
    const described = await h.run('formation:describe', 'fails', '-o', 'json');
    t.match(JSON.parse(described.stdout), { status: 'UPDATE_ROLLBACK_COMPLETE', parameters: { Greeting: 'hello' } });
    t.same(filesContaining(h.home, fresh), [], 'the new secret is on no disk');
  },
);

t.test(
  'an update whose rollback fails too: exit 1 saying what to do next, and the next update is refused until the stack is dealt with (failure injected)',
  async (t) => {
    const h = await helloHome(t);
    await created(t, h, 'wedged');
    injectRollback(h, 'wedged', 'UPDATE_ROLLBACK_FAILED', 'Resource handler returned message: "Instance type t9.nano does not exist"');
    const r = await h.run('formation:update', 'wedged', '-p', 'Greeting=hallo', '-y');
    t.equal(r.code, 1, 'exit 1');
    t.match(
      r.stderr,
      /✗ Web \(AWS::EC2::Instance\): Resource handler returned message: "Instance type t9\.nano does not exist"/,
      'the cause, the first reason of the resource',
    );
    t.match(r.stderr, /^error: formation wedged: update failed with UPDATE_ROLLBACK_FAILED after \d+s/m);
    t.match(r.stderr, /^hint: the rollback failed too: .*nepho formation:destroy wedged$/m, 'one line saying what to do next');
    t.match(record(h.home, 'wedged'), { status: 'UPDATE_ROLLBACK_FAILED', parameters: { Greeting: 'hello' } });

    const again = await h.run('formation:update', 'wedged', '-p', 'Greeting=hallo', '-y');
    expectUserError(t, again, /^error: stack wedged in us-east-1 is in UPDATE_ROLLBACK_FAILED/, 'the next update');
    t.equal(h.proxy.count('CreateChangeSet'), 1, 'no second change set');
  },
);

t.test(
  'a stack in UPDATE_ROLLBACK_FAILED, or busy, is refused in one line saying what to do, before any change set (states injected: moto never reaches them)',
  async (t) => {
    const h = await helloHome(t);
    await created(t, h, 'stuck');
    const status = (to: string) =>
      h.proxy.intercept('DescribeStacks', async (req) =>
        rewrite(await req.forward(), '<StackStatus>CREATE_COMPLETE</StackStatus>', `<StackStatus>${to}</StackStatus>`),
      );

    status('UPDATE_ROLLBACK_FAILED');
    const failed = await h.run('formation:update', 'stuck', '-p', 'Greeting=x', '-y');
    expectUserError(
      t,
      failed,
      /^error: stack stuck in us-east-1 is in UPDATE_ROLLBACK_FAILED: an earlier update failed, and so did its rollback$/,
      'UPDATE_ROLLBACK_FAILED',
    );
    t.match(failed.stderr, /^hint: .*continue-update-rollback --stack-name stuck.*nepho formation:destroy stuck$/m, 'how to go on');

    status('UPDATE_IN_PROGRESS');
    const busy = await h.run('formation:update', 'stuck', '-p', 'Greeting=x', '-y');
    expectUserError(t, busy, /^error: stack stuck in us-east-1 is busy \(UPDATE_IN_PROGRESS\) and cannot be updated until that ends$/, 'in progress');
    t.match(busy.stderr, /^hint: wait for it to finish, then update again/m);

    t.equal(h.proxy.count('CreateChangeSet'), 0, 'no change set was made');
    t.equal(record(h.home, 'stuck').status, 'CREATE_COMPLETE', 'the record is untouched');
  },
);

t.test("an update holds the formation's lock: drift and another update are refused naming it (in-progress status injected until released)", async (t) => {
  const h = await helloHome(t);
  await created(t, h, 'locked');
  let hold = true;
  h.proxy.intercept('DescribeStacks', async (req) => {
    const answer = await req.forward();
    return hold ? rewrite(answer, '<StackStatus>UPDATE_COMPLETE</StackStatus>', '<StackStatus>UPDATE_IN_PROGRESS</StackStatus>') : answer;
  });
  const first = running(spawnNepho(['formation:update', 'locked', '-p', 'Greeting=first', '-y'], { home: h.home, env: h.env }));
  await waitForJournal(
    h.home,
    'locked',
    (entries) => {
      const latest = latestEntries(entries);
      return latest[0]?.operation === 'update' && latest.some((e) => e.kind === 'accepted');
    },
    'the update accepted',
  );

  const drift = await h.run('formation:drift', 'locked');
  expectUserError(t, drift, /^error: updating formation locked is already under way \(on /, 'drift during an update');
  const second = await h.run('formation:update', 'locked', '-p', 'Greeting=second', '-y');
  expectUserError(t, second, /^error: updating formation locked is already under way \(on /, 'a second update');
  t.equal(h.proxy.count('CreateChangeSet'), 1, 'the refused update made no change set');

  hold = false;
  const done = await first.done;
  t.equal(done.code, 0, done.stderr);
  t.match(record(h.home, 'locked'), { status: 'UPDATE_COMPLETE', parameters: { Greeting: 'first' } });
});
