// Remotes: team servers a machine knows, against a real `nepho server`
// (PGlite). remote:add reads the token from stdin, asks the server who it is
// and keeps it in $NEPHO_HOME/remotes.json with mode 0600; remote:list (table,
// JSON, YAML) never shows a token; remote:use switches (or --none);
// remote:remove forgets; NEPHO_SERVER with NEPHO_TOKEN wins over the remote in
// use, and bad input is one line.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { assertUserError, nepho } from '../fixtures/cli.js';
import { tempDir } from '../fixtures/paths.js';
import { makeToken, queueRegistry, serverHome, startServer } from '../fixtures/server.js';

t.test('remote:add, list, use and remove against a running server', async (t) => {
  const { registry } = await queueRegistry(t);
  const home = serverHome(t, registry);
  const operator = await makeToken(home, 'deployer', 'operator');
  const viewer = await makeToken(home, 'watcher', 'viewer');
  const server = await startServer(t, { home });
  const client = join(tempDir(t, 'nepho-client-'), 'home');
  const run = (args: string[], input?: string, env?: Record<string, string>) =>
    nepho(args, { home: client, ...(input === undefined ? {} : { input }), ...(env ? { env } : {}) });

  await t.test('bad input is one line, nothing written', async (t) => {
    assertUserError(t, await run(['remote:add', 'team', server.url]), /--token-stdin/, 'no --token-stdin');
    assertUserError(t, await run(['remote:add', 'team', server.url, '--token-stdin'], ''), /nothing on stdin/, 'empty stdin');
    assertUserError(t, await run(['remote:add', 'team', 'ftp://example.com', '--token-stdin'], operator), /https?:\/\/.*not ftp:/, 'a scheme that is not http');
    assertUserError(
      t,
      await run(['remote:add', 'team', 'http://x:pw@example.com', '--token-stdin'], operator),
      /no credentials in the URL/,
      'credentials in the URL',
    );
    assertUserError(t, await run(['remote:add', 'Team!', server.url, '--token-stdin'], operator), /remote name 'Team!'/, 'a bad name');
    const wrong = await run(['remote:add', 'team', server.url, '--token-stdin'], 'nepho_wrong-token\n');
    assertUserError(t, wrong, /unknown or revoked/, 'a token the server does not know');
    t.match(wrong.stderr, /hint: .*remote:add team/);
    t.throws(() => statSync(join(client, 'remotes.json')), 'nothing was saved');
  });

  await t.test('added: checked with the server, kept 0600, the first one put in use', async (t) => {
    const added = await run(['remote:add', 'team', `${server.url}/`, '--token-stdin'], `${operator}\n`);
    t.equal(added.code, 0, added.stderr);
    t.match(added.stdout, /added remote 'team' \(http:\/\/127\.0\.0\.1:\d+\) as token 'deployer' \(operator\)/);
    t.match(added.stdout, /formation commands now go through it/);
    const file = join(client, 'remotes.json');
    t.equal(statSync(file).mode & 0o777, 0o600, 'remotes.json is readable by its owner only');
    t.same(
      JSON.parse(readFileSync(file, 'utf8')),
      { remotes: { team: { url: server.url, token: operator } }, current: 'team' },
      'the URL without its trailing slash',
    );

    const second = await run(['remote:add', 'readonly', server.url, '--token-stdin'], viewer);
    t.equal(second.code, 0, second.stderr);
    t.match(second.stdout, /as token 'watcher' \(viewer\)[\s\S]*nepho remote:use readonly/, 'a second one is not put in use');
    assertUserError(t, await run(['remote:add', 'team', server.url, '--token-stdin'], operator), /remote named 'team' already exists/, 'a name taken');
    const offline = await run(['remote:add', 'later', 'http://127.0.0.1:9', '--token-stdin', '--no-verify'], 'tok');
    t.equal(offline.code, 0, `--no-verify saves without asking the server: ${offline.stderr}`);
  });

  await t.test('listed as a table, JSON and YAML, tokens never shown', async (t) => {
    const table = await run(['remote:list']);
    t.equal(table.code, 0, table.stderr);
    t.match(table.stdout, /NAME\s+URL\s+IN USE\s+SOURCE/);
    t.match(table.stdout, /team\s+http:\/\/127\.0\.0\.1:\d+\s+yes\s+remotes\.json/);
    const json = JSON.parse((await run(['remote:list', '-o', 'json'])).stdout);
    t.same(json, [
      { name: 'later', url: 'http://127.0.0.1:9', inUse: false, source: 'remote' },
      { name: 'readonly', url: server.url, inUse: false, source: 'remote' },
      { name: 'team', url: server.url, inUse: true, source: 'remote' },
    ]);
    t.same(parse((await run(['remote:list', '-o', 'yaml'])).stdout), json, 'YAML says the same');
    for (const r of [table, await run(['remote:list', '-o', 'json'])]) {
      t.notOk(r.stdout.includes(operator) || r.stdout.includes(viewer), 'no token in the listing');
    }
  });

  await t.test('NEPHO_SERVER with NEPHO_TOKEN wins over the remote in use; without a token it is one line', async (t) => {
    const env = { NEPHO_SERVER: server.url, NEPHO_TOKEN: viewer };
    const listed = JSON.parse((await run(['remote:list', '-o', 'json'], undefined, env)).stdout);
    t.match(listed[0], { name: 'NEPHO_SERVER', url: server.url, inUse: true, source: 'environment' });
    t.notOk(
      listed.slice(1).some((r: any) => r.inUse),
      'the remote chosen is not in use while NEPHO_SERVER is set',
    );
    const listing = await run(['formation:list', '-o', 'json'], undefined, env);
    t.equal(listing.code, 0, `a viewer token reads: ${listing.stderr}`);
    const stray = await run(['formation:list'], undefined, { NEPHO_SERVER: 'http://127.0.0.1:10' });
    assertUserError(t, stray, /NEPHO_SERVER names http:\/\/127\.0\.0\.1:10, but NEPHO_TOKEN is not set/, 'NEPHO_SERVER without a token');
    const known = await run(['formation:list'], undefined, { NEPHO_SERVER: 'http://127.0.0.1:9' });
    assertUserError(
      t,
      known,
      /server http:\/\/127\.0\.0\.1:9 \(NEPHO_SERVER\): could not reach/,
      'the token of the remote with that URL is used; the server is down: one line',
    );
    const local = await run(['formation:list', '--local'], undefined, { NEPHO_SERVER: 'http://127.0.0.1:10' });
    t.equal(local.code, 0, `--local ignores the server: ${local.stderr}`);
  });

  await t.test('use switches, --none stops using any, remove forgets', async (t) => {
    assertUserError(t, await run(['remote:use', 'nowhere']), /no remote named 'nowhere' \(known: later, readonly, team\)/, 'an unknown remote');
    assertUserError(t, await run(['remote:use']), /name a remote, or pass --none/, 'neither a name nor --none');
    t.equal((await run(['remote:use', 'readonly'])).code, 0);
    t.match(
      JSON.parse((await run(['remote:list', '-o', 'json'])).stdout).find((r: any) => r.inUse),
      { name: 'readonly' },
    );
    const refused = await run(['formation:destroy', 'anything', '-y']);
    t.equal(refused.code, 1);
    t.match(refused.stderr, /error: .*(no formation named 'anything'|not on)/, 'a viewer reads first: the formation is not there');
    t.equal((await run(['remote:use', '--none'])).code, 0);
    t.notOk(
      JSON.parse((await run(['remote:list', '-o', 'json'])).stdout).some((r: any) => r.inUse),
      'none in use',
    );
    t.equal((await run(['remote:use', 'team'])).code, 0);
    const removed = await run(['remote:remove', 'team']);
    t.equal(removed.code, 0, removed.stderr);
    t.match(removed.stdout, /removed remote 'team'; formation commands act on this machine again/);
    assertUserError(t, await run(['remote:remove', 'team']), /no remote named 'team'/, 'removed twice');
    t.same(Object.keys(JSON.parse(readFileSync(join(client, 'remotes.json'), 'utf8')).remotes), ['readonly', 'later'], 'the others stay');
    t.equal(statSync(join(client, 'remotes.json')).mode & 0o777, 0o600, 'still 0600 after every change');
  });
});
