// The nanny with a provider whose work happens in the cloud: CloudFormation
// through the real AWS SDK against a real moto server, carried by the same
// nanny as the local providers; when the network goes mid-way, the journal
// and watch say so, never silently: the same nanny fits a provider whose work
// happens in the cloud as well as one whose work happens on this machine.
// moto completes stacks at once; an in-progress stack is made the way the
// provider tests make one (gateTemplate in fixtures/aws.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { gateCloudletHome, listedFormation, startMoto, type Moto } from '../fixtures/aws.js';
import { nepho, running, spawnNepho, stderrLines } from '../fixtures/cli.js';
import { tcpRelay } from '../fixtures/http.js';
import { journalEnded, readJournal, waitForJournal } from '../fixtures/nanny.js';
import { tempDir } from '../fixtures/paths.js';

let moto: Moto;
t.before(async () => {
  moto = await startMoto(t);
});

t.test('huit/mediawiki runs through the same nanny as the local providers', async (t) => {
  const home = join(tempDir(t, 'nepho-nanny-cf-'), 'home');
  const env = moto.env;
  const installed = await nepho(['cloudlet:install', 'huit/mediawiki'], { home, env });
  t.equal(installed.code, 0, installed.stderr);
  const secret = 'a-long-admin-password';
  const created = await running(
    spawnNepho(['formation:create', 'huit/mediawiki', '--name', 'wiki', '--no-input', '-p', `AdminPassword=${secret}`], { home, env }),
  ).done;
  t.equal(created.code, 0, created.stderr);
  t.match(created.stderr, /CREATE_COMPLETE +wiki {2}AWS::CloudFormation::Stack/, 'stack events were followed');
  const entries = readJournal(home, 'wiki');
  t.match(entries[0], { kind: 'start', operation: 'create' });
  t.not(entries[0]!.pid, created.pid, 'carried by a nanny');
  t.match(
    entries.find((e) => e.kind === 'accepted'),
    { state: { stackId: /^arn:aws:cloudformation:/ } },
  );
  t.match(entries.at(-1), { kind: 'end', ok: true, status: 'CREATE_COMPLETE' });
  t.notMatch(readFileSync(join(home, 'formations', 'wiki', 'journal.jsonl'), 'utf8'), secret, 'no secret in the journal');
  const row = await listedFormation((args) => nepho(args, { home, env }), 'wiki');
  t.match(row, { status: 'CREATE_COMPLETE', source: 'local' });
  t.equal(row?.operation, undefined, 'nothing in progress');
});

t.test('the network goes away while the nanny follows a stack: an error entry, and watch shows it with exit 1', async (t) => {
  const h = await gateCloudletHome(t, moto);
  const relay = await tcpRelay(t, moto.port);
  const detached = await h.run(['formation:create', 'local/gatecf', '--name', 'cut', '--no-input', '--detach'], { AWS_ENDPOINT_URL: relay.endpoint });
  t.equal(detached.code, 0, detached.stderr);
  await waitForJournal(h.home, 'cut', (e) => e.some((x) => x.kind === 'event'), 'a stack event: the nanny is polling');
  await relay.cut();

  const entries = await waitForJournal(h.home, 'cut', journalEnded, 'the end', 60_000);
  const last = entries.at(-1)!;
  t.match(
    last,
    { kind: 'error', operation: 'create', code: 'AWS_UNREACHABLE', message: new RegExp(`cannot reach AWS at ${relay.endpoint.replace(/\./g, '\\.')}`) },
    'the journal says what went wrong',
  );
  const watched = await h.run(['formation:watch', 'cut'], { AWS_ENDPOINT_URL: relay.endpoint });
  t.equal(watched.code, 1, 'watch exits 1');
  const lines = stderrLines(watched.stderr);
  t.same(lines.errors, [`error: ${last.message}`], 'and shows it');
  t.same(lines.stackFrames, []);
});
