// Live progress: on a terminal, formation:create shows a status line
// (resources done / those the template declares, elapsed time, the resource in progress) redrawn in
// place below the scrolling events, gone when the result is printed; with CI
// set or without a terminal, plain lines only. Human output carries no pid,
// host name or milliseconds. A CloudFormation stack on moto that waits at a
// gate (test/fixtures/aws.ts) keeps the operation running while the screen is read.
import t from 'tap';
import { gateCloudletHome, motoQuery, releaseGate, startMoto, type Moto } from '../fixtures/aws.js';
import { BIN, ROOT, tempDir } from '../fixtures/paths.js';
import { terminal } from '../fixtures/terminal.js';
import { join } from 'node:path';
import { writeConfig } from '../fixtures/files.js';
import { serveRegistry, indexDoc } from '../fixtures/registry.js';

/** The id of the stack moto holds for formation `name`, once it exists. */
async function stackIdOf(moto: Moto, name: string): Promise<string> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const xml = await motoQuery(moto.endpoint, 'cloudformation', { Action: 'ListStacks', Version: '2010-05-15' });
    const id = [...xml.matchAll(/<StackId>([^<]+)<\/StackId>/g)].map((m) => m[1]!).find((s) => s.includes(`/${name}/`) || s.includes(`-${name}/`));
    if (id) return id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no stack for ${name}`);
}

/** A shell command line running nepho in a clean environment (no CI unless `extra` says), the pane kept open after it exits. */
function commandLine(env: Record<string, string>, args: string[]): string {
  const vars = Object.entries({ PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm', NO_COLOR: '1', ...env })
    .map(([k, v]) => `${k}='${v}'`)
    .join(' ');
  return `cd '${ROOT}' && env -i ${vars} '${process.execPath}' '${BIN}' ${args.join(' ')}; echo EXIT=$?; sleep 60`;
}

t.test('on a terminal: a status line redrawn in place below the events, gone at the end', async (t) => {
  const moto = await startMoto(t);
  const cf = await gateCloudletHome(t, moto);
  const term = terminal(
    t,
    commandLine({ ...moto.env, HOME: cf.home, NEPHO_HOME: cf.home }, ['formation:create', 'local/gatecf', '--name', 'live1', '--foreground']),
  );
  const first = await term.waitForScreen(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] create · \d+\/\d+ resources · \d+s/, 60_000);
  t.match(first, /create started at \d\d:\d\d:\d\d$/m, 'the start, to the second');
  // The gate template declares GateRole, GateFunction and Gate: the stack's own events are not a resource of it.
  t.match(first, / create · [0-3]\/3 resources · /, 'out of the resources the template declares, not those seen so far');
  t.notMatch(first, /pid \d+|\d\d:\d\d:\d\d\.\d{3}|T\d\d:\d\d:\d\d/, 'no pid, no milliseconds, no ISO time');
  // Two seconds on, the elapsed time has moved and the line is still there once: redrawn, not repeated.
  const seconds = (screen: string) => Number(/ resources · (\d+)s/.exec(screen)?.[1]);
  const before = seconds(first);
  const later = await term.waitForScreen(new RegExp(` resources · (?!${before}s)\\d+s`), 20_000);
  t.ok(seconds(later) > before, `the elapsed time moves on (${before}s, then ${seconds(later)}s)`);
  t.equal(later.match(/ resources · \d+s/g)?.length, 1, 'one status line on the screen: redrawn in place');
  t.match(later, / create · [0-3]\/3 resources · /, 'still out of 3');
  const lines = later.trimEnd().split('\n');
  t.match(lines.at(-1), / resources · /, 'below the events');
  t.match(later, /CREATE_IN_PROGRESS/, 'events are printed above it');

  await releaseGate(moto.endpoint, await stackIdOf(moto, 'live1'));
  const done = await term.waitForScreen(/EXIT=\d+/, 60_000);
  t.match(done, /EXIT=0/, done);
  t.match(done, /created live1 in \d+s/);
  t.notMatch(done, / resources · \d+s/, 'the status line is gone');
  t.notMatch(done, /pid \d+/);
});

t.test('with CI set, or without a terminal: plain lines only', async (t) => {
  const moto = await startMoto(t);
  const cf = await gateCloudletHome(t, moto);
  const term = terminal(
    t,
    commandLine({ ...moto.env, HOME: cf.home, NEPHO_HOME: cf.home, CI: 'true' }, ['formation:create', 'local/gatecf', '--name', 'plain1', '--foreground']),
  );
  await term.waitForScreen(/create started at \d\d:\d\d:\d\d/, 60_000);
  await releaseGate(moto.endpoint, await stackIdOf(moto, 'plain1'));
  const done = await term.waitForScreen(/EXIT=\d+/, 60_000);
  t.match(done, /EXIT=0/, done);
  t.notMatch(done, / resources · /, 'CI: no status line');

  const piped = cf.spawn(['formation:create', 'local/gatecf', '--name', 'plain2', '--foreground']);
  await releaseGate(moto.endpoint, await stackIdOf(moto, 'plain2'));
  const r = await piped.done;
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /^create started at \d\d:\d\d:\d\d$/m);
  t.notMatch(r.stderr, /\x1b\[/, 'no escape sequences in a pipe');
  t.notMatch(r.stderr + r.stdout, /pid \d+|\.\d{3}Z/, 'no pid, no milliseconds');
});

t.test('registry:update on a terminal: a spinner while it takes more than a second, then the table', async (t) => {
  const server = await serveRegistry(t, indexDoc({}));
  server.fault = 'slow';
  const home = join(tempDir(t), 'home');
  writeConfig(home, `registries:\n  - {name: slow, url: "${server.url}"}\nregistry_ttl: 0\nhttp: {timeout: 3, retries: 0}\n`);
  const term = terminal(t, commandLine({ HOME: home, NEPHO_HOME: home }, ['registry:update']));
  await term.waitForScreen(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] updating registries \(\d+s\)/, 20_000);
  const done = await term.waitForScreen(/EXIT=\d+/, 60_000);
  t.notMatch(done, /updating registries \(/, 'the spinner is gone once it is done');
  t.match(done, /^NAME +STATE +CLOUDLETS$/m, 'and the table printed');
});
