// Search: `nepho cloudlet:search` over a generated 100,000-cloudlet registry
// served over real HTTP on 127.0.0.1, with a warm cache (the index fetched,
// within registry_ttl). Target: under 0.5 s; the ratio against
// `node -e 0` and the peak memory are printed too.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIN, NODE, heading, interleave, median, ms, nepho, nephoEnv, peakMemoryMiB, percentile, progress, ratio, table, tempDir, verdict,
} from './lib.js';

export const TARGET_MS = 500;
export const COUNT = Number(process.env.BENCH_CLOUDLETS ?? 100_000);

/** The searches timed: a common word, a rare name, two terms. */
export const QUERIES = [
  { label: 'common word', terms: ['wiki'] },
  { label: 'rare name', terms: ['zanzibar'] },
  { label: 'two terms', terms: ['postgres', 'backup'] },
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
  'wiki', 'blog', 'cms', 'forum', 'shop', 'mail', 'chat', 'git', 'ci', 'docs', 'search', 'cache', 'proxy', 'vpn', 'dns',
  'ldap', 'sso', 'monitor', 'metrics', 'logs', 'backup', 'queue', 'storage', 'cdn', 'web', 'api', 'gateway', 'registry',
  'postgres', 'mysql', 'mariadb', 'redis', 'mongodb', 'elastic', 'kafka', 'rabbitmq', 'nginx', 'apache', 'php', 'python',
  'node', 'ruby', 'java', 'go', 'rust', 'django', 'rails', 'wordpress', 'drupal', 'jenkins', 'gitlab', 'grafana',
  'prometheus', 'minio', 'nextcloud', 'matomo', 'keycloak', 'vault', 'consul', 'nomad', 'etcd', 'haproxy', 'varnish',
];
const WORDS = [
  'a', 'small', 'simple', 'scalable', 'secure', 'single', 'multi', 'site', 'host', 'server', 'cluster', 'with', 'and', 'for',
  'on', 'aws', 'vagrant', 'local', 'machine', 'behind', 'load', 'balancer', 'auto', 'scaling', 'group', 'database', 'team',
  'private', 'public', 'network', 'tenant', 'instance', 'volume', 'snapshot', 'nightly', 'replica', 'primary', 'ready',
  'production', 'development', 'testing', 'minimal', 'hardened', 'managed', 'default', 'config', 'setup', 'service',
];

function hex(random, length) {
  let out = '';
  while (out.length < length) out += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
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
    const versions = [0, 1, 2].map((p) => {
      const version = `${major}.${minor}.${p}`;
      return { version, ref: `v${version}`, commit: hex(random, 40), digest: `sha256:${hex(random, 64)}` };
    }).reverse();
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

/** Serve `body` at /index.json on 127.0.0.1 (a free port), with an ETag. */
async function serve(body) {
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
  const sockets = new Set();
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    if (req.url !== '/index.json') res.writeHead(404).end();
    else if (req.headers['if-none-match'] === etag) res.writeHead(304, { etag }).end();
    else res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, etag }).end(body);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/index.json`,
    get requests() { return requests; },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

export async function search({ rounds = Number(process.env.BENCH_ROUNDS ?? 10) } = {}) {
  heading(`search (${COUNT.toLocaleString('en')} cloudlets)`);
  progress(`generating a ${COUNT.toLocaleString('en')}-cloudlet index ...`);
  const body = Buffer.from(generateIndex(COUNT));
  const server = await serve(body);
  try {
    const home = tempDir('nepho-bench-home-');
    const env = nephoEnv(home);
    // Within registry_ttl the cached copy is used without asking the server.
    writeFileSync(join(home, 'config.yaml'), `registry_ttl: 600\nhttp: {max_bytes: ${Math.max(256 * 1024 * 1024, body.length * 2)}}\n`);

    progress(`registry:add over HTTP (${(body.length / 1024 / 1024).toFixed(1)} MiB index) ...`);
    const addStart = performance.now();
    const addMiB = await peakMemoryMiB(NODE, [BIN, 'registry:add', 'bench', server.url], { env });
    const addMs = performance.now() - addStart;
    // The first search warms the cache (and the OS's file cache); it is not timed.
    await nepho(['cloudlet:search', 'wiki'], { env });
    const served = server.requests;

    const hits = {};
    for (const q of QUERIES) {
      const { stdout } = await nepho(['cloudlet:search', ...q.terms], { env });
      hits[q.label] = stdout.split('\n').filter((l) => l.includes(' - ')).length;
    }
    if (hits['rare name'] !== 1) throw new Error(`searching for the rare name found ${hits['rare name']} cloudlets, expected 1`);

    const variants = [
      { name: 'node -e 0', cmd: NODE, args: ['-e', '0'], env },
      ...QUERIES.map((q) => ({ name: `search ${q.terms.join(' ')}`, label: q.label, cmd: NODE, args: [BIN, 'cloudlet:search', ...q.terms], env })),
    ];
    progress(`${rounds} interleaved rounds of ${variants.length} commands ...`);
    const times = await interleave(variants, { rounds, warmup: 1 });
    if (server.requests !== served) progress(`note: warm searches made ${server.requests - served} request(s) to the registry`);

    progress('peak memory ...');
    const memory = {};
    for (const v of variants) memory[v.name] = await peakMemoryMiB(v.cmd, v.args, { env });

    const base = median(times['node -e 0']);
    const results = [];
    const rows = variants.map((v) => {
      const t = times[v.name];
      const row = [v.name, v.label ? String(hits[v.label]) : '', ms(median(t)), ms(percentile(t, 90)), ratio(median(t) / base), `${memory[v.name].toFixed(0)} MiB`];
      if (!v.label) return [...row, '', 'baseline'];
      const pass = median(t) < TARGET_MS;
      results.push({ bench: 'search', what: `${v.name} (${v.label})`, figure: `${ms(median(t))}, ${ratio(median(t) / base)} of node -e 0, ${memory[v.name].toFixed(0)} MiB`, target: `< ${ms(TARGET_MS)}`, pass });
      return [...row, `< ${ms(TARGET_MS)}`, verdict(pass)];
    });
    table(['command', 'hits', 'median', 'p90', 'ratio', 'peak RSS', 'target', ''], rows);
    console.log(`(${rounds} rounds, interleaved, warm cache; index ${(body.length / 1024 / 1024).toFixed(1)} MiB;` +
      ` registry:add, which downloads and indexes it, took ${ms(addMs)} and peaked at ${addMiB.toFixed(0)} MiB)`);
    return results;
  } finally {
    await server.close();
  }
}
