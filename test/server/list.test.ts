// The list of formations on a real Postgres (a throw-away cluster): schema
// version 2 applied to a database an older nepho left (schema 1, with
// formations and operations in it) lists exactly what the old per-formation
// query listed; the last-operation summary follows every write of an
// operation, whoever makes it (plain SQL here, as a replica of the previous
// version or an operator would), through queued, running, failed, a late
// write of an older operation, a destroy and a pending formation's failure,
// and a record written again is listed as written;
// and `GET /v1/formations?limit&after` pages through the same list over HTTP.
import { join } from 'node:path';
import t from 'tap';
import { nephoHome } from '../../src/home.js';
import { formationViews, type FormationView } from '../../src/server/app.js';
import { openDatabase, type Database } from '../../src/server/db.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from '../../src/server/migrations.js';
import { tempDir } from '../fixtures/paths.js';
import { startPostgres } from '../fixtures/postgres.js';
import { api, makeToken, startServer } from '../fixtures/server.js';

/** What schema 1's list read: each name's newest operation looked up per formation, whole records parsed in JavaScript. */
async function listAsSchemaOne(db: Database): Promise<FormationView[]> {
  const rows = await db.query<any>(
    `WITH names AS (SELECT name FROM formations UNION SELECT formation FROM operations WHERE state IN ('queued', 'running'))
     SELECT n.name, f.record, o.request, o.id AS op_id, o.kind AS op_kind, o.state AS op_state, o.started_by AS op_by, o.created_at AS op_created, o.ended_at AS op_ended
     FROM names n
     LEFT JOIN formations f ON f.name = n.name
     LEFT JOIN LATERAL (SELECT id, kind, state, started_by, created_at, ended_at, request FROM operations WHERE formation = n.name ORDER BY created_at DESC LIMIT 1) o ON true
     ORDER BY n.name`,
  );
  return rows.map((r) => ({
    name: r.name,
    cloudlet: r.record?.cloudlet ?? r.request?.cloudlet ?? null,
    version: r.record?.version ?? null,
    commit: r.record?.commit ?? null,
    scenario: r.record?.scenario ?? r.request?.scenario ?? null,
    provider: r.record?.provider ?? r.request?.provider ?? null,
    status: r.record?.status ?? 'PENDING',
    parameters: r.record?.parameters ?? {},
    secrets: r.record?.secrets ?? [],
    createdAt: r.record?.createdAt ?? null,
    updatedAt: r.record?.updatedAt ?? null,
    lastOperation: r.op_id
      ? {
          id: r.op_id,
          kind: r.op_kind,
          state: r.op_state,
          startedBy: r.op_by,
          createdAt: r.op_created.toISOString(),
          endedAt: r.op_ended?.toISOString() ?? null,
        }
      : null,
  }));
}

/** A formation record as the engine writes one (the list shows its public part). */
function record(name: string, status: string): Record<string, unknown> {
  return {
    name,
    cloudlet: 'acme/queue',
    version: '1.0.0',
    commit: 'c'.repeat(40),
    scenario: 'default',
    provider: 'stand-in',
    pattern: 'queue',
    parameters: { Greeting: `hello ${name}`, Size: 2 },
    secrets: ['DbPassword'],
    access: {},
    options: { region: 'us-east-1' },
    state: { stackId: `stack/${name}` },
    status,
    createdAt: '2026-01-02T03:04:05.678Z',
    updatedAt: '2026-01-02T03:14:05.678Z',
  };
}

t.test('the list of formations on Postgres', async (t) => {
  const pg = await startPostgres(t);
  if (!pg) return;
  const url = await pg.database('list');
  const home = join(tempDir(t, 'nepho-list-'), 'home');
  const db = await openDatabase(url, nephoHome({ NEPHO_HOME: home }));
  t.teardown(() => db.close());
  const insertFormation = (name: string, status: string) =>
    db.query('INSERT INTO formations (name, record) VALUES ($1, $2::jsonb)', [name, JSON.stringify(record(name, status))]);
  /** An operation row as a replica writes one; `ago` seconds before now, so their order is known. */
  const insertOperation = (id: string, formation: string, kind: string, state: string, ago: number, ended = state !== 'queued' && state !== 'running') =>
    db.query(
      `INSERT INTO operations (id, formation, kind, state, request, started_by, created_at, ended_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, 'deployer', now() - make_interval(secs => $6), CASE WHEN $7 THEN now() - make_interval(secs => $6 - 1) END)`,
      [id, formation, kind, state, JSON.stringify({ kind, formation, cloudlet: 'acme/queue', scenario: 'gated', provider: 'stand-in' }), ago, ended],
    );
  const listed = async (name: string) => (await formationViews(db, { only: name }))[0];

  await t.test('schema 2 on a database schema 1 left: the same list as before, read from the JSON the writes keep', async (t) => {
    await db.transaction(async (tx) => {
      await tx.query('CREATE TABLE nepho_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      await tx.script(MIGRATIONS[0]!.sql);
      await tx.query('INSERT INTO nepho_migrations (version, name) VALUES (1, $1)', [MIGRATIONS[0]!.name]);
    });
    // alpha: created, then an update that failed. beta: recorded, no operation (made by hand). gamma: its
    // first create still running, nothing recorded. delta: created and destroyed (its record gone).
    await insertFormation('alpha', 'CREATE_COMPLETE');
    await insertOperation('op_alpha_1', 'alpha', 'create', 'succeeded', 300);
    await insertOperation('op_alpha_2', 'alpha', 'update', 'failed', 200);
    await insertFormation('beta', 'UPDATE_COMPLETE');
    await insertOperation('op_gamma_1', 'gamma', 'create', 'running', 100);
    await insertOperation('op_delta_1', 'delta', 'create', 'succeeded', 500);
    await insertOperation('op_delta_2', 'delta', 'destroy', 'succeeded', 400);
    const before = await listAsSchemaOne(db);
    t.same(
      before.map((f) => [f.name, f.status, f.lastOperation?.id ?? null]),
      [
        ['alpha', 'CREATE_COMPLETE', 'op_alpha_2'],
        ['beta', 'UPDATE_COMPLETE', null],
        ['gamma', 'PENDING', 'op_gamma_1'],
      ],
      'what schema 1 listed',
    );

    t.same(await migrate(db), { applied: [2] }, 'only the new migration runs');
    t.equal(SCHEMA_VERSION, 2);
    t.same(await formationViews(db), before, 'the list is the same, field for field');
    t.match(await listed('gamma'), { cloudlet: 'acme/queue', scenario: 'gated', provider: 'stand-in', status: 'PENDING', parameters: {}, secrets: [] });
    t.same(await migrate(db), { applied: [] }, 'a second start migrates nothing');
    const text = JSON.stringify(await formationViews(db));
    t.notOk(/stack\/|region|pattern/.test(text), "a record's provider state, options and pattern are not listed");
  });

  await t.test('the last operation follows every write of an operation, in the transaction that writes it', async (t) => {
    await db.query(`UPDATE formations SET record = jsonb_set(record, '{status}', '"UPDATE_ROLLBACK_COMPLETE"') WHERE name = 'beta'`);
    t.equal((await listed('beta'))!.status, 'UPDATE_ROLLBACK_COMPLETE', 'a record written again is listed as written');
    await insertOperation('op_beta_1', 'beta', 'update', 'queued', 10);
    t.match((await listed('beta'))!.lastOperation, { id: 'op_beta_1', kind: 'update', state: 'queued', startedBy: 'deployer', endedAt: null });
    await db.query(`UPDATE operations SET state = 'running', started_at = now() WHERE id = 'op_beta_1'`);
    t.match((await listed('beta'))!.lastOperation, { id: 'op_beta_1', state: 'running', endedAt: null });

    // A write that rolls back leaves the summary as it was.
    await t.rejects(
      db.transaction(async (tx) => {
        await tx.query(`UPDATE operations SET state = 'succeeded', ended_at = now() WHERE id = 'op_beta_1'`);
        throw new Error('rolled back');
      }),
    );
    t.match((await listed('beta'))!.lastOperation, { state: 'running' }, 'a rolled-back end is not shown');

    await db.query(`UPDATE operations SET state = 'failed', ended_at = now(), result = '{"outcome": "failed"}' WHERE id = 'op_beta_1'`);
    const [row] = await db.query<{ created_at: Date; ended_at: Date }>(`SELECT created_at, ended_at FROM operations WHERE id = 'op_beta_1'`);
    t.same(
      (await listed('beta'))!.lastOperation,
      {
        id: 'op_beta_1',
        kind: 'update',
        state: 'failed',
        startedBy: 'deployer',
        createdAt: row!.created_at.toISOString(),
        endedAt: row!.ended_at.toISOString(),
      },
      'a failure, with its times exactly as the operation route writes them',
    );

    await db.query(`UPDATE operations SET result = '{"outcome": "succeeded"}', state = 'succeeded' WHERE id = 'op_alpha_1'`);
    t.match((await listed('alpha'))!.lastOperation, { id: 'op_alpha_2', state: 'failed' }, 'an older operation written late does not hide the newer one');
    await db.query(`UPDATE operations SET lease_owner = 'elsewhere', lease_expires_at = now(), attempts = attempts + 1 WHERE id = 'op_gamma_1'`);
    t.match((await listed('gamma'))!.lastOperation, { id: 'op_gamma_1', state: 'running' }, 'a lease renewal changes nothing shown');

    await db.query(`UPDATE operations SET state = 'errored', ended_at = now() WHERE id = 'op_gamma_1'`);
    t.equal(await listed('gamma'), undefined, 'a formation whose first create failed before recording it leaves the list');

    await insertOperation('op_alpha_3', 'alpha', 'destroy', 'running', 5);
    t.match(await listed('alpha'), { status: 'CREATE_COMPLETE', lastOperation: { id: 'op_alpha_3', kind: 'destroy', state: 'running' } });
    await db.query(`DELETE FROM formations WHERE name = 'alpha'`);
    t.match(await listed('alpha'), { status: 'PENDING', lastOperation: { id: 'op_alpha_3' } }, 'listed while its destroy runs, its record gone');
    await db.query(`UPDATE operations SET state = 'succeeded', ended_at = now() WHERE id = 'op_alpha_3'`);
    t.equal(await listed('alpha'), undefined, 'destroyed: gone from the list');
    t.same(await formationViews(db), await listAsSchemaOne(db), 'still what the per-formation query says');
  });

  await t.test('GET /v1/formations?limit&after pages through the list; without limit, the whole list as before', async (t) => {
    for (const name of ['e1', 'e2', 'e3', 'e4']) await insertFormation(name, 'CREATE_COMPLETE');
    const token = await makeToken(home, 'reader', 'viewer', url);
    const server = await startServer(t, { home, database: url });
    const get = async (query: string) => api(server.url, 'GET', `/v1/formations${query}`, token);
    const all = (await get('')).body;
    t.same(Object.keys(all), ['formations'], 'no cursor without limit');
    t.same(
      all.formations.map((f: FormationView) => [f.name, f.status]),
      [
        ['beta', 'UPDATE_ROLLBACK_COMPLETE'],
        ['e1', 'CREATE_COMPLETE'],
        ['e2', 'CREATE_COMPLETE'],
        ['e3', 'CREATE_COMPLETE'],
        ['e4', 'CREATE_COMPLETE'],
      ],
    );
    t.same(all.formations, await formationViews(db), 'the answer is the views, field for field');
    const pages: string[][] = [];
    let after = '';
    for (;;) {
      const page = await get(`?limit=2${after ? `&after=${after}` : ''}`);
      t.equal(page.status, 200);
      pages.push(page.body.formations.map((f: FormationView) => f.name));
      if (page.body.next === null) break;
      after = page.body.next;
    }
    t.same(pages, [['beta', 'e1'], ['e2', 'e3'], ['e4']], 'pages of two, the last one saying next: null');
    t.same((await get('?limit=5')).body, { ...all, next: null }, 'a page holding everything is the list, next: null');
    t.same(
      (await get('?after=e2')).body.formations.map((f: FormationView) => f.name),
      ['e3', 'e4'],
      'after alone: the rest',
    );
    for (const [query, message] of [
      ['?limit=0', /^querystring\.limit: /],
      ['?limit=1001', /^querystring\.limit: /],
      ['?limit=many', /^querystring\.limit: /],
      ['?after=Not_A_Name', /^querystring\.after: /],
      ['?page=2', /^querystring\.page: not a field/],
    ] as const) {
      const r = await get(query);
      t.equal(r.status, 400, query);
      t.match(r.body.error, { code: 'BAD_REQUEST', message }, query);
    }
    t.equal(await server.stop(), 0);
  });
});
