// Following a stack: how soon nepho reports a finished create, and how many
// API calls that costs, against the AWS SDK's waitUntilStackCreateComplete on
// the same kind of stack, both through one moto server on 127.0.0.1.
//
// The stacks are real moto stacks that stay CREATE_IN_PROGRESS until their
// custom resource is answered (moto cannot run its Lambda), so "the stack
// finished" is a moment the benchmark chooses: `release` after creation. A
// counting proxy between the clients and moto records every call and when the
// first DescribeStacks answer saying CREATE_COMPLETE went out ("noticed").
//
// Target: completion reported within one poll interval of
// the stack finishing, with no more than two describe calls per interval.
// nepho runs with its defaults (2 s interval); set BENCH_FOLLOW_ROUNDS for
// more rounds. The waiter runs once, beside nepho's rounds (its first wait
// is 30 s).
//
// `node bench/follow.js` runs it alone; bench/run.js can list it as
// `follow: async () => (await import('./follow.js')).follow()`.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, freePort, heading, median, ms, progress, table, tempDir, verdict } from './lib.js';

// The SDK's notice that its 2027 releases need Node 22 is not for this report (nepho's provider silences it too).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** nepho's base poll interval (src/providers/cloudformation/aws-config.ts). */
const INTERVAL = 2000;
const REGION = 'us-east-1';

async function waitForPort(port, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`moto did not start on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** moto on a free port; the returned stop() ends it. */
async function startMoto() {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const failed = new Promise((_, reject) => child.once('error', reject));
  await Promise.race([waitForPort(port), failed]);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/**
 * A pass-through proxy recording each call: action, the stack it names, when
 * it arrived, and whether its answer said CREATE_COMPLETE.
 */
async function countingProxy(target) {
  const upstream = new URL(target);
  const calls = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const params = new URLSearchParams(/x-www-form-urlencoded/.test(String(req.headers['content-type'])) ? body.toString() : '');
      const call = { action: params.get('Action') ?? `${req.method} ${req.url}`, stack: params.get('StackName') ?? '', at: performance.now(), complete: false };
      const out = request(
        { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          const parts = [];
          answer.on('data', (c) => parts.push(c));
          answer.on('end', () => {
            const text = Buffer.concat(parts);
            call.complete = call.action === 'DescribeStacks' && text.includes('<StackStatus>CREATE_COMPLETE</StackStatus>');
            call.answeredAt = performance.now();
            calls.push(call);
            const headers = { ...answer.headers };
            delete headers['transfer-encoding'];
            headers['content-length'] = text.length;
            res.writeHead(answer.statusCode ?? 502, headers).end(text);
          });
        },
      );
      out.on('error', (e) => res.writeHead(502).end(String(e)));
      out.end(body);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    calls,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(r);
      }),
  };
}

/** The gate stack, as test/fixtures/aws.ts gateTemplate makes it (a benchmark runs plain JavaScript, so it keeps its own copy). */
const GATE = JSON.stringify({
  Resources: {
    GateRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    },
    GateFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Runtime: 'python3.12',
        Handler: 'index.handler',
        Role: { 'Fn::GetAtt': ['GateRole', 'Arn'] },
        Code: { ZipFile: 'def handler(event, context):\n    pass\n' },
      },
    },
    Gate: { Type: 'Custom::Gate', Properties: { ServiceToken: { 'Fn::GetAtt': ['GateFunction', 'Arn'] } } },
  },
  Outputs: { Opened: { Value: { 'Fn::GetAtt': ['Gate', 'Opened'] } } },
});

/** Answer the gate's custom resource: the stack completes. Resolves with the time it did. */
async function release(motoEndpoint, stackId) {
  const res = await fetch(`${motoEndpoint}/cloudformation_${REGION}/cfnresponse?stack=${encodeURIComponent(stackId)}`, {
    method: 'PUT',
    body: JSON.stringify({ Status: 'SUCCESS', StackId: stackId, LogicalResourceId: 'Gate', RequestId: 'bench', Data: { Opened: 'yes' } }),
  });
  if (!res.ok) throw new Error(`releasing ${stackId}: HTTP ${res.status}`);
  return performance.now();
}

/** Bundle the provider from src (the CLI bundle has no entry for it), its packages left to node_modules. */
async function buildProvider() {
  const { build } = await import('esbuild');
  const dir = join(ROOT, 'node_modules', '.cache', 'nepho-bench');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'cloudformation.mjs');
  await build({
    entryPoints: [join(ROOT, 'src', 'providers', 'cloudformation', 'index.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).toString());
}

/** What one followed create cost, from the proxy's record. */
function measure(calls, name, stackId, releasedAt, doneAt) {
  const mine = calls.filter((c) => c.stack === name || c.stack === stackId);
  const describes = mine.filter((c) => c.action === 'DescribeStacks' || c.action === 'DescribeStackEvents');
  const polls = mine
    .filter((c) => c.action === 'DescribeStacks')
    .map((c) => c.at)
    .sort((a, b) => a - b);
  const gaps = polls.slice(1).map((at, i) => at - polls[i]);
  const noticed = mine
    .filter((c) => c.complete)
    .map((c) => c.answeredAt)
    .sort((a, b) => a - b)[0];
  // The calls of each poll: those from one DescribeStacks up to the next.
  const perPoll = polls.map((at, i) => describes.filter((c) => c.at >= at && (i + 1 === polls.length || c.at < polls[i + 1])).length);
  // The interval in force when the stack finished: the gap that straddles the release.
  const straddling = polls.findIndex((at) => at >= releasedAt);
  const intervalThen = straddling > 0 ? polls[straddling] - polls[straddling - 1] : INTERVAL;
  return {
    notice: noticed - releasedAt,
    done: doneAt - releasedAt,
    calls: mine.length,
    describes: describes.length,
    polls: polls.length,
    maxPerPoll: Math.max(...perPoll),
    minGap: gaps.length ? Math.min(...gaps) : NaN,
    intervalThen,
  };
}

export async function follow({ rounds = Number(process.env.BENCH_FOLLOW_ROUNDS ?? 4) } = {}) {
  heading('follow a stack create');
  progress('starting moto and bundling the provider ...');
  const moto = await startMoto();
  const proxy = await countingProxy(moto.endpoint);
  try {
    const { cloudformationProvider } = await buildProvider();
    const { CloudFormationClient, CreateStackCommand, waitUntilStackCreateComplete } = await import('@aws-sdk/client-cloudformation');
    const env = {
      PATH: process.env.PATH,
      HOME: tempDir('nepho-bench-follow-home-'),
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const work = tempDir('nepho-bench-follow-');
    const patternFile = join(work, 'gate.cf');
    writeFileSync(patternFile, GATE);
    // Warm moto up (its first CloudFormation and Lambda calls load a lot), untimed.
    const warm = new CloudFormationClient({ region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const warmId = (await warm.send(new CreateStackCommand({ StackName: 'bench-warm-up', TemplateBody: GATE, Capabilities: ['CAPABILITY_IAM'] }))).StackId;
    await release(moto.endpoint, warmId);

    // How long after creation each stack finishes: varied, so the finish falls at different points of the poll cycle.
    const delay = (i) => 5000 + ((i * 1370) % 4000);

    const waiter = (async () => {
      const client = new CloudFormationClient({
        region: REGION,
        endpoint: proxy.endpoint,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      const name = 'bench-waiter';
      const stackId = (await client.send(new CreateStackCommand({ StackName: name, TemplateBody: GATE, Capabilities: ['CAPABILITY_IAM'] }))).StackId;
      const released = new Promise((r) => setTimeout(() => r(release(moto.endpoint, stackId)), delay(0)));
      await waitUntilStackCreateComplete({ client, maxWaitTime: 600 }, { StackName: name });
      const doneAt = performance.now();
      return measure(proxy.calls, name, stackId, await released, doneAt);
    })();

    const nepho = [];
    for (let i = 0; i < rounds; i++) {
      progress(`nepho round ${i + 1}/${rounds} (the stack finishes ${ms(delay(i))} after creation) ...`);
      const name = `bench-nepho-${i}`;
      let released;
      let stackId;
      const ctx = {
        dir: work,
        options: {},
        env,
        emit() {},
        accepted(state) {
          stackId = state.stackId;
          released = new Promise((r) => setTimeout(() => r(release(moto.endpoint, stackId)), delay(i)));
        },
      };
      const spec = {
        name,
        cloudlet: { id: 'bench/gate', version: '1.0.0', dir: work },
        scenario: 'default',
        settings: {},
        patternFile,
        parameters: {},
        tags: { 'nepho:formation': name },
      };
      const outcome = await cloudformationProvider.create(spec, ctx);
      const doneAt = performance.now();
      if (outcome.status !== 'CREATE_COMPLETE') throw new Error(`nepho's create ended in ${outcome.status}`);
      nepho.push(measure(proxy.calls, name, stackId, await released, doneAt));
    }
    progress('waiting for the SDK waiter (its first wait is 30 s) ...');
    const w = await waiter;

    const worst = (key) => Math.max(...nepho.map((m) => m[key]));
    const row = (label, m, n) => [
      label,
      ms(m.notice),
      ms(m.done),
      String(m.polls),
      String(m.describes),
      `${(m.describes / m.polls).toFixed(1)}`,
      String(m.maxPerPoll),
      Number.isNaN(m.minGap) ? '-' : ms(m.minGap),
      n,
    ];
    const pooled = {
      notice: median(nepho.map((m) => m.notice)),
      done: median(nepho.map((m) => m.done)),
      polls: median(nepho.map((m) => m.polls)),
      describes: median(nepho.map((m) => m.describes)),
      maxPerPoll: worst('maxPerPoll'),
      minGap: Math.min(...nepho.map((m) => m.minGap)),
    };
    table(
      ['follower', 'noticed after', 'returned after', 'polls', 'describe calls', 'per poll', 'max per poll', 'min gap', 'rounds'],
      [
        row('nepho create (median)', pooled, String(rounds)),
        ...nepho.map((m, i) => row(`  round ${i + 1}`, m, '')),
        row('waitUntilStackCreateComplete', w, '1'),
      ],
    );
    console.log(`(times from the moment the stack finished; "noticed" = the first DescribeStacks answer saying CREATE_COMPLETE left the proxy;`);
    console.log(` nepho's interval is ${ms(INTERVAL)}, stretching to 5 s while a stack is quiet; the waiter's first wait is 30 s, then up to 120 s)`);

    // Within one interval: the interval in force when the stack finished (2 s, up to 5 s after a quiet spell), plus the poll's own round trip.
    const late = nepho.filter((m) => m.notice > m.intervalThen + 250);
    const withinInterval = late.length === 0;
    const callsOk = worst('maxPerPoll') <= 2 && pooled.minGap >= INTERVAL * 0.95;
    return [
      {
        bench: 'follow',
        what: 'nepho notices a finished create',
        figure: `${ms(worst('notice'))} worst, ${ms(pooled.notice)} median (waiter: ${ms(w.notice)})`,
        target: '≤ 1 interval',
        pass: withinInterval,
      },
      {
        bench: 'follow',
        what: 'nepho describe calls per interval',
        figure: `≤ ${worst('maxPerPoll')} per poll, polls ≥ ${ms(pooled.minGap)} apart`,
        target: `≤ 2 per ${ms(INTERVAL)}`,
        pass: callsOk,
      },
    ];
  } finally {
    await proxy.close();
    moto.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').toString()) {
  const results = await follow();
  heading('summary');
  table(
    ['benchmark', 'measure', 'figure', 'target', ''],
    results.map((r) => [r.bench, r.what, r.figure, r.target, verdict(r.pass)]),
  );
}
