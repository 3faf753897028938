// Registries at a hundred thousand cloudlets: `cloudlet:search` on a warm
// cache, `registry:add` and `registry:update` of the index (changed and
// unchanged), each against a baseline run side by side in the same run, and
// how `registry:add` grows from 10k to 200k cloudlets. The index is served
// over real HTTP on 127.0.0.1 with an ETag. Targets: the table in
// docs/performance.md.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIN,
  NODE,
  heading,
  interleave,
  median,
  ms,
  nepho,
  nephoEnv,
  peakMemoryMiB,
  percentile,
  progress,
  ratio,
  removeTemp,
  table,
  tempDir,
  verdict,
} from './lib.js';

export const COUNT = Number(process.env.BENCH_CLOUDLETS ?? 100_000);
/** The sizes `registry:add` is timed at for growth. */
export const GROWTH = (process.env.BENCH_GROWTH ?? '10000,100000,200000').split(',').map(Number);

/**
 * `BENCH_SEARCH_ONLY=unchanged` times only `registry:update` of an unchanged
 * index against `nepho --version`: no searches, no indexing, no growth (those
 * take minutes; this row alone takes seconds with `BENCH_CLOUDLETS=1000`).
 */
export const ONLY_UNCHANGED = process.env.BENCH_SEARCH_ONLY === 'unchanged';

/** The targets, each a ratio against a baseline measured in the same run. */
export const TARGETS = { search: 1.3, searchRss: 1.5, add: 1.5, addRss: 1.5, unchanged: 1.3, growth: 1.25 };

/** The searches timed: a rare word, common ones, one letter, two terms, a rare name. */
export const QUERIES = [
  { label: 'common word', terms: ['wiki'] },
  { label: 'rarer word', terms: ['web'] },
  { label: 'one letter', terms: ['a'] },
  { label: 'two words', terms: ['postgres', 'backup'] },
  { label: 'two common words', terms: ['web', 'server'] },
  { label: 'rare name', terms: ['zanzibar'] },
];

// A small deterministic PRNG (mulberry32), so every run searches the same index.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'si', 'pe', 'do', 'fa', 'gu', 'hi', 'jo', 'be', 'co', 'mu', 'ni', 'ra', 'te'];
const TOPICS = [
  'wiki',
  'blog',
  'cms',
  'forum',
  'shop',
  'mail',
  'chat',
  'git',
  'ci',
  'docs',
  'search',
  'cache',
  'proxy',
  'vpn',
  'dns',
  'ldap',
  'sso',
  'monitor',
  'metrics',
  'logs',
  'backup',
  'queue',
  'storage',
  'cdn',
  'web',
  'api',
  'gateway',
  'registry',
  'postgres',
  'mysql',
  'mariadb',
  'redis',
  'mongodb',
  'elastic',
  'kafka',
  'rabbitmq',
  'nginx',
  'apache',
  'php',
  'python',
  'node',
  'ruby',
  'java',
  'go',
  'rust',
  'django',
  'rails',
  'wordpress',
  'drupal',
  'jenkins',
  'gitlab',
  'grafana',
  'prometheus',
  'minio',
  'nextcloud',
  'matomo',
  'keycloak',
  'vault',
  'consul',
  'nomad',
  'etcd',
  'haproxy',
  'varnish',
];
const WORDS = [
  'a',
  'small',
  'simple',
  'scalable',
  'secure',
  'single',
  'multi',
  'site',
  'host',
  'server',
  'cluster',
  'with',
  'and',
  'for',
  'on',
  'aws',
  'vagrant',
  'local',
  'machine',
  'behind',
  'load',
  'balancer',
  'auto',
  'scaling',
  'group',
  'database',
  'team',
  'private',
  'public',
  'network',
  'tenant',
  'instance',
  'volume',
  'snapshot',
  'nightly',
  'replica',
  'primary',
  'ready',
  'production',
  'development',
  'testing',
  'minimal',
  'hardened',
  'managed',
  'default',
  'config',
  'setup',
  'service',
];

function hex(random, length) {
  let out = '';
  while (out.length < length)
    out += Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, length);
}

function sentence(random, length, topics) {
  const words = [];
  let size = 0;
  while (size < length) {
    const word = random() < 0.25 ? topics[Math.floor(random() * topics.length)] : WORDS[Math.floor(random() * WORDS.length)];
    words.push(word);
    size += word.length + 1;
  }
  const text = words.join(' ');
  return `${text[0].toUpperCase()}${text.slice(1)}`;
}

/**
 * A registry index of `count` realistic cloudlets: owner/name ids, three
 * keywords, a ~60-character summary, a ~200-character description and three
 * versions each pinned to a commit with a digest. Exactly one cloudlet is
 * called `zanzibar` (the rare name).
 */
export function generateIndex(count, seed = 42) {
  const random = prng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  // Topics are skewed: the first ones (wiki, blog, ...) come up far more often, as in real registries.
  const topic = () => TOPICS[Math.floor(TOPICS.length * random() ** 2)];
  const word = (n) => Array.from({ length: n }, () => pick(SYLLABLES)).join('');
  const owners = Array.from({ length: 2000 }, () => word(2 + Math.floor(random() * 3)));
  const ids = new Set();
  const parts = [];
  for (let i = 0; i < count; i++) {
    const topics = [topic(), topic(), topic()];
    let id;
    if (i === Math.floor(count / 2)) id = 'islands/zanzibar';
    else {
      do id = `${pick(owners)}/${word(2)}-${topics[0]}${random() < 0.3 ? `-${word(1)}` : ''}`;
      while (ids.has(id) || id === 'islands/zanzibar');
    }
    ids.add(id);
    const major = Math.floor(random() * 4);
    const minor = Math.floor(random() * 10);
    const versions = [0, 1, 2]
      .map((p) => {
        const version = `${major}.${minor}.${p}`;
        return { version, ref: `v${version}`, commit: hex(random, 40), digest: `sha256:${hex(random, 64)}` };
      })
      .reverse();
    const entry = {
      source: `https://git.example.org/${id}.git`,
      keywords: [...new Set(topics)].concat(topics.length === new Set(topics).size ? [] : [pick(WORDS)]).slice(0, 3),
      summary: sentence(random, 60, topics).slice(0, 64),
      description: sentence(random, 200, topics),
      author: `${id.split('/')[0]} maintainers`,
      license: 'MIT',
      versions,
    };
    parts.push(`${JSON.stringify(id)}:${JSON.stringify(entry)}`);
  }
  return `{"apiVersion":"nepho/v1","generated":"2026-01-01T00:00:00Z","cloudlets":{${parts.join(',')}}}`;
}

/**
 * Serve `bodies[0]` at /index.json on 127.0.0.1 (a free port), with an ETag;
 * with two bodies, each full answer alternates between them (an index that
 * changes on every update).
 */
async function serve(...bodies) {
  const etags = bodies.map((body) => `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`);
  const sockets = new Set();
  let requests = 0;
  let next = 0;
  const server = createServer((req, res) => {
    requests++;
    const current = bodies.length > 1 ? next : 0;
    if (req.url !== '/index.json') res.writeHead(404).end();
    else if (req.headers['if-none-match'] === etags[current]) res.writeHead(304, { etag: etags[current] }).end();
    else {
      next = (current + 1) % bodies.length;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': bodies[current].length, etag: etags[current] }).end(bodies[current]);
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/index.json`,
    get requests() {
      return requests;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** A home whose config allows an index of `bytes` and keeps a copy for ten minutes. */
function benchHome(bytes) {
  const home = tempDir('nepho-bench-home-');
  writeFileSync(join(home, 'config.yaml'), `registry_ttl: 600\nhttp: {max_bytes: ${Math.max(256 * 1024 * 1024, bytes * 2)}}\n`);
  return home;
}

/** One result row: `value` against `target`, described as `figure`. */
function row(results, what, value, target, figure) {
  const pass = value <= target;
  results.push({ bench: 'registries', what, figure, target: `≤ ${ratio(target)}`, pass });
  return pass;
}

export async function search({ rounds = Number(process.env.BENCH_ROUNDS ?? 10), addRounds = Number(process.env.BENCH_ROUNDS_ADD ?? 3) } = {}) {
  heading(`registries (${COUNT.toLocaleString('en')} cloudlets)`);
  progress(`generating a ${COUNT.toLocaleString('en')}-cloudlet index ...`);
  const text = generateIndex(COUNT);
  const body = Buffer.from(text);
  // The same index with another `generated` time: a change that must be indexed again.
  const changed = Buffer.from(text.replace('"generated":"2026-01-01T00:00:00Z"', '"generated":"2026-01-02T00:00:00Z"'));
  const work = tempDir('nepho-bench-index-');
  const file = join(work, 'index.json');
  writeFileSync(file, body);
  const parseScript = `JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)}, 'utf8'))`;
  const server = await serve(body);
  const flipping = await serve(changed, body);
  const results = [];
  try {
    // ------------------------------------------------------------ search, warm
    const home = benchHome(body.length);
    const env = nephoEnv(home);
    progress(`registry:add over HTTP (${(body.length / 1024 / 1024).toFixed(1)} MiB index) ...`);
    await nepho(['registry:add', 'bench', server.url], { env });
    const queries = ONLY_UNCHANGED ? [] : QUERIES;
    // The first search warms the OS's file cache; it is not timed.
    await nepho(['cloudlet:search', 'wiki'], { env });
    const served = server.requests;
    const hits = {};
    const answers = {};
    for (const [i, q] of queries.entries()) {
      const { stdout } = await nepho(['cloudlet:search', ...q.terms], { env });
      hits[q.label] = stdout.split('\n').filter((l) => l.includes(' - ')).length;
      answers[q.label] = join(work, `answer-${i}.txt`);
      writeFileSync(answers[q.label], stdout);
    }
    if (!ONLY_UNCHANGED && hits['rare name'] !== 1) throw new Error(`searching for the rare name found ${hits['rare name']} cloudlets, expected 1`);

    const baselines = [
      { name: 'node -e 0', cmd: NODE, args: ['-e', '0'], env },
      { name: 'nepho --version', cmd: NODE, args: [BIN, '--version'], env },
    ];
    const searches = queries.map((q) => ({ name: `search ${q.terms.join(' ')}`, label: q.label, cmd: NODE, args: [BIN, 'cloudlet:search', ...q.terms], env }));
    // The floor of each search: Node writing that search's answer, read from a file, to the same pipe
    // (with writeSync, as nepho writes, not through process.stdout's stream). No search that prints its
    // hits can be faster; where the floor is above the target, no search can pass.
    const floors = queries.map((q) => ({
      name: `floor ${q.terms.join(' ')}`,
      label: q.label,
      cmd: NODE,
      args: [
        '-e',
        `const fs = require('node:fs'); const b = fs.readFileSync(${JSON.stringify(answers[q.label])}); ` +
          `for (let at = 0; at < b.length; ) try { at += fs.writeSync(1, b, at); } catch (e) { if (e.code !== 'EAGAIN') throw e; }`,
      ],
      env,
    }));
    // Within registry_ttl nothing is asked; `registry:update` asks, and is answered 304.
    const unchanged = { name: 'registry:update (304)', cmd: NODE, args: [BIN, 'registry:update'], env };
    const variants = [...baselines, ...searches, ...floors, unchanged];
    progress(`${rounds} interleaved rounds of ${variants.length} commands ...`);
    const times = await interleave(variants, { rounds, warmup: 1 });
    if (server.requests - served !== rounds + 1) progress(`note: ${server.requests - served} request(s) to the registry, expected ${rounds + 1} (the updates)`);

    if (!ONLY_UNCHANGED) progress('peak memory of the searches ...');
    const memory = {};
    for (const v of ONLY_UNCHANGED ? [] : [...baselines, ...searches]) memory[v.name] = await peakMemoryMiB(v.cmd, v.args, { env });
    const version = median(times['nepho --version']);
    const node0 = memory['node -e 0'];
    const rows = [];
    for (const v of [...baselines, ...searches, unchanged]) {
      const t = times[v.name];
      const r = median(t) / version;
      const floorOf = floors.find((f) => f.label === v.label);
      const floor = floorOf ? median(times[floorOf.name]) / version : undefined;
      const rss = memory[v.name];
      const cells = [
        v.name,
        v.label ? String(hits[v.label]) : '',
        ms(median(t)),
        ms(percentile(t, 90)),
        ratio(r),
        floor === undefined ? '' : ratio(floor),
        rss === undefined ? '' : `${rss.toFixed(0)} MiB`,
        rss === undefined ? '' : ratio(rss / node0),
      ];
      if (v === unchanged) {
        const pass = row(results, 'registry:update, index unchanged (304)', r, TARGETS.unchanged, `${ratio(r)} of nepho --version`);
        rows.push([...cells, `≤ ${ratio(TARGETS.unchanged)}`, verdict(pass)]);
      } else if (v.label) {
        const fast = row(
          results,
          `cloudlet:search ${v.args.slice(2).join(' ')} (${v.label}, ${hits[v.label]} hits)`,
          r,
          TARGETS.search,
          `${ratio(r)} of nepho --version (floor ${ratio(floor)})`,
        );
        const small = row(
          results,
          `cloudlet:search ${v.args.slice(2).join(' ')}: peak RSS`,
          rss / node0,
          TARGETS.searchRss,
          `${ratio(rss / node0)} of node -e 0 (${rss.toFixed(0)} MiB)`,
        );
        rows.push([...cells, `≤ ${ratio(TARGETS.search)}, RSS ≤ ${ratio(TARGETS.searchRss)}`, `${verdict(fast)}, ${verdict(small)}`]);
      } else rows.push([...cells, '', 'baseline']);
    }
    table(['command', 'hits', 'median', 'p90', 'time ratio', 'floor', 'peak RSS', 'RSS ratio', 'target', ''], rows);
    console.log(`(${rounds} rounds, interleaved, warm cache; time ratio against nepho --version, RSS ratio against node -e 0;`);
    console.log(" floor: Node writing the search's answer, read from a file, to the same pipe with writeSync, against nepho --version)");
    if (ONLY_UNCHANGED) return results;

    // ------------------------------------------------------------ add and update
    // Each add gets a fresh home; each update fetches an index that changed since the last.
    const updateHome = benchHome(body.length);
    await nepho(['registry:add', 'bench', flipping.url], { env: nephoEnv(updateHome) });
    let addHome;
    const indexing = [
      { name: 'node JSON.parse', cmd: NODE, args: ['-e', parseScript], env },
      {
        name: 'registry:add',
        cmd: NODE,
        args: [BIN, 'registry:add', 'bench', server.url],
        before: () => {
          addHome = benchHome(body.length);
          return { env: nephoEnv(addHome) };
        },
        after: () => removeTemp(addHome),
      },
      { name: 'registry:update (changed)', cmd: NODE, args: [BIN, 'registry:update'], env: nephoEnv(updateHome) },
    ];
    progress(`${addRounds} interleaved rounds of registry:add, registry:update and JSON.parse ...`);
    const indexTimes = await interleave(indexing, { rounds: addRounds, warmup: 1 });
    progress('peak memory of indexing ...');
    const indexMemory = {};
    indexMemory['node JSON.parse'] = await peakMemoryMiB(NODE, ['-e', parseScript], { env });
    const memHome = benchHome(body.length);
    indexMemory['registry:add'] = await peakMemoryMiB(NODE, [BIN, 'registry:add', 'bench', server.url], { env: nephoEnv(memHome) });
    indexMemory['registry:update (changed)'] = await peakMemoryMiB(NODE, [BIN, 'registry:update'], { env: nephoEnv(updateHome) });
    const parse = median(indexTimes['node JSON.parse']);
    const parseRss = indexMemory['node JSON.parse'];
    table(
      ['command', 'median', 'time ratio', 'peak RSS', 'RSS ratio', 'target', ''],
      indexing.map((v) => {
        const t = median(indexTimes[v.name]);
        const rss = indexMemory[v.name];
        const cells = [v.name, ms(t), ratio(t / parse), `${rss.toFixed(0)} MiB`, ratio(rss / parseRss)];
        if (v.name === 'node JSON.parse') return [...cells, '', 'baseline'];
        const fast = row(
          results,
          `${v.name} of the ${(body.length / 1024 / 1024).toFixed(0)} MiB index: time`,
          t / parse,
          TARGETS.add,
          `${ratio(t / parse)} of JSON.parse (${ms(t)})`,
        );
        const small = row(results, `${v.name}: peak RSS`, rss / parseRss, TARGETS.addRss, `${ratio(rss / parseRss)} of JSON.parse (${rss.toFixed(0)} MiB)`);
        return [...cells, `≤ ${ratio(TARGETS.add)}, RSS ≤ ${ratio(TARGETS.addRss)}`, `${verdict(fast)}, ${verdict(small)}`];
      }),
    );
    console.log(`(${addRounds} rounds, interleaved; the baseline is node -e "JSON.parse(readFileSync(index.json))" of the same file)`);
  } finally {
    await server.close();
    await flipping.close();
    removeTemp(work);
  }

  // ------------------------------------------------------------ growth
  const perCloudlet = [];
  const growthRows = [];
  for (const count of GROWTH) {
    progress(`registry:add of ${count.toLocaleString('en')} cloudlets ...`);
    const doc = Buffer.from(generateIndex(count));
    const at = await serve(doc);
    try {
      const times = [];
      for (let i = 0; i < addRounds; i++) {
        const home = benchHome(doc.length);
        const started = performance.now();
        await nepho(['registry:add', 'bench', at.url], { env: nephoEnv(home) });
        times.push(performance.now() - started);
        removeTemp(home);
      }
      const t = median(times);
      perCloudlet.push(t / count);
      growthRows.push([count.toLocaleString('en'), `${(doc.length / 1024 / 1024).toFixed(1)} MiB`, ms(t), `${((t / count) * 1000).toFixed(1)} µs`]);
    } finally {
      await at.close();
    }
  }
  const spread = Math.max(...perCloudlet) / Math.min(...perCloudlet);
  table(['cloudlets', 'index', 'registry:add', 'per cloudlet'], growthRows);
  const flat = row(
    results,
    `registry:add growth ${GROWTH.map((n) => `${n / 1000}k`).join('/')}: time per cloudlet, slowest/fastest`,
    spread,
    TARGETS.growth,
    `${ratio(spread)}`,
  );
  console.log(`(time per cloudlet, slowest over fastest: ${ratio(spread)}, target ≤ ${ratio(TARGETS.growth)}: ${verdict(flat)}; median of ${addRounds} each)`);
  return results;
}
