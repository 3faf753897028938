// The same engine tests for every provider: CloudFormation on moto, Vagrant
// (its `vagrant` a stand-in on PATH: no hypervisor runs here), a third-party
// provider package installed with npm from a local tarball, and the engine
// tests' FAKE provider. See test/fixtures/conformance.ts for what is checked.
import { join } from 'node:path';
import t from 'tap';
import { nephoHome } from '../../src/home.js';
import { engineContext } from '../../src/operations/index.js';
import { startMoto } from '../fixtures/aws.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { conformance } from '../fixtures/conformance.js';
import { fakeEngine } from '../fixtures/engine.js';
import { tempDir } from '../fixtures/paths.js';
import { installMemoPlugin, MEMO_CLOUDLET } from '../fixtures/third-party.js';
import { standInVagrant } from '../fixtures/vagrant.js';

t.test('the FAKE provider of the engine tests', async (t) => {
  const { ctx } = await fakeEngine(t);
  await conformance(t, { ctx, provider: 'fake', cloudlet: 'local/faked', params: ['Owner=ops', 'Size=4'], outputs: { Size: '4', HadSecret: 'true' } });
});

t.test('a third-party provider package, installed from a local tarball into $NEPHO_HOME/plugins', async (t) => {
  const home = join(tempDir(t, 'nepho-conf-memo-'), 'home');
  installMemoPlugin(t, home);
  await installDevCloudlet(t, home, 'memoapp', MEMO_CLOUDLET);
  const ctx = await engineContext(nephoHome({ NEPHO_HOME: home }), { ...process.env, NEPHO_HOME: home });
  await conformance(t, { ctx, provider: 'memo', cloudlet: 'local/memoapp', params: ['Greeting=bonjour'], outputs: { Greeting: 'bonjour' } });
});

t.test('the cloudformation provider, on moto', async (t) => {
  const moto = await startMoto(t);
  const home = join(tempDir(t, 'nepho-conf-cfn-'), 'home');
  await installDevCloudlet(t, home, 'queues', {
    'scenarios/default.yaml': 'summary: a queue\nproviders:\n  cloudformation: {pattern: queue}\n',
    'patterns/aws/queue.cf': [
      'Parameters:',
      '  QueueName: {Type: String, Default: conformance-queue}',
      'Resources:',
      '  Queue: {Type: "AWS::SQS::Queue", Properties: {QueueName: !Ref QueueName}}',
      'Outputs:',
      '  Name: {Value: !GetAtt Queue.QueueName}',
      '',
    ].join('\n'),
  });
  const ctx = await engineContext(nephoHome({ NEPHO_HOME: home }), { ...process.env, ...moto.env, NEPHO_HOME: home });
  await conformance(t, { ctx, provider: 'cloudformation', cloudlet: 'local/queues', outputs: { Name: 'conformance-queue' } });
});

t.test('the vagrant provider, with a stand-in vagrant', async (t) => {
  const vagrant = standInVagrant(t);
  const home = join(tempDir(t, 'nepho-conf-vagrant-'), 'home');
  await installDevCloudlet(t, home, 'boxes', {
    'scenarios/default.yaml':
      'summary: a box\nproviders:\n  vagrant: {pattern: single}\nprovisioner: {type: shell, script: provisioners/bootstrap.sh}\nparameters:\n  Box: {type: string}\n',
  });
  const ctx = await engineContext(nephoHome({ NEPHO_HOME: home }), { ...process.env, ...vagrant.env, NEPHO_HOME: home });
  await conformance(t, { ctx, provider: 'vagrant', cloudlet: 'local/boxes', params: ['Box=debian/bookworm64'] });
  const calls = vagrant.calls().map((c) => c.args[0]);
  t.same(calls.slice(0, 2), ['validate', 'up'], 'validated, then up');
  t.equal(calls.at(-1), 'destroy', 'and destroyed at the end');
});
