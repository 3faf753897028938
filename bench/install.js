// Install: `nepho cloudlet:install file://REPO#v1.0.0` of a repository with a
// long history, against `git clone --depth 1 --branch v1.0.0 file://REPO` of
// the same tag, side by side (target: within 1.5× of the clone); then
// `cloudlet:install NAME` of a small cloudlet from a registry, against
// `node -e 0` then the clone (target: within 1.3×).
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BIN,
  GIT_ENV,
  NODE,
  heading,
  interleave,
  median,
  ms,
  nephoEnv,
  percentile,
  progress,
  ratio,
  removeTemp,
  runOk,
  table,
  tempDir,
  verdict,
} from './lib.js';

export const TARGET = 1.5;
/** `cloudlet:install NAME` from a registry, against `node -e 0` then `git clone --depth 1` of the same tag. */
export const REGISTRY_TARGET = 1.3;
export const COMMITS = Number(process.env.BENCH_COMMITS ?? 3000);

/** Files of a minimal valid cloudlet (as test/fixtures/helpers.ts cloudletFiles makes them). */
function cloudletFiles(name, version) {
  return {
    'cloudlet.yaml': `name: ${name}\nversion: ${version}\nsummary: ${name} for benchmarks\nkeywords: [bench]\n`,
    'scenarios/default.yaml': 'summary: the default\nproviders:\n  vagrant: {pattern: single}\nprovisioner: {type: shell, script: provisioners/bootstrap.sh}\n',
    'patterns/vagrant/single.rb': 'Vagrant.configure("2") do |config|\n  config.vm.box = {{parameters.Box}}\nend\n',
    'provisioners/bootstrap.sh': '#!/bin/sh\necho hello\n',
  };
}

/**
 * Feed `git fast-import` a history of `commits` commits, each rewriting a few
 * of 200 source files (a few KiB each, so the history weighs tens of MiB),
 * then a last commit adding the cloudlet, tagged v1.0.0.
 */
function fastImportStream(commits) {
  let state = 12345;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  const line = () => Array.from({ length: 12 }, () => Math.floor(random() * 0xffffff).toString(36)).join(' ');
  const blob = (n) => Array.from({ length: n }, line).join('\n');
  const chunks = [];
  const time = 1_700_000_000;
  const who = `${GIT_ENV.GIT_AUTHOR_NAME} <${GIT_ENV.GIT_AUTHOR_EMAIL}>`;
  const data = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  for (let i = 1; i <= commits; i++) {
    let c = `commit refs/heads/main\nmark :${i}\ncommitter ${who} ${time + i * 60} +0000\n${data(`change ${i}`)}`;
    if (i > 1) c += `from :${i - 1}\n`;
    const touched = i === 1 ? 200 : 4;
    for (let f = 0; f < touched; f++) {
      const file = i === 1 ? f : Math.floor(random() * 200);
      c += `M 100644 inline src/file-${String(file).padStart(3, '0')}.txt\n${data(blob(40 + Math.floor(random() * 40)))}`;
    }
    chunks.push(`${c}\n`);
  }
  let last = `commit refs/heads/main\nmark :${commits + 1}\ncommitter ${who} ${time + (commits + 1) * 60} +0000\n${data('release 1.0.0')}from :${commits}\n`;
  for (const [path, content] of Object.entries(cloudletFiles('big', '1.0.0'))) {
    last += `M ${path.endsWith('.sh') ? '100755' : '100644'} inline ${path}\n${data(content)}`;
  }
  chunks.push(`${last}\nreset refs/tags/v1.0.0\nfrom :${commits + 1}\n\n`);
  return chunks;
}

export async function makeRepo(parent, commits) {
  const dir = join(parent, 'big.git');
  await runOk('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir], { env: { ...process.env, ...GIT_ENV } });
  await new Promise((resolvePromise, reject) => {
    const child = spawn('git', ['fast-import', '--quiet'], { cwd: dir, env: { ...process.env, ...GIT_ENV }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise() : reject(new Error(`git fast-import exited with ${code}: ${stderr}`))));
    const chunks = fastImportStream(commits);
    let i = 0;
    const pump = () => {
      while (i < chunks.length) if (!child.stdin.write(chunks[i++])) return void child.stdin.once('drain', pump);
      child.stdin.end();
    };
    pump();
  });
  // One pack, as a server would hold it.
  await runOk('git', ['repack', '-adq'], { cwd: dir, env: { ...process.env, ...GIT_ENV } });
  const count = await runOk('git', ['count-objects', '-vH'], { cwd: dir, env: { ...process.env, ...GIT_ENV } });
  const size = /size-pack: (.+)/.exec(count.stdout)?.[1] ?? '?';
  return { dir, url: pathToFileURL(dir).toString(), size };
}

export async function install({ rounds = Number(process.env.BENCH_ROUNDS_INSTALL ?? 10) } = {}) {
  heading(`install (${COMMITS.toLocaleString('en')}-commit history)`);
  const work = tempDir('nepho-bench-install-');
  progress(`generating a ${COMMITS}-commit repository with git fast-import ...`);
  const repo = await makeRepo(work, COMMITS);

  // Each run gets a fresh destination (and nepho a fresh home), made and removed untimed.
  let scratch;
  const fresh = () => {
    scratch = tempDir('nepho-bench-run-');
    return scratch;
  };
  const dropScratch = () => removeTemp(scratch);
  const gitEnv = (home) => nephoEnv(home, { GIT_CONFIG_NOSYSTEM: '1' });
  const variants = [
    {
      name: 'git clone --depth 1',
      cmd: 'git',
      before: () => {
        const dir = fresh();
        return { args: ['clone', '--quiet', '--depth', '1', '--branch', 'v1.0.0', repo.url, join(dir, 'clone')], env: gitEnv(dir) };
      },
      after: dropScratch,
    },
    {
      // What any Node.js program that runs that clone pays: Node's own start
      // plus the clone. Shown for reference, so the ratio above it can be read.
      name: 'node running git clone',
      cmd: NODE,
      info: 'floor for any Node.js tool',
      before: () => {
        const dir = fresh();
        const clone = ['clone', '--quiet', '--depth', '1', '--branch', 'v1.0.0', repo.url, join(dir, 'clone')];
        const script = `const r = require('node:child_process').spawnSync('git', ${JSON.stringify(clone)}, { stdio: 'inherit' }); process.exitCode = r.status;`;
        return { args: ['-e', script], env: gitEnv(dir) };
      },
      after: dropScratch,
    },
    {
      name: 'nepho cloudlet:install',
      cmd: NODE,
      target: TARGET,
      before: () => {
        const dir = fresh();
        mkdirSync(join(dir, 'home'));
        return { args: [BIN, 'cloudlet:install', `${repo.url}#v1.0.0`], env: gitEnv(join(dir, 'home')) };
      },
      after: () => {
        const installed = join(scratch, 'home', 'cloudlets', 'local-big');
        if (!existsSync(join(installed, 'cloudlet.yaml'))) throw new Error(`cloudlet:install left no ${installed}/cloudlet.yaml`);
        if (readdirSync(join(installed, 'src')).length !== 200) throw new Error('cloudlet:install did not install the whole tree');
        dropScratch();
      },
    },
  ];
  progress(`${rounds} interleaved rounds ...`);
  const times = await interleave(variants, { rounds, warmup: 2 });
  removeTemp(work);

  const base = median(times['git clone --depth 1']);
  const results = [];
  const rows = variants.map((v) => {
    const t = times[v.name];
    const r = median(t) / base;
    const row = [v.name, ms(median(t)), ms(Math.min(...t)), ms(percentile(t, 90)), ratio(r)];
    if (!v.target) return [...row, '', v.info ?? 'baseline'];
    const pass = r <= v.target;
    results.push({ bench: 'install', what: v.name, figure: `${ratio(r)} of git clone --depth 1`, target: `≤ ${ratio(v.target)}`, pass });
    return [...row, `≤ ${ratio(v.target)}`, verdict(pass)];
  });
  table(['command', 'median', 'min', 'p90', 'ratio', 'target', ''], rows);
  console.log(
    `(${rounds} rounds, interleaved; repository: ${COMMITS + 1} commits, tag v1.0.0 on the last, pack ${repo.size}, from ${repo.url.startsWith('file:') ? 'file://' : repo.url})`,
  );
  return [...results, ...(await registryInstall(rounds))];
}

/**
 * A small cloudlet (a few commits) listed in a `file://` registry with its
 * commit and digest: `nepho cloudlet:install bench/small` against `node -e 0`
 * and then `git clone --depth 1` of the same tag, one after the other (what
 * any Node.js tool that clones pays). Also counts the git processes an install
 * starts, through a `git` on PATH that logs each call and runs the real one.
 */
async function registryInstall(rounds) {
  heading('install from a registry (small cloudlet)');
  const work = tempDir('nepho-bench-small-');
  const src = join(work, 'src');
  const repo = join(work, 'small.git');
  const gitIn = (cwd, ...args) => runOk('git', args, { cwd, env: { ...process.env, ...GIT_ENV } });
  mkdirSync(src);
  await gitIn(src, 'init', '--quiet', '--initial-branch=main');
  for (const [i, version] of ['0.9.0', '1.0.0'].entries()) {
    for (const [path, content] of Object.entries(cloudletFiles('small', version))) {
      mkdirSync(join(src, path, '..'), { recursive: true });
      writeFileSync(join(src, path), content);
    }
    writeFileSync(join(src, 'README.md'), `release ${i}\n`);
    await gitIn(src, 'add', '-A');
    await gitIn(src, 'commit', '--quiet', '-m', `release ${version}`);
    await gitIn(src, 'tag', `v${version}`);
  }
  await gitIn(work, 'clone', '--quiet', '--bare', src, repo);
  const url = pathToFileURL(repo).toString();
  const commit = (await gitIn(repo, 'rev-parse', 'v1.0.0^{commit}')).stdout.trim();
  // The digest as nepho records it: from an install of the same tag by URL.
  const probe = join(work, 'probe');
  await runOk(NODE, [BIN, 'cloudlet:install', `${url}#v1.0.0`], { env: nephoEnv(probe) });
  const { digest } = JSON.parse(readFileSync(join(probe, 'cloudlets', 'local-small', '.nepho-install.json'), 'utf8'));
  const index = join(work, 'index.json');
  writeFileSync(
    index,
    JSON.stringify({
      apiVersion: 'nepho/v1',
      cloudlets: { 'bench/small': { source: url, summary: 'small', keywords: ['bench'], versions: [{ version: '1.0.0', ref: 'v1.0.0', commit, digest }] } },
    }),
  );
  const config = `registries:\n  - name: bench\n    url: ${pathToFileURL(index)}\n`;
  const nephoHomeFor = (dir) => {
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config.yaml'), config);
    // The registry's copy is made once per home, as a user's would be already.
    return home;
  };
  // A home where nepho has installed before also holds the start-up bundle's code cache for
  // cloudlet:install (src/boot.ts): taken from the first install below, copied into each fresh home.
  let codeCache;
  const warmHome = async (dir) => {
    const home = nephoHomeFor(dir);
    await runOk(NODE, [BIN, 'registry:update'], { env: nephoEnv(home) });
    if (codeCache) cpSync(codeCache, join(home, 'cache', 'compile'), { recursive: true });
    return home;
  };

  // How many git processes one install starts, and which.
  const shim = join(work, 'shim');
  mkdirSync(shim);
  const log = join(work, 'git.log');
  const realGit = (await runOk('sh', ['-c', 'command -v git'])).stdout.trim();
  writeFileSync(join(shim, 'git'), `#!/bin/sh\necho "$*" >> ${JSON.stringify(log)}\nexec ${JSON.stringify(realGit)} "$@"\n`);
  chmodSync(join(shim, 'git'), 0o755);
  const counted = await warmHome(join(work, 'counted'));
  writeFileSync(log, '');
  await runOk(NODE, [BIN, 'cloudlet:install', 'bench/small'], { env: nephoEnv(counted, { PATH: `${shim}:${process.env.PATH ?? '/usr/bin:/bin'}` }) });
  codeCache = join(counted, 'cache', 'compile');
  const calls = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '');

  let scratch;
  const gitEnv = (home) => nephoEnv(home, { GIT_CONFIG_NOSYSTEM: '1' });
  const clone = (dir) => ['clone', '--quiet', '--depth', '1', '--branch', 'v1.0.0', url, join(dir, 'clone')];
  const variants = [
    {
      name: 'node -e 0; git clone --depth 1',
      cmd: 'sh',
      before: () => {
        scratch = tempDir('nepho-bench-run-');
        return {
          args: [
            '-c',
            `"$0" -e 0 && git ${clone(scratch)
              .map((a) => `'${a}'`)
              .join(' ')}`,
            NODE,
          ],
          env: gitEnv(scratch),
        };
      },
      after: () => removeTemp(scratch),
    },
    {
      name: 'nepho cloudlet:install bench/small',
      cmd: NODE,
      args: [BIN, 'cloudlet:install', 'bench/small'],
      target: REGISTRY_TARGET,
      before: async () => {
        scratch = tempDir('nepho-bench-run-');
        return { env: gitEnv(await warmHome(scratch)) };
      },
      after: () => {
        if (!existsSync(join(scratch, 'home', 'cloudlets', 'bench-small', 'cloudlet.yaml'))) throw new Error('cloudlet:install bench/small installed nothing');
        removeTemp(scratch);
      },
    },
  ];
  progress(`${rounds} interleaved rounds ...`);
  const times = await interleave(variants, { rounds, warmup: 2 });
  removeTemp(work);
  const base = median(times[variants[0].name]);
  const results = [];
  const rows = variants.map((v) => {
    const t = times[v.name];
    const r = median(t) / base;
    const row = [v.name, ms(median(t)), ms(Math.min(...t)), ms(percentile(t, 90)), ratio(r)];
    if (!v.target) return [...row, '', 'baseline'];
    const pass = r <= v.target;
    results.push({
      bench: 'install',
      what: 'cloudlet:install NAME (small, from a registry)',
      figure: `${ratio(r)} of node -e 0 + git clone --depth 1`,
      target: `≤ ${ratio(v.target)}`,
      pass,
    });
    return [...row, `≤ ${ratio(v.target)}`, verdict(pass)];
  });
  table(['command', 'median', 'min', 'p90', 'ratio', 'target', ''], rows);
  console.log(
    `(${rounds} rounds, interleaved; the registry's copy already current, as within its TTL, and the code cache of an earlier install in place; git processes per install: ${calls.length}: ${calls.map((c) => `git ${c.split(' ')[0]}`).join(', ')})`,
  );
  return results;
}
