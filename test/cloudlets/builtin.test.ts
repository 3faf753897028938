// The built-in registry: installing huit/mediawiki on a fresh machine, with no
// configuration and no network, verified against what the build recorded.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { nepho } from '../fixtures/cli.js';
import { cloudletEntries, readInstallRecord } from '../fixtures/cloudlets.js';
import { ROOT, tempDir } from '../fixtures/paths.js';

const builtin = JSON.parse(readFileSync(join(ROOT, 'dist', 'builtin', 'index.json'), 'utf8'));

t.test('huit/mediawiki installs from the built-in registry with no config, offline', async (t) => {
  const home = join(tempDir(t), 'home');
  // No config.yaml, no registries: only what ships inside nepho. A proxy that
  // goes nowhere makes any attempt at the network fail.
  const env = { http_proxy: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9' };
  const r = await nepho(['cloudlet:install', 'huit/mediawiki'], { home, env });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `${join(home, 'cloudlets')}\n└── huit-mediawiki (v0.7.2)\n`, 'the tree as the product guide shows it');
  t.notMatch(r.stderr, /error|warning/);

  const pinned = builtin.cloudlets['huit/mediawiki'].versions[0];
  const record = readInstallRecord(home, 'huit-mediawiki');
  t.equal(record.id, 'huit/mediawiki');
  t.equal(record.version, '0.7.2');
  t.equal(record.registry, 'builtin');
  t.equal(record.ref, 'v0.7.2');
  t.equal(record.commit, pinned.commit, 'the commit the build pinned');
  t.equal(record.digest, pinned.digest, 'the digest the build recorded');
  t.equal(record.range, '^0.7.2', 'no range asked: the range that keeps to this major');
  for (const file of ['cloudlet.yaml', 'scenarios/default.yaml', 'scenarios/multi-tenant.yaml', 'provisioners/bootstrap.sh']) {
    t.ok(record.files[file], `${file} is recorded`);
  }
  t.same(cloudletEntries(home), ['huit-mediawiki'], 'nothing else is left in cloudlets/');

  const verify = await nepho(['cloudlet:verify'], { home });
  t.equal(verify.code, 0, verify.stderr);
  t.match(verify.stderr, /1 cloudlet\(s\) verified: no differences/);

  const list = await nepho(['cloudlet:list'], { home });
  t.equal(list.stdout, r.stdout, 'cloudlet:list shows the same tree');

  const json = await nepho(['cloudlet:list', '-o', 'json'], { home });
  t.equal(json.code, 0);
  const rows = JSON.parse(json.stdout);
  t.match(rows, [
    {
      name: 'huit/mediawiki',
      version: '0.7.2',
      path: join(home, 'cloudlets', 'huit-mediawiki'),
      commit: pinned.commit,
      registry: 'builtin',
      range: '^0.7.2',
      develop: false,
    },
  ]);
  t.equal(rows.length, 1);

  const yaml = await nepho(['cloudlet:list', '-o', 'yaml'], { home });
  t.equal(yaml.code, 0);
  t.same(parse(yaml.stdout), rows, 'yaml carries the same data as json');

  const again = await nepho(['cloudlet:install', 'huit/mediawiki'], { home });
  t.equal(again.code, 0);
  t.match(again.stderr, /already installed/, 'a second install changes nothing');
  t.equal(readInstallRecord(home, 'huit-mediawiki').installedAt, record.installedAt);
});

t.test('a short name with a range installs the built-in cloudlet and records that range', async (t) => {
  const home = join(tempDir(t), 'home');
  const r = await nepho(['cloudlet:install', 'mediawiki@0.7'], { home });
  t.equal(r.code, 0, r.stderr);
  t.equal(readInstallRecord(home, 'huit-mediawiki').range, '0.7');

  const verify = await nepho(['cloudlet:verify', 'mediawiki'], { home });
  t.equal(verify.code, 0, 'verify takes the short name of an installed cloudlet');
});
