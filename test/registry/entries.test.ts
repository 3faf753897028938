// One invalid entry in an otherwise valid index, served over real HTTP on 127.0.0.1: a warning
// naming it, and every other entry stays searchable and describable.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { expectUserError, nepho, stderrLines } from '../fixtures/cli.js';
import { writeConfig } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';
import { fakeEntry, serveRegistry } from '../fixtures/registry.js';

t.test('bad entries are left out with a warning each; the rest stays usable', async (t) => {
  const scratch = tempDir(t);
  const pwned = join(scratch, 'pwned');
  const commit = 'c'.repeat(40);
  const bad: [string, unknown, RegExp][] = [
    ['../x', fakeEntry(), /owner\/name/],
    ['a/b/c', fakeEntry(), /owner\/name/],
    ['evil/no-commit', fakeEntry({ versions: [{ version: '1.0.0', ref: 'v1.0.0' }] }), /commit must be a 40-character commit id/],
    ['evil/short-commit', fakeEntry({ versions: [{ version: '1.0.0', ref: 'v1.0.0', commit: 'deadbeef' }] }), /commit must be a 40-character commit id/],
    ['evil/ext', fakeEntry({ source: `ext::sh -c touch% ${pwned}` }), /"source" 'ext::sh -c touch% .*' uses a transport that runs commands/],
    ['evil/ext-plain', fakeEntry({ source: 'ext::sh -c touch /tmp/pwned' }), /uses a transport that runs commands/],
    ['evil/dash', fakeEntry({ source: '-oProxyCommand=touch /tmp/pwned' }), /starts with "-"/],
    ['evil/semver', fakeEntry({ versions: [{ version: 'one', ref: 'v1', commit }] }), /versions\[0\]\.version is not a semver version/],
  ];
  const cloudlets: Record<string, unknown> = { 'good/first': fakeEntry({ summary: 'first good one' }) };
  for (const [id, entry] of bad) cloudlets[id] = entry;
  cloudlets['good/last'] = fakeEntry({ summary: 'last good one' }, ['1.0.0', '1.2.0']);
  const server = await serveRegistry(t, JSON.stringify({ apiVersion: 'nepho/v1', cloudlets }));
  const home = tempDir(t);
  writeConfig(home, 'http: {timeout: 5, retries: 0}\n');

  // Unsigned on purpose: the only warnings are then those of the entries.
  const add = await nepho(['registry:add', 'community', server.url, '--allow-unsigned'], { home });
  t.equal(add.code, 0, 'a valid index with bad entries is still added');
  t.match(add.stdout, /added registry 'community' with 2 cloudlet/);
  const lines = stderrLines(add.stderr);
  t.equal(lines.warnings.length, bad.length, 'one warning per bad entry');
  t.same(lines.errors, []);
  t.same(lines.other, [], 'each warning is one line');
  for (const [id, , reason] of bad) {
    const warning = lines.warnings.find((w) => w.includes(`entry '${id}'`));
    t.ok(warning, `a warning names ${id}`);
    t.match(warning ?? '', /^warning: registry 'community': entry '.*' left out: /, `${id}: names the registry`);
    t.match(warning ?? '', reason, `${id}: says why`);
  }

  const all = JSON.parse((await nepho(['cloudlet:search', '-o', 'json'], { home })).stdout) as { name: string; registry: string }[];
  t.same(
    all
      .filter((h) => h.registry === 'community')
      .map((h) => h.name)
      .sort(),
    ['good/first', 'good/last'],
    'the good entries are searchable',
  );
  const described = await nepho(['cloudlet:describe', 'good/last', '-o', 'json'], { home });
  t.equal(described.code, 0, described.stderr);
  t.same(
    JSON.parse(described.stdout).versions.map((v: { version: string }) => v.version),
    ['1.2.0', '1.0.0'],
    'and describable',
  );
  t.equal((await nepho(['cloudlet:describe', 'first'], { home })).code, 0, 'by short name too');

  for (const id of ['evil/ext', 'evil/no-commit', 'evil/semver']) {
    expectUserError(t, await nepho(['cloudlet:describe', id], { home }), new RegExp(`unknown cloudlet '${id}'`), `describe ${id}`);
  }
  const install = await nepho(['cloudlet:install', 'evil/ext'], { home });
  t.equal(install.code, 1, 'an entry left out cannot be installed');
  t.match(install.stderr, /unknown cloudlet 'evil\/ext'/);
  t.notOk(existsSync(pwned), 'the ext:: command never ran');

  // Within the TTL the cached copy is used without warnings; the warnings come back with a fetch.
  const cachedRun = await nepho(['cloudlet:search', 'good'], { home });
  t.equal(cachedRun.stderr, '', 'no warnings when nothing was fetched');
  const update = await nepho(['registry:update'], { home });
  t.equal(update.code, 0, 'bad entries do not fail an update');
});
