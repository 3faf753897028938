// Server replicas on one real Postgres (a throw-away cluster), against moto:
// a concurrent create of one formation through two replicas (one 202, one
// 409); a replica killed with SIGKILL in the middle of a create, its
// operation taken over by the other, which follows the stack to its end
// (exactly one stack exists); a replica killed before its operation reached
// the provider (the operation ends saying the secrets must be given again);
// and a replica stopped with SIGTERM, whose operation a restarted server
// picks up at once. Leases last 3 s here (NEPHO_SERVER_LEASE_MS), so
// takeovers come within seconds; the default is 15 s.
import t from 'tap';
import { motoQuery, releaseGate, startMoto } from '../fixtures/aws.js';
import { waitFor } from '../fixtures/cli.js';
import { startPostgres } from '../fixtures/postgres.js';
import { SECRET, api, makeToken, queueCreate, queueRegistry, readEvents, serverHome, startServer, type Sse } from '../fixtures/server.js';

/** Stacks moto holds under `name` that are not deleted. */
async function liveStacks(endpoint: string, name: string): Promise<string[]> {
  const xml = await motoQuery(endpoint, 'cloudformation', { Action: 'ListStacks', Version: '2010-05-15' });
  const members = xml.split('<member>').slice(1);
  return members
    .filter((m) => m.includes(`<StackName>${name}</StackName>`) && !m.includes('<StackStatus>DELETE_COMPLETE</StackStatus>'))
    .map((m) => /<StackId>([^<]+)<\/StackId>/.exec(m)?.[1] ?? '?');
}

t.test('replicas on one Postgres', async (t) => {
  const pg = await startPostgres(t);
  if (!pg) return;
  const database = await pg.database('replicas');
  const moto = await startMoto(t);
  const { registry, commit } = await queueRegistry(t);
  const homeA = serverHome(t, registry);
  const homeB = serverHome(t, registry);
  const token = await makeToken(homeA, 'deployer', 'operator', database);
  let a = await startServer(t, { home: homeA, env: moto.env, database });
  const b = await startServer(t, { home: homeB, env: moto.env, database });
  const create = (formation: string, scenario = 'default') => queueCreate(commit, formation, scenario);

  await t.test('a concurrent create of one formation through two replicas: one 202, one 409 naming the operation', async (t) => {
    const answers = await Promise.all([
      api(a.url, 'POST', '/v1/operations', token, create('shared')),
      api(b.url, 'POST', '/v1/operations', token, create('shared')),
    ]);
    t.same(answers.map((r) => r.status).sort(), [202, 409], JSON.stringify(answers.map((r) => r.body)));
    const accepted = answers.find((r) => r.status === 202)!;
    const refused = answers.find((r) => r.status === 409)!;
    t.match(refused.body.error, { code: 'FORMATION_BUSY', message: new RegExp(accepted.body.id) });
    // Watched through the replica that did not take it: events cross replicas through the database.
    const other = answers[0] === accepted ? b : a;
    const events = await readEvents(other.url, accepted.body.id, token);
    t.same(events.at(-1)!.data, { operation: accepted.body.id, state: 'succeeded' });
    t.same(await liveStacks(moto.endpoint, 'shared').then((s) => s.length), 1, 'one stack');
  });

  await t.test('kill -9 of the replica carrying a create: the other takes it over, follows the stack to its end, and there is exactly one stack', async (t) => {
    const posted = await api(a.url, 'POST', '/v1/operations', token, create('gated', 'gated'));
    t.equal(posted.status, 202);
    const id = posted.body.id;
    // Watched on B from the start: the stream goes on across the takeover.
    const seen: Sse[] = [];
    const watching = readEvents(b.url, id, token, { onEvent: (e) => seen.push(e) });
    const accepted = await waitFor(() => seen.find((e) => e.event === 'accepted'), 'the provider to accept the create', 60_000);
    const stackId = accepted.data.state.stackId as string;
    t.match(stackId, /^arn:aws:cloudformation:/);
    await a.kill();
    const resumed = await waitFor(() => seen.find((e) => e.event === 'resumed'), 'replica B to take the operation over', 60_000);
    t.match(resumed.data.reason, /died; following cloudformation from its side/);
    await releaseGate(moto.endpoint, stackId);
    const events = await watching;
    t.same(events.at(-1)!.data, { operation: id, state: 'succeeded' });
    t.match(events.find((e) => e.event === 'end')?.data, { ok: true, status: 'CREATE_COMPLETE' });
    const ids = events.filter((e) => e.id !== undefined).map((e) => e.id);
    t.equal(new Set(ids).size, ids.length, 'no event twice on the stream');
    const op = (await api(b.url, 'GET', `/v1/operations/${id}`, token)).body;
    t.match(op, { state: 'succeeded', takeovers: 1, startedBy: 'deployer' });
    t.same(await liveStacks(moto.endpoint, 'gated'), [stackId], 'exactly one stack: the takeover followed it, it did not create another');
    const formation = (await api(b.url, 'GET', '/v1/formations/gated', token)).body.formation;
    t.match(formation, { status: 'CREATE_COMPLETE', secrets: ['DbPassword'] });
    const listed = (await api(b.url, 'GET', '/v1/formations', token)).body.formations.find((f: any) => f.name === 'gated');
    t.same(
      listed.lastOperation,
      { id, kind: 'create', state: 'succeeded', startedBy: 'deployer', createdAt: op.createdAt, endedAt: op.endedAt },
      'the list shows the operation as the replica that took it over ended it',
    );
  });

  await t.test('a replica killed before its create reached the provider: the operation ends saying the secrets must be given again', async (t) => {
    // A fresh replica must install the cloudlet from the registry, which now never answers: it is stuck before the provider.
    const c = await startServer(t, { home: serverHome(t, registry), env: moto.env, database });
    registry.fault = 'hang';
    t.teardown(() => {
      registry.fault = 'none';
    });
    const asked = registry.requests.length;
    const posted = await api(c.url, 'POST', '/v1/operations', token, create('orphan'));
    t.equal(posted.status, 202);
    await waitFor(() => registry.requests.length > asked, 'the replica to ask the registry', 30_000);
    const pending = (await api(b.url, 'GET', '/v1/formations', token)).body.formations.find((f: any) => f.name === 'orphan');
    t.match(
      pending,
      {
        status: 'PENDING',
        cloudlet: 'acme/queue',
        scenario: 'default',
        lastOperation: { id: posted.body.id, kind: 'create', state: /queued|running/, endedAt: null },
      },
      'another replica lists the formation its first create has not recorded yet',
    );
    await c.kill();
    const events = await readEvents(b.url, posted.body.id, token);
    t.match(events.find((e) => e.event === 'error')?.data, { code: 'OPERATION_INTERRUPTED', message: /secrets included/ });
    t.same(events.at(-1)!.data, { operation: posted.body.id, state: 'errored' });
    t.same(await liveStacks(moto.endpoint, 'orphan'), [], 'nothing was created');
    registry.fault = 'none';
    const again = await api(b.url, 'POST', '/v1/operations', token, create('orphan'));
    t.equal(again.status, 202, 'the formation is free for the request sent again');
    t.same((await readEvents(b.url, again.body.id, token)).at(-1)!.data.state, 'succeeded');
    const listed = (await api(b.url, 'GET', '/v1/formations', token)).body.formations.find((f: any) => f.name === 'orphan');
    t.match(listed, { status: 'CREATE_COMPLETE', lastOperation: { id: again.body.id, state: 'succeeded' } }, 'then listed with the create sent again');
  });

  await t.test('SIGTERM: the replica leaves its operation at once, and a restarted server picks it up', async (t) => {
    const posted = await api(b.url, 'POST', '/v1/operations', token, create('handed', 'gated'));
    const seen: Sse[] = [];
    void readEvents(b.url, posted.body.id, token, { onEvent: (e) => seen.push(e) }).catch(() => undefined);
    const accepted = await waitFor(() => seen.find((e) => e.event === 'accepted'), 'the provider to accept the create', 60_000);
    t.equal(await b.stop(), 0, 'B stops cleanly on SIGTERM');
    t.match(
      b.logs().find((l) => l.msg?.startsWith('stopping')),
      { operations: 1 },
    );
    a = await startServer(t, { home: homeA, env: moto.env, database });
    const after: Sse[] = [];
    const watching = readEvents(a.url, posted.body.id, token, { onEvent: (e) => after.push(e) });
    await waitFor(() => after.find((e) => e.event === 'resumed'), 'the restarted server to pick it up', 60_000);
    await releaseGate(moto.endpoint, accepted.data.state.stackId);
    const events = await watching;
    t.same(events.at(-1)!.data, { operation: posted.body.id, state: 'succeeded' });
    t.same((await liveStacks(moto.endpoint, 'handed')).length, 1);
  });

  t.notOk(pg.dump('replicas').includes(SECRET), 'pg_dump holds no secret value');
});
