// The official cloudlets (official/<owner>/<name>, shipped in the built-in
// registry): each one passes lint, installs from the built-in registry,
// dry-runs for every provider its default scenario names (the rendered
// Vagrantfile passing the real `vagrant validate -p`), and on moto creates,
// describes and destroys its default scenario and plans each of its
// blueprints (a dry run: every reference, scenario and parameter checked).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { startMoto } from './fixtures/aws.js';
import { nepho } from './fixtures/cli.js';
import { ROOT, tempDir } from './fixtures/paths.js';
import { realVagrantValidate } from './fixtures/vagrant.js';

const OFFICIAL = join(ROOT, 'official');
const builtin = JSON.parse(readFileSync(join(ROOT, 'dist', 'builtin', 'index.json'), 'utf8'));

// Parameters a cloudlet requires that have no default (given on every create).
const REQUIRED: Record<string, string[]> = {
  'huit/mediawiki': ['-p', 'AdminPassword=correct-horse-battery'],
};

// Known moto gap: moto cannot delete a stack whose VPC holds a route table the
// stack created (DeleteStack fails with DependencyViolation on the VPC). A
// pattern with an AWS::EC2::RouteTable is created and described on moto, but
// its destroy is not tested here (on AWS it deletes normally).
function hasMotoRouteTableGap(templateText: string): boolean {
  return /Type:\s*["']?AWS::EC2::RouteTable\b/.test(templateText);
}

const cloudlets: { id: string; dir: string }[] = [];
for (const owner of readdirSync(OFFICIAL).sort()) {
  for (const name of readdirSync(join(OFFICIAL, owner)).sort()) {
    cloudlets.push({ id: `${owner}/${name}`, dir: join(OFFICIAL, owner, name) });
  }
}

t.ok(cloudlets.length >= 3, 'official/ holds at least three cloudlets');

for (const { id, dir } of cloudlets) {
  const name = id.split('/')[1];
  const scenario = parse(readFileSync(join(dir, 'scenarios', 'default.yaml'), 'utf8'));
  const providers = Object.keys(scenario.providers ?? {});
  const extra = REQUIRED[id] ?? [];
  const formation = `${name}-default`;

  t.test(`${id}: lint, install, dry-runs and create/describe/destroy on moto`, { timeout: 240_000 }, async (t) => {
    t.ok(builtin.cloudlets[id], `${id} is in the built-in registry`);
    t.ok(providers.length > 0, 'the default scenario names at least one provider');

    const home = join(tempDir(t), 'home');

    const lint = await nepho(['cloudlet:lint', dir], { home });
    t.equal(lint.code, 0, `cloudlet:lint passes\n${lint.stdout}${lint.stderr}`);

    const install = await nepho(['cloudlet:install', id], { home });
    t.equal(install.code, 0, `cloudlet:install ${id} from the built-in registry\n${install.stderr}`);
    t.match(install.stdout, new RegExp(`${id.replace('/', '-')} \\(v`), 'the install tree names it');

    for (const provider of providers) {
      const out = join(tempDir(t), 'rendered');
      const dry = await nepho(['formation:create', name, '--dry-run', '--no-input', '--provider', provider, '--out', out, ...extra], { home });
      t.equal(dry.code, 0, `--dry-run --provider ${provider}\n${dry.stderr}`);
      t.match(dry.stdout, /Dry run: nothing was created/, `${provider}: the dry run says nothing was created`);
      if (provider === 'vagrant') {
        t.ok(existsSync(join(out, 'Vagrantfile')), 'the Vagrantfile is rendered');
        const v = realVagrantValidate(t, out);
        t.equal(v.code, 0, `vagrant validate -p passes\n${v.output}`);
      }
    }

    if (!providers.includes('cloudformation')) return;
    const pattern = scenario.providers.cloudformation.pattern as string;
    const template = readFileSync(join(dir, 'patterns', 'aws', `${pattern}.cf`), 'utf8');

    const moto = await startMoto(t);
    const env = moto.env;

    const blueprintDir = join(dir, 'blueprints');
    const blueprints = existsSync(blueprintDir)
      ? readdirSync(blueprintDir)
          .filter((f) => f.endsWith('.yaml'))
          .map((f) => f.slice(0, -5))
      : [];
    const listed = await nepho(['blueprint:list', id, '-o', 'json'], { home });
    t.same(
      JSON.parse(listed.stdout).map((b: { name: string }) => b.name),
      blueprints.sort(),
      'blueprint:list lists its blueprints',
    );
    for (const blueprint of blueprints) {
      const entries = Object.keys(parse(readFileSync(join(blueprintDir, `${blueprint}.yaml`), 'utf8')).formations);
      // The scenario's required values, given to every entry (each entry is a formation of its own).
      const given = entries.flatMap((entry) => extra.map((arg) => (arg === '-p' ? arg : `${entry}.${arg}`)));
      const dry = await nepho(['blueprint:apply', `${id}/${blueprint}`, '--name', 'bp', '--dry-run', '--no-input', ...given], { home, env });
      t.equal(dry.code, 0, `blueprint ${blueprint}: a dry run plans it\n${dry.stderr}`);
      t.match(dry.stdout, /Dry run: nothing was created or changed\./, `blueprint ${blueprint}: nothing was created`);
    }
    const create = await nepho(['formation:create', name, '--no-input', '--foreground', ...extra], { home, env });
    t.equal(create.code, 0, `formation:create on moto\n${create.stderr}`);

    const describe = await nepho(['formation:describe', formation, '-o', 'json'], { home, env });
    t.equal(describe.code, 0, `formation:describe\n${describe.stderr}`);
    const described = JSON.parse(describe.stdout);
    t.equal(described.status, 'CREATE_COMPLETE');
    // CloudFormation's short tags (!Ref, !GetAtt) are left unresolved: only the Outputs' names are wanted.
    const declared = Object.keys(parse(template, { logLevel: 'error' }).Outputs ?? {});
    for (const output of declared) {
      t.ok(typeof described.outputs?.[output] === 'string' && described.outputs[output] !== '', `output ${output} is present`);
    }
    const access = scenario.access ?? {};
    if (access.url) t.match(described.url, /^http:\/\/\S+\/$/, 'the access url is rendered from the outputs');
    if (access.ssh) t.match(described.ssh, /^ec2-user@\S+/, 'the ssh access is rendered from the outputs');
    if (access.ssh?.bastion) t.match(described.ssh, / via ec2-user@\S+/, 'ssh goes through the bastion');

    if (hasMotoRouteTableGap(template)) {
      t.skip(`destroy of ${id} on moto: known moto gap, it cannot delete a stack whose VPC has a route table it created`);
      return;
    }
    const destroy = await nepho(['formation:destroy', formation, '--yes', '--foreground'], { home, env });
    t.equal(destroy.code, 0, `formation:destroy on moto\n${destroy.stderr}`);
    t.match(destroy.stderr + destroy.stdout, /DELETE_COMPLETE/, 'the stack is deleted');
  });
}
