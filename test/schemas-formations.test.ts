// The formation commands' `-o json`, validated against schemas/ with ajv, on
// a vagrant formation and a CloudFormation stack in moto. No hypervisor runs
// on these machines: `vagrant` is the STAND-IN of test/fixtures/vagrant.ts,
// which replays captured output (its `validate` is the real one). create, update, provision, watch and destroy
// print ONE document once the operation ends: the operation and the
// formation as it left it; their progress goes to stderr.
import t from 'tap';
import { startMoto } from './fixtures/aws.js';
import { nepho } from './fixtures/cli.js';
import { installDevCloudlet } from './fixtures/cloudlets.js';
import { tempDir } from './fixtures/paths.js';
import { parse } from 'yaml';
import { dump, followsSchema, sameAsYaml, schemaErrors } from './fixtures/schemas.js';
import { standInVagrant, vagrantFormation } from './fixtures/vagrant.js';

t.test('a vagrant formation: create, list, describe, history, drift, update, provision, watch, destroy as JSON', async (t) => {
  const f = await vagrantFormation(t);
  const json = async (what: string, args: string[], env: Record<string, string> = {}, code = 0) => {
    const r = await f.run([...args, '-o', 'json'], env);
    dump(what, r);
    t.equal(r.code, code, `${what}: exit ${code}${r.code === code ? '' : `: ${r.stderr}`}`);
    return r;
  };

  const created = await json('create', ['formation:create', f.cloudlet.id, '--name', 'web2', '-p', `Token=${f.secret}`, '--no-input']);
  const report = followsSchema(t, created, 'operation-report.json');
  t.match(report, {
    operation: { kind: 'create', formation: 'web2', outcome: 'succeeded', status: 'running', accepted: true, error: null, server: null },
    formation: { name: 'web2', status: 'running', exists: true, provider: 'vagrant', parameters: { Token: '(secret)', Greeting: 'hello' } },
    changes: null,
  });
  t.match(report.operation.id, /^web2@\d{4}-/, 'the operation named by its start in the journal');
  t.ok(report.operation.startedAt <= report.operation.endedAt, 'it started before it ended');
  t.match(report.formation.outputs, { SshHost: '127.0.0.1' }, 'the outputs');
  t.notMatch(created.stdout, /Creating formation|CREATE|running +default/, 'no progress on stdout');
  t.match(created.stderr, /Creating formation web2/, 'progress on stderr');

  const listed = followsSchema(t, await json('list', ['formation:list']), 'formation-list.json');
  t.same(
    listed.map((l: { name: string }) => l.name),
    ['web', 'web2'],
  );
  const described = followsSchema(t, await json('describe', ['formation:describe', 'web2']), 'formation-describe.json');
  t.same(described, report.formation, "describe shows the formation as create's report left it");
  sameAsYaml(t, await f.run(['formation:describe', 'web2', '-o', 'yaml']), described);

  const history = followsSchema(t, await json('history', ['formation:history', 'web2']), 'formation-history.json');
  t.match(history, [{ operation: 'create', result: 'succeeded', startedAt: report.operation.startedAt }]);
  followsSchema(t, await json('drift', ['formation:drift', 'web2']), 'formation-drift.json');
  const drifted = followsSchema(t, await json('drift-drifted', ['formation:drift', 'web2'], { STANDIN_STATE: 'poweroff' }, 2), 'formation-drift.json');
  t.match(drifted, { drifted: true });

  const previewed = followsSchema(t, await json('update-dry-run', ['formation:update', 'web2', '-p', 'Greeting=hi', '--dry-run']), 'operation-report.json');
  t.match(previewed, {
    operation: { kind: 'update', outcome: 'previewed', id: null, startedAt: null },
    changes: { parameters: [{ name: 'Greeting', from: 'hello', to: 'hi' }] },
  });
  const updated = followsSchema(t, await json('update', ['formation:update', 'web2', '-p', 'Greeting=hi', '--yes']), 'operation-report.json');
  t.match(updated, { operation: { kind: 'update', outcome: 'succeeded' }, formation: { parameters: { Greeting: 'hi' } }, changes: null });

  const provisioned = await json('provision', ['formation:provision', 'web2', '-p', `Token=${f.secret}`]);
  t.match(followsSchema(t, provisioned, 'operation-report.json'), { operation: { kind: 'provision', outcome: 'succeeded', exitCode: 0 } });
  t.notMatch(provisioned.stdout, /from the bootstrap/, "the bootstrap's own lines go to stderr: stdout is the document");
  const failed = await json('provision-failed', ['formation:provision', 'web2'], { STANDIN_PROVISION_EXIT: '3' }, 3);
  t.match(followsSchema(t, failed, 'operation-report.json'), { operation: { outcome: 'failed', exitCode: 3 } }, 'a failed run is reported too');

  const watched = followsSchema(t, await json('watch', ['formation:watch', 'web2'], {}, 3), 'operation-report.json');
  t.match(watched, { operation: { kind: 'provision', outcome: 'failed' }, formation: { name: 'web2' } }, 'watch reports the latest operation');

  const destroyed = await json('destroy', ['formation:destroy', 'web2', '--yes']);
  t.match(
    followsSchema(t, destroyed, 'operation-report.json'),
    {
      operation: { kind: 'destroy', outcome: 'succeeded' },
      formation: { name: 'web2', exists: false, outputs: {}, resources: [], url: null, provider: 'vagrant' },
    },
    'destroy: the formation as it ended, nothing left of it',
  );
  sameAsYaml(
    t,
    await f.run(['formation:history', 'web2', '-o', 'yaml']),
    followsSchema(t, await json('history-after', ['formation:history', 'web2']), 'formation-history.json'),
  );

  const detached = await json('create-detached', ['formation:create', f.cloudlet.id, '--name', 'web3', '-p', `Token=${f.secret}`, '--no-input', '--detach']);
  const accepted = followsSchema(t, detached, 'operation-report.json');
  t.match(accepted, { operation: { kind: 'create', formation: 'web3', outcome: 'detached', accepted: true, endedAt: null }, formation: null });
  t.type(accepted.operation.pid, 'number', 'the pid, for scripts');
  const ended = followsSchema(t, await json('watch-detached', ['formation:watch', 'web3']), 'operation-report.json');
  t.match(
    ended,
    { operation: { id: accepted.operation.id, outcome: 'succeeded' }, formation: { name: 'web3', status: 'running' } },
    'watch follows it to its end',
  );
});

const STACK = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bucket: {Type: AWS::S3::Bucket}
  Topic: {Type: AWS::SNS::Topic}
Outputs:
  BucketName: {Value: !Ref Bucket}
`;

t.test('a CloudFormation stack in moto: create and destroy as JSON, with the outputs and the URL', async (t) => {
  const moto = await startMoto(t);
  const home = tempDir(t, 'nepho-schemas-cf-');
  const cloudlet = await installDevCloudlet(t, home, 'site', {
    'scenarios/default.yaml':
      'summary: a bucket\nproviders:\n  cloudformation: {pattern: site}\naccess:\n  url: "https://{{outputs.BucketName}}.example.org/"\n',
    'patterns/aws/site.cf': STACK,
  });
  const run = (args: string[]) => nepho(args, { home, env: moto.env });

  const created = await run(['formation:create', cloudlet.id, '--name', 'site', '--no-input', '-o', 'json']);
  dump('cf-create', created);
  t.equal(created.code, 0, created.stderr);
  const report = followsSchema(t, created, 'operation-report.json');
  t.match(report, {
    operation: { kind: 'create', formation: 'site', outcome: 'succeeded', status: 'CREATE_COMPLETE', failures: [] },
    formation: { name: 'site', provider: 'cloudformation', status: 'CREATE_COMPLETE', outputs: { BucketName: /\S/ }, url: /^https:\/\/\S+\.example\.org\/$/ },
  });
  t.equal(report.formation.url, `https://${report.formation.outputs.BucketName}.example.org/`, 'the URL filled from the outputs');
  t.same(report.formation.resources.map((r: { id: string }) => r.id).sort(), ['Bucket', 'Topic'], 'the resources');
  t.match(created.stderr, /CREATE_COMPLETE/, 'the events went to stderr');

  const yaml = await run(['formation:destroy', 'site', '--yes', '-o', 'yaml']);
  t.equal(yaml.code, 0, yaml.stderr);
  const destroyed = parse(yaml.stdout);
  t.equal(schemaErrors('operation-report.json', destroyed), '', 'the YAML follows the same schema');
  t.match(destroyed, {
    operation: { kind: 'destroy', outcome: 'succeeded', status: 'DELETE_COMPLETE' },
    formation: { name: 'site', status: 'DELETE_COMPLETE', exists: false, outputs: {}, resources: [], url: null },
  });
});

t.test('a blueprint of two vagrant formations: list, describe, apply --dry-run, apply, status as JSON (stand-in vagrant)', async (t) => {
  const home = tempDir(t, 'nepho-schemas-bp-');
  const cloudlet = await installDevCloudlet(t, home, 'twins', {
    'scenarios/default.yaml': 'summary: a machine\nproviders:\n  vagrant: {pattern: single}\nparameters:\n  Box: {type: string, default: nepho-test/box}\n',
    'patterns/vagrant/single.rb': 'Vagrant.configure("2") do |config|\n  config.vm.box = {{parameters.Box}}\nend\n',
    'blueprints/pair.yaml': 'summary: two machines, one after the other\nformations:\n  first: {}\n  second: {depends_on: [first]}\n',
  });
  const vagrant = standInVagrant(t, 'ok');
  const json = async (what: string, args: string[]) => {
    const r = await nepho([...args, '-o', 'json'], { home, env: vagrant.env });
    dump(what, r);
    t.equal(r.code, 0, `${what}: exit 0${r.code === 0 ? '' : `: ${r.stderr}`}`);
    return r;
  };
  t.match(followsSchema(t, await json('blueprint-list', ['blueprint:list', cloudlet.id]), 'blueprint-list.json'), [{ name: 'pair' }]);
  followsSchema(t, await json('blueprint-describe', ['blueprint:describe', `${cloudlet.id}/pair`]), 'blueprint-plan.json');
  followsSchema(t, await json('blueprint-dry-run', ['blueprint:apply', `${cloudlet.id}/pair`, '--name', 'duo', '--dry-run']), 'blueprint-plan.json');
  const applied = await json('blueprint-apply', ['blueprint:apply', `${cloudlet.id}/pair`, '--name', 'duo', '--yes']);
  followsSchema(t, applied, 'blueprint-result.json');
  const status = followsSchema(t, await json('blueprint-status', ['blueprint:status', 'duo']), 'blueprint-status.json');
  t.same(
    status.entries.map((e: { entry: string }) => e.entry),
    ['first', 'second'],
  );
});
