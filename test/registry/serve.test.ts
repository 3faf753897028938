// registry:serve: a built registry served on 127.0.0.1, added and installed
// from over HTTP; ETag and 304; no path out of the directory; a clean stop.
import { symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { nepho, running, spawnNepho, waitFor, type RunningNepho } from '../fixtures/cli.js';
import { cloudletFiles } from '../fixtures/cloudlets.js';
import { makeCloudletRepo } from '../fixtures/git.js';
import { tempDir, type Teardown } from '../fixtures/paths.js';

/** cloudletFiles, with the `Box` its Vagrant pattern uses declared, so that it passes cloudlet:lint. */
const LINT_CLEAN_SCENARIO =
  'summary: the default\nproviders:\n  vagrant: {pattern: single}\nprovisioner: {type: shell, script: provisioners/bootstrap.sh}\nparameters:\n  Box: {type: string, default: debian/bookworm64}\n';
function files(name: string, version: string, extra: Record<string, string> = {}): Record<string, string> {
  return cloudletFiles(name, version, { 'scenarios/default.yaml': LINT_CLEAN_SCENARIO, ...extra });
}

/** One raw GET (the path is sent exactly as given, `..` included). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Start `registry:serve DIR --port 0` and wait for the URL it prints. */
async function serveBuilt(
  t: Teardown,
  dir: string,
  home: string,
): Promise<{ run: RunningNepho; url: string; port: number; child: ReturnType<typeof spawnNepho> }> {
  const child = spawnNepho(['registry:serve', dir, '--port', '0'], { home });
  const run = running(child);
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = await waitFor(
    () => /(http:\/\/127\.0\.0\.1:\d+\/index\.json)/.exec(run.stdout())?.[1] ?? (child.exitCode !== null ? `exited: ${run.stderr()}` : undefined),
    'registry:serve to print its URL',
  );
  if (!url.startsWith('http')) throw new Error(url);
  return { run, url, port: Number(new URL(url).port), child };
}

t.test('serve: a built registry is added and installed from over HTTP; ETag, 404, traversal refused; SIGTERM stops it', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const repo = makeCloudletRepo(join(dir, 'acme'), 'wiki', ['1.0.0', '1.1.0'], { files: (v) => files('wiki', v) });
  const out = join(dir, 'public');
  const built = await nepho(['registry:build', repo.dir, '--out', out], { home });
  t.equal(built.code, 0, built.stderr);
  writeFileSync(join(dir, 'secret.txt'), 'do not serve\n');
  symlinkSync(join(dir, 'secret.txt'), join(out, 'leak.txt'));

  const { run, url, port, child } = await serveBuilt(t, out, home);
  t.match(run.stdout(), new RegExp(`serving .*public at http://127\\.0\\.0\\.1:${port}/index\\.json`));

  const index = await get(port, '/index.json');
  t.equal(index.status, 200);
  t.match(index.headers['content-type'], /application\/json/);
  t.equal(JSON.parse(index.body).cloudlets['acme/wiki'].versions[0].version, '1.1.0');
  const etag = index.headers.etag as string;
  t.match(etag, /^"[0-9a-f]+"$/);
  const again = await get(port, '/index.json', { 'if-none-match': etag });
  t.equal(again.status, 304);
  t.equal(again.body, '');
  t.equal((await get(port, '/index.json', { 'if-none-match': '"other"' })).status, 200);

  const page = await get(port, '/');
  t.equal(page.status, 200, '/ is the listing page');
  t.match(page.headers['content-type'], /text\/html/);
  t.match(page.body, /nepho cloudlet:install acme\/wiki/);
  t.equal((await get(port, '/index.html')).status, 200);

  t.equal((await get(port, '/missing.json')).status, 404);
  for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/a/../../secret.txt']) {
    const r = await get(port, path);
    t.equal(r.status, 403, `${path} refused`);
    t.notMatch(r.body, /do not serve/);
  }
  const leak = await get(port, '/leak.txt');
  t.equal(leak.status, 403, 'a link out of the directory is refused');
  t.notMatch(leak.body, /do not serve/);

  const add = await nepho(['registry:add', 'local', url], { home });
  t.equal(add.code, 0, add.stderr);
  const install = await nepho(['cloudlet:install', 'acme/wiki@1.0.0'], { home });
  t.equal(install.code, 0, `${install.stdout}${install.stderr}`);
  t.match(install.stdout, /acme-wiki \(v1\.0\.0\)/);

  child.kill('SIGTERM');
  const end = await run.done;
  t.equal(end.code, 0, 'SIGTERM stops it cleanly');
  await t.rejects(get(port, '/index.json'), 'no longer listening');
});

t.test('serve: a directory without index.json, or a bad port, is a clear error', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const empty = await nepho(['registry:serve', dir, '--port', '0'], { home });
  t.equal(empty.code, 1);
  t.match(empty.stdout + empty.stderr, /no index\.json here/);
  t.match(empty.stdout + empty.stderr, /registry:build/);
  const missing = await nepho(['registry:serve', join(dir, 'nowhere'), '--port', '0'], { home });
  t.equal(missing.code, 1);
  t.match(missing.stdout + missing.stderr, /nowhere: no such directory/);
  const port = await nepho(['registry:serve', dir, '--port', 'http'], { home });
  t.equal(port.code, 1);
  t.match(port.stdout + port.stderr, /--port 'http' is not a port number/);
});

t.test('serve: a port in use is a clear error', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  writeFileSync(join(dir, 'index.json'), '{"apiVersion": "nepho/v1", "cloudlets": {}}\n');
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as import('node:net').AddressInfo).port;
  const r = await nepho(['registry:serve', dir, '--port', String(port)], { home });
  t.equal(r.code, 1);
  t.match(r.stdout + r.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
});
