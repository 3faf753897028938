// The vagrant provider's rendering: placeholders become Ruby literals that
// can never become code, nepho's own provisioner block, errors naming file
// and line. Every Vagrantfile rendered here is checked by the REAL
// `vagrant validate -p` (Debian's vagrant 2.3.4; no box or hypervisor needed).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { NephoError } from '../../src/errors.js';
import { vagrantProvider } from '../../src/providers/vagrant/index.js';
import { machineNames, renderPattern, rubyLiteral } from '../../src/providers/vagrant/render.js';
import type { FormationSpec } from '../../src/providers/types.js';
import { stackSpec } from '../fixtures/aws.js';
import { ROOT, tempDir } from '../fixtures/paths.js';
import { realVagrantValidate } from '../fixtures/vagrant.js';
import { requireTool } from '../fixtures/tools.js';

const MEDIAWIKI = join(ROOT, 'official', 'huit', 'mediawiki');
const SINGLE_HOST = join(MEDIAWIKI, 'patterns', 'vagrant', 'single-host.rb');
const BOOTSTRAP = join(MEDIAWIKI, 'provisioners', 'bootstrap.sh');

/** Values that would break out of a naive quoting: quotes, interpolation, backslashes, newlines. */
const NASTY = [
  `it's`,
  `say "hi"`,
  `#{system("touch /tmp/nepho-never")}`,
  `back\\slash\\`,
  `\\'`,
  `line one\nline two\r\n`,
  `'; system("id"); '`,
  `end\nVagrant.configure("2") do |c| c.vm.box = "x" end`,
  `%q(x) ${'$'}(id) \`id\``,
  `\\`,
  '',
];

/** Render `spec`'s files into a fresh dir and return it. */
async function renderInto(t: Test, spec: FormationSpec): Promise<string> {
  const dir = tempDir(t, 'nepho-vagrant-render-');
  for (const f of await vagrantProvider.render(spec, {})) writeFileSync(join(dir, f.path), f.content, { mode: f.mode ?? 0o644 });
  return dir;
}

/** A pattern file in a temp dir. */
function pattern(t: Test, text: string): string {
  const dir = tempDir(t, 'nepho-vagrant-pattern-');
  mkdirSync(join(dir, 'patterns', 'vagrant'), { recursive: true });
  const file = join(dir, 'patterns', 'vagrant', 'single.rb');
  writeFileSync(file, text);
  return file;
}

t.test('ruby literals: numbers, booleans, single-quoted strings', async (t) => {
  t.equal(rubyLiteral(42), '42');
  t.equal(rubyLiteral(-1.5), '-1.5');
  t.equal(rubyLiteral(true), 'true');
  t.equal(rubyLiteral(false), 'false');
  t.equal(rubyLiteral(`it's`), `'it\\'s'`);
  t.equal(rubyLiteral('a\\b'), `'a\\\\b'`);
  t.equal(rubyLiteral('#{x}'), `'#{x}'`, 'single quotes: no interpolation to escape');
});

t.test('every nasty value survives as itself: ruby reads back the exact value', async (t) => {
  if (!requireTool(t, 'ruby')) return;
  for (const value of NASTY) {
    const r = spawnSync('ruby', ['-e', `STDOUT.write(${rubyLiteral(value)})`], { encoding: 'utf8' });
    t.equal(r.status, 0, `ruby parses the literal of ${JSON.stringify(value)}`);
    t.equal(r.stdout, value, `and it is the value itself: ${JSON.stringify(value)}`);
  }
});

t.test('placeholders with spaces inside the braces, formation.name, numbers and booleans', async (t) => {
  const file = pattern(
    t,
    'Vagrant.configure("2") do |config|\n  config.vm.box = {{ parameters.Box }}\n  config.vm.hostname = {{formation.name}}\n  config.vm.boot_timeout = {{parameters.Timeout}}\n  config.vm.box_check_update = {{  parameters.Check  }}\nend\n',
  );
  const spec = await stackSpec({ name: 'spaced', patternFile: file, parameters: { Box: 'debian/bookworm64', Timeout: 600, Check: false } });
  const text = renderPattern(readFileSync(file, 'utf8'), spec);
  t.match(text, "config.vm.box = 'debian/bookworm64'");
  t.match(text, "config.vm.hostname = 'spaced'");
  t.match(text, 'config.vm.boot_timeout = 600\n');
  t.match(text, 'config.vm.box_check_update = false\n');
  const dir = await renderInto(t, spec);
  const v = realVagrantValidate(t, dir);
  t.equal(v.code, 0, `real vagrant validate -p accepts it: ${v.output}`);
});

t.test('values full of quotes, #{}, backslashes and newlines pass the real vagrant validate -p and stay values', async (t) => {
  const file = pattern(
    t,
    'Vagrant.configure("2") do |config|\n  config.vm.box = "debian/bookworm64"\n' +
      NASTY.map((_, i) => `  config.vm.define "m${i}" do |m|\n    m.vm.provider "virtualbox" do |vb| vb.name = {{parameters.V${i}}} end\n  end\n`).join('') +
      'end\n',
  );
  const parameters = Object.fromEntries(NASTY.map((v, i) => [`V${i}`, v]));
  const spec = await stackSpec({ name: 'nasty', patternFile: file, parameters, scriptFile: BOOTSTRAP });
  const dir = await renderInto(t, spec);
  const v = realVagrantValidate(t, dir);
  t.equal(v.code, 0, `real vagrant validate -p accepts it: ${v.output}`);
  t.notOk(existsSync('/tmp/nepho-never'), 'no #{} was evaluated');
});

t.test('a malicious value cannot become code: vagrant validate evaluates the Vagrantfile and nothing runs', async (t) => {
  const marker = join(tempDir(t, 'nepho-pwned-'), 'pwned');
  const attacks = [
    `'; system("touch ${marker}"); '`,
    `"; system("touch ${marker}"); "`,
    `#{system("touch ${marker}")}`,
    `\\'; system("touch ${marker}"); '`,
    `\\\n'; system("touch ${marker}") #`,
  ];
  const ruby = requireTool(t, 'ruby');
  for (const attack of attacks) {
    const file = pattern(t, 'Vagrant.configure("2") do |config|\n  config.vm.box = {{parameters.Box}}\n  config.vm.hostname = "x"\nend\n');
    const spec = await stackSpec({ name: 'attacked', patternFile: file, parameters: { Box: attack } });
    const dir = await renderInto(t, spec);
    const v = realVagrantValidate(t, dir);
    t.equal(v.code, 0, `the Vagrantfile is valid Ruby with the attack as a plain string: ${JSON.stringify(attack)} ${v.output}`);
    t.notOk(existsSync(marker), `the attack did not run: ${JSON.stringify(attack)}`);
    if (ruby) {
      const text = readFileSync(join(dir, 'Vagrantfile'), 'utf8');
      const literal = text.slice(text.indexOf('config.vm.box = ') + 'config.vm.box = '.length, text.indexOf('\n  config.vm.hostname'));
      const r = spawnSync('ruby', ['-e', `STDOUT.write(${literal})`], { encoding: 'utf8' });
      t.equal(r.stdout, attack, 'ruby reads the literal back as the attack text itself');
      t.notOk(existsSync(marker), 'still nothing ran');
    }
  }
});

t.test('the official huit/mediawiki single-host pattern, with its Box parameter, passes the real vagrant validate -p', async (t) => {
  for (const box of ['generic/debian12', `it's "#{odd}"\\\nbox`]) {
    const spec = await stackSpec({
      name: 'mediawiki-default',
      patternFile: SINGLE_HOST,
      scriptFile: BOOTSTRAP,
      secrets: ['AdminPassword'],
      parameters: {
        InstanceType: 't3.small',
        KeyName: '',
        AdminPassword: 'correct horse battery staple',
        WikiName: `Bob's "wiki" #{x}`,
        AppPort: 80,
        Box: box,
      },
    });
    const files = await vagrantProvider.render(spec, {});
    t.same(
      files.map((f) => f.path),
      ['Vagrantfile', 'nepho-bootstrap.sh', 'nepho-provision.sh'],
      'the Vagrantfile, the bootstrap and the provisioning run beside it',
    );
    const vagrantfile = files[0]!.content;
    t.match(vagrantfile, `config.vm.box = ${rubyLiteral(box)}`);
    t.match(vagrantfile, "config.vm.hostname = 'mediawiki-default'");
    t.match(vagrantfile, 'guest: 80, host: 8080');
    t.match(
      vagrantfile,
      /config\.vm\.provision "nepho-bootstrap", type: "shell", privileged: true, path: 'nepho-bootstrap\.sh', env: nepho_secrets, sensitive: true\n/,
      'nepho adds the root shell provisioner, the secret passed on from its environment',
    );
    t.match(
      vagrantfile,
      /config\.vm\.provision "nepho-provision", type: "shell", privileged: true, path: 'nepho-provision\.sh', run: "never", env: nepho_secrets, sensitive: true\n/,
      'and the provisioning run, which runs only when named',
    );
    t.match(vagrantfile, "nepho_secrets = { 'NEPHO_SECRET_AdminPassword' => ENV.fetch('NEPHO_SECRET_AdminPassword', '') }", 'the secret by name only');
    const bootstrap = files[1]!.content;
    const provision = files[2]!.content;
    t.match(
      provision,
      /^cat >"\$script" <<'NEPHO_PROVISION_EOF'\n#!\/bin\/sh\n# Added by nepho: secret parameters[^]*\n# nepho shell provisioning run for formation mediawiki-default/m,
      "the provisioning run carries the bootstrap's rerun, secrets decoded first",
    );
    t.match(provision, /^echo "nepho-provision-exit-status: \$status"\nexit "\$status"\n$/m, 'and reports its exit status last');
    t.match(bootstrap, "export NEPHO_FORMATION='mediawiki-default'");
    t.match(bootstrap, "export NEPHO_CLOUDLET='huit/mediawiki'");
    t.match(bootstrap, "export NEPHO_SCENARIO='default'");
    t.match(bootstrap, 'export NEPHO_AppPort=');
    t.match(bootstrap, '/var/log/nepho-bootstrap.log');
    t.match(
      bootstrap,
      /^#!\/bin\/sh\n# Added by nepho: secret parameters[^]*\n {2}NEPHO_AdminPassword=\$\(printf '%s' "\$NEPHO_SECRET_AdminPassword" \| base64 -d && echo x\)/,
      'the secret is decoded from what vagrant passes, before anything else',
    );
    for (const f of files) t.notMatch(f.content, 'correct horse battery staple', `${f.path}: the secret is not in it`);
    const dir = await renderInto(t, spec);
    const v = realVagrantValidate(t, dir);
    t.equal(v.code, 0, `real vagrant validate -p accepts it (Box ${JSON.stringify(box)}): ${v.output}`);
  }
});

/** Expect a NephoError whose one-line message matches. */
async function refused(t: Test, promise: Promise<unknown>, pattern: RegExp, what: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, NephoError, `${what}: a NephoError`);
  t.match((error as Error).message, pattern, `${what}: ${(error as Error).message}`);
  t.notMatch((error as Error).message, /\n/, `${what}: one line`);
}

t.test('unknown placeholders and secrets are errors naming the file and line; validate() catches them without vagrant', async (t) => {
  const cases: [string, RegExp, string][] = [
    ['{{parameters.Nope}}', /single\.rb:3: unknown parameter 'Nope'/, 'an unknown parameter'],
    ['{{outputs.Ip}}', /single\.rb:3: unknown placeholder \{\{outputs\.Ip\}\}/, 'an unknown namespace'],
    ['{{ formation.id }}', /single\.rb:3: unknown placeholder/, 'an unknown formation field'],
    ['{{parameters.Password}}', /single\.rb:3: parameter 'Password' is secret/, 'a secret'],
  ];
  for (const [placeholder, expected, what] of cases) {
    const file = pattern(t, `Vagrant.configure("2") do |config|\n  config.vm.box = {{parameters.Box}}\n  config.vm.hostname = ${placeholder}\nend\n`);
    const spec = await stackSpec({ name: 'bad', patternFile: file, parameters: { Box: 'b', Password: 'correct horse battery staple' }, secrets: ['Password'] });
    await refused(t, vagrantProvider.validate(spec, {}), expected, `validate: ${what}`);
    await refused(t, vagrantProvider.render(spec, {}), expected, `render: ${what}`);
    const error = await vagrantProvider.validate(spec, {}).catch((e: Error) => e);
    t.notMatch(String((error as Error).message), 'correct horse', 'the secret value is never in the message');
  }
  const good = await stackSpec({
    name: 'good',
    patternFile: pattern(t, 'Vagrant.configure("2") do |config|\n  config.vm.box = {{parameters.Box}}\nend\n'),
    parameters: { Box: 'b' },
  });
  await vagrantProvider.validate(good, {});
  t.pass('a good pattern validates');
});

t.test('the machines a Vagrantfile defines, for the progress total: literal names, `default` without any, none when Ruby decides', async (t) => {
  t.same(machineNames('Vagrant.configure("2") do |config|\n  config.vm.box = "debian"\nend\n'), ['default']);
  const two = 'config.vm.define "web", primary: true do |web|\nend\nconfig.vm.define :db do |db|\nend\n# config.vm.define "old"\n';
  t.same(machineNames(two), ['web', 'db'], 'options after the name, a symbol, a commented-out one left out');
  t.equal(machineNames('(1..3).each do |i|\n  config.vm.define "node#{i}" do |node|\n  end\nend\n'), undefined, 'named in a loop: unknown');
});
