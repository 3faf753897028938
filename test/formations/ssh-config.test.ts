// Unit tests of the pure parts of formation:ssh: the ssh config file text,
// the argv handed to ssh, shell quoting, and the checks on every value that
// goes into the file.
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { thrown } from '../fixtures/cli.js';
import type { SshEndpoint } from '../../src/providers/types.js';
import {
  checkConnectTimeout,
  checkSshEndpoint,
  formationInstance,
  hostKeyAlias,
  remoteCommand,
  shellCommandLine,
  shellQuote,
  sshArgv,
  sshConfigText,
  sshDestination,
  SshStderr,
} from '../../src/formations/ssh.js';

const BASE = { formation: 'web', configFile: '/h/formations/web/ssh_config', knownHostsFile: '/h/known_hosts', instance: '0123abcd' };

t.test('a host without a bastion: one entry, no jump', async (t) => {
  const text = sshConfigText({ ...BASE, endpoint: { host: '10.0.0.5', port: 2222 } });
  t.equal(
    text,
    [
      '# Written by nepho for formation web; rewritten by every nepho formation:ssh web.',
      '# Use it as: ssh -F /h/formations/web/ssh_config nepho-web',
      '',
      'Host nepho-web',
      '  HostName 10.0.0.5',
      '  Port 2222',
      '  UserKnownHostsFile "/h/known_hosts"',
      '  StrictHostKeyChecking accept-new',
      '  HostKeyAlias nepho-web-0123abcd/10.0.0.5:2222',
      '  HashKnownHosts no',
      '',
    ].join('\n'),
    'no User and no IdentityFile when there are none: ssh uses its defaults and the agent',
  );
});

t.test('a bastion: the host jumps through a second entry with the same settings', async (t) => {
  const text = sshConfigText({
    ...BASE,
    identityFile: '/keys/a%b key.pem',
    endpoint: { host: 'app.internal', port: 22, user: 'ec2-user', bastion: { host: '203.0.113.9', port: 22, user: 'jump' } },
  });
  const [host, bastion] = text.split('\n\nHost nepho-web-bastion\n');
  t.match(host, /\n {2}User ec2-user\n/);
  t.match(host, /\n {2}IdentityFile "\/keys\/a%%b key\.pem"\n {2}IdentitiesOnly yes\n/, 'the key quoted, % doubled so it is no token');
  t.match(host, /\n {2}ProxyJump nepho-web-bastion$/);
  t.match(
    bastion,
    /^ {2}HostName 203\.0\.113\.9\n {2}Port 22\n {2}User jump\n {2}IdentityFile "\/keys\/a%%b key\.pem"\n {2}IdentitiesOnly yes\n {2}UserKnownHostsFile "\/h\/known_hosts"\n {2}StrictHostKeyChecking accept-new\n {2}HostKeyAlias nepho-web-0123abcd\/203\.0\.113\.9:22\n/,
  );
  t.notMatch(bastion, /Proxy/);
});

t.test('a config path a shell would split gets ProxyCommand with the path quoted', async (t) => {
  const text = sshConfigText({
    ...BASE,
    configFile: "/home/Jo Doe/it's 100%/web/ssh_config",
    endpoint: { host: 'h', port: 22, bastion: { host: 'b', port: 22 } },
  });
  t.match(text, `  ProxyCommand ssh -F '/home/Jo Doe/it'\\''s 100%%/web/ssh_config' -W '[%h]:%p' nepho-web-bastion\n`);
  t.notMatch(text, /ProxyJump/);
});

t.test('the provider endpoint key is used unless -i is given', async (t) => {
  const endpoint = { host: '127.0.0.1', port: 2200, user: 'vagrant', identityFile: '/vm/.vagrant/private_key' };
  t.match(sshConfigText({ ...BASE, endpoint }), /IdentityFile "\/vm\/\.vagrant\/private_key"/);
  const text = sshConfigText({ ...BASE, endpoint, identityFile: '/mine' });
  t.match(text, /IdentityFile "\/mine"/);
  t.notMatch(text, /private_key/);
});

t.test('host keys are remembered per formation instance and host', async (t) => {
  const a = formationInstance({ name: 'web', createdAt: '2026-01-01T00:00:00.000Z' });
  t.match(a, /^[0-9a-f]{8}$/);
  t.equal(formationInstance({ name: 'web', createdAt: '2026-01-01T00:00:00.000Z' }), a, 'stable');
  t.not(formationInstance({ name: 'web', createdAt: '2026-02-01T00:00:00.000Z' }), a, 'a re-created formation is another instance');
  t.not(formationInstance({ name: 'api', createdAt: '2026-01-01T00:00:00.000Z' }), a);
  t.equal(hostKeyAlias('web', a, '10.0.0.5', 22), `nepho-web-${a}/10.0.0.5:22`);
});

t.test('shell quoting: plain words stay plain, the rest survives a real sh', async (t) => {
  t.equal(shellQuote('abc-1.2_x/y:z@w%+=,'), 'abc-1.2_x/y:z@w%+=,');
  t.equal(shellQuote(''), "''");
  t.equal(shellQuote("it's"), `'it'\\''s'`);
  const words = ['a  b', "it's", '$HOME', '`id`', '"q"', '\\', '*', '-v', '', 'line\nbreak', '!x', '~'];
  const out = execFileSync('sh', ['-c', `printf '[%s]' ${shellCommandLine(words)}`], { encoding: 'utf8' });
  t.equal(out, words.map((w) => `[${w}]`).join(''), 'sh reads back exactly the words');
});

t.test('ssh arguments: -F, the alias, and the command as one quoted string after --', async (t) => {
  t.same(sshArgv('/c', 'web'), ['-F', '/c', 'nepho-web']);
  t.same(sshArgv('/c', 'web', ['sh', '-c', 'exit 7']), ['-F', '/c', 'nepho-web', '--', "sh -c 'exit 7'"]);
  t.same(sshArgv('/c', 'web', [], 15), ['-o', 'ConnectTimeout=15', '-F', '/c', 'nepho-web'], 'the connect timeout first');
  t.equal(remoteCommand(['echo', 'hello']), 'echo hello');
});

t.test('the connect timeout is written for both hops, since -o does not reach the bastion hop', async (t) => {
  const text = sshConfigText({ ...BASE, connectTimeout: 7, endpoint: { host: 'h', port: 22, bastion: { host: 'b', port: 22 } } });
  t.equal(text.match(/^ {2}ConnectTimeout 7$/gm)?.length, 2);
  t.notMatch(sshConfigText({ ...BASE, endpoint: { host: 'h', port: 22 } }), /ConnectTimeout/, 'none unless given');
});

t.test('--connect-timeout: whole seconds from 1 to 3600', async (t) => {
  t.equal(checkConnectTimeout('2'), 2);
  t.equal(checkConnectTimeout('3600'), 3600);
  for (const bad of ['0', '-1', '1.5', 'x', '', '3601', '1e3', '0x10']) {
    t.match(
      thrown(t, () => checkConnectTimeout(bad)),
      /^--connect-timeout ".*": not a whole number of seconds from 1 to 3600$/,
      JSON.stringify(bad),
    );
  }
});

t.test('where ssh connects, as people read it', async (t) => {
  t.equal(sshDestination({ host: '10.0.0.5', port: 22, user: 'ec2-user' }), 'ec2-user@10.0.0.5:22');
  t.equal(sshDestination({ host: '10.0.0.5', port: 2222 }), '10.0.0.5:2222', 'no user: ssh uses the local one');
  t.equal(
    sshDestination({ host: 'app', port: 22, user: 'a', bastion: { host: '2001:db8::1', port: 22, user: 'jump' } }),
    'a@app:22 (through jump@[2001:db8::1]:22)',
  );
});

/** What the filter passes on and concludes, for chunks of ssh's stderr ending with `status`. */
function filtered(chunks: string[], status: number, endpoint?: SshEndpoint): { passed: string; reason: string | undefined } {
  let passed = '';
  const filter = new SshStderr(
    (text) => {
      passed += text;
    },
    { connectTimeout: 2, ...(endpoint ? { endpoint } : {}) },
  );
  for (const chunk of chunks) filter.push(chunk);
  const reason = filter.end(status);
  return { passed, reason };
}

t.test("ssh's lines about a failed connection become one reason; everything else passes", async (t) => {
  t.same(
    filtered(['ssh: connect to host 127.0.0.1 port 1: Connection refused\r\n'], 255),
    { passed: '', reason: '127.0.0.1:1: Connection refused' },
    'a host that is not the endpoint is named',
  );
  t.same(
    filtered(['Connection timed out during banner exchange\r\n', 'Connection to UNKNOWN port 65535 timed out\r\n'], 255),
    { passed: '', reason: 'no answer within 2 s' },
    'the proxied hop, which ssh calls UNKNOWN',
  );
  t.same(filtered(['Connection timed out during banner exchange\n', 'Connection to 10.0.0.9 port 22 timed out\n'], 255), {
    passed: '',
    reason: '10.0.0.9:22: no answer within 2 s',
  });
  t.same(
    filtered(
      [
        'channel 0: open failed: connect failed: Connection refused\r\n',
        'stdio forwarding failed\r\n',
        'kex_exchange_identification: Connection closed by remote host\r\n',
        'Connection closed by UNKNOWN port 65535\r\n',
      ],
      255,
    ),
    { passed: '', reason: 'the bastion could not connect onward: connect failed: Connection refused' },
    'the most telling line wins',
  );
  t.same(
    filtered(["Warning: Permanently added 'x' (ED25519) to the list of known hosts.\r\n", 'ssh: connect to host ', 'h port 22: No route to host\n'], 255),
    { passed: "Warning: Permanently added 'x' (ED25519) to the list of known hosts.\r\n", reason: 'h:22: No route to host' },
    'other lines pass at once; a failure line split across chunks is still seen',
  );
  t.same(
    filtered(['remote says: ', 'ssh: connect to host x port 1: nope\n', 'done\n'], 0),
    { passed: 'remote says: ssh: connect to host x port 1: nope\ndone\n', reason: undefined },
    'text in the middle of a line is not a failure line',
  );
  t.same(
    filtered(['Connection closed by 10.0.0.5 port 22\n'], 0),
    { passed: 'Connection closed by 10.0.0.5 port 22\n', reason: undefined },
    'held lines pass when ssh did not fail',
  );
  t.same(filtered(['50%\r', ' 100%\n'], 0), { passed: '50%\r 100%\n', reason: undefined }, 'a partial line that cannot be a failure passes at once');
  t.same(filtered(['bye'], 255), { passed: 'bye', reason: undefined }, '255 without a connect failure (the remote command exited 255) adds nothing');
  const endpoint = { host: '10.0.0.5', port: 22, bastion: { host: '203.0.113.9', port: 2222 } };
  t.same(
    filtered(['ssh: connect to host 203.0.113.9 port 2222: Connection refused\n'], 255, endpoint),
    { passed: '', reason: 'the bastion 203.0.113.9:2222: Connection refused' },
    'the bastion named as such',
  );
  t.same(
    filtered(['ssh: connect to host 10.0.0.5 port 22: Connection refused\n'], 255, { host: '10.0.0.5', port: 22 }),
    { passed: '', reason: 'Connection refused' },
    'the host itself is named by the line the reason ends',
  );
});

t.test('every endpoint value is checked, naming its field', async (t) => {
  const ok = { host: 'ip-10-0-0-5.ec2.internal', port: 22, user: 'ec2-user', bastion: { host: '2001:db8::1', port: 2222, user: 'a.b_c-d@corp' } };
  t.same(checkSshEndpoint('web', ok), ok, 'names, IPv6 and domain users pass');
  const bad: [object, RegExp][] = [
    [{ host: '-oProxyCommand=x', port: 22 }, /^formation web: access\.ssh\.host "-oProxyCommand=x" is not a host name/],
    [{ host: 'a b', port: 22 }, /access\.ssh\.host "a b"/],
    [{ host: 'a\nb', port: 22 }, /access\.ssh\.host "a\\nb"/],
    [{ host: 'h%h', port: 22 }, /access\.ssh\.host/],
    [{ host: '', port: 22 }, /access\.ssh\.host ""/],
    [{ host: 'h', port: 70000 }, /access\.ssh\.port 70000 is not a port/],
    [{ host: 'h', port: 1.5 }, /access\.ssh\.port/],
    [{ host: 'h', port: 22, user: '-l' }, /access\.ssh\.user "-l" is not a user name/],
    [{ host: 'h', port: 22, user: 'a"b' }, /access\.ssh\.user/],
    [{ host: 'h', port: 22, bastion: { host: 'b\r', port: 22 } }, /access\.ssh\.bastion "b\\r"/],
    [{ host: 'h', port: 22, bastion: { host: 'b', port: 0 } }, /access\.ssh\.bastion_port 0/],
    [{ host: 'h', port: 22, bastion: { host: 'b', port: 22, user: 'x y' } }, /access\.ssh\.bastion_user "x y"/],
    [{ host: 'h', port: 22, identityFile: 'relative/key' }, /identity file "relative\/key"/],
    [{ host: 'h', port: 22, identityFile: '/a"b' }, /identity file/],
  ];
  for (const [endpoint, pattern] of bad)
    t.match(
      thrown(t, () => checkSshEndpoint('web', endpoint as never)),
      pattern,
      JSON.stringify(endpoint),
    );
});
