// Every scenario file is validated against the format; each mistake is one
// `error:` line naming the file and the field, exit 1, no stack.
// One fixture cloudlet is linked with --develop; each case is a scenario file of its own.
import t from 'tap';
import { join } from 'node:path';
import { expectUserError, nepho } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { writeFiles } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';

const TEMPLATE = [
  'Parameters:',
  '  Size: {Type: String, Default: a, AllowedValues: [a, b], Description: size from the template}',
  '  Port: {Type: Number, Default: 80, MinValue: 1, MaxValue: 100}',
  '  Zone: {Type: String, AllowedValues: [z1, z2]}',
  'Resources:',
  '  Thing: {Type: "AWS::EC2::Instance", Properties: {InstanceType: !Ref Size}}',
  '',
].join('\n');

const OK_PROVIDERS = 'providers:\n  vagrant: {pattern: single}\n';

/** Scenario file name → [its text, what the error must say]. `F` stands for the scenario's own file. */
const CASES: Record<string, [string, (file: string, dir: string) => RegExp]> = {
  'unknown-key': [`${OK_PROVIDERS}flavour: vanilla\n`, (f) => re(`${f}: 'flavour' is not a scenario key`)],
  'unknown-provider': [
    'providers:\n  openstack: {pattern: x}\n',
    (f) => re(`${f}: providers.openstack is not a known provider (known: cloudformation, vagrant)`),
  ],
  'no-providers': ['summary: nothing\n', (f) => re(`${f}: providers must name at least one provider`)],
  'no-pattern': ['providers:\n  vagrant: {}\n', (f) => re(`${f}: providers.vagrant.pattern is required`)],
  'missing-pattern': [
    'providers:\n  vagrant: {pattern: nope}\n',
    (f, d) => re(`${f}: providers.vagrant.pattern 'nope': ${d}/patterns/vagrant/nope.rb does not exist`),
  ],
  'bad-pattern-name': ['providers:\n  vagrant: {pattern: ../../x}\n', (f) => re(`${f}: providers.vagrant.pattern '../../x' is not a pattern name`)],
  'bad-provisioner': [
    `${OK_PROVIDERS}provisioner: {type: ansible, script: provisioners/bootstrap.sh}\n`,
    (f) => re(`${f}: provisioner.type 'ansible' is not a known provisioner (known: shell)`),
  ],
  'no-script': [`${OK_PROVIDERS}provisioner: {type: shell}\n`, (f) => re(`${f}: provisioner.script is required`)],
  'missing-script': [
    `${OK_PROVIDERS}provisioner: {type: shell, script: provisioners/none.sh}\n`,
    (f, d) => re(`${f}: provisioner.script ${d}/provisioners/none.sh does not exist`),
  ],
  'escaping-script': [
    `${OK_PROVIDERS}provisioner: {type: shell, script: ../../etc/passwd}\n`,
    (f) => re(`${f}: provisioner.script must be a path inside the cloudlet`),
  ],
  'bad-type': [`${OK_PROVIDERS}parameters:\n  Count: {type: integer}\n`, (f) => re(`${f}: parameters.Count.type 'integer' is not string, number or boolean`)],
  'unknown-param-key': [
    `${OK_PROVIDERS}parameters:\n  Count: {type: number, minimum: 1}\n`,
    (f) => re(`${f}: parameters.Count.minimum is not a parameter key`),
  ],
  'min-on-string': [`${OK_PROVIDERS}parameters:\n  Name: {type: string, min: 3}\n`, (f) => re(`${f}: parameters.Name.min applies to numbers, not to a string`)],
  'default-not-a-choice': [
    `${OK_PROVIDERS}parameters:\n  Size: {choices: [s, m], default: xl}\n`,
    (f) => re(`${f}: parameters.Size.default "xl" breaks its own constraints: must be one of "s", "m"`),
  ],
  'default-breaks-pattern': [
    `${OK_PROVIDERS}parameters:\n  Ami: {pattern: "ami-[0-9a-f]+", default: ami-XYZ}\n`,
    (f) => re(`${f}: parameters.Ami.default "ami-XYZ" breaks its own constraints: must match the pattern ami-[0-9a-f]+`),
  ],
  'default-below-min': [
    `${OK_PROVIDERS}parameters:\n  Count: {type: number, min: 2, default: 1}\n`,
    (f) => re(`${f}: parameters.Count.default 1 breaks its own constraints: must be at least 2`),
  ],
  'default-above-max': [
    `${OK_PROVIDERS}parameters:\n  Count: {type: number, max: 2, default: 3}\n`,
    (f) => re(`${f}: parameters.Count.default 3 breaks its own constraints: must be at most 2`),
  ],
  'default-wrong-type': [
    `${OK_PROVIDERS}parameters:\n  Count: {type: number, default: lots}\n`,
    (f) => re(`${f}: parameters.Count.default "lots" is not a number`),
  ],
  'bad-placeholder': [`${OK_PROVIDERS}access: {url: "http://{{foo.bar}}/"}\n`, (f) => re(`${f}: access.url has an unknown placeholder {{foo.bar}}`)],
  'bad-ssh-placeholder': [
    `${OK_PROVIDERS}access: {ssh: {host: "{{outputs.Ip}}", user: "{{user}}"}}\n`,
    (f) => re(`${f}: access.ssh.user has an unknown placeholder {{user}}`),
  ],
  'unknown-access-key': [`${OK_PROVIDERS}access: {web: x}\n`, (f) => re(`${f}: access.web is not an access key`)],
  'unknown-ssh-key': [`${OK_PROVIDERS}access: {ssh: {host: h, password: x}}\n`, (f) => re(`${f}: access.ssh.password is not an ssh key`)],
  'ssh-without-host': [`${OK_PROVIDERS}access: {ssh: {user: u}}\n`, (f) => re(`${f}: access.ssh.host is required`)],
  'not-a-mapping': ['- a\n- b\n', (f) => re(`${f}: expected a mapping`)],
  'summary-not-text': [`${OK_PROVIDERS}summary: [a]\n`, (f) => re(`${f}: summary must be a string`)],
  'choices-outside-template': [
    'providers:\n  cloudformation: {pattern: tpl}\nparameters:\n  Zone: {choices: [z3, z4]}\n',
    (f, d) => re(`parameter Zone: no value satisfies every declaration (${d}/patterns/aws/tpl.cf:4:3, ${f})`),
  ],
  'default-breaks-template': [
    'providers:\n  cloudformation: {pattern: tpl}\nparameters:\n  Size: {default: c}\n',
    (f, d) => re(`${f}: parameters.Size.default "c" must be one of "a", "b" (${d}/patterns/aws/tpl.cf:2:3)`),
  ],
};

function re(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

t.test('each mistake in a scenario file is named by file and field', async (t) => {
  const home = join(tempDir(t), 'home');
  const files: Record<string, string> = { 'patterns/aws/tpl.cf': TEMPLATE };
  for (const [name, [text]] of Object.entries(CASES)) files[`scenarios/${name}.yaml`] = text;
  const c = await installDevCloudlet(t, home, 'checks', files);
  const results = await Promise.all(Object.keys(CASES).map((name) => nepho(['scenario:describe', `${c.id}/${name}`], { home })));
  Object.entries(CASES).forEach(([name, [, pattern]], i) => {
    const file = join(c.installed, 'scenarios', `${name}.yaml`);
    expectUserError(t, results[i]!, pattern(file, c.installed), name);
    t.equal(results[i]!.stdout, '', `${name}: nothing on stdout`);
  });
  // formation:create reads the scenario the same way, and refuses before anything else.
  const create = await nepho(['formation:create', `${c.id}/min-on-string`, '--dry-run'], { home });
  expectUserError(t, create, /min-on-string\.yaml: parameters\.Name\.min applies to numbers/, 'formation:create');
});

t.test('extends: a cycle or a missing base names both files', async (t) => {
  const home = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, home, 'cycles', {
    'scenarios/a.yaml': 'extends: b\n',
    'scenarios/b.yaml': 'extends: c\n',
    'scenarios/c.yaml': 'extends: a\nproviders:\n  vagrant: {pattern: single}\n',
    'scenarios/self.yaml': 'extends: self\n',
    'scenarios/orphan.yaml': 'extends: ghost\n',
    'scenarios/bad-extends.yaml': 'extends: [default]\n',
  });
  const file = (n: string) => join(c.installed, 'scenarios', `${n}.yaml`);
  const [cycle, self, orphan, bad] = await Promise.all(
    ['a', 'self', 'orphan', 'bad-extends'].map((n) => nepho(['scenario:describe', `${c.id}/${n}`], { home })),
  );
  expectUserError(t, cycle!, re(`${file('c')}: extends 'a', which leads back to it (a -> b -> c -> a;`), 'cycle');
  t.match(cycle!.stderr, re(file('a')), 'the cycle names the file it comes back to');
  expectUserError(t, self!, re(`${file('self')}: extends 'self', which leads back to it`), 'self');
  expectUserError(t, orphan!, re(`${file('orphan')}: extends 'ghost', but ${file('ghost')} does not exist`), 'missing base');
  expectUserError(t, bad!, re(`${file('bad-extends')}: extends must name another scenario of this cloudlet`), 'extends not a name');
});

t.test('a broken base is named with the chain that reached it', async (t) => {
  const home = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, home, 'chained', {
    'scenarios/base.yaml': 'providers:\n  vagrant: {pattern: single}\nparameters:\n  Port: {type: number, max: 10, default: 5}\n',
    'scenarios/child.yaml': 'extends: base\nparameters:\n  Port: {default: 50}\n',
    'scenarios/typo.yaml': 'extends: base\nprovider: {}\n',
  });
  const [child, typo] = await Promise.all(['child', 'typo'].map((n) => nepho(['scenario:describe', `${c.id}/${n}`], { home })));
  const file = (n: string) => join(c.installed, 'scenarios', `${n}.yaml`);
  expectUserError(
    t,
    child!,
    re(`${file('child')} (with ${file('base')}): parameters.Port.default 50 breaks its own constraints: must be at most 10`),
    'merged',
  );
  expectUserError(t, typo!, re(`${file('typo')}: 'provider' is not a scenario key`), 'a typo in the child');
});

t.test('cloudlet.yaml declarations, templates and unparsable files are named too', async (t) => {
  const home = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, home, 'shared', {
    'patterns/aws/tpl.cf': TEMPLATE,
    'patterns/aws/broken.cf': 'Resources:\n  X: [\n',
    'patterns/aws/bad-default.cf': 'Parameters:\n  Size: {Type: String, Default: z, AllowedValues: [a, b]}\nResources:\n  X: {Type: "AWS::S3::Bucket"}\n',
    'scenarios/cfn.yaml': 'providers:\n  cloudformation: {pattern: tpl}\n',
    'scenarios/broken.yaml': 'providers:\n  cloudformation: {pattern: broken}\n',
    'scenarios/bad-default.yaml': 'providers:\n  cloudformation: {pattern: bad-default}\n',
    'scenarios/syntax.yaml': 'providers: [\n',
  });
  const [broken, badDefault, syntax] = await Promise.all(
    ['broken', 'bad-default', 'syntax'].map((n) => nepho(['scenario:describe', `${c.id}/${n}`], { home })),
  );
  expectUserError(t, broken!, re(`${c.installed}/patterns/aws/broken.cf:3:1: `), 'an invalid template, with its line and column');
  t.match(broken!.stderr, /must be sufficiently indented and end with a \]/);
  expectUserError(
    t,
    badDefault!,
    re(`${c.installed}/patterns/aws/bad-default.cf:2:3: Parameters.Size.Default "z" must be one of "a", "b"`),
    "a template default that breaks the template's AllowedValues",
  );
  expectUserError(t, syntax!, re(`${c.installed}/scenarios/syntax.yaml`), 'a scenario that is not YAML');

  writeFiles(c.dir, { 'cloudlet.yaml': 'name: shared\nversion: 1.0.0\nsummary: s\nparameters:\n  Port: {type: number, min: 1, max: 10, default: 99}\n' });
  const manifest = await nepho(['scenario:describe', `${c.id}/cfn`], { home });
  expectUserError(t, manifest, re(`${c.installed}/cloudlet.yaml: parameters.Port.default 99 breaks its own constraints: must be at most 10`), 'cloudlet.yaml');

  writeFiles(c.dir, { 'cloudlet.yaml': 'name: shared\nversion: 1.0.0\nsummary: s\nparameters:\n  Port: {default: 200}\n' });
  const against = await nepho(['scenario:describe', `${c.id}/cfn`], { home });
  expectUserError(
    t,
    against,
    re(`${c.installed}/cloudlet.yaml: parameters.Port.default 200 must be at most 100 (${c.installed}/patterns/aws/tpl.cf:3:3)`),
    "cloudlet.yaml's default against the template's MaxValue",
  );
});

t.test('scenario names and unknown scenarios', async (t) => {
  const home = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, home, 'names', { 'scenarios/other.yaml': OK_PROVIDERS });
  const [missing, bad, noCloudlet] = await Promise.all([
    nepho(['scenario:describe', `${c.id}/nope`], { home }),
    nepho(['scenario:describe', `${c.id}/Bad_Name!`], { home }),
    nepho(['scenario:list', 'ghost'], { home }),
  ]);
  expectUserError(t, missing, /no scenario 'nope' in .*local-names/, 'unknown scenario');
  t.match(missing.stderr, /hint: scenarios: default, other/, 'the hint lists the scenarios');
  expectUserError(t, bad, /'Bad_Name!' is not a scenario name/, 'bad name');
  expectUserError(t, noCloudlet, /ghost/, 'an unknown cloudlet');
});
