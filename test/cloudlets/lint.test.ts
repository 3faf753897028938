// cloudlet:lint: every problem of a cloudlet at once, each naming
// its file and field, exit 1 when any; the official cloudlet and a freshly
// created one are clean.
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { assertUserError, nepho } from '../fixtures/cli.js';
import { ROOT, tempDir } from '../fixtures/paths.js';
import { requireTool } from '../fixtures/tools.js';

/**
 * A PATH whose first cfn-lint finds nothing, so that the counts below do not
 * depend on whether the machine has the real one.
 */
function quietCfnLint(t: Parameters<typeof tempDir>[0]): Record<string, string> {
  const bin = tempDir(t, 'nepho-lint-bin-');
  writeFileSync(join(bin, 'cfn-lint'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return { PATH: `${bin}:${process.env.PATH ?? ''}` };
}

/** PATH without the directories the machine's cfn-lint lives in (pyenv shims, ~/.local/bin). */
function withoutCfnLint(): Record<string, string> {
  return {
    PATH: (process.env.PATH ?? '')
      .split(':')
      .filter((p) => !/pyenv|\.local\/bin/.test(p))
      .join(':'),
  };
}

t.test('the official huit/mediawiki lints clean', async (t) => {
  const home = tempDir(t, 'nepho-lint-home-');
  const r = await nepho(['cloudlet:lint', join(ROOT, 'official', 'huit', 'mediawiki')], { home });
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /^ok: /m);
  const json = await nepho(['cloudlet:lint', join(ROOT, 'official', 'huit', 'mediawiki'), '-o', 'json'], { home });
  t.equal(json.code, 0);
  t.same(
    JSON.parse(json.stdout).filter((p: { severity: string }) => p.severity === 'error'),
    [],
  );
});

t.test('lint defaults to the current directory', async (t) => {
  const home = tempDir(t, 'nepho-lint-home-');
  const cwd = tempDir(t, 'nepho-lint-cwd-');
  t.equal((await nepho(['cloudlet:create', 'here', '--directory', '.'], { home, cwd })).code, 0);
  const r = await nepho(['cloudlet:lint'], { home, cwd });
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /^ok: \.$/m);
});

t.test('a broken cloudlet: every problem listed at once, each with file and field, exit 1', async (t) => {
  const home = tempDir(t, 'nepho-lint-home-');
  const cwd = tempDir(t, 'nepho-lint-cwd-');
  t.equal((await nepho(['cloudlet:create', 'broken'], { home, cwd })).code, 0);
  const dir = join(cwd, 'broken');
  writeFileSync(join(dir, 'cloudlet.yaml'), 'name: broken\nversion: banana\n');
  writeFileSync(join(dir, 'scenarios', 'other.yaml'), 'providers:\n  openstack: {pattern: x}\n');
  writeFileSync(join(dir, 'scenarios', 'missing.yaml'), 'extends: default\nproviders:\n  cloudformation: {pattern: nothere}\n');
  writeFileSync(join(dir, 'patterns', 'aws', 'bad.cf'), 'Resources:\n  A: {Type: x\n');
  appendFileSync(join(dir, 'provisioners', 'bootstrap.sh'), 'if then\n');
  const rb = join(dir, 'patterns', 'vagrant', 'single-host.rb');
  writeFileSync(rb, `${readFileSync(rb, 'utf8')}\n# {{parameters.Nope}}\n# {{outputs.X}}\n`);

  const r = await nepho(['cloudlet:lint', dir], { home, cwd, env: quietCfnLint(t) });
  assertUserError(t, r, /7 problem\(s\)/, 'lint fails with a count');
  const lines = r.stdout.trim().split('\n');
  const expected: [string, RegExp][] = [
    ['cloudlet.yaml: version:', /'banana' is not a semver version/],
    ['scenarios/other.yaml: providers.openstack:', /not a known provider/],
    ['scenarios/missing.yaml:3:', /^[^ ]+:3:\d+: providers\.cloudformation\.pattern: 'nothere': patterns\/aws\/nothere.cf does not exist/],
    ['patterns/aws/bad.cf:3:1: ', /end with a \}/],
    ['provisioners/bootstrap.sh:', /^provisioners\/bootstrap.sh:\d+: .*then/],
    ['patterns/vagrant/single-host.rb:', /^[^ ]+:\d+:3: unknown parameter 'Nope'/],
    ['patterns/vagrant/single-host.rb:', /^[^ ]+:\d+:3: unknown placeholder \{\{outputs.X\}\}/],
  ];
  for (const [prefix, message] of expected) {
    t.ok(
      lines.some((l) => l.startsWith(prefix) && message.test(l)),
      `lists ${prefix} ${message}`,
    );
  }
  t.equal(lines.length, 7, `one line per problem:\n${r.stdout}`);

  const json = await nepho(['cloudlet:lint', dir, '-o', 'json'], { home, cwd, env: quietCfnLint(t) });
  t.equal(json.code, 1);
  const problems = JSON.parse(json.stdout) as { file: string; field: string; message: string }[];
  t.equal(problems.length, 7);
  t.ok(
    problems.every((p) => p.file && p.field && p.message),
    'each has file, field and message',
  );
});

t.test('parameters against the template, marked resources, quoted placeholders', async (t) => {
  const home = tempDir(t, 'nepho-lint-home-');
  const cwd = tempDir(t, 'nepho-lint-cwd-');
  t.equal((await nepho(['cloudlet:create', 'params'], { home, cwd })).code, 0);
  const dir = join(cwd, 'params');
  const cf = join(dir, 'patterns', 'aws', 'single-host.cf');
  let text = readFileSync(cf, 'utf8');
  // A template parameter with no default anywhere: a warning, not a failure.
  text = text.replace('Parameters:\n', 'Parameters:\n  Owner:\n    Type: String\n    Description: who owns it\n');
  writeFileSync(cf, text);
  const warned = await nepho(['cloudlet:lint', dir], { home, cwd, env: quietCfnLint(t) });
  t.equal(warned.code, 0, warned.stdout + warned.stderr);
  t.match(warned.stdout, /patterns\/aws\/single-host.cf: Parameters.Owner: warning: has no Default/);
  t.match(warned.stdout, /^ok: .*\(1 warning\(s\)\)$/m);

  // A scenario default the template's constraints refuse; no marked resource; a quoted placeholder.
  writeFileSync(
    join(dir, 'scenarios', 'default.yaml'),
    readFileSync(join(dir, 'scenarios', 'default.yaml'), 'utf8')
      .replace('default: t3.micro', 'default: m5.huge')
      .replace('choices: [t3.micro, t3.small, t3.medium]', ''),
  );
  writeFileSync(join(dir, 'scenarios', 'nomark.yaml'), 'extends: default\nproviders:\n  cloudformation: {pattern: nomark}\n');
  writeFileSync(join(dir, 'patterns', 'aws', 'nomark.cf'), text.replace(/    Metadata:\n      nepho:\n        bootstrap: true\n/, ''));
  const rb = join(dir, 'patterns', 'vagrant', 'single-host.rb');
  writeFileSync(rb, readFileSync(rb, 'utf8').replace('= {{parameters.Box}}', '= "{{parameters.Box}}"'));
  const r = await nepho(['cloudlet:lint', dir], { home, cwd, env: quietCfnLint(t) });
  t.equal(r.code, 1, r.stdout + r.stderr);
  t.match(r.stdout, /scenarios\/default.yaml: .*InstanceType/);
  t.match(r.stdout, /patterns\/aws\/nomark.cf:\d+:\d+: .*no resource is marked/);
  t.match(
    r.stdout,
    /patterns\/vagrant\/single-host.rb:11:\d+: \{\{parameters.Box\}\} is inside a quoted Ruby string.*use the placeholder as the whole expression/,
  );
});

t.test('typos: unknown keys with the closest known one, and names that point nowhere, each at its file and line', async (t) => {
  const home = tempDir(t, 'nepho-lint-home-');
  const cwd = tempDir(t, 'nepho-lint-cwd-');
  t.equal((await nepho(['cloudlet:create', 'typos'], { home, cwd })).code, 0);
  const dir = join(cwd, 'typos');
  const manifest = readFileSync(join(dir, 'cloudlet.yaml'), 'utf8');
  writeFileSync(
    join(dir, 'cloudlet.yaml'),
    manifest.replace(/^summary:/m, 'sumary:').replace('parameters: {}', 'parameters:\n  Owner: {type: string, descripton: who}'),
  );
  writeFileSync(
    join(dir, 'scenarios', 'typo.yaml'),
    [
      'sumary: a scenario full of typos',
      'extends: defualt',
      'providers:',
      '  vagrant: {pattern: single-hots, box_ulr: http://x}',
      '  cloudformation: {pattern: single-host}',
      'provisioner: {type: shell, script: provisioners/bootstrp.sh}',
      'parameters:',
      '  Box:',
      '    type: string',
      '    defualt: generic/debian12',
      'access:',
      '  ssh: {host: x, usr: y}',
      '',
    ].join('\n'),
  );

  const r = await nepho(['cloudlet:lint', dir], { home, cwd, env: quietCfnLint(t) });
  assertUserError(t, r, /9 problem\(s\)/, 'every one counted');
  const lines = r.stdout
    .trim()
    .split('\n')
    .filter((l) => !/checked with/.test(l));
  t.same(
    lines,
    [
      "cloudlet.yaml:3:1: sumary: unknown cloudlet.yaml key 'sumary' (did you mean 'summary'?)",
      "cloudlet.yaml:11:25: parameters.Owner.descripton: unknown parameter key 'descripton' (did you mean 'description'?)",
      "scenarios/typo.yaml:1:1: sumary: unknown scenario key 'sumary' (did you mean 'summary'?)",
      "scenarios/typo.yaml:2:10: extends: 'defualt': scenarios/defualt.yaml does not exist (did you mean 'default'?)",
      "scenarios/typo.yaml:4:35: providers.vagrant.box_ulr: unknown vagrant setting 'box_ulr' (did you mean 'box_url'?)",
      "scenarios/typo.yaml:4:22: providers.vagrant.pattern: 'single-hots': patterns/vagrant/single-hots.rb does not exist (did you mean 'single-host'?)",
      "scenarios/typo.yaml:6:36: provisioner.script: provisioners/bootstrp.sh does not exist (did you mean 'provisioners/bootstrap.sh'?)",
      "scenarios/typo.yaml:10:5: parameters.Box.defualt: unknown parameter key 'defualt' (did you mean 'default'?)",
      "scenarios/typo.yaml:12:18: access.ssh.usr: unknown ssh key 'usr' (did you mean 'user'?)",
    ],
    r.stdout,
  );

  const json = await nepho(['cloudlet:lint', dir, '-o', 'json'], { home, cwd, env: quietCfnLint(t) });
  const problems = JSON.parse(json.stdout) as { file: string; line: number; col: number; field: string }[];
  t.same(
    problems.find((p) => p.field === 'extends'),
    {
      file: 'scenarios/typo.yaml',
      field: 'extends',
      line: 2,
      col: 10,
      message: "extends: 'defualt': scenarios/defualt.yaml does not exist (did you mean 'default'?)",
      severity: 'error',
      source: 'nepho',
    },
  );

  // Fixed, it lints clean: the keys it knows are not reported.
  writeFileSync(join(dir, 'cloudlet.yaml'), manifest);
  writeFileSync(
    join(dir, 'scenarios', 'typo.yaml'),
    'summary: fixed\nextends: default\nproviders:\n  vagrant: {pattern: single-host, box_url: http://x, provider: virtualbox}\nprovisioner: {type: shell, script: provisioners/bootstrap.sh}\n',
  );
  const clean = await nepho(['cloudlet:lint', dir], { home, cwd, env: quietCfnLint(t) });
  t.equal(clean.code, 0, clean.stdout + clean.stderr);
});

t.test('a path that does not exist is refused', async (t) => {
  const home = tempDir(t, 'nepho-lint-home-');
  assertUserError(t, await nepho(['cloudlet:lint', '/nonexistent/cloudlet'], { home }), /no such directory/);
});

t.test('cfn-lint findings on the CloudFormation patterns, when cfn-lint is on PATH', async (t) => {
  if (!requireTool(t, 'cfn-lint')) return;
  const home = tempDir(t, 'nepho-lint-home-');
  const cwd = tempDir(t, 'nepho-lint-cwd-');
  t.equal((await nepho(['cloudlet:create', 'cf'], { home, cwd })).code, 0);
  const cf = join(cwd, 'cf', 'patterns', 'aws', 'single-host.cf');
  // A property the resource type does not have: cfn-lint knows resource types, nepho does not.
  writeFileSync(cf, readFileSync(cf, 'utf8').replace('      SecurityGroupIds:', '      NoSuchProperty: 1\n      SecurityGroupIds:'));
  const r = await nepho(['cloudlet:lint', join(cwd, 'cf')], { home, cwd });
  assertUserError(t, r, /1 problem\(s\)/, 'cfn-lint finding fails lint');
  t.match(r.stdout, /^patterns\/aws\/single-host.cf:\d+:\d+: E\d+ .*NoSuchProperty.*\(cfn-lint\)$/m);
  // Without cfn-lint on PATH the same cloudlet passes nepho's own checks: skipped silently.
  const env = withoutCfnLint();
  if (spawnSync('cfn-lint', ['--version'], { env: { ...process.env, ...env } }).error) {
    const without = await nepho(['cloudlet:lint', join(cwd, 'cf')], { home, cwd, env });
    t.equal(without.code, 0, without.stdout + without.stderr);
    t.equal(without.stderr, '', 'not a word about cfn-lint');
  }
});
