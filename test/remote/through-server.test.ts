// Formation commands through a team server: a real `nepho server` (PGlite) on
// moto, and a client home that installed acme/queue from the same registry.
// The client resolves and shows the plan, sends the cloudlet with the commit
// it installed and follows the events; list, describe, watch and history read
// the server; an update is previewed by the server and agreed to here;
// destroy asks here; --local ignores the server; a commit the server's
// registries do not list is refused in one line. Then the event stream is cut
// mid-way by a proxy (a real TCP relay between client and server): the client
// re-attaches with Last-Event-ID and every event arrives exactly once.
import { existsSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { ServerClient } from '../../src/remote/client.js';
import { startMoto } from '../fixtures/aws.js';
import { nepho, stderrLines } from '../fixtures/cli.js';
import { writeConfig, writeFiles } from '../fixtures/files.js';
import { makeCloudletRepo } from '../fixtures/git.js';
import { tempDir, type Teardown } from '../fixtures/paths.js';
import { indexDoc, indexEntry, serveRegistry } from '../fixtures/registry.js';
import { followsSchema } from '../fixtures/schemas.js';
import { SECRET, makeToken, queueCloudlet, queueRegistry, readEvents, serverHome, startServer } from '../fixtures/server.js';

/** A TCP relay to `target` that cuts each of its first `cuts` event streams once `afterBytes` bytes of answer went through (other requests pass). */
async function cuttingProxy(
  t: Teardown,
  target: URL,
  cuts: number,
  afterBytes: number,
): Promise<{ url: string; connections: () => number; cut: () => number }> {
  let connections = 0;
  let cut = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    connections++;
    let cutThis = false;
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let sent = 0;
    client.on('data', (d: Buffer) => {
      if (/^GET \S+\/events /.test(d.toString('latin1')) && cut < cuts) cutThis = true;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (!cutThis) return void client.write(d);
      const room = afterBytes - sent;
      sent += d.length;
      client.write(room < d.length ? d.subarray(0, Math.max(room, 0)) : d);
      if (sent >= afterBytes) {
        cut++;
        client.destroy();
        upstream.destroy();
      }
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, connections: () => connections, cut: () => cut };
}

t.test('formation commands through the team server', async (t) => {
  const moto = await startMoto(t);
  const { registry, commit } = await queueRegistry(t);
  const home = serverHome(t, registry);
  const deployer = await makeToken(home, 'deployer', 'operator');
  const viewer = await makeToken(home, 'watcher', 'viewer');
  const server = await startServer(t, { home, env: moto.env });

  const client = join(tempDir(t, 'nepho-client-'), 'home');
  writeConfig(client, `registries:\n  - {name: test, url: "${registry.url}"}\nregistry_ttl: 0\n`);
  // The client has no AWS credentials nor endpoint: everything at the provider is the server's.
  const run = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) => nepho(args, { home: client, ...options });
  t.equal((await run(['cloudlet:install', 'acme/queue'])).code, 0, 'the client installs the cloudlet from the registry');
  const added = await run(['remote:add', 'team', server.url, '--token-stdin'], { input: deployer });
  t.equal(added.code, 0, added.stderr);

  let operationId = '';
  await t.test('create: resolved and shown here, carried by the server, followed to the end', async (t) => {
    const r = await run(['formation:create', 'acme/queue', '--name', 'q1', '-p', `DbPassword=${SECRET}`, '-p', 'Greeting=hi team']);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /^created q1 in \d+s \(CREATE_COMPLETE\)$/m);
    t.match(
      r.stderr,
      new RegExp(`Plan: formation q1 from acme/queue 1\\.0\\.0 \\(commit ${commit.slice(0, 12)}\\), scenario default, provider \\S+, on server 'team'`),
    );
    t.match(
      r.stderr,
      /Parameters: .*Greeting=hi team \(-p[^)]*\).*DbPassword=\*+|Parameters: .*DbPassword=\*+.*Greeting=hi team/,
      'the plan shows values, the secret masked',
    );
    t.notOk(r.stderr.includes(SECRET) || r.stdout.includes(SECRET), 'the secret is never printed');
    t.match(r.stderr, /create started at \d\d:\d\d:\d\d\n/, "the server's journal, as events");
    t.match(r.stderr, /CREATE_COMPLETE/);
    operationId = /operation (op_[0-9a-f-]{36})/.exec(r.stderr)?.[1] ?? '';
    t.ok(operationId, 'the operation id is said');
    t.notOk(existsSync(join(client, 'formations', 'q1')), 'nothing of q1 is kept on the client');
    t.match(
      server.logs().find((l) => l.msg === 'operation started' && l.formation === 'q1'),
      { token: 'deployer' },
      'the server ran it for the token',
    );
  });

  await t.test('list, describe, history and watch read the server; --local does not', async (t) => {
    const list = JSON.parse((await run(['formation:list', '-o', 'json'])).stdout);
    t.match(list, [{ name: 'q1', cloudlet: 'acme/queue', version: '1.0.0', scenario: 'default', status: 'CREATE_COMPLETE', source: 'server' }]);
    const table = await run(['formation:list']);
    t.match(table.stdout, /q1\s+acme\/queue\s+1\.0\.0\s+default\s+\S+\s+CREATE_COMPLETE\s+server/);
    t.same(JSON.parse((await run(['formation:list', '--local', '-o', 'json'])).stdout), [], '--local: this machine has none');
    const described = JSON.parse((await run(['formation:describe', 'q1', '-o', 'json'])).stdout);
    t.match(described, {
      name: 'q1',
      status: 'CREATE_COMPLETE',
      cloudlet: 'acme/queue',
      version: '1.0.0',
      commit,
      parameters: { Greeting: 'hi team', DbPassword: '(secret)' },
    });
    const history = JSON.parse((await run(['formation:history', 'q1', '-o', 'json'])).stdout);
    t.match(history, [{ operation: 'create', by: 'token deployer', result: 'succeeded', status: 'CREATE_COMPLETE' }]);
    const watched = await run(['formation:watch', 'q1']);
    t.equal(watched.code, 0, watched.stderr);
    t.match(watched.stdout, /created q1/);
    t.match(watched.stderr, /create started at/);
    const watchedJson = await run(['formation:watch', 'q1', '-o', 'json']);
    t.equal(watchedJson.code, 0, watchedJson.stderr);
    const report = followsSchema(t, watchedJson, 'operation-report.json');
    t.match(
      report,
      {
        operation: { id: operationId, kind: 'create', outcome: 'succeeded', status: 'CREATE_COMPLETE', by: 'token deployer', server: server.url, pid: null },
        formation: { name: 'q1', status: 'CREATE_COMPLETE', commit },
      },
      "-o json: the server's operation, by its id, and the formation as the server has it",
    );
    t.ok(report.operation.startedAt <= report.operation.endedAt, 'when it ran, from the server');
    const missing = await run(['formation:describe', 'nope']);
    t.equal(missing.code, 1);
    t.match(stderrLines(missing.stderr).errors, [/no formation named 'nope' on this server/]);
  });

  await t.test('update: previewed by the server, agreed to here, applied; refused without a yes', async (t) => {
    const dry = await run(['formation:update', 'q1', '-p', 'Greeting=changed', '--dry-run']);
    t.equal(dry.code, 0, dry.stderr);
    t.match(dry.stdout, /parameter Greeting: hi team → changed/);
    t.match(dry.stdout, /Dry run: nothing was changed\./);
    const unasked = await run(['formation:update', 'q1', '-p', 'Greeting=changed']);
    t.equal(unasked.code, 1);
    t.match(stderrLines(unasked.stderr).errors, [/Apply these changes to formation q1\? Not confirmed: no terminal to ask on/]);
    t.same(stderrLines(unasked.stderr).stackFrames, []);
    t.match(JSON.parse((await run(['formation:describe', 'q1', '-o', 'json'])).stdout).parameters, { Greeting: 'hi team' }, 'nothing applied');
    const applied = await run(['formation:update', 'q1', '-p', 'Greeting=changed', '-y']);
    t.equal(applied.code, 0, applied.stderr);
    t.equal((applied.stdout.match(/parameter Greeting: hi team → changed/g) ?? []).length, 1, 'the preview is shown once');
    t.match(applied.stdout, /updated q1/);
    t.match(JSON.parse((await run(['formation:describe', 'q1', '-o', 'json'])).stdout).parameters, { Greeting: 'changed' });
  });

  await t.test('a viewer may read but not run; the refusal is one line', async (t) => {
    const env = { NEPHO_SERVER: server.url, NEPHO_TOKEN: viewer };
    t.equal((await run(['formation:list'], { env })).code, 0);
    const r = await run(['formation:update', 'q1', '-p', 'Greeting=x', '-y'], { env });
    t.equal(r.code, 1);
    t.match(stderrLines(r.stderr).errors, [/token 'watcher' is a viewer; this needs an operator/]);
  });

  await t.test('--foreground and -i are for this machine: refused with a server, nothing sent', async (t) => {
    const r = await run(['formation:destroy', 'q1', '-y', '--foreground']);
    t.equal(r.code, 1);
    t.match(stderrLines(r.stderr).errors, [/--foreground runs the operation in this process/]);
  });

  await t.test('a cloudlet commit no registry of the server lists is refused, in one line', async (t) => {
    // Another registry publishes acme/queue 1.0.0 at another commit; the server does not use it.
    const other = makeCloudletRepo(tempDir(t, 'nepho-fork-'), 'queue', ['1.0.0'], { files: (v) => ({ ...queueCloudlet(v), 'NOTES.md': 'a fork\n' }) });
    const forkRegistry = await serveRegistry(t, indexDoc({ 'acme/queue': indexEntry(other) }));
    const forked = join(tempDir(t, 'nepho-forked-'), 'home');
    writeConfig(forked, `registries:\n  - {name: fork, url: "${forkRegistry.url}"}\nregistry_ttl: 0\n`);
    const env = { NEPHO_SERVER: server.url, NEPHO_TOKEN: deployer };
    t.equal((await nepho(['cloudlet:install', 'acme/queue'], { home: forked })).code, 0);
    const r = await nepho(['formation:create', 'acme/queue', '--name', 'q9', '-p', `DbPassword=${SECRET}`], { home: forked, env });
    t.equal(r.code, 1);
    const lines = stderrLines(r.stderr);
    t.match(lines.errors, [new RegExp(`acme/queue: no registry this server uses lists commit ${other.commits['1.0.0']}`)]);
    t.same(lines.stackFrames, []);
    const listed = JSON.parse((await run(['formation:list', '-o', 'json'])).stdout).map((f: any) => f.name);
    t.same(listed, ['q1'], 'q9 was never made');
  });

  await t.test('a cloudlet linked from a directory has no pinned commit: refused on the client, nothing sent', async (t) => {
    const dir = join(tempDir(t, 'nepho-dev-'), 'queue');
    writeFiles(dir, queueCloudlet('1.0.0'));
    const dev = join(tempDir(t, 'nepho-devhome-'), 'home');
    const linked = await nepho(['cloudlet:install', dir, '--develop', '--as', 'acme/queue'], { home: dev });
    t.equal(linked.code, 0, linked.stderr);
    const before = server.logs().filter((l) => l.msg === 'operation started').length;
    const r = await nepho(['formation:create', 'acme/queue', '--name', 'q8', '-p', 'DbPassword=x'], {
      home: dev,
      env: { NEPHO_SERVER: server.url, NEPHO_TOKEN: deployer },
    });
    t.equal(r.code, 1);
    t.match(stderrLines(r.stderr).errors, [/acme\/queue is installed from .*without a commit a registry pins/]);
    t.match(stderrLines(r.stderr).hints, [/--local/]);
    t.equal(server.logs().filter((l) => l.msg === 'operation started').length, before, 'no operation reached the server');
  });

  await t.test('the event stream cut mid-way: re-attached with Last-Event-ID, nothing lost, nothing repeated', async (t) => {
    const all = (await readEvents(server.url, operationId, viewer)).filter((e) => e.id !== undefined);
    t.ok(all.length >= 4, `${all.length} events`);
    // Cut three connections in a row, each after 700 bytes of answer (headers included): mid-frame.
    const proxy = await cuttingProxy(t, new URL(server.url), 3, 700);
    const api = new ServerClient({ name: 'cut', url: proxy.url, token: viewer, from: 'remote' });
    const got: number[] = [];
    const reattached: string[] = [];
    const end = await api.follow(operationId, 0, (e) => got.push(e.id), { onReattach: (why) => reattached.push(why) });
    t.same(end, { kind: 'done', state: 'succeeded' });
    t.equal(proxy.cut(), 3, 'three connections were cut');
    t.ok(reattached.length >= 3, `re-attached after each cut (${reattached.length})`);
    t.same(
      got,
      all.map((e) => e.id),
      'every event once, in order',
    );

    // The same through the command: formation:watch prints each event once.
    const again = await cuttingProxy(t, new URL(server.url), 2, 900);
    const watched = await nepho(['formation:watch', 'q1'], { home: client, env: { NEPHO_SERVER: again.url, NEPHO_TOKEN: viewer } });
    t.equal(watched.code, 0, watched.stderr);
    t.equal(again.cut(), 2);
    t.equal((watched.stderr.match(/update started at/g) ?? []).length, 1, 'the start is shown once');
    t.equal((watched.stderr.match(/lost the connection to server/g) ?? []).length, 2, 'each re-attach is said');
    t.match(watched.stdout, /updated q1/);
  });

  await t.test('destroy asks here, then goes through the server', async (t) => {
    const unasked = await run(['formation:destroy', 'q1']);
    t.equal(unasked.code, 1);
    t.match(stderrLines(unasked.stderr).errors, [/Destroy formation q1 \(acme\/queue, scenario default, \S+\) on server 'team' .*\? .*Not confirmed/]);
    const r = await run(['formation:destroy', 'q1', '-y']);
    t.equal(r.code, 0, r.stderr);
    t.match(r.stdout, /destroyed q1/);
    t.same(JSON.parse((await run(['formation:list', '-o', 'json'])).stdout), []);
    const history = JSON.parse((await run(['formation:history', 'q1', '-o', 'json'])).stdout);
    t.match(
      history.map((h: any) => h.operation),
      ['destroy', 'update', 'create'],
      'the history stays on the server',
    );
  });

  await t.test('the server kept no secret in its logs', async (t) => {
    t.notOk(JSON.stringify(server.logs()).includes(SECRET));
  });
});
