// Vagrant's --machine-readable format, parsed from output CAPTURED from the
// real vagrant 2.3.4 (test/fixtures/vagrant/CAPTURED.md says how), and the
// errors nepho makes of its error-exit lines.
import t from 'tap';
import {
  errorExitOf,
  LineSplitter,
  parseLine,
  parseMachineReadable,
  recordsOf,
  sshConfigsOf,
  statesOf,
  type VagrantLine,
} from '../../src/providers/vagrant/machine-readable.js';
import { vagrantError } from '../../src/providers/vagrant/provider.js';
import { vagrantFixture } from '../fixtures/vagrant.js';

/** A run of vagrant as the provider sees it, from a fixture. */
function run(file: string, code = 1) {
  const lines = parseMachineReadable(vagrantFixture(file));
  return { code, records: recordsOf(lines), raw: lines.flatMap((l) => ('raw' in l ? [l.raw] : [])), stderr: '' };
}

t.test('fields: escaped commas, \\n and \\r, empty targets', async (t) => {
  const line = parseLine('1795438637,,ui,error,a%!(VAGRANT_COMMA) b\\nc\\rd,e');
  t.same(line, { record: { timestamp: 1795438637, target: '', type: 'ui', data: ['error', 'a, b\nc\rd', 'e'] } });
  t.same(parseLine('Host default'), { raw: 'Host default' }, 'a plain line is kept as raw');
  t.same(parseLine('1795438653,default,state,not_created'), { record: { timestamp: 1795438653, target: 'default', type: 'state', data: ['not_created'] } });
});

t.test('status of a machine that was never created (captured)', async (t) => {
  const records = recordsOf(parseMachineReadable(vagrantFixture('status-not-created.txt')));
  t.same(statesOf(records), { default: 'not_created' });
  t.equal(records.find((r) => r.type === 'state-human-long')?.data[0], 'The machine is not_created.');
  t.match(records.find((r) => r.type === 'ui')?.data[1], /Current machine states:\n\ndefault +not created \(capture\)/);
  t.equal(errorExitOf(records), undefined);
});

t.test('status of a running machine and its ssh-config (captured), plain lines among the records', async (t) => {
  t.same(statesOf(recordsOf(parseMachineReadable(vagrantFixture('status-running.txt')))), { default: 'running' });
  const lines = parseMachineReadable(vagrantFixture('ssh-config-running.txt'));
  t.ok(
    lines.some((l) => 'raw' in l && l.raw === 'Host default'),
    'vagrant also prints the config as plain lines',
  );
  t.same(
    sshConfigsOf(recordsOf(lines)),
    [
      {
        host: 'default',
        hostName: '127.0.0.1',
        port: 2222,
        user: 'vagrant',
        identityFile: '/home/dev/my project/.vagrant/machines/default/virtualbox/private_key',
      },
    ],
    'HostName, Port, User and a quoted IdentityFile with a space',
  );
});

t.test('error-exit lines (captured) become clear errors', async (t) => {
  const noProvider = errorExitOf(recordsOf(parseMachineReadable(vagrantFixture('up-no-default-provider.txt'))));
  t.equal(noProvider?.errorClass, 'Vagrant::Errors::NoDefaultProvider');
  t.match(noProvider?.message, /Examples are VirtualBox, VMware, Hyper-V\./, 'escaped commas restored');
  t.match(noProvider?.message, /\n\nThe easiest solution/, 'newlines restored');

  const e1 = vagrantError('up', run('up-no-default-provider.txt'), '/f/Vagrantfile');
  t.equal(e1.code, 'VAGRANT_NO_PROVIDER');
  t.match(e1.message, /no usable Vagrant provider/);
  t.match(e1.hint, /VirtualBox/);

  const e2 = vagrantError('up', run('up-virtualbox-not-usable.txt'), '/f/Vagrantfile');
  t.equal(e2.code, 'VAGRANT_PROVIDER_UNUSABLE');
  t.match(e2.message, /the 'virtualbox' provider is not usable on this machine: Vagrant could not detect VirtualBox!/, 'says which provider and why');
  t.notMatch(e2.message, /\n/, 'one line');
  t.match(e2.hint, /install VirtualBox.*VBoxManage/, 'and how to fix it');

  const e3 = vagrantError('status', run('status-no-default-provider.txt'), '/f/Vagrantfile');
  t.equal(e3.code, 'VAGRANT_NO_PROVIDER');

  const e4 = vagrantError('validate', run('validate-no-default-provider.txt'), '/f/Vagrantfile');
  t.equal(e4.code, 'VAGRANT_NO_PROVIDER', 'plain vagrant validate needs a provider too');

  const e5 = vagrantError('ssh-config', run('ssh-config-not-ready.txt'), '/f/Vagrantfile');
  t.equal(e5.code, 'VAGRANT_FAILED');
  t.match(e5.message, /vagrant ssh-config \(SSHNotReady\): The provider for this Vagrant-managed machine is reporting that it is not yet ready for SSH/);
  t.notMatch(e5.message, /\n/);
});

t.test('box missing (crafted in the captured format: up cannot get that far here)', async (t) => {
  const e = vagrantError('up', run('up-box-missing-crafted.txt'), '/f/Vagrantfile');
  t.equal(e.code, 'VAGRANT_BOX_MISSING');
  t.match(e.message, /box 'nepho-test\/box'/);
  t.match(e.hint, /vagrant box add --name nepho-test\/box .*box_url/);
  const withUrl = vagrantError('up', run('up-box-missing-crafted.txt'), '/f/Vagrantfile', 'https://boxes.example/b.box');
  t.match(withUrl.hint, /https:\/\/boxes\.example\/b\.box/);
});

t.test('the line splitter reports records as chunks arrive, split anywhere', async (t) => {
  const text = vagrantFixture('up-virtualbox-not-usable.txt') + '1795438700,default,state,running';
  const seen: VagrantLine[] = [];
  const splitter = new LineSplitter((l) => seen.push(l));
  for (let i = 0; i < text.length; i += 7) splitter.push(text.slice(i, i + 7));
  splitter.end();
  t.same(seen, parseMachineReadable(text), 'the same lines as parsing the whole text, the last one without a newline included');
});

t.test('a Vagrantfile the real vagrant validate refuses: its own message, naming the Vagrantfile (captured)', async (t) => {
  const invalid = vagrantError('validate', run('validate-config-invalid.txt'), '/f/Vagrantfile');
  t.equal(invalid.code, 'VAGRANTFILE_INVALID');
  t.equal(
    invalid.message,
    '/f/Vagrantfile: vagrant validate failed: The following settings shouldn\'t exist: nonsense; Forwarded port definitions require a "host" and "guest" value; Ports to forward must be 1 to 65535',
  );
  const syntax = vagrantError('validate', { code: 1, records: [], raw: [], stderr: vagrantFixture('validate-syntax-error.stderr.txt') }, '/f/Vagrantfile');
  t.equal(syntax.code, 'VAGRANTFILE_INVALID');
  t.match(
    syntax.message,
    /^\/f\/Vagrantfile: vagrant validate failed: \/tmp\/\S+\/Vagrantfile:2: syntax error, unexpected end-of-input$/,
    "Ruby's FILE:LINE: message",
  );
  t.equal(vagrantFixture('validate-syntax-error.txt'), '', 'nothing machine-readable was printed');
});
