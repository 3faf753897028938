// Proxies: registry downloads (got through http-proxy-agent / https-proxy-agent), git and the AWS SDK go
// through the forward proxy HTTP_PROXY / HTTPS_PROXY name (either case),
// except for hosts NO_PROXY lists. The proxy is real (test/fixtures/proxy.ts)
// and the host names used resolve only through it, so a request that
// succeeded went through it.
import t from 'tap';
import { join } from 'node:path';
import { ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { nepho } from '../fixtures/cli.js';
import { writeConfig } from '../fixtures/files.js';
import { makeCloudletRepo } from '../fixtures/git.js';
import { serveGitHttp } from '../fixtures/git-http.js';
import { tempDir } from '../fixtures/paths.js';
import { serveForwardProxy } from '../fixtures/proxy.js';
import { fakeEntry, indexDoc, serveRegistry } from '../fixtures/registry.js';
import { startMoto } from '../fixtures/aws.js';
import { awsClients } from '../../src/providers/cloudformation/client.js';
import { proxyFor } from '../../src/http.js';

const through = (url: string, name: string) => url.replace('127.0.0.1', name);

t.test('registry downloads go through HTTP_PROXY or http_proxy, not for NO_PROXY hosts', async (t) => {
  const proxy = await serveForwardProxy(t, ['registry.nepho.test']);
  const server = await serveRegistry(t, indexDoc({ 'acme/web': fakeEntry({ summary: 'web server' }) }));
  const url = through(server.url, 'registry.nepho.test');
  const home = join(tempDir(t), 'home');
  writeConfig(home, `registries:\n  - {name: community, url: "${url}"}\nregistry_ttl: 0\n`);

  const direct = await nepho(['registry:update', '-o', 'json'], { home });
  t.match(
    JSON.parse(direct.stdout).find((r: { name: string }) => r.name === 'community'),
    { state: 'unavailable' },
    'without a proxy the name does not resolve',
  );
  t.same(proxy.log, []);

  for (const variable of ['HTTP_PROXY', 'http_proxy']) {
    const before = proxy.log.length;
    const r = await nepho(['registry:update', '-o', 'json'], { home, env: { [variable]: proxy.url } });
    t.equal(r.code, 0, r.stderr);
    t.match(
      JSON.parse(r.stdout).find((x: { name: string }) => x.name === 'community'),
      { state: /^(fetched|current)$/, cloudlets: 1 },
      `${variable}: fetched`,
    );
    t.same(proxy.log.slice(before), [`GET ${url}`], `${variable}: through the proxy, as an absolute URI`);
  }

  for (const [variable, value] of [
    ['NO_PROXY', 'registry.nepho.test'],
    ['no_proxy', '.nepho.test'],
    ['NO_PROXY', '*'],
  ]) {
    const before = proxy.log.length;
    const r = await nepho(['registry:update', '-o', 'json'], { home, env: { HTTP_PROXY: proxy.url, [variable!]: value! } });
    t.match(
      JSON.parse(r.stdout).find((x: { name: string }) => x.name === 'community'),
      { state: 'kept previous copy' },
      `${variable}=${value}: not through the proxy`,
    );
    t.equal(proxy.log.length, before, `${variable}=${value}: the proxy saw nothing`);
  }
});

t.test('https downloads tunnel through HTTPS_PROXY or https_proxy with CONNECT', async (t) => {
  const proxy = await serveForwardProxy(t, ['secure.nepho.test']);
  // No TLS server behind it: the tunnel is what is checked, the handshake then fails.
  const server = await serveRegistry(t, indexDoc({}));
  const port = new URL(server.url).port;
  const home = join(tempDir(t), 'home');
  writeConfig(home, `registries:\n  - {name: secure, url: "https://secure.nepho.test:${port}/index.json"}\nregistry_ttl: 0\n`);
  for (const variable of ['HTTPS_PROXY', 'https_proxy']) {
    const before = proxy.log.length;
    await nepho(['registry:update'], { home, env: { [variable]: proxy.url } });
    t.same(proxy.log.slice(before, before + 1), [`CONNECT secure.nepho.test:${port}`], `${variable}: a CONNECT tunnel through the proxy`);
  }
});

t.test('git clones through the proxy, whichever case the variable is in', async (t) => {
  const proxy = await serveForwardProxy(t, ['git.nepho.test']);
  const root = tempDir(t);
  makeCloudletRepo(root, 'private', ['1.0.0']);
  const host = await serveGitHttp(t, root, 'ann', 'pw-for-git');
  const url = through(host.url('private-repo'), 'git.nepho.test').replace('http://', 'http://ann:pw-for-git@');
  const home = join(tempDir(t), 'home');
  const direct = await nepho(['cloudlet:install', url], { home });
  t.equal(direct.code, 1, 'without a proxy the name does not resolve');
  for (const variable of ['HTTP_PROXY', 'http_proxy']) {
    const before = proxy.log.length;
    const r = await nepho(['cloudlet:install', url, '--force'], { home, env: { [variable]: proxy.url } });
    t.equal(r.code, 0, `${variable}: ${r.stderr}`);
    t.ok(
      proxy.log.slice(before).some((l) => l.startsWith(`GET http://git.nepho.test:`)),
      `${variable}: git went through the proxy`,
    );
  }
  const before = proxy.log.length;
  const bypassed = await nepho(['cloudlet:install', url, '--force'], { home, env: { HTTP_PROXY: proxy.url, NO_PROXY: 'git.nepho.test' } });
  t.equal(bypassed.code, 1, 'NO_PROXY: git connects directly, and the name does not resolve');
  t.equal(proxy.log.length, before, 'the proxy saw nothing');
});

t.test('the AWS SDK goes through the proxy for its endpoint', async (t) => {
  const moto = await startMoto(t);
  const proxy = await serveForwardProxy(t, ['aws.nepho.test']);
  const endpoint = through(moto.endpoint, 'aws.nepho.test');
  const env = { ...moto.env, AWS_ENDPOINT_URL: endpoint, HTTP_PROXY: proxy.url };
  const clients = awsClients({}, env);
  const answer = await clients.cfn.send(new ListStacksCommand({}));
  t.same(answer.StackSummaries ?? [], [], 'moto answered through the proxy');
  t.ok(
    proxy.log.some((l) => l === `POST ${endpoint}/`),
    `logged: ${proxy.log.join(', ')}`,
  );

  const before = proxy.log.length;
  const bypassed = awsClients({}, { ...env, no_proxy: 'aws.nepho.test' });
  await t.rejects(bypassed.cfn.send(new ListStacksCommand({})), 'NO_PROXY: direct, and the name does not resolve');
  t.equal(proxy.log.length, before);
});

t.test('proxyFor reads the variables as curl does', async (t) => {
  const env = {
    HTTPS_PROXY: 'proxy:3128',
    http_proxy: 'http://p:8080',
    HTTP_PROXY: 'http://ignored:1',
    NO_PROXY: 'internal.example, .corp.example,10.0.0.1,local.test:8443',
  };
  t.equal(proxyFor(new URL('https://registry.example/x'), env), 'http://proxy:3128', 'a proxy without a scheme is http://');
  t.equal(proxyFor(new URL('http://registry.example/x'), env), 'http://p:8080', 'lower case first');
  t.equal(proxyFor(new URL('https://internal.example/x'), env), undefined);
  t.equal(proxyFor(new URL('https://a.internal.example/x'), env), undefined, 'subdomains of a listed name');
  t.equal(proxyFor(new URL('https://a.corp.example/x'), env), undefined, 'a .domain entry');
  t.equal(proxyFor(new URL('http://10.0.0.1/x'), env), undefined, 'an address');
  t.equal(proxyFor(new URL('https://local.test:8443/x'), env), undefined, 'host and port');
  t.equal(proxyFor(new URL('https://local.test/x'), env), 'http://proxy:3128', 'another port of that host still goes through');
  t.equal(proxyFor(new URL('https://notinternal.example/x'), env), 'http://proxy:3128', 'a suffix is not a subdomain');
  t.equal(proxyFor(new URL('file:///x'), env), undefined);
});
