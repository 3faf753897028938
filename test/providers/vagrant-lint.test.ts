// Vagrant patterns checked: a placeholder inside a
// quoted Ruby string is an error with the fix; File.exists?, synced folders
// that will not be there and plugins this machine lacks are warnings, never a
// crash; the rendered Vagrantfile goes through the real `ruby -c` and the real
// `vagrant validate -p` (Debian's vagrant 2.3.4) in --dry-run and
// cloudlet:lint, which say which checks ran, and skip (saying so) a tool that
// is not installed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { findingLine } from '../../src/providers/findings.js';
import { checkRendered, lintPlaceholders, lintVagrantfile } from '../../src/providers/vagrant/lint.js';
import { rubyContexts } from '../../src/providers/vagrant/ruby-lexer.js';
import { expectUserError, nepho } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { tempDir } from '../fixtures/paths.js';

const HAS_RUBY = spawnSync('ruby', ['-e', '0']).status === 0;
const HAS_VAGRANT = spawnSync('vagrant', ['--version']).status === 0;
const TOOLS = HAS_RUBY && HAS_VAGRANT ? false : 'ruby and vagrant are needed (apt-get install ruby vagrant)';

/** A pattern file inside a cloudlet-shaped temp dir (patterns/vagrant/NAME.rb). */
function pattern(t: Test, text: string, name = 'single'): string {
  const dir = tempDir(t, 'nepho-vagrant-lint-');
  mkdirSync(join(dir, 'patterns', 'vagrant'), { recursive: true });
  const file = join(dir, 'patterns', 'vagrant', `${name}.rb`);
  writeFileSync(file, text);
  return file;
}

/** An environment with a fresh VAGRANT_HOME, so that no plugin of this machine is seen. */
function freshVagrant(t: Test): NodeJS.ProcessEnv {
  return { ...process.env, VAGRANT_HOME: tempDir(t, 'nepho-vagrant-home-') };
}

t.test('the Ruby lexer tells code, comments and string text apart', async (t) => {
  const text = `a = "x #{b} y" # c
d = 'e' + %w[f g] + %q(h (i) j)
k = <<~EOS
  l #{m}
EOS
=begin
n
=end
o = :"p"`;
  const at = rubyContexts(text);
  const where = (needle: string) => at(text.indexOf(needle));
  t.same(
    ['a', 'x', 'b', 'y', '# c', 'e', 'f', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p'].map((n) => [n, where(n)]),
    [
      ['a', 'code'],
      ['x', 'string'],
      ['b', 'code'],
      ['y', 'string'],
      ['# c', 'comment'],
      ['e', 'string'],
      ['f', 'string'],
      ['h', 'string'],
      ['i', 'string'],
      ['j', 'string'],
      ['k', 'code'],
      ['l', 'string'],
      ['m', 'code'],
      ['n', 'comment'],
      ['o', 'code'],
      ['p', 'string'],
    ],
  );
});

t.test('a placeholder inside a quoted Ruby string is an error with the fix; as an expression, interpolated or in a comment it is fine', async (t) => {
  const text = `Vagrant.configure("2") do |config|
  config.vm.hostname = "{{parameters.Name}}.local"
  config.vm.box = 'base-{{parameters.Box}}'
  config.vm.provision "shell", inline: <<-SHELL
    echo {{parameters.Name}}
  SHELL
  name = {{parameters.Name}}
  config.vm.define "#{ {{parameters.Name}} }-db"
  config.vm.network "private_network", ip: "#{name}.1" # {{parameters.Name}}
end`;
  const file = pattern(t, text);
  const params = { Name: { value: 'web', secret: false }, Box: { value: 'debian', secret: false } };
  const findings = lintPlaceholders(file, text, params);
  t.same(
    findings.map((f) => [f.line, f.col, f.severity]),
    [
      [2, 25, 'error'],
      [3, 25, 'error'],
      [5, 10, 'error'],
    ],
    'the three quoted ones, at their places',
  );
  t.match(
    findings[0]!.message,
    /^\{\{parameters.Name\}\} is inside a quoted Ruby string, where .* ''value'.local'; use the placeholder as the whole expression \(name = \{\{parameters.Name\}\}\) or set a local variable to it and interpolate that \("#\{name\}.local"\)$/,
  );
  t.same(lintPlaceholders(file, 'x = {{parameters.Nope}}\n', params).map(findingLine), [`${file}:1:5: unknown parameter 'Nope' in {{parameters.Nope}}`]);
});

t.test('File.exists?, synced folders that will not be there, plugins this machine lacks: a warning each, never a crash', async (t) => {
  const text = `Vagrant.configure("2") do |config|
  config.vm.box = "debian/bookworm64"
  if File.exists?("extra.rb") then load "extra.rb" end
  puts "File.exists? in a string is not code"
  config.vm.synced_folder ".", "/vagrant"
  config.vm.synced_folder "../shared", "/shared"
  config.vm.synced_folder "/srv/data", "/data"
  config.vm.synced_folder "app", "/app"
  config.vm.synced_folder "~/cache", "/cache", disabled: true
  if Vagrant.has_plugin?("vagrant-vbguest")
    config.vbguest.auto_update = false
  end
  config.hostmanager.enabled = true
end`;
  const file = pattern(t, text);
  const findings = await lintVagrantfile(file, undefined, freshVagrant(t));
  t.same(
    findings.map((f) => [f.line, f.severity]),
    [
      [3, 'warning'],
      [6, 'warning'],
      [7, 'warning'],
      [8, 'warning'],
      [10, 'warning'],
      [13, 'warning'],
    ],
  );
  const messages = findings.map((f) => f.message);
  t.match(messages[0], /^File\.exists\? was removed in Ruby 3\.2.*use File\.exist\?$/);
  t.match(messages[1], /^synced_folder '\.\.\/shared' is outside the cloudlet/);
  t.match(messages[2], /^synced_folder '\/srv\/data' is outside the cloudlet/);
  t.match(messages[3], /^synced_folder 'app': Vagrant resolves it against the formation's directory/);
  t.match(
    messages[4],
    HAS_VAGRANT
      ? /^uses the Vagrant plugin vagrant-vbguest, which is not installed here \(vagrant plugin install vagrant-vbguest\)$/
      : /vagrant is not installed here/,
  );
  t.match(messages[5], /vagrant-hostmanager/);
});

t.test('the rendered Vagrantfile: ruby -c and vagrant validate -p run, and say so', { skip: TOOLS }, async (t) => {
  const env = freshVagrant(t);
  const good = 'Vagrant.configure("2") do |config|\n  config.vm.box = \'debian\'\nend\n';
  const file = pattern(t, good);
  t.same(await checkRendered([{ path: 'Vagrantfile', content: good }], file, env), { findings: [], checks: ['ruby -c', 'vagrant validate -p'] });

  const broken = 'Vagrant.configure("2") do |config|\n  config.vm.box = foo(1,, 2)\nend\n';
  const syntax = await checkRendered([{ path: 'Vagrantfile', content: broken }], file, env);
  t.same(syntax.checks, ['ruby -c', 'vagrant validate -p: skipped (the Ruby does not parse)']);
  t.same(syntax.findings.map(findingLine), [`${file}:2:25: ruby -c: syntax error, unexpected ',', expecting ')'`]);

  const invalid = 'Vagrant.configure("2") do |config|\n  config.vm.box = \'debian\'\n  config.vm.network "forwarded_port", guest: "eighty"\nend\n';
  const refused = await checkRendered([{ path: 'Vagrantfile', content: invalid }], file, env);
  t.same(refused.checks, ['ruby -c', 'vagrant validate -p']);
  t.match(refused.findings, [{ severity: 'error', message: /^vagrant validate: Forwarded port definitions require a "host" and "guest" value/ }]);

  const script = 'Vagrant.configure("2") do |config|\n  config.vm.box = \'debian\'\n  config.vm.provision "shell", path: "setup.sh"\nend\n';
  const noScript = await checkRendered([{ path: 'Vagrantfile', content: script }], file, env);
  t.match(
    noScript.findings,
    [
      {
        severity: 'error',
        line: 3,
        message: /^vagrant validate: `path` for shell provisioner does not exist on the host system: <formation's directory>\/setup\.sh$/,
      },
    ],
    'a script beside the Vagrantfile will not be there',
  );

  const missing = 'Vagrant.configure("2") do |config|\n  config.vm.box = \'debian\'\n  config.vm.synced_folder "../data", "/data"\nend\n';
  const warned = await checkRendered([{ path: 'Vagrantfile', content: missing }], file, env);
  t.same(
    warned.findings.map((f) => [f.line, f.severity]),
    [[3, 'warning']],
    'a missing synced folder is a warning: it may exist where the formation is made',
  );
});

t.test('without ruby and vagrant the checks are skipped, and say so', async (t) => {
  const file = pattern(t, 'x = 1\n');
  const env = { ...process.env, PATH: tempDir(t, 'nepho-empty-path-') };
  t.same(await checkRendered([{ path: 'Vagrantfile', content: 'x = (\n' }], file, env), {
    findings: [],
    checks: ['ruby -c: skipped (ruby is not installed)', 'vagrant validate -p: skipped (vagrant is not installed)'],
  });
});

const VAGRANT_SCENARIO =
  'summary: local\nproviders:\n  vagrant: {pattern: single}\nprovisioner: {type: shell, script: provisioners/bootstrap.sh}\nparameters:\n  Box: {type: string, default: debian/bookworm64}\n';

t.test(
  'formation:create --dry-run runs ruby -c and vagrant validate -p on the rendered Vagrantfile and says so; a syntax error is one line with its place',
  { skip: TOOLS },
  async (t) => {
    const home = join(tempDir(t), 'home');
    const env = { VAGRANT_HOME: tempDir(t, 'nepho-vagrant-home-') };
    const good = await installDevCloudlet(t, home, 'boxed', { 'scenarios/default.yaml': VAGRANT_SCENARIO });
    const r = await nepho(['formation:create', good.id, '--dry-run', '-o', 'json'], { home, env });
    t.equal(r.code, 0, r.stderr);
    t.same(JSON.parse(r.stdout).checks, ['placeholders', 'ruby -c', 'vagrant validate -p']);
    const table = await nepho(['formation:create', good.id, '--dry-run'], { home, env });
    t.match(table.stdout, /^\s*Checked:\s+placeholders; ruby -c; vagrant validate -p$/m);

    const bad = await installDevCloudlet(t, home, 'broken', {
      'scenarios/default.yaml': VAGRANT_SCENARIO,
      'patterns/vagrant/single.rb': 'Vagrant.configure("2") do |config|\n  config.vm.box = {{parameters.Box}}\n  if true\n    config.vm.hostname = "x"\nend\n',
    });
    const refused = await nepho(['formation:create', bad.id, '--dry-run'], { home, env });
    expectUserError(
      t,
      refused,
      new RegExp(
        `${bad.installed}/patterns/vagrant/single\\.rb:5: ruby -c: syntax error, unexpected end-of-input, expecting \`end' \\(at the end of the file\\)$`,
        'm',
      ),
      'a Ruby syntax error',
    );
  },
);

t.test(
  'cloudlet:lint: the quoted placeholder is an error with its fix, the rest are warnings, and the checks that ran are named',
  { skip: TOOLS },
  async (t) => {
    const home = join(tempDir(t), 'home');
    const dir = join(tempDir(t, 'nepho-vagrant-cloudlet-'), 'blog');
    const files: Record<string, string> = {
      'cloudlet.yaml': 'name: blog\nversion: 1.0.0\nsummary: a blog post Vagrantfile\n',
      'scenarios/default.yaml': VAGRANT_SCENARIO,
      'provisioners/bootstrap.sh': '#!/bin/sh\necho hi\n',
      'patterns/vagrant/single.rb': `Vagrant.configure("2") do |config|
  config.vm.box = {{parameters.Box}}
  config.vm.hostname = "{{parameters.Box}}.local"
  load "local.rb" if File.exists?("local.rb")
  config.vm.synced_folder "../site", "/var/www"
  config.vbguest.auto_update = false if Vagrant.has_plugin?("vagrant-vbguest")
end
`,
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const env = { VAGRANT_HOME: tempDir(t, 'nepho-vagrant-home-') };
    const r = await nepho(['cloudlet:lint', dir], { home, env });
    expectUserError(t, r, /1 problem\(s\) and 3 warning\(s\)/, 'lint fails on the quoted placeholder');
    const lines = r.stdout.trim().split('\n');
    t.match(lines, [
      /^patterns\/vagrant\/single\.rb:3:25: \{\{parameters\.Box\}\} is inside a quoted Ruby string.*interpolate that/,
      /^patterns\/vagrant\/single\.rb:4:22: warning: File\.exists\? was removed/,
      /^patterns\/vagrant\/single\.rb:5:27: warning: synced_folder '\.\.\/site' is outside the cloudlet/,
      /^patterns\/vagrant\/single\.rb:6:\d+: warning: uses the Vagrant plugin vagrant-vbguest, which is not installed here/,
    ]);
    t.equal(lines.length, 4, r.stdout);

    // Fixed as the message says: lint passes, with the warnings, and names the checks that ran on the rendered file.
    writeFileSync(
      join(dir, 'patterns/vagrant/single.rb'),
      files['patterns/vagrant/single.rb']!.replace(
        'config.vm.hostname = "{{parameters.Box}}.local"',
        "box = {{parameters.Box}}\n  config.vm.hostname = \"#{box.tr('/', '-')}.local\"",
      ),
    );
    const fixed = await nepho(['cloudlet:lint', dir], { home, env });
    t.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    t.match(fixed.stdout, /^patterns\/vagrant\/single\.rb: checked with ruby -c; vagrant validate -p$/m);
    t.match(fixed.stdout, /^ok: .* \(3 warning\(s\)\)$/m);
    t.notMatch(fixed.stdout + fixed.stderr, /unexpected failure|\n\s+at /, 'no crash');
  },
);
