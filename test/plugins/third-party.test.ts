// A third-party provider package, as its author builds it: TypeScript
// against `nepho/plugin` (the types nepho ships), compiled with tsc,
// installed from a local tarball with npm into $NEPHO_HOME/plugins, then
// driven through the nepho binary like a built-in provider.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { nepho } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { tempDir } from '../fixtures/paths.js';
import { BROKEN_SOURCE, compilePlugin, installMemoPlugin, MEMO_CLOUDLET } from '../fixtures/third-party.js';

t.test("nepho/plugin's types check a provider: a wrong one does not compile", async (t) => {
  const broken = compilePlugin(join(tempDir(t), 'broken'), BROKEN_SOURCE);
  t.not(broken.status, 0, 'tsc refuses it');
  t.match(broken.output, /src\/index\.ts.*error TS\d+/, 'with errors in the plugin source');
  t.match(broken.output, /'status'|status/, 'naming what the contract requires (an Outcome has a status)');
});

t.test('installed from a local tarball, it creates, describes, lists, lints and destroys through the command line', async (t) => {
  const home = join(tempDir(t, 'nepho-third-party-'), 'home');
  installMemoPlugin(t, home);
  await installDevCloudlet(t, home, 'memoapp', MEMO_CLOUDLET);

  const described = await nepho(['scenario:describe', 'memoapp', '-o', 'json'], { home });
  t.equal(described.code, 0, described.stderr);
  t.match(
    JSON.parse(described.stdout).parameters,
    [{ name: 'Greeting', default: 'hello', declaredIn: ['template'] }],
    "the pattern's parameters come from the plugin's hook",
  );

  const created = await nepho(['formation:create', 'memoapp', '--name', 'm1', '--no-input', '-p', 'Greeting=salut'], { home });
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, /^created m1 in \d+s \(WRITTEN\)$/m);
  t.ok(existsSync(join(home, 'formations', 'm1', 'memo.json')), "the provider kept its file in the formation's directory");

  const shown = await nepho(['formation:describe', 'm1', '-o', 'json'], { home });
  t.equal(shown.code, 0, shown.stderr);
  t.match(JSON.parse(shown.stdout), {
    name: 'm1',
    provider: 'memo',
    status: 'WRITTEN',
    outputs: { Greeting: 'salut' },
    resources: [{ id: 'Memo', type: 'Memo::File' }],
  });
  const listed = await nepho(['formation:list', '-o', 'json'], { home });
  t.match(JSON.parse(listed.stdout), [{ name: 'm1', provider: 'memo', status: 'WRITTEN', source: 'local' }]);

  const linted = await nepho(['cloudlet:lint', join(home, 'cloudlets', 'local-memoapp'), '-o', 'json'], { home });
  t.equal(linted.code, 0, linted.stdout + linted.stderr);

  const destroyed = await nepho(['formation:destroy', 'm1', '--yes'], { home });
  t.equal(destroyed.code, 0, destroyed.stderr);
  t.match(destroyed.stdout, /^destroyed m1 in \d+s \(ERASED\)$/m);
  t.notOk(existsSync(join(home, 'formations', 'm1', 'memo.json')), 'its file is gone');
  const after = await nepho(['formation:describe', 'm1'], { home });
  t.equal(after.code, 1);
  t.match(after.stderr, /no formation named 'm1'/);
});

t.test("the plugin's own user errors are one line with its hint, not a bug report", async (t) => {
  const home = join(tempDir(t, 'nepho-third-party-'), 'home');
  installMemoPlugin(t, home);
  await installDevCloudlet(t, home, 'memoapp', MEMO_CLOUDLET);
  const r = await nepho(['formation:create', 'memoapp', '--no-input', '-p', 'Greeting=forbidden'], { home });
  t.equal(r.code, 1);
  t.match(r.stderr, /^error: .*note\.memo: the greeting 'forbidden' is not written down\nhint: pick another Greeting\n$/);
  t.notOk(existsSync(join(home, 'formations', 'memoapp-default')), 'nothing written');
});
