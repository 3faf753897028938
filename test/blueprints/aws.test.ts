// Blueprints end to end through the built binary: CloudFormation stacks on
// moto in two regions (moto serves every region at one endpoint) and a
// Vagrant machine through the stand-in vagrant (no hypervisor runs here),
// all in one blueprint, carried by the nanny. Order is read from each
// formation's journal, overlap from their start and end times, and what a
// stack was given from moto itself. A cycle and an unknown output are
// counted against the AWS proxy: no call at all.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { gateTemplate, motoQuery, releaseGate, serveAwsProxy, startMoto, type Moto } from '../fixtures/aws.js';
import { assertUserError, nepho, running, spawnNepho, stderrLines, waitFor, type RunResult } from '../fixtures/cli.js';
import { installDevCloudlet, type DevCloudlet } from '../fixtures/cloudlets.js';
import { tempDir, type Teardown } from '../fixtures/paths.js';
import { standInVagrant, type StandInVagrant } from '../fixtures/vagrant.js';

// A stack with a machine, taking what it is given as a parameter (Upstream)
// and saying where it is (PublicDns).
const APP_TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Upstream: {Type: String, Description: what this tier talks to}
  Greeting: {Type: String, Default: hello}
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-12c6146b
      InstanceType: t3.micro
      Tags: [{Key: Greeting, Value: !Ref Greeting}, {Key: Upstream, Value: !Ref Upstream}]
Outputs:
  PublicDns: {Value: !GetAtt Web.PublicDnsName}
`;

const FILES: Record<string, string> = {
  'scenarios/default.yaml': 'summary: the machine\nproviders:\n  vagrant: {pattern: single}\nparameters:\n  Box: {type: string, default: nepho-test/box}\n',
  'scenarios/network.yaml': 'summary: the network (a stack that waits at a gate)\nproviders:\n  cloudformation: {pattern: gate}\n',
  'scenarios/app.yaml': 'summary: an app tier\nproviders:\n  cloudformation: {pattern: app}\n',
  'patterns/aws/gate.cf': gateTemplate(),
  'patterns/aws/app.cf': APP_TEMPLATE,
  'blueprints/stack.yaml': [
    'summary: a network, the app in two regions, a local twin',
    'formations:',
    '  net: {scenario: network, region: us-east-1}',
    '  east:',
    '    scenario: app',
    '    region: us-east-1',
    '    parameters: {Upstream: "{{formations.net.outputs.Opened}}"}',
    '  west:',
    '    scenario: app',
    '    region: us-west-2',
    '    parameters: {Upstream: "http://{{formations.east.outputs.PublicDns}}:8080/"}',
    '  dev: {provider: vagrant}',
    '',
  ].join('\n'),
};

interface Home {
  home: string;
  moto: Moto;
  vagrant: StandInVagrant;
  cloudlet: DevCloudlet;
  run(args: string[], env?: Record<string, string>): Promise<RunResult>;
}

async function blueprintHome(t: Teardown, files: Record<string, string> = FILES): Promise<Home> {
  const home = join(tempDir(t, 'nepho-blueprint-'), 'home');
  const moto = await startMoto(t);
  const vagrant = standInVagrant(t, 'ok');
  const cloudlet = await installDevCloudlet(t, home, 'tiers', files);
  return { home, moto, vagrant, cloudlet, run: (args, env = {}) => nepho(args, { home, env: { ...moto.env, ...vagrant.env, ...env } }) };
}

type Entry = { kind: string; time: string; operation?: string; [k: string]: unknown };
function journal(home: string, formation: string): Entry[] {
  try {
    return readFileSync(join(home, 'formations', formation, 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}
/** The latest operation of kind `op` on a formation, by its own journal: when it started and ended. */
function span(home: string, formation: string, op: string): { start: string; end?: string } {
  const entries = journal(home, formation);
  const start = entries.map((e) => e.kind === 'start' && e.operation === op).lastIndexOf(true);
  const end = entries.find((e, i) => i > start && (e.kind === 'end' || e.kind === 'error'));
  return { start: entries[start]?.time ?? '', ...(end ? { end: end.time } : {}) };
}
const operations = (home: string, formation: string) =>
  journal(home, formation)
    .filter((e) => e.kind === 'start')
    .map((e) => e.operation);

/** A stack's parameters as moto holds them, in `region`. */
async function stackParameters(moto: Moto, stack: string, region: string): Promise<Record<string, string>> {
  const xml = await motoQuery(moto.endpoint, 'cloudformation', { Action: 'DescribeStacks', StackName: stack, Version: '2010-05-15' }, region);
  return Object.fromEntries([...xml.matchAll(/<ParameterKey>([^<]+)<\/ParameterKey>\s*<ParameterValue>([^<]*)<\/ParameterValue>/g)].map((m) => [m[1]!, m[2]!]));
}

t.test(
  'four formations across two regions and two providers: dependency order, outputs passed, side by side; re-apply; destroy in reverse',
  { timeout: 300_000 },
  async (t) => {
    const h = await blueprintHome(t);
    const listed = await h.run(['blueprint:list', 'tiers', '-o', 'json']);
    t.same(JSON.parse(listed.stdout), [
      { name: 'stack', summary: 'a network, the app in two regions, a local twin', file: join(h.cloudlet.installed, 'blueprints', 'stack.yaml') },
    ]);
    const described = await h.run(['blueprint:describe', 'tiers/stack', '-o', 'json']);
    t.equal(described.code, 0, described.stderr);
    t.same(JSON.parse(described.stdout).waves, [['net', 'dev'], ['east'], ['west']], 'dependency order, as waves');

    // The network's stack waits at its gate until the test opens it: the twin must start and finish meanwhile.
    const apply = running(spawnNepho(['blueprint:apply', 'tiers/stack', '--name', 'x'], { home: h.home, env: { ...h.moto.env, ...h.vagrant.env } }));
    await waitFor(
      () => journal(h.home, 'x-dev').some((e) => e.kind === 'end') || apply.stderr().includes('error:'),
      'the twin to be created while the network waits',
      60_000,
    );
    const netRecord = () => JSON.parse(readFileSync(join(h.home, 'formations', 'x-net', 'formation.json'), 'utf8'));
    const stackId = await waitFor(
      () => {
        try {
          return netRecord().state?.stackId as string | undefined;
        } catch {
          return undefined;
        }
      },
      'the network stack to be accepted',
      60_000,
    );
    t.notOk(
      journal(h.home, 'x-net').some((e) => e.kind === 'end'),
      'the network is still under way',
    );
    t.same(operations(h.home, 'x-east'), [], 'east waits for the network');
    await releaseGate(h.moto.endpoint, stackId, 'vpc-0123');
    const applied = await apply.done;
    t.equal(applied.code, 0, `applied\n${applied.stderr}`);
    t.match(applied.stdout, /ENTRY\s+FORMATION\s+ACTION\s+RESULT[\s\S]*net\s+x-net\s+create\s+created[\s\S]*applied blueprint x in \d+s: 4 created/);
    t.match(applied.stderr, /\[east\] .*CREATE_COMPLETE/, "each formation's events are shown, named by entry");

    const net = span(h.home, 'x-net', 'create');
    const east = span(h.home, 'x-east', 'create');
    const west = span(h.home, 'x-west', 'create');
    const dev = span(h.home, 'x-dev', 'create');
    t.ok(net.end! <= east.start && east.end! <= west.start, 'net, then east, then west: each after what it reads had ended');
    t.ok(dev.start < net.end! && net.start < dev.end!, 'the twin (independent) was under way while the network was');

    t.equal((await stackParameters(h.moto, 'x-east', 'us-east-1')).Upstream, 'vpc-0123', "east was given the network's output");
    const eastDns = /<OutputKey>PublicDns<\/OutputKey>\s*<OutputValue>([^<]+)</.exec(
      await motoQuery(h.moto.endpoint, 'cloudformation', { Action: 'DescribeStacks', StackName: 'x-east', Version: '2010-05-15' }),
    )?.[1];
    t.ok(eastDns, 'east has its output');
    t.equal(
      (await stackParameters(h.moto, 'x-west', 'us-west-2')).Upstream,
      `http://${eastDns}:8080/`,
      "west, in the other region, was given east's output in its text",
    );
    t.match(JSON.parse(readFileSync(join(h.home, 'formations', 'x-west', 'formation.json'), 'utf8')), {
      options: { region: 'us-west-2' },
      state: { region: 'us-west-2' },
    });

    const status = await h.run(['blueprint:status', 'x', '-o', 'json']);
    t.equal(status.code, 0, status.stderr);
    t.match(JSON.parse(status.stdout), {
      name: 'x',
      cloudlet: 'local/tiers',
      blueprint: 'stack',
      last: { operation: 'apply', ok: true },
      entries: [
        { entry: 'net', status: 'CREATE_COMPLETE' },
        { entry: 'east', status: 'CREATE_COMPLETE', after: ['net'] },
        { entry: 'west', status: 'CREATE_COMPLETE', after: ['east'], options: { region: 'us-west-2' } },
        { entry: 'dev', provider: 'vagrant', status: 'running' },
      ],
    });
    const watched = await h.run(['blueprint:watch', 'x']);
    t.equal(watched.code, 0, 'watch replays the finished apply');
    t.match(watched.stdout, /applied blueprint x/);

    // Re-apply with east's Greeting changed: only east is updated; west reads east's output, which did not change.
    const before = Object.fromEntries(['x-net', 'x-east', 'x-west', 'x-dev'].map((f) => [f, operations(h.home, f).length]));
    // Detached this time: the command returns once the nanny has it; blueprint:watch follows it to the end.
    const detached = await h.run(['blueprint:apply', 'tiers/stack', '--name', 'x', '-p', 'east.Greeting=bonjour', '-y', '--detach']);
    t.equal(detached.code, 0, detached.stderr);
    t.match(detached.stdout + detached.stderr, /detached: the apply of blueprint x goes on in the background[\s\S]*re-attach with: nepho blueprint:watch x/);
    const reapplied = await h.run(['blueprint:watch', 'x', '-o', 'json']);
    t.equal(reapplied.code, 0, reapplied.stderr);
    t.same(
      JSON.parse(reapplied.stdout).steps.map((s: { entry: string; outcome: string }) => [s.entry, s.outcome]),
      [
        ['net', 'unchanged'],
        ['east', 'updated'],
        ['west', 'unchanged'],
        ['dev', 'unchanged'],
      ],
    );
    t.same(operations(h.home, 'x-east').slice(before['x-east']), ['update'], 'east: one update');
    for (const f of ['x-net', 'x-west', 'x-dev']) t.equal(operations(h.home, f).length, before[f], `${f}: no operation`);
    t.equal((await stackParameters(h.moto, 'x-east', 'us-east-1')).Greeting, 'bonjour', 'the change reached the stack');
    t.equal((await stackParameters(h.moto, 'x-east', 'us-east-1')).Upstream, 'vpc-0123', 'and the rest stayed');

    // Destroy: west before east before net; the twin whenever.
    const destroyed = await h.run(['blueprint:destroy', 'x', '-y']);
    t.equal(destroyed.code, 0, destroyed.stderr);
    t.match(destroyed.stdout, /destroyed blueprint x in \d+s: 4 destroyed/);
    const gone = (f: string) => span(h.home, f, 'destroy');
    t.ok(gone('x-west').end! <= gone('x-east').start && gone('x-east').end! <= gone('x-net').start, 'west, then east, then net');
    const after = await h.run(['blueprint:status', 'x']);
    assertUserError(t, after, /no blueprint is applied under the name 'x'/, 'the record is gone');
    const stacks = await motoQuery(
      h.moto.endpoint,
      'cloudformation',
      { Action: 'DescribeStacks', StackName: 'x-west', Version: '2010-05-15' },
      'us-west-2',
    ).catch((e: Error) => e.message);
    t.match(stacks, /DELETE_COMPLETE|does not exist/, 'the stack in the other region is gone');
  },
);

t.test('a cycle and an unknown output are refused before any AWS call', { timeout: 120_000 }, async (t) => {
  const cycle = {
    ...FILES,
    'blueprints/stack.yaml':
      'formations:\n  net: {scenario: network, depends_on: [west]}\n  east: {scenario: app, parameters: {Upstream: "{{formations.net.outputs.Opened}}"}}\n  west: {scenario: app, parameters: {Upstream: "{{formations.east.outputs.PublicDns}}"}}\n',
  };
  const h = await blueprintHome(t, cycle);
  const proxy = await serveAwsProxy(t, h.moto.endpoint);
  const viaProxy = { AWS_ENDPOINT_URL: proxy.endpoint };
  const refused = await h.run(['blueprint:apply', 'tiers/stack', '--name', 'x', '-y'], viaProxy);
  assertUserError(
    t,
    refused,
    /stack\.yaml:2: formations\.net waits for itself, through depends_on or output references: net -> west -> east -> net/,
    'a cycle',
  );

  const unknown = {
    ...FILES,
    'blueprints/stack.yaml':
      'formations:\n  net: {scenario: network}\n  east:\n    scenario: app\n    parameters: {Upstream: "{{formations.net.outputs.VpcId}}"}\n',
  };
  const h2 = await blueprintHome(t, unknown);
  const proxy2 = await serveAwsProxy(t, h2.moto.endpoint);
  const refused2 = await h2.run(['blueprint:apply', 'tiers/stack', '--name', 'x', '-y'], { AWS_ENDPOINT_URL: proxy2.endpoint });
  assertUserError(
    t,
    refused2,
    /stack\.yaml:5: formations\.east\.parameters\.Upstream reads formations\.net\.outputs\.VpcId, but cloudformation pattern gate of local\/tiers \(scenario network\) declares no output VpcId \(its outputs: Opened\)/,
    'an unknown output',
  );
  t.same([proxy.calls.length, proxy2.calls.length], [0, 0], 'no AWS call at all');

  const lint = await h2.run(['cloudlet:lint', h2.cloudlet.dir]);
  t.equal(lint.code, 1, 'cloudlet:lint finds it too');
  t.match(lint.stdout, /blueprints\/stack\.yaml:5: formations\.east\.parameters\.Upstream reads formations\.net\.outputs\.VpcId/);

  // The proxy does count calls when there are some: a dry run of a sound blueprint looks at what the names hold.
  writeFileSync(join(h.cloudlet.dir, 'blueprints', 'stack.yaml'), FILES['blueprints/stack.yaml']!);
  const dry = await h.run(['blueprint:apply', 'tiers/stack', '--name', 'x', '--dry-run'], viaProxy);
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stdout, /Order:\s+1\. net, dev   2\. east   3\. west[\s\S]*Dry run: nothing was created or changed\./);
  t.ok(proxy.count('DescribeStacks') > 0, 'the dry run asked CloudFormation (through the proxy)');
  t.equal(proxy.calls.filter((c) => /^Create/.test(c.action)).length, 0, 'and created nothing');
});

t.test('a failing formation skips what depends on it, the others finish, a table and exit 1; the re-run continues', { timeout: 240_000 }, async (t) => {
  const files = {
    ...FILES,
    'blueprints/stack.yaml': [
      'formations:',
      '  dev: {provider: vagrant}',
      '  after: {scenario: app, depends_on: [dev], parameters: {Upstream: "{{formations.dev.outputs.SshHost}}"}}',
      '  solo: {scenario: app, parameters: {Upstream: nothing}}',
      '',
    ].join('\n'),
  };
  const h = await blueprintHome(t, files);
  // The stand-in's `vagrant up` fails as the real one does when the box is missing.
  const failed = await h.run(['blueprint:apply', 'tiers/stack', '--name', 'y', '--foreground'], { STANDIN_MODE: 'box-missing' });
  t.equal(failed.code, 1, 'the apply fails');
  const lines = stderrLines(failed.stderr);
  t.match(lines.errors, [/^error: blueprint y: apply ended with 1 created, 1 failed, 1 skipped after \d+s$/], 'one error line, after the progress');
  t.match(
    failed.stderr,
    /error: .*\nhint: fix what the table says, then run blueprint:apply again: it continues from where blueprint y stands\n$/,
    'it ends the output, with what to do',
  );
  t.same(lines.stackFrames, [], 'no stack trace');
  t.match(failed.stdout, /dev\s+y-dev\s+create\s+failed\s+.*box/);
  t.match(failed.stdout, /after\s+y-after\s+create\s+skipped\s+y-dev failed/);
  t.match(failed.stdout, /solo\s+y-solo\s+create\s+created\s+CREATE_COMPLETE/);
  t.same(operations(h.home, 'y-after'), [], 'the dependent was never started');

  const refused = await h.run(['blueprint:apply', 'tiers/stack', '--name', 'y', '--foreground']);
  assertUserError(
    t,
    refused,
    /Apply blueprint local\/tiers\/stack as y: create y-after; delete what failed creates left of y-dev and create them again\? Not confirmed/,
    'a re-run asks first',
  );

  const rerun = await h.run(['blueprint:apply', 'tiers/stack', '--name', 'y', '-y', '-o', 'json']);
  t.equal(rerun.code, 0, rerun.stderr);
  t.same(
    JSON.parse(rerun.stdout).steps.map((s: { entry: string; action: string; outcome: string }) => [s.entry, s.action, s.outcome]),
    [
      ['dev', 'recreate', 'created'],
      ['after', 'create', 'created'],
      ['solo', 'update', 'unchanged'],
    ],
  );
  t.same(operations(h.home, 'y-dev'), ['create', 'destroy', 'create'], 'what the failed create left was destroyed, then created');
  t.same(operations(h.home, 'y-solo'), ['create'], 'solo was left alone');
  t.equal((await stackParameters(h.moto, 'y-after', 'us-east-1')).Upstream, '127.0.0.1', "after read the machine's ssh host");
});
