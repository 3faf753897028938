// formation:open through the built CLI. The formation's provider is the
// stand-in cloud plugin (test/fixtures/stand-in-cloud.mjs). The browser side
// is the real xdg-open script (the copy the `open` package ships, from
// xdg-utils): on this machine, which has no desktop and no browser, it fails
// as it does on any server; with $BROWSER set it runs that program, which here
// is a script that records the URL it was given (a stand-in for a browser).
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { expectUserError, nepho } from '../fixtures/cli.js';
import { ROOT, tempDir } from '../fixtures/paths.js';
import { standInFormation } from '../fixtures/ssh.js';

const ACCESS = { url: 'http://{{outputs.Host}}:{{outputs.WebPort}}/{{parameters.Site}}/' };
const OUTPUTS = { Host: '127.0.0.1', WebPort: '8080' };
const URL_WANTED = 'http://127.0.0.1:8080/wiki/';

function homeWith(access: Record<string, unknown> = ACCESS, state: Record<string, unknown> = { outputs: OUTPUTS }): string {
  const home = join(tempDir(t, 'nepho-open-'), 'home');
  standInFormation(home, 'web', { access, parameters: { Site: 'wiki' }, state });
  return home;
}

/** A PATH directory holding only the real xdg-open script. */
function xdgOpenOnly(): string {
  const bin = join(tempDir(t, 'nepho-open-bin-'), 'bin');
  mkdirSync(bin);
  symlinkSync(join(ROOT, 'node_modules', 'open', 'xdg-open'), join(bin, 'xdg-open'));
  return bin;
}

t.test('--print prints the URL filled from outputs and parameters, and opens nothing', async (t) => {
  const home = homeWith();
  const r = await nepho(['formation:open', 'web', '--print'], { home, env: { PATH: tempDir(t) } });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `${URL_WANTED}\n`);
  t.equal(r.stderr, '', 'no note: nothing was tried');
  const shortcut = await nepho(['open', 'web', '--print'], { home });
  t.equal(shortcut.stdout, `${URL_WANTED}\n`, 'the shortcut');
});

t.test('no opener on PATH: the URL is printed, a one-line note, exit 0', async (t) => {
  const r = await nepho(['formation:open', 'web'], { home: homeWith(), env: { PATH: tempDir(t) } });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `${URL_WANTED}\n`);
  t.match(r.stderr, /^could not start a browser here \(xdg-open: not found\); open the URL above yourself\n$/);
});

t.test('xdg-open with no browser to run (a server): the URL is printed, a note, exit 0', async (t) => {
  const r = await nepho(['formation', 'open', 'web'], { home: homeWith(), env: { PATH: `${xdgOpenOnly()}:/usr/bin:/bin` } });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `${URL_WANTED}\n`);
  t.match(r.stderr, /^could not start a browser here \(xdg-open exited with 3\); open the URL above yourself\n$/, 'xdg-open says 3: no method available');
});

t.test('with a browser: it is given the URL, and the URL is printed too', async (t) => {
  const dir = tempDir(t);
  const browser = join(dir, 'browser');
  const opened = join(dir, 'opened');
  writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$@" > '${opened}'\n`);
  chmodSync(browser, 0o755);
  const r = await nepho(['open', 'web'], { home: homeWith(), env: { PATH: `${xdgOpenOnly()}:/usr/bin:/bin`, BROWSER: browser } });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `${URL_WANTED}\n`);
  t.equal(r.stderr, '', 'no note');
  t.ok(existsSync(opened), 'the browser ran');
  t.equal(readFileSync(opened, 'utf8'), `${URL_WANTED}\n`, 'with the URL as its one argument');
});

t.test('clear errors', async (t) => {
  expectUserError(t, await nepho(['open', 'nope', '--print'], { home: homeWith() }), /no formation named 'nope'/, 'no such formation');
  expectUserError(
    t,
    await nepho(['open', 'web', '--print'], { home: homeWith({ ssh: { host: 'h' } }) }),
    /formation web: scenario default of local\/stand-in declares no access\.url/,
    'no access.url',
  );
  expectUserError(
    t,
    await nepho(['open', 'web', '--print'], { home: homeWith(ACCESS, { outputs: { Host: '127.0.0.1' }, inProgress: true, status: 'CREATE_IN_PROGRESS' }) }),
    /formation web: access\.url needs outputs\.WebPort, which has no value yet \(status CREATE_IN_PROGRESS\)/,
    'an output not there yet',
  );
  expectUserError(
    t,
    await nepho(['open', 'web', '--print'], { home: homeWith(ACCESS, { outputs: {} }) }),
    /access\.url needs outputs\.Host, outputs\.WebPort, which have no value yet/,
    'every missing output named',
  );
  expectUserError(
    t,
    await nepho(['open', 'web'], { home: homeWith({ url: 'file:///etc/{{outputs.Host}}' }) }),
    /access\.url "file:\/\/\/etc\/127\.0\.0\.1" is not an http or https URL/,
    'only web URLs are opened',
  );
  expectUserError(
    t,
    await nepho(['open', 'web'], { home: homeWith({ url: '{{outputs.Host}}' }, { outputs: { Host: '-oops' } }) }),
    /access\.url "-oops" is not an http or https URL/,
    'nothing that an opener could take for an option',
  );
  expectUserError(
    t,
    await nepho(['open', 'web', '--print'], { home: homeWith(ACCESS, { outputs: OUTPUTS, gone: true }) }),
    /formation web: provider stand-in-cloud no longer has it/,
    'gone at the provider',
  );
});

t.test('characters a terminal or an opener could misread are percent-encoded', async (t) => {
  const r = await nepho(['open', 'web', '--print'], {
    home: homeWith({ url: 'https://{{outputs.Host}}/a b/{{outputs.Path}}' }, { outputs: { Host: 'example.org', Path: 'x\u001b[2Jy' } }),
  });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'https://example.org/a%20b/x%1B[2Jy\n');
});
