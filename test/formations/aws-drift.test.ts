// formation:drift with the cloudformation provider, end to end through the
// CLI. moto answers DetectStackDrift with HTTP 500 (testing.md), so drift
// itself is checked against a FAKE CloudFormation endpoint started here: a
// node HTTP server answering the Query API actions drift detection uses
// (DescribeStacks, DetectStackDrift, DescribeStackDriftDetectionStatus,
// DescribeStackResourceDrifts) with XML shaped as in AWS's API reference. The
// formation itself is created on real moto; moto is also what "an endpoint
// without drift detection" is checked against.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startMoto, type Moto } from '../fixtures/aws.js';
import { expectUserError, nepho, running, spawnNepho, waitFor, type RunResult } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { serveHttp } from '../fixtures/http.js';
import { tempDir, type Teardown } from '../fixtures/paths.js';

let moto: Moto;
t.before(async () => {
  moto = await startMoto(t);
});

/** How the FAKE endpoint's drift detection comes out. */
type Verdict = 'in-sync' | 'drifted' | 'failed';

/** The FAKE CloudFormation endpoint: what it answers, and what it was asked. */
interface FakeDriftEndpoint {
  endpoint: string;
  verdict: Verdict;
  /** While true, the detection stays DETECTION_IN_PROGRESS. */
  hold: boolean;
  calls: { action: string; params: URLSearchParams }[];
  count(action: string): number;
}

const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
const answer = (action: string, result: string) =>
  `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;

/** One StackResourceDrift `<member>`, as DescribeStackResourceDrifts lists it. */
function resourceDrift(
  stackId: string,
  resource: string,
  type: string,
  status: string,
  differences: [path: string, expected: string, actual: string, kind: string][],
): string {
  const diffs = differences
    .map(
      ([path, expected, actual, kind]) =>
        `<member><PropertyPath>${path}</PropertyPath><ExpectedValue>${expected}</ExpectedValue><ActualValue>${actual}</ActualValue><DifferenceType>${kind}</DifferenceType></member>`,
    )
    .join('');
  return (
    `<member><StackId>${stackId}</StackId><LogicalResourceId>${resource}</LogicalResourceId><PhysicalResourceId>${resource}-physical</PhysicalResourceId>` +
    `<ResourceType>${type}</ResourceType><ExpectedProperties>{}</ExpectedProperties><ActualProperties>{}</ActualProperties>` +
    `<PropertyDifferences>${diffs}</PropertyDifferences><StackResourceDriftStatus>${status}</StackResourceDriftStatus><Timestamp>2026-01-01T00:00:00Z</Timestamp></member>`
  );
}

/**
 * Start the FAKE endpoint on 127.0.0.1; stopped at teardown. A detection is
 * in progress at its first status poll, then done as `verdict` says (unless
 * `hold`); drifted resources come in two pages.
 */
async function fakeDriftEndpoint(t: Teardown): Promise<FakeDriftEndpoint> {
  const state: FakeDriftEndpoint = {
    endpoint: '',
    verdict: 'in-sync',
    hold: false,
    calls: [],
    count: (action) => state.calls.filter((c) => c.action === action).length,
  };
  const polls = new Map<string, number>();
  let stackId = '';
  const server = await serveHttp(t, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const action = params.get('Action') ?? '';
      state.calls.push({ action, params });
      const send = (xml: string, status = 200) => res.writeHead(status, { 'content-type': 'text/xml' }).end(xml);
      switch (action) {
        case 'DescribeStacks':
          stackId = params.get('StackName') ?? '';
          return send(
            answer(
              action,
              `<Stacks><member><StackName>${stackId.split('/')[1] ?? stackId}</StackName><StackId>${stackId}</StackId>` +
                '<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus></member></Stacks>',
            ),
          );
        case 'DetectStackDrift': {
          const id = randomUUID();
          polls.set(id, 0);
          return send(answer(action, `<StackDriftDetectionId>${id}</StackDriftDetectionId>`));
        }
        case 'DescribeStackDriftDetectionStatus': {
          const id = params.get('StackDriftDetectionId') ?? '';
          const n = (polls.get(id) ?? 0) + 1;
          polls.set(id, n);
          const done = n > 1 && !state.hold;
          const detection = !done ? 'DETECTION_IN_PROGRESS' : state.verdict === 'failed' ? 'DETECTION_FAILED' : 'DETECTION_COMPLETE';
          const drift = !done
            ? ''
            : state.verdict === 'in-sync'
              ? '<StackDriftStatus>IN_SYNC</StackDriftStatus><DriftedStackResourceCount>0</DriftedStackResourceCount>'
              : state.verdict === 'drifted'
                ? '<StackDriftStatus>DRIFTED</StackDriftStatus><DriftedStackResourceCount>2</DriftedStackResourceCount>'
                : '<StackDriftStatus>UNKNOWN</StackDriftStatus><DetectionStatusReason>Failed to detect drift on resource [Queue]: Internal Failure</DetectionStatusReason>';
          return send(
            answer(
              action,
              `<StackId>${stackId}</StackId><StackDriftDetectionId>${id}</StackDriftDetectionId>${drift}<DetectionStatus>${detection}</DetectionStatus><Timestamp>2026-01-01T00:00:00Z</Timestamp>`,
            ),
          );
        }
        case 'DescribeStackResourceDrifts': {
          if (state.verdict !== 'drifted') return send(answer(action, '<StackResourceDrifts/>'));
          if (params.get('NextToken') === 'more') {
            return send(answer(action, `<StackResourceDrifts>${resourceDrift(stackId, 'Jobs', 'AWS::SQS::Queue', 'DELETED', [])}</StackResourceDrifts>`));
          }
          const queue = resourceDrift(stackId, 'Queue', 'AWS::SQS::Queue', 'MODIFIED', [
            ['/DelaySeconds', '0', '30', 'NOT_EQUAL'],
            ['/Tags/1', '', '{"Key":"owner","Value":"someone"}', 'ADD'],
          ]);
          return send(answer(action, `<StackResourceDrifts>${queue}</StackResourceDrifts><NextToken>more</NextToken>`));
        }
        default:
          return send(
            `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>the FAKE endpoint has no ${action}</Message></Error><RequestId>x</RequestId></ErrorResponse>`,
            400,
          );
      }
    });
  });
  state.endpoint = server.origin;
  return state;
}

/** A home with a queue formation `name` created on moto; `run` points nepho at moto, or at another endpoint. */
async function queueFormation(t: Test, name: string): Promise<{ home: string; run(args: string[], endpoint?: string): Promise<RunResult> }> {
  const home = join(tempDir(t, 'nepho-drift-'), 'home');
  await installDevCloudlet(t, home, 'queues', {
    'scenarios/default.yaml': 'summary: a queue\nproviders:\n  cloudformation: {pattern: queue}\nparameters:\n  Delay: {type: number, default: 0}\n',
    'patterns/aws/queue.cf': 'Parameters:\n  Delay: {Type: Number}\nResources:\n  Queue: {Type: "AWS::SQS::Queue", Properties: {DelaySeconds: !Ref Delay}}\n',
  });
  const run = (args: string[], endpoint = moto.endpoint) => nepho(args, { home, env: { ...moto.env, AWS_ENDPOINT_URL: endpoint } });
  const created = await run(['formation:create', 'queues', '--name', name, '--no-input']);
  t.equal(created.code, 0, `created ${name}: ${created.stderr}`);
  return { home, run };
}

t.test('in sync: exit 0 (against a FAKE endpoint, moto has no drift detection)', async (t) => {
  const fake = await fakeDriftEndpoint(t);
  const f = await queueFormation(t, 'calm');
  const r = await f.run(['formation:drift', 'calm'], fake.endpoint);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'calm: in sync\n');
  const json = await f.run(['formation:drift', 'calm', '-o', 'json'], fake.endpoint);
  t.equal(json.code, 0, json.stderr);
  t.same(JSON.parse(json.stdout), { name: 'calm', provider: 'cloudformation', drifted: false, resources: [] });

  const detect = fake.calls.find((c) => c.action === 'DetectStackDrift')!;
  t.match(detect.params.get('StackName'), /^arn:aws:cloudformation:us-east-1:\d+:stack\/calm\//, 'the recorded stack, by id');
  t.ok(fake.count('DescribeStackDriftDetectionStatus') >= 4, 'the detection was polled until done, each run');
});

t.test('drifted: exit 2, each property difference expected → actual in the table and in -o json (FAKE endpoint)', async (t) => {
  const fake = await fakeDriftEndpoint(t);
  fake.verdict = 'drifted';
  const f = await queueFormation(t, 'moved');
  const r = await f.run(['formation:drift', 'moved'], fake.endpoint);
  t.equal(r.code, 2, r.stderr);
  t.equal(r.stderr, '', 'nothing on stderr: drift is the answer, not an error');
  t.match(r.stdout, /^moved: drifted\n/);
  t.match(r.stdout, /RESOURCE\s+TYPE\s+STATUS\s+PROPERTY\s+EXPECTED\s+ACTUAL\n/);
  t.match(r.stdout, /Queue\s+AWS::SQS::Queue\s+MODIFIED\s+\/DelaySeconds\s+0\s+30\n/);
  t.match(r.stdout, /Queue\s+AWS::SQS::Queue\s+MODIFIED\s+\/Tags\/1\s+\{"Key":"owner","Value":"someone"\}\n/);
  t.match(r.stdout, /Jobs\s+AWS::SQS::Queue\s+DELETED\s*\n/, 'a deleted resource, from the second page');

  const json = await f.run(['formation:drift', 'moved', '-o', 'json'], fake.endpoint);
  t.equal(json.code, 2);
  t.same(JSON.parse(json.stdout), {
    name: 'moved',
    provider: 'cloudformation',
    drifted: true,
    resources: [
      {
        resource: 'Queue',
        type: 'AWS::SQS::Queue',
        status: 'MODIFIED',
        differences: [
          { path: '/DelaySeconds', expected: '0', actual: '30', kind: 'NOT_EQUAL' },
          { path: '/Tags/1', expected: '', actual: '{"Key":"owner","Value":"someone"}', kind: 'ADD' },
        ],
      },
      { resource: 'Jobs', type: 'AWS::SQS::Queue', status: 'DELETED', differences: [] },
    ],
  });
  const pages = fake.calls.filter((c) => c.action === 'DescribeStackResourceDrifts');
  t.same(
    pages
      .slice(0, 2)
      .map((c) => [
        c.params.get('StackResourceDriftStatusFilters.member.1'),
        c.params.get('StackResourceDriftStatusFilters.member.2'),
        c.params.get('NextToken'),
      ]),
    [
      ['MODIFIED', 'DELETED', null],
      ['MODIFIED', 'DELETED', 'more'],
    ],
    'only modified and deleted resources, every page',
  );
});

t.test('a detection that failed and found nothing cannot say "in sync": one line, exit 1 (FAKE endpoint)', async (t) => {
  const fake = await fakeDriftEndpoint(t);
  fake.verdict = 'failed';
  const f = await queueFormation(t, 'unsure');
  const r = await f.run(['formation:drift', 'unsure'], fake.endpoint);
  expectUserError(
    t,
    r,
    /^error: checking the drift of stack unsure in us-east-1: CloudFormation could not check every resource \(DETECTION_FAILED: Failed to detect drift on resource \[Queue\]: Internal Failure\)$/,
    'detection failed',
  );
});

t.test('moto, which has no drift detection: one line naming the endpoint, exit 1', async (t) => {
  const f = await queueFormation(t, 'plain');
  const r = await f.run(['formation:drift', 'plain']);
  expectUserError(t, r, new RegExp(`^error: ${moto.endpoint.replace(/[.]/g, '\\.')} does not support drift detection`), 'unsupported');
  t.notMatch(r.stderr, /unexpected failure|a bug in nepho/);
});

t.test("drift holds the formation's lock: an update meanwhile is refused naming it (FAKE endpoint held in progress)", async (t) => {
  const fake = await fakeDriftEndpoint(t);
  fake.hold = true;
  const f = await queueFormation(t, 'busy');
  const drift = running(spawnNepho(['formation:drift', 'busy'], { home: f.home, env: { ...moto.env, AWS_ENDPOINT_URL: fake.endpoint } }));
  await waitFor(() => fake.count('DescribeStackDriftDetectionStatus') >= 2, 'the drift detection under way');

  const update = await f.run(['formation:update', 'busy', '-p', 'Delay=5', '-y']);
  expectUserError(t, update, /^error: checking the drift of formation busy is already under way \(on /, 'update during drift');

  fake.hold = false;
  const done = await drift.done;
  t.equal(done.code, 0, done.stderr);
  t.equal(done.stdout, 'busy: in sync\n');
  const after = await f.run(['formation:update', 'busy', '-p', 'Delay=5', '-y']);
  t.equal(after.code, 0, `with the drift done, the update goes ahead: ${after.stderr}`);
});
