// What a formation looks like, and how it is reached, through a team server:
// a real `nepho server` (PGlite) on moto, a client home with no AWS settings
// at all, a real sshd on 127.0.0.1 standing for the formation's host. The
// cloudlet acme/web makes a CloudFormation stack whose outputs point at that
// sshd, and declares access.url and access.ssh from them.
// - describe: the server asks its provider; outputs, resources, URL and ssh
//   target come back, the same as this machine's provider reports for the
//   same stack (described --local from its tags, with moto's settings).
// - open and ssh read the URL and endpoint from the server's describe; ssh
//   runs here with the user's key; a scenario without access says so in one
//   line, as locally.
// - drift runs the provider's check on the server, a viewer may ask: moto
//   has none (the server's endpoint is named in one line), so a drifted
//   stack is FAKE answers a proxy in front of moto gives in its place;
//   refused in one line while an operation holds the formation.
// - update to a version adding parameters: asked here on a real terminal
//   (tmux), the secret typed hidden and sent with the apply only; refused in
//   one line without a terminal, nothing sent; the secret is nowhere in the
//   server's logs or files.
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { serveAwsProxy, startMoto, type ProxiedAnswer } from '../fixtures/aws.js';
import { expectUserError, nepho, stderrLines, waitFor } from '../fixtures/cli.js';
import { filesContaining, writeConfig } from '../fixtures/files.js';
import { makeCloudletRepo } from '../fixtures/git.js';
import { BIN, ROOT, tempDir } from '../fixtures/paths.js';
import { indexDoc, indexEntry, serveRegistry } from '../fixtures/registry.js';
import { SECRET, makeToken, serverHome, startServer } from '../fixtures/server.js';
import { makeSshKey, startSshd } from '../fixtures/ssh.js';
import { terminal } from '../fixtures/terminal.js';

/** The secret the new version asks for, typed on the terminal. */
const API_KEY = 'apikey-typed-on-the-terminal-5d1e';
const USER = userInfo().username;

/** acme/web: 1.1.0 adds ApiKey (secret) and Colour, neither with a default. */
function webCloudlet(version: string): Record<string, string> {
  const added = version === '1.0.0' ? [] : ['  ApiKey: {type: string, secret: true, description: the key of the new API}', '  Colour: {type: string}'];
  const parameters = [
    'parameters:',
    '  SshPort: {type: string}',
    '  AdminUser: {type: string}',
    '  DbPassword: {type: string, secret: true}',
    ...added,
    '',
  ].join('\n');
  const access = [
    'access:',
    '  url: "http://{{outputs.Host}}:{{outputs.WebPort}}/{{parameters.AdminUser}}/"',
    '  ssh: {host: "{{outputs.Host}}", port: "{{outputs.SshPort}}", user: "{{parameters.AdminUser}}"}',
    '',
  ].join('\n');
  const templateParameters: Record<string, unknown> = {
    SshPort: { Type: 'String' },
    AdminUser: { Type: 'String' },
    DbPassword: { Type: 'String', NoEcho: true },
    ...(version === '1.0.0' ? {} : { ApiKey: { Type: 'String', NoEcho: true }, Colour: { Type: 'String' } }),
  };
  return {
    'cloudlet.yaml': `name: web\nversion: ${version}\nsummary: a host reached by ssh and http\n`,
    'scenarios/default.yaml': `summary: a web host\nproviders:\n  cloudformation: {pattern: web}\n${parameters}${access}`,
    'scenarios/bare.yaml': `summary: the same, declaring no access\nproviders:\n  cloudformation: {pattern: web}\n${parameters}`,
    'patterns/aws/web.cf': JSON.stringify({
      AWSTemplateFormatVersion: '2010-09-09',
      Parameters: templateParameters,
      Resources: { Queue: { Type: 'AWS::SQS::Queue' } },
      Outputs: {
        Host: { Value: '127.0.0.1' },
        SshPort: { Value: { Ref: 'SshPort' } },
        WebPort: { Value: '8080' },
        QueueUrl: { Value: { Ref: 'Queue' } },
      },
    }),
  };
}

/** A CloudFormation Query API answer, as AWS's API reference shapes it. */
function cfnAnswer(action: string, result: string): ProxiedAnswer {
  const ns = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<${action}Response xmlns="${ns}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${action}Response>`,
  };
}

/** The lines of a describe's human output from its OUTPUT table on (outputs, then resources). */
const providerPart = (stdout: string) => stdout.slice(stdout.indexOf('OUTPUT'));

t.test('describe, open, ssh, drift and update through the team server', async (t) => {
  const moto = await startMoto(t);
  const base = tempDir(t, 'nepho-access-');
  const key = makeSshKey(base, 'client');
  const sshd = await startSshd(t, { authorizedKey: key.publicKey });
  const repo = makeCloudletRepo(base, 'web', ['1.0.0', '1.1.0'], { files: webCloudlet });
  const registry = await serveRegistry(t, indexDoc({ 'acme/web': indexEntry(repo) }));
  const home = serverHome(t, registry);
  const deployer = await makeToken(home, 'deployer', 'operator');
  const viewer = await makeToken(home, 'auditor', 'viewer');
  // The server reaches moto through a pass-through proxy, which the drift test has answer what moto cannot.
  const aws = await serveAwsProxy(t, moto.endpoint);
  const server = await startServer(t, { home, env: { ...moto.env, AWS_ENDPOINT_URL: aws.endpoint } });

  const client = join(base, 'home');
  writeConfig(client, `registries:\n  - {name: test, url: "${registry.url}"}\nregistry_ttl: 0\n`);
  const run = (args: string[], env: Record<string, string> = {}) =>
    nepho(args, { home: client, env: { NEPHO_SERVER: server.url, NEPHO_TOKEN: deployer, ...env } });
  t.equal((await run(['cloudlet:install', 'acme/web@1.0.0'])).code, 0, 'the client installs 1.0.0');
  const params = ['-p', `SshPort=${sshd.port}`, '-p', `AdminUser=${USER}`, '-p', `DbPassword=${SECRET}`];
  for (const [name, scenario] of [
    ['w1', 'default'],
    ['w2', 'bare'],
  ]) {
    const created = await run(['formation:create', `acme/web/${scenario}`, '--name', name!, ...params]);
    t.equal(created.code, 0, created.stderr);
  }

  await t.test('describe: outputs, resources, URL and ssh target from the server, as the provider reports them here', async (t) => {
    const r = await run(['formation:describe', 'w1', '-o', 'json']);
    t.equal(r.code, 0, r.stderr);
    const remote = JSON.parse(r.stdout);
    t.match(remote, {
      name: 'w1',
      status: 'CREATE_COMPLETE',
      inProgress: false,
      cloudlet: 'acme/web',
      version: '1.0.0',
      commit: repo.commits['1.0.0'],
      installed: { version: '1.0.0', newer: false },
      scenario: 'default',
      provider: 'cloudformation',
      url: `http://127.0.0.1:8080/${USER}/`,
      ssh: `${USER}@127.0.0.1:${sshd.port}`,
      parameters: { SshPort: String(sshd.port), AdminUser: USER, DbPassword: '(secret)' },
      outputs: { Host: '127.0.0.1', SshPort: String(sshd.port), WebPort: '8080', QueueUrl: /\S/ },
      resources: [{ id: 'Queue', type: 'AWS::SQS::Queue', status: 'CREATE_COMPLETE', physicalId: /\S/ }],
    });
    t.same(Object.keys(remote).sort(), Object.keys(JSON.parse((await run(['formation:describe', 'w2', '-o', 'json'])).stdout)).sort());

    // The same stack described by this machine's provider (found by its tags; moto's settings given here only).
    const local = await run(['formation:describe', 'w1', '--local', '-o', 'json'], moto.env);
    t.equal(local.code, 0, local.stderr);
    const here = JSON.parse(local.stdout);
    t.same(remote.outputs, here.outputs, 'the outputs, as the provider reports them here');
    t.same(remote.resources, here.resources, 'the resources, as the provider reports them here');
    t.same([remote.name, remote.status, remote.inProgress], [here.name, here.status, here.inProgress]);

    const table = await run(['formation:describe', 'w1']);
    t.equal(table.code, 0, table.stderr);
    t.match(table.stdout, new RegExp(`^URL: +http://127\\.0\\.0\\.1:8080/${USER}/$`, 'm'));
    t.match(table.stdout, new RegExp(`^SSH: +${USER}@127\\.0\\.0\\.1:${sshd.port}$`, 'm'));
    t.match(table.stdout, /^Cloudlet: +acme\/web 1\.0\.0 \([0-9a-f]{12}\)$/m);
    t.match(table.stdout, /^DbPassword +\(secret\)$/m);
    const tableHere = await run(['formation:describe', 'w1', '--local'], moto.env);
    t.equal(providerPart(table.stdout), providerPart(tableHere.stdout), 'the OUTPUT and RESOURCE tables, line for line');
    t.match(providerPart(table.stdout), /^QueueUrl +\S+$/m);
    t.match(providerPart(table.stdout), /^Queue +AWS::SQS::Queue +CREATE_COMPLETE +\S+$/m);
    t.notOk(existsSync(join(client, 'formations', 'w1')), 'nothing of w1 is kept on the client');

    const missing = await run(['formation:describe', 'nope']);
    expectUserError(t, missing, /^error: no formation named 'nope' on this server$/, 'unknown formation');
  });

  await t.test("open: the URL from the server's describe; a scenario without one says so in one line", async (t) => {
    const r = await run(['formation:open', 'w1', '--print']);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, `http://127.0.0.1:8080/${USER}/\n`);
    expectUserError(
      t,
      await run(['formation:open', 'w2', '--print']),
      /^error: formation w2: scenario bare of acme\/web declares no access\.url$/,
      'no access.url',
    );
    const local = await run(['formation:open', 'w1', '--print', '--local']);
    expectUserError(t, local, /^error: no formation named 'w1' on this machine$/, '--local looks on this machine');
  });

  await t.test("ssh: the endpoint from the server's describe, ssh run here with the user's key", async (t) => {
    const r = await run(['formation:ssh', 'w1', '-i', key.privateKey, '--', 'echo', 'hello from w1']);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout, 'hello from w1\n');
    t.equal(r.stderr.split('\n')[0], `connecting to ${USER}@127.0.0.1:${sshd.port}`);
    t.match(sshd.log(), new RegExp(`Accepted publickey for ${USER} from 127\\.0\\.0\\.1`), 'the host let the client in by its key');
    const known = readFileSync(join(client, 'known_hosts'), 'utf8');
    t.ok(known.includes(`/127.0.0.1:${sshd.port} `) && known.includes(sshd.hostKey), 'the host key is remembered here, under the formation');
    t.ok(existsSync(join(client, 'remote-ssh', 'w1', 'ssh_config')), 'the ssh config file is kept apart from formations of this machine');
    t.notOk(existsSync(join(client, 'formations', 'w1')));

    const printed = await run(['formation:ssh', 'w1', '--print', '-o', 'json']);
    t.equal(printed.code, 0, printed.stderr);
    t.match(JSON.parse(printed.stdout), { user: USER, host: '127.0.0.1', port: sshd.port, bastion: null });

    expectUserError(
      t,
      await run(['formation:ssh', 'w2', '--print']),
      /^error: formation w2: scenario bare of acme\/web declares no access\.ssh$/,
      'no access.ssh',
    );
    expectUserError(
      t,
      await run(['formation:ssh', 'w1', '-i', join(base, 'nokey')]),
      /^error: -i .*nokey: no such readable file$/,
      'a bad -i, before the server',
    );
  });

  await t.test("drift: the provider's check runs on the server; a viewer may ask", async (t) => {
    const r = await run(['formation:drift', 'w1'], { NEPHO_TOKEN: viewer });
    expectUserError(
      t,
      r,
      new RegExp(`^error: .*${aws.endpoint.replace(/[.]/g, '\\.')} does not support drift detection`),
      "moto's answer, by the server's endpoint",
    );
    t.notMatch(r.stderr, /unexpected failure|a bug in nepho/);

    // moto has no drift detection (testing.md): the three calls it takes are answered by the proxy in moto's place (FAKE answers).
    let stackId = '';
    aws.intercept('DetectStackDrift', ({ params }) => {
      stackId = params.get('StackName') ?? '';
      return cfnAnswer('DetectStackDrift', '<StackDriftDetectionId>fake-detection</StackDriftDetectionId>');
    });
    aws.intercept('DescribeStackDriftDetectionStatus', () =>
      cfnAnswer(
        'DescribeStackDriftDetectionStatus',
        `<StackId>${stackId}</StackId><StackDriftDetectionId>fake-detection</StackDriftDetectionId><StackDriftStatus>DRIFTED</StackDriftStatus>` +
          '<DriftedStackResourceCount>1</DriftedStackResourceCount><DetectionStatus>DETECTION_COMPLETE</DetectionStatus><Timestamp>2026-01-01T00:00:00Z</Timestamp>',
      ),
    );
    aws.intercept('DescribeStackResourceDrifts', () =>
      cfnAnswer(
        'DescribeStackResourceDrifts',
        `<StackResourceDrifts><member><StackId>${stackId}</StackId><LogicalResourceId>Queue</LogicalResourceId><PhysicalResourceId>q</PhysicalResourceId>` +
          '<ResourceType>AWS::SQS::Queue</ResourceType><ExpectedProperties>{}</ExpectedProperties><ActualProperties>{}</ActualProperties><PropertyDifferences>' +
          '<member><PropertyPath>/DelaySeconds</PropertyPath><ExpectedValue>0</ExpectedValue><ActualValue>30</ActualValue><DifferenceType>NOT_EQUAL</DifferenceType></member>' +
          '</PropertyDifferences><StackResourceDriftStatus>MODIFIED</StackResourceDriftStatus><Timestamp>2026-01-01T00:00:00Z</Timestamp></member></StackResourceDrifts>',
      ),
    );
    t.teardown(() => aws.clearIntercepts());
    const drifted = await run(['formation:drift', 'w1'], { NEPHO_TOKEN: viewer });
    t.equal(drifted.code, 2, drifted.stderr);
    t.equal(drifted.stderr, '', 'drift is the answer, not an error');
    t.match(drifted.stdout, /^w1: drifted\n/);
    t.match(drifted.stdout, /Queue\s+AWS::SQS::Queue\s+MODIFIED\s+\/DelaySeconds\s+0\s+30\n/);
    const json = await run(['formation:drift', 'w1', '-o', 'json'], { NEPHO_TOKEN: viewer });
    t.equal(json.code, 2);
    const queue = {
      resource: 'Queue',
      type: 'AWS::SQS::Queue',
      status: 'MODIFIED',
      differences: [{ path: '/DelaySeconds', expected: '0', actual: '30', kind: 'NOT_EQUAL' }],
    };
    t.same(JSON.parse(json.stdout), { name: 'w1', provider: 'cloudformation', drifted: true, resources: [queue] }, 'the report as JSON, as locally');
    t.match(stackId, /^arn:aws:cloudformation:us-east-1:\d+:stack\/w1\//, "the server asked about w1's stack, by its id");

    // While an operation holds the formation (its DeleteStack held back at the proxy), drift is refused naming it.
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    let deleting = false;
    aws.intercept('DeleteStack', async ({ forward }) => {
      deleting = true;
      await held;
      return forward();
    });
    const destroying = run(['formation:destroy', 'w2', '-y']);
    await waitFor(() => deleting, 'the destroy of w2 at the provider', 60_000);
    const busy = await run(['formation:drift', 'w2'], { NEPHO_TOKEN: viewer });
    expectUserError(t, busy, /^error: formation w2 is busy: operation op_[0-9a-f-]{36} \(destroy\) is in progress$/, 'drift during an operation');
    release();
    const destroyed = await destroying;
    t.equal(destroyed.code, 0, destroyed.stderr);

    const unknown = await run(['formation:drift', 'nope'], { NEPHO_TOKEN: viewer });
    expectUserError(t, unknown, /^error: no formation named 'nope' on this server$/, 'unknown formation');
  });

  await t.test('update to a version that adds parameters: refused in one line without a terminal, nothing sent', async (t) => {
    t.equal((await run(['cloudlet:install', 'acme/web@1.1.0'])).code, 0, 'the client installs 1.1.0');
    const before = server.logs().filter((l) => l.msg === 'operation started').length;
    const r = await run(['formation:update', 'w1', '-y']);
    expectUserError(t, r, /^error: missing parameters ApiKey \(the key of the new API\), Colour; there is no terminal to ask on$/, 'no terminal');
    t.match(stderrLines(r.stderr).hints, [/-p KEY=VALUE/]);
    const noInput = await run(['formation:update', 'w1', '-y', '--no-input', '-p', 'Colour=red']);
    expectUserError(t, noInput, /^error: missing parameter ApiKey \(the key of the new API\); --no-input forbids prompting$/, '--no-input');
    t.equal(server.logs().filter((l) => l.msg === 'operation started').length, before, 'no operation reached the server');
  });

  await t.test('update: the new parameters asked on a terminal, the secret typed hidden, then previewed and applied by the server', async (t) => {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const term = terminal(
      t,
      [
        `cd ${quote(ROOT)} &&`,
        `NEPHO_HOME=${quote(client)} HOME=${quote(client)} NO_COLOR=1 NEPHO_SERVER=${quote(server.url)} NEPHO_TOKEN=${quote(deployer)}`,
        quote(process.execPath),
        quote(BIN),
        'formation:update w1 -y',
        '; echo EXIT=$?; sleep 30',
      ].join(' '),
    );
    await term.waitForScreen(/\? ApiKey \(the key of the new API\)/, 30_000);
    term.send([API_KEY], true);
    term.send(['Enter']);
    await term.waitForScreen(/\? Colour/);
    term.send(['blue'], true);
    term.send(['Enter']);
    const screen = await term.waitForScreen(/EXIT=\d+/, 90_000);
    t.match(screen, /EXIT=0/, screen);
    t.notOk(screen.includes(API_KEY), 'the secret never shows');
    t.match(screen, /1\.0\.0 → 1\.1\.0/);
    t.match(screen, /parameter Colour: .*→ blue/);
    t.match(screen, /updated w1/);

    const described = JSON.parse((await run(['formation:describe', 'w1', '-o', 'json'])).stdout);
    t.match(described, { version: '1.1.0', parameters: { Colour: 'blue', ApiKey: '(secret)', DbPassword: '(secret)' } });
    const ops = server.logs().filter((l) => l.msg === 'operation started' && l.formation === 'w1' && l.kind === 'update');
    t.equal(ops.length, 2, 'a preview and the apply');
  });

  await t.test('no secret in the server logs or its database files', async (t) => {
    const logs = JSON.stringify(server.logs());
    t.notOk(logs.includes(SECRET) || logs.includes(API_KEY), 'not in the JSON logs');
    t.equal(await server.stop(), 0);
    t.same(filesContaining(join(home, 'server', 'db'), API_KEY), [], "no file of PGlite's holds the typed secret");
    t.same(filesContaining(join(home, 'server', 'db'), SECRET), [], "nor the create's");
  });
});
