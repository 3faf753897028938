// The team server's API and its event fan-out, against a bare fastify route
// (bench/bare-fastify.js) measured in the same run, side by side:
//
// - GET /v1/formations with 1,000 formations in the database, against a bare
//   route serving the same JSON body: what the database, the token check and
//   the schema cost on top of HTTP and serialization.
// - POST /v1/operations (a destroy of a formation that is not there: the 202
//   comes at once, the worker's quick failure runs in the background, as it
//   would), against a bare route answering 202 to the same body.
// - The delay from an event's INSERT to its arrival at every one of 100
//   watchers of the operation's SSE stream (NOTIFY, one read, fan-out), against
//   a bare route writing a line to 100 open streams when asked.
//
// Targets (issue #18): API p99 under 3× the bare route's; fan-out to 100
// watchers under 100 ms (p99). Needs Postgres 15 (Debian's postgresql
// package): the server runs on a throw-away cluster, as replicas would.
// BENCH_SERVER_ROUNDS sets the requests per measure (default 300).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { BIN, NODE, ROOT, freePort, heading, ms, nepho, nephoEnv, percentile, progress, ratio, table, tempDir, verdict } from './lib.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const ROUNDS = Number(process.env.BENCH_SERVER_ROUNDS ?? 300);
const WARMUP = 30;
const FORMATIONS = 1000;
const WATCHERS = 100;
const FANOUT_EVENTS = 40;

function chownTree(path, uid, gid) {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}

/** A throw-away Postgres cluster (as the postgres user when run as root); returns its URL and a stop(). */
async function startPostgres() {
  if (!existsSync(join(PG_BIN, 'postgres'))) throw new Error(`needs Postgres 15 in ${PG_BIN} (apt-get install postgresql)`);
  const dir = tempDir('nepho-bench-pg-');
  const data = join(dir, 'data');
  mkdirSync(join(dir, 'sock'));
  let as = {};
  if (process.getuid?.() === 0) {
    as = {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
    };
    chownTree(dir, as.uid, as.gid);
  }
  const run = (cmd, args) => {
    const r = spawnSync(join(PG_BIN, cmd), args, {
      ...as,
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' },
    });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}${r.stdout}`);
  };
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'nepho', '--no-sync']);
  const port = await freePort();
  const settings = `-p ${port} -k ${join(dir, 'sock')} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  run('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-o', settings, '-w', 'start']);
  return {
    url: `postgres://nepho@127.0.0.1:${port}/postgres`,
    stop: () => spawnSync(join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], { ...as, stdio: 'ignore' }),
  };
}

/** Spawn a server process and wait for the line that says where it listens. */
function startProcess(cmd, args, env, findUrl) {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const url = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      // Only the start is kept: the server logs every request, and the pipe must be drained.
      if (out.length < 100_000) out += d;
      const found = findUrl(out);
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it listened: ${err}${out.slice(0, 2000)}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One request over a kept-alive connection; resolves with the status and the time to the whole answer, in ms. */
function timed(url, method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(`${url}${path}`, { method, agent, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Time `a` and `b` alternately (`a` first on even rounds), after a warm-up; returns each one's times. */
async function sideBySide(a, b) {
  const times = { a: [], b: [] };
  for (let round = -WARMUP; round < ROUNDS; round++) {
    const order =
      round % 2 === 0
        ? [
            ['a', a],
            ['b', b],
          ]
        : [
            ['b', b],
            ['a', a],
          ];
    for (const [key, fn] of order) {
      const r = await fn(round);
      if (r.status >= 300) throw new Error(`unexpected HTTP ${r.status} while measuring`);
      if (round >= 0) times[key].push(r.ms);
    }
  }
  return times;
}

/**
 * Open `n` event streams; `onLine(i, line)` is called for every line each
 * receives. Resolves once all n are open, with a function closing them.
 */
async function openStreams(n, url, path, headers, onLine) {
  const streamAgent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const requests = [];
  await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise((resolve, reject) => {
          const req = request(`${url}${path}`, { agent: streamAgent, headers }, (res) => {
            if (res.statusCode !== 200) return reject(new Error(`stream ${i}: HTTP ${res.statusCode}`));
            let buffer = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => {
              buffer += chunk;
              let cut;
              while ((cut = buffer.indexOf('\n')) >= 0) {
                onLine(i, buffer.slice(0, cut));
                buffer = buffer.slice(cut + 1);
              }
            });
            res.on('error', () => undefined);
            resolve();
          });
          req.on('error', reject);
          req.end();
          requests.push(req);
        }),
    ),
  );
  return () => {
    for (const r of requests) r.destroy();
    streamAgent.destroy();
  };
}

/**
 * Fan-out delay: for each of FANOUT_EVENTS markers, the time from `emit(marker)`
 * being called to the moment the last of WATCHERS streams has a line holding it.
 */
async function fanOut(open, emit) {
  let waiting;
  const seen = new Map();
  const close = await open((i, line) => {
    if (!waiting || !line.includes(waiting.marker)) return;
    const got = seen.get(waiting.marker);
    got.add(i);
    if (got.size === WATCHERS) waiting.done(process.hrtime.bigint());
  });
  const delays = [];
  try {
    for (let n = -3; n < FANOUT_EVENTS; n++) {
      const marker = `bench-marker-${n}-${Math.random().toString(36).slice(2)}`;
      seen.set(marker, new Set());
      const arrived = new Promise((resolve, reject) => {
        waiting = { marker, done: resolve };
        setTimeout(() => reject(new Error(`an event did not reach all ${WATCHERS} watchers in 10 s (${seen.get(marker).size} had it)`)), 10_000).unref();
      });
      const started = process.hrtime.bigint();
      await emit(marker);
      const ended = await arrived;
      if (n >= 0) delays.push(Number(ended - started) / 1e6);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    close();
  }
  return delays;
}

/** A formation record as the engine writes one, for the list to read. */
function record(i, now) {
  const name = `bench-${String(i).padStart(4, '0')}`;
  return {
    name,
    cloudlet: 'acme/queue',
    version: '1.0.0',
    commit: 'a'.repeat(40),
    scenario: 'default',
    provider: 'cloudformation',
    pattern: 'queue',
    parameters: { Greeting: 'hello', Size: 'small' },
    secrets: ['DbPassword'],
    access: {},
    options: { region: 'us-east-1' },
    state: {
      stackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/${name}/00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
      region: 'us-east-1',
    },
    status: 'CREATE_COMPLETE',
    createdAt: now,
    updatedAt: now,
  };
}

/** Run the benchmark; returns the summary rows. */
export async function server() {
  heading('team server: API latency and event fan-out, beside a bare fastify route');
  progress('starting a throw-away Postgres cluster');
  const postgres = await startPostgres();
  const stops = [postgres.stop];
  try {
    const home = join(tempDir('nepho-bench-server-'), 'home');
    const env = nephoEnv(home, { NEPHO_SERVER_RATE_LIMIT: '100000000' });
    const token = (await nepho(['server:token:create', 'bench', '--role', 'operator', '--database', postgres.url], { env })).stdout.trim().split('\n')[0];
    progress(`recording ${FORMATIONS} formations`);
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    stops.unshift(() => db.end());
    const now = new Date().toISOString();
    const records = Array.from({ length: FORMATIONS }, (_, i) => record(i, now));
    await db.query(`INSERT INTO formations (name, record) SELECT r->>'name', r FROM jsonb_array_elements($1::jsonb) r`, [JSON.stringify(records)]);
    await db.query(
      `INSERT INTO operations (id, formation, kind, state, request, started_by, started_at, ended_at, result)
      SELECT 'op_bench_' || (r->>'name'), r->>'name', 'create', 'succeeded', jsonb_build_object('kind', 'create', 'formation', r->>'name', 'cloudlet', 'acme/queue', 'parameters', jsonb_build_array('Greeting', 'Size', 'DbPassword')), 'bench', now(), now(), '{"outcome":"succeeded"}'::jsonb
      FROM jsonb_array_elements($1::jsonb) r`,
      [JSON.stringify(records)],
    );

    const nephoServer = startProcess(
      NODE,
      [BIN, 'server', '--listen', '127.0.0.1:0', '--database', postgres.url],
      env,
      (out) => /"url":"(http:[^"]+)","database"/.exec(out)?.[1],
    );
    stops.unshift(nephoServer.stop);
    const url = await nephoServer.url;
    const auth = { authorization: `Bearer ${token}` };
    const listBody = await new Promise((resolve, reject) => {
      request(`${url}/v1/formations`, { headers: auth }, (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`GET /v1/formations: HTTP ${res.statusCode} ${text}`))));
      }).end();
    });
    if (JSON.parse(listBody).formations.length !== FORMATIONS)
      throw new Error(`the server lists ${JSON.parse(listBody).formations.length} formations, not ${FORMATIONS}`);
    const bodyFile = join(tempDir('nepho-bench-bare-'), 'formations.json');
    writeFileSync(bodyFile, listBody);
    const bare = startProcess(
      NODE,
      [join(ROOT, 'bench', 'bare-fastify.js'), bodyFile],
      { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      (out) => /^(http:\S+)/m.exec(out)?.[1],
    );
    stops.unshift(bare.stop);
    const bareUrl = await bare.url;

    progress(`GET /v1/formations (${(listBody.length / 1024).toFixed(0)} KiB) × ${ROUNDS}, beside the bare route`);
    const list = await sideBySide(
      () => timed(url, 'GET', '/v1/formations', auth),
      () => timed(bareUrl, 'GET', '/formations', {}),
    );
    progress(`POST /v1/operations × ${ROUNDS}, beside the bare route`);
    const post = (round) => JSON.stringify({ kind: 'destroy', formation: `absent-${round + WARMUP}` });
    const posts = await sideBySide(
      (round) => timed(url, 'POST', '/v1/operations', auth, post(round)),
      (round) => timed(bareUrl, 'POST', '/operations', {}, post(round)),
    );

    progress(`an event to ${WATCHERS} watchers × ${FANOUT_EVENTS}, beside the bare route`);
    const opId = `op_${randomUUID()}`;
    // Held far into the future by no replica: nobody carries it, nobody takes it over, it never ends while measured.
    await db.query(
      `INSERT INTO operations (id, formation, kind, state, request, started_by, lease_owner, lease_expires_at)
      VALUES ($1, 'bench-fanout', 'create', 'running', '{}'::jsonb, 'bench', 'bench', now() + interval '1 day')`,
      [opId],
    );
    const serverDelays = await fanOut(
      (onLine) => openStreams(WATCHERS, url, `/v1/operations/${opId}/events`, auth, onLine),
      (marker) =>
        db.query(`INSERT INTO events (operation_id, formation, journal, entry) VALUES ($1, 'bench-fanout', false, $2::jsonb)`, [
          opId,
          JSON.stringify({ kind: 'notice', time: new Date().toISOString(), text: marker }),
        ]),
    );
    const bareDelays = await fanOut(
      (onLine) => openStreams(WATCHERS, bareUrl, '/events', {}, onLine),
      (marker) => timed(bareUrl, 'POST', '/emit', {}, JSON.stringify({ text: marker })),
    );
    await db.query(`UPDATE operations SET state = 'succeeded', ended_at = now() WHERE id = $1`, [opId]);

    const p = (values, q) => percentile(values, q);
    table(
      ['measure', 'nepho p50', 'nepho p99', 'bare p50', 'bare p99', 'p99 ratio'],
      [
        [
          `GET /v1/formations (${FORMATIONS})`,
          ms(p(list.a, 50)),
          ms(p(list.a, 99)),
          ms(p(list.b, 50)),
          ms(p(list.b, 99)),
          ratio(p(list.a, 99) / p(list.b, 99)),
        ],
        ['POST /v1/operations', ms(p(posts.a, 50)), ms(p(posts.a, 99)), ms(p(posts.b, 50)), ms(p(posts.b, 99)), ratio(p(posts.a, 99) / p(posts.b, 99))],
        [
          `event to ${WATCHERS} watchers`,
          ms(p(serverDelays, 50)),
          ms(p(serverDelays, 99)),
          ms(p(bareDelays, 50)),
          ms(p(bareDelays, 99)),
          ratio(p(serverDelays, 99) / p(bareDelays, 99)),
        ],
      ],
    );
    console.log(
      `(${ROUNDS} requests each, kept-alive, one at a time, alternating; fan-out: ${FANOUT_EVENTS} events, from the INSERT to the last of ${WATCHERS} streams)`,
    );
    const listRatio = p(list.a, 99) / p(list.b, 99);
    const postRatio = p(posts.a, 99) / p(posts.b, 99);
    return [
      {
        bench: 'server',
        what: `GET /v1/formations, ${FORMATIONS} formations`,
        figure: `p50 ${ms(p(list.a, 50))}, p99 ${ms(p(list.a, 99))} (${ratio(listRatio)} bare p99)`,
        target: 'p99 < 3× bare',
        pass: listRatio < 3,
      },
      {
        bench: 'server',
        what: 'POST /v1/operations',
        figure: `p50 ${ms(p(posts.a, 50))}, p99 ${ms(p(posts.a, 99))} (${ratio(postRatio)} bare p99)`,
        target: 'p99 < 3× bare',
        pass: postRatio < 3,
      },
      {
        bench: 'server',
        what: `event fan-out to ${WATCHERS} watchers`,
        figure: `p50 ${ms(p(serverDelays, 50))}, p99 ${ms(p(serverDelays, 99))} (bare ${ms(p(bareDelays, 99))})`,
        target: '< 100 ms',
        pass: p(serverDelays, 99) < 100,
      },
    ];
  } finally {
    for (const stop of stops)
      await Promise.resolve()
        .then(stop)
        .catch(() => undefined);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { snapshotPackage } = await import('./lib.js');
  await snapshotPackage();
  const results = await server();
  heading('summary');
  table(
    ['benchmark', 'measure', 'figure', 'target', ''],
    results.map((r) => [r.bench, r.what, r.figure, r.target, verdict(r.pass)]),
  );
}
