// The team server's API end to end, the same suite on real Postgres (a
// throw-away cluster) and on the embedded PGlite: tokens and roles (401, 403,
// revoked), bodies that are malformed, unknown or too large (400/413, nothing
// stored), a create, watch and destroy on moto through the server, a second
// request for a busy formation (409 naming the operation), a commit no
// registry lists (refused), an SSE stream resumed with Last-Event-ID (nothing
// lost, nothing repeated), and the secret given to the create nowhere in the
// database (pg_dump; PGlite's files) nor in the logs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startMoto } from '../fixtures/aws.js';
import { nepho } from '../fixtures/cli.js';
import { startPostgres, type Postgres } from '../fixtures/postgres.js';
import { SECRET, api, makeToken, queueRegistry, readEvents, runToEnd, serverHome, startServer } from '../fixtures/server.js';

/** Every file under `dir` whose bytes contain `text`. */
function filesHolding(dir: string, text: string): string[] {
  const found: string[] = [];
  const needle = Buffer.from(text);
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (readFileSync(path).includes(needle)) found.push(path);
    }
  };
  walk(dir);
  return found;
}

async function suite(t: Test, backend: 'postgres' | 'pglite'): Promise<void> {
  let pg: Postgres | undefined;
  let database: string | undefined;
  if (backend === 'postgres') {
    pg = await startPostgres(t);
    if (!pg) return;
    database = await pg.database('api');
  }
  const moto = await startMoto(t);
  const { registry, commit } = await queueRegistry(t);
  const home = serverHome(t, registry);
  // The embedded database is one process's: tokens are made before the server opens it.
  const admin = await makeToken(home, 'root', 'admin', database);
  const deployer = await makeToken(home, 'deployer', 'operator', database);
  const viewer = await makeToken(home, 'watcher', 'viewer', database);
  const doomed = await makeToken(home, 'doomed', 'viewer', database);
  const server = await startServer(t, { home, env: moto.env, ...(database ? { database } : {}) });
  const { url } = server;

  await t.test('tokens and roles: no token or an unknown one is 401, a viewer may read but not run, a revoked token is 401', async (t) => {
    const none = await api(url, 'GET', '/v1/formations');
    t.equal(none.status, 401);
    t.equal(none.body.error.code, 'UNAUTHENTICATED');
    t.match(none.headers.get('www-authenticate'), /^Bearer/);
    t.equal((await api(url, 'GET', '/v1/formations', 'nepho_not-a-token')).status, 401, 'an unknown token');
    t.equal((await api(url, 'GET', '/v1/formations', viewer)).status, 200, 'a viewer reads');
    const refused = await api(url, 'POST', '/v1/operations', viewer, { kind: 'destroy', formation: 'anything' });
    t.equal(refused.status, 403, 'a viewer may not run operations');
    t.match(refused.body.error, { code: 'FORBIDDEN', message: /watcher.*viewer.*operator/ });
    t.equal((await api(url, 'GET', '/v1/tokens', deployer)).status, 403, 'an operator may not manage tokens');
    t.same((await api(url, 'GET', '/v1/whoami', deployer)).body, { name: 'deployer', role: 'operator' });

    t.equal((await api(url, 'GET', '/v1/formations', doomed)).status, 200, 'the doomed token works (and is now known to the server)');
    if (database) {
      // Revoked from the command line, on the database: the server hears of it at once.
      const r = await nepho(['server:token:revoke', 'doomed', '--database', database], { home });
      t.equal(r.code, 0, r.stderr);
    } else {
      t.equal((await api(url, 'DELETE', '/v1/tokens/doomed', admin)).status, 200, 'revoked by an admin through the API');
    }
    const revoked = await api(url, 'GET', '/v1/formations', doomed);
    t.equal(revoked.status, 401, 'a revoked token is refused');
    const listed = await api(url, 'GET', '/v1/tokens', admin);
    t.match(
      listed.body.tokens.find((k: any) => k.name === 'doomed'),
      { role: 'viewer', revokedAt: /^\d{4}-/ },
    );
    t.notOk(JSON.stringify(listed.body).includes(doomed), 'token values are never listed');
  });

  await t.test('malformed, unknown, incomplete and oversized bodies: 400 or 413 naming what is wrong, nothing stored', async (t) => {
    const post = (body: unknown) => api(url, 'POST', '/v1/operations', deployer, body);
    const cases: [unknown, number, RegExp][] = [
      ['{"kind": "create", "formation": ', 400, /not valid JSON/],
      [{ kind: 'create', formation: 'bad1', cloudlet: 'acme/queue', commit, colour: 'red' }, 400, /^body\.colour: not a field/],
      [{ formation: 'bad1' }, 400, /^body\.kind: required/],
      [{ kind: 'explode', formation: 'bad1' }, 400, /^body\.kind: /],
      [{ kind: 'create', formation: 'Bad_Name', cloudlet: 'acme/queue', commit }, 400, /^body\.formation: /],
      [{ kind: 'create', formation: 'bad1', cloudlet: 'acme/queue', commit, parameters: { Size: { nested: true } } }, 400, /^body\.parameters\.Size: /],
      [{ kind: 'create', formation: 'bad1', cloudlet: 'acme/queue' }, 400, /^body\.commit: required to create/],
      [{ kind: 'create', formation: 'bad1', cloudlet: 'acme/queue', commit, parameters: { Blob: 'x'.repeat(1024 * 1024 + 10) } }, 413, /over 1048576 bytes/],
    ];
    for (const [body, status, message] of cases) {
      const r = await post(body);
      t.equal(r.status, status, `${JSON.stringify(body).slice(0, 80)} -> ${status}`);
      t.match(r.body.error?.message, message);
      t.ok(r.body.requestId, 'the answer names its request id');
      t.equal(r.headers.get('x-request-id'), r.body.requestId);
    }
    t.equal((await api(url, 'GET', '/v1/formations/bad1', viewer)).status, 404, 'no operation, no formation was stored');
    t.same((await api(url, 'GET', '/v1/formations', viewer)).body, { formations: [] });
    if (pg) t.same(await pg.query('api', 'SELECT count(*)::int AS n FROM operations'), [{ n: 0 }], 'the operations table is empty');
  });

  let created: Awaited<ReturnType<typeof runToEnd>> | undefined;
  await t.test(
    'create through the server on moto: 202 at once, a second request for the busy formation is 409 naming the first, the events to the end',
    async (t) => {
      const body = { kind: 'create', formation: 'q1', cloudlet: 'acme/queue', commit, parameters: { DbPassword: SECRET, Greeting: 'hi team' } };
      const first = await api(url, 'POST', '/v1/operations', deployer, body);
      t.equal(first.status, 202);
      t.match(first.body, { id: /^op_/, formation: 'q1', kind: 'create', state: /queued|running/, startedBy: 'deployer' });
      t.equal(first.headers.get('location'), `/v1/operations/${first.body.id}`);
      t.same(first.body.request.parameters, ['DbPassword', 'Greeting'], 'the request is kept with parameter names, not values');
      const second = await api(url, 'POST', '/v1/operations', deployer, body);
      t.equal(second.status, 409, 'one operation per formation');
      t.match(second.body.error, { code: 'FORMATION_BUSY', message: new RegExp(first.body.id) });

      const events = await readEvents(url, first.body.id, viewer);
      const kinds = events.map((e) => e.event);
      t.same(
        kinds.filter((k) => ['start', 'accepted', 'end', 'done'].includes(k)),
        ['start', 'accepted', 'end', 'done'],
        kinds.join(' '),
      );
      t.match(events.find((e) => e.event === 'start')!.data, { operation: 'create', by: 'token deployer', version: '1.0.0' });
      t.match(events.find((e) => e.event === 'end')!.data, { ok: true, status: 'CREATE_COMPLETE' });
      t.same(events.at(-1)!.data, { operation: first.body.id, state: 'succeeded' });
      const ids = events.filter((e) => e.id !== undefined).map((e) => e.id!);
      t.same(
        ids,
        [...ids].sort((a, b) => a - b),
        'event ids increase',
      );
      const op = (await api(url, 'GET', `/v1/operations/${first.body.id}`, viewer)).body;
      t.match(op, { state: 'succeeded', startedBy: 'deployer', result: { outcome: 'succeeded', status: 'CREATE_COMPLETE' } });
      created = { posted: first, events, operation: op };

      const listed = (await api(url, 'GET', '/v1/formations', viewer)).body.formations;
      t.match(listed, [
        {
          name: 'q1',
          cloudlet: 'acme/queue',
          version: '1.0.0',
          commit,
          scenario: 'default',
          provider: 'cloudformation',
          status: 'CREATE_COMPLETE',
          parameters: { Greeting: 'hi team' },
          secrets: ['DbPassword'],
          lastOperation: { id: first.body.id, kind: 'create', state: 'succeeded', startedBy: 'deployer' },
        },
      ]);
      const one = (await api(url, 'GET', '/v1/formations/q1', viewer)).body;
      t.match(one.history, [{ operation: 'create', by: 'token deployer', result: 'succeeded', status: 'CREATE_COMPLETE', version: '1.0.0' }]);
      t.equal(one.operations.length, 1);
      if (pg) {
        const dump = pg.dump('api');
        t.ok(dump.includes('hi team'), 'while it exists, the dump holds the formation with its non-secret values');
        t.notOk(dump.includes(SECRET), 'and no secret value');
      }
    },
  );

  await t.test('an SSE stream resumed with Last-Event-ID loses and repeats no event', async (t) => {
    if (!created) return t.fail('no create to replay');
    const all = created.events.filter((e) => e.id !== undefined);
    t.ok(all.length >= 3, `${all.length} events to split`);
    for (const cut of [0, 1, Math.floor(all.length / 2), all.length - 1]) {
      const rest = await readEvents(url, created.posted.body.id, viewer, { lastEventId: all[cut]!.id! });
      t.same(
        rest.filter((e) => e.id !== undefined).map((e) => e.id),
        all.slice(cut + 1).map((e) => e.id),
        `after event ${cut + 1} of ${all.length}`,
      );
      t.equal(rest.at(-1)!.event, 'done');
    }
  });

  await t.test('a commit no registry lists is refused, and said so in the events', async (t) => {
    const { operation, events } = await runToEnd(url, deployer, {
      kind: 'create',
      formation: 'q2',
      cloudlet: 'acme/queue',
      commit: 'f'.repeat(40),
      parameters: { DbPassword: SECRET },
    });
    t.match(operation, { state: 'errored', result: { error: { code: 'COMMIT_UNVERIFIED', message: /ffffffffffff/ } } });
    t.match(events.find((e) => e.event === 'error')?.data, { code: 'COMMIT_UNVERIFIED' });
  });

  await t.test("an operation that fails is the formation's last operation on the list, which keeps its status", async (t) => {
    const { posted, operation } = await runToEnd(url, deployer, { kind: 'update', formation: 'q1', cloudlet: 'acme/other' });
    t.match(operation, { state: 'errored', result: { error: { code: 'BAD_ARGUMENT', message: /runs acme\/queue, not acme\/other/ } } });
    const listed = (await api(url, 'GET', '/v1/formations', viewer)).body.formations;
    t.same(
      listed.map((f: any) => [f.name, f.status, f.lastOperation]),
      [
        [
          'q1',
          'CREATE_COMPLETE',
          { id: posted.body.id, kind: 'update', state: 'errored', startedBy: 'deployer', createdAt: operation.createdAt, endedAt: operation.endedAt },
        ],
      ],
    );
  });

  await t.test('destroy through the server; the history stays', async (t) => {
    const { operation, events } = await runToEnd(url, deployer, { kind: 'destroy', formation: 'q1' });
    t.match(operation, { state: 'succeeded', result: { outcome: 'succeeded', kind: 'destroy' } });
    t.match(events.find((e) => e.event === 'end')?.data, { ok: true, operation: 'destroy' });
    t.same(
      (await api(url, 'GET', '/v1/formations', viewer)).body.formations.map((f: any) => f.name),
      [],
      'q1 is gone from the list',
    );
    const one = (await api(url, 'GET', '/v1/formations/q1', viewer)).body;
    t.equal(one.formation, null);
    t.match(one.history, [
      { operation: 'destroy', result: 'succeeded' },
      { operation: 'create', result: 'succeeded' },
    ]);
  });

  await t.test('health, readiness and the OpenAPI document need no token', async (t) => {
    t.same((await api(url, 'GET', '/healthz')).body, { ok: true });
    t.match((await api(url, 'GET', '/readyz')).body, { ok: true, database: backend });
    const doc = (await api(url, 'GET', '/v1/openapi.json')).body;
    t.equal(doc.openapi, '3.0.3');
    t.ok(doc.paths['/v1/operations'].post.requestBody, 'POST /v1/operations is described with its body');
    t.ok(doc.paths['/v1/operations/{id}/events'], 'the event stream is described');
  });

  await t.test('the secret given to the create is nowhere in the database nor in the logs', async (t) => {
    t.notOk(JSON.stringify(server.logs()).includes(SECRET), 'not in the JSON logs');
    t.same(server.stray(), [], 'the server wrote nothing but JSON lines');
    if (pg) {
      const dump = pg.dump('api');
      t.ok(dump.includes('CREATE_COMPLETE') && dump.includes('token deployer'), 'the dump holds the journal');
      t.notOk(dump.includes(SECRET), 'pg_dump holds no secret value');
    }
    t.equal(await server.stop(), 0, 'SIGTERM stops the server cleanly');
    if (!pg) t.same(filesHolding(join(home, 'server', 'db'), SECRET), [], "no file of PGlite's holds the secret");
  });
}

t.test('on Postgres', (t) => suite(t, 'postgres'));
t.test('on PGlite', (t) => suite(t, 'pglite'));
