// scenario:list and scenario:describe as a user runs them:
// names and summaries; summary, description, merged configuration, parameters
// with types, defaults, constraints and where declared, and the file to edit;
// -o json and yaml; every way of naming the target; secrets masked.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expectUserError, nepho } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { tempDir } from '../fixtures/paths.js';

/** A home with huit/mediawiki installed from the built-in registry, shared by the read-only tests below. */
async function mediawikiHome(t: Test): Promise<string> {
  const home = join(tempDir(t), 'home');
  const r = await nepho(['cloudlet:install', 'huit/mediawiki'], { home });
  if (r.code !== 0) throw new Error(r.stderr);
  return home;
}

t.test('scenario:list and scenario:describe on huit/mediawiki', async (t) => {
  const home = await mediawikiHome(t);
  const dir = join(home, 'cloudlets', 'huit-mediawiki');

  t.test('scenario:list: name and summary, in every format', async (t) => {
    const [text, json, yaml, full] = await Promise.all([
      nepho(['scenario:list', 'mediawiki'], { home }),
      nepho(['scenario:list', 'mediawiki', '-o', 'json'], { home }),
      nepho(['scenario:list', 'mediawiki', '-o', 'yaml'], { home }),
      nepho(['scenario', 'list', 'huit/mediawiki'], { home }),
    ]);
    t.equal(text.code, 0, text.stderr);
    t.equal(text.stdout, 'default       a single-host, single-tenant setup\nmulti-tenant  elastic scaling multi-tenant load-balanced service\n');
    const expected = [
      { name: 'default', summary: 'a single-host, single-tenant setup', file: join(dir, 'scenarios', 'default.yaml') },
      { name: 'multi-tenant', summary: 'elastic scaling multi-tenant load-balanced service', file: join(dir, 'scenarios', 'multi-tenant.yaml') },
    ];
    t.same(JSON.parse(json.stdout), expected);
    t.same(parse(yaml.stdout), expected);
    t.equal(full.stdout, text.stdout, 'owner/name and the space form work too');
  });

  t.test('scenario:describe: every way to name the target', async (t) => {
    const targets = {
      mediawiki: 'default',
      'mediawiki/multi-tenant': 'multi-tenant',
      'huit/mediawiki': 'default',
      'huit/mediawiki/multi-tenant': 'multi-tenant',
      'mediawiki/default': 'default',
    };
    const results = await Promise.all(Object.keys(targets).map((target) => nepho(['scenario:describe', target, '-o', 'json'], { home })));
    Object.values(targets).forEach((scenario, i) => {
      t.equal(results[i]!.code, 0, results[i]!.stderr);
      const d = JSON.parse(results[i]!.stdout);
      t.equal(d.name, scenario, Object.keys(targets)[i]);
      t.equal(d.cloudlet, 'huit/mediawiki');
      t.equal(d.file, join(dir, 'scenarios', `${scenario}.yaml`));
    });
    const bad = await nepho(['scenario:describe', 'a/b/c/d'], { home });
    expectUserError(t, bad, /'a\/b\/c\/d' is not CLOUDLET\[\/SCENARIO\]/, 'too many parts');
  });

  t.test('scenario:describe multi-tenant as text', async (t) => {
    const r = await nepho(['scenario:describe', 'mediawiki/multi-tenant'], { home });
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stderr, '');
    const out = r.stdout;
    t.match(out, /^Name: +multi-tenant$/m);
    t.match(out, /^Cloudlet: +huit\/mediawiki 0\.7\.2$/m);
    t.match(out, /^Summary: +elastic scaling multi-tenant load-balanced service$/m);
    t.match(out, /^Description: +A VPC of its own/m);
    // The merged configuration, as YAML: the base's parameters and vagrant provider with the child's own.
    const config = out.split('Scenario Configuration:\n')[1]!.split('\n-----')[0]!.replace(/^-+\n/, '');
    const merged = parse(config);
    t.same(merged.providers, { cloudformation: { pattern: 'two-tier-with-vpc' }, vagrant: { pattern: 'single-host' } });
    t.same(Object.keys(merged.parameters), ['InstanceType', 'KeyName', 'AdminPassword', 'WikiName', 'AppPort', 'Box', 'Replicas']);
    t.equal(merged.access.ssh.bastion, '{{outputs.BastionPublicIp}}');
    t.notOk('extends' in merged, 'extends is resolved, not shown');
    // The parameters table: type, default, constraints, where declared.
    const row = (name: string) => out.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}* `)) ?? '';
    t.match(row('Replicas'), /^Replicas +number +2 +1\.\.10 +template, scenario +number of wiki hosts/);
    t.match(
      row('AdminPassword'),
      /^AdminPassword\* +string, secret +matches \^\.\{12,\}\$ +template, scenario +password/,
      'required is starred, secret is said',
    );
    t.match(row('AmiId'), /^AmiId +string +ami-0abcdef1234567890 +matches \^ami-.* +template +AMI of/, 'a template-only parameter is listed');
    t.match(row('InstanceType'), /one of t3\.small, t3\.medium +template, scenario/);
    t.notMatch(out, /by editing/, 'never tells users to edit installed files (cloudlet:verify would call them tampered)');
    t.match(out, /nepho formation:create huit\/mediawiki\/multi-tenant -p \w+=VALUE/);
    t.match(out, /nepho parameter:set \w+ VALUE --cloudlet huit\/mediawiki --scenario multi-tenant/);
    t.match(out, /cloudlet:install DIR --develop \(scenario file: .*\/cloudlets\/huit-mediawiki\/scenarios\/multi-tenant\.yaml\)\n$/);
  });

  t.test('scenario:describe -o json and -o yaml carry the same description', async (t) => {
    const [json, yaml] = await Promise.all([
      nepho(['scenario:describe', 'mediawiki/multi-tenant', '-o', 'json'], { home }),
      nepho(['scenario:describe', 'mediawiki/multi-tenant', '-o', 'yaml'], { home }),
    ]);
    const d = JSON.parse(json.stdout);
    t.same(parse(yaml.stdout), d);
    t.match(d, {
      name: 'multi-tenant',
      cloudlet: 'huit/mediawiki',
      version: '0.7.2',
      summary: 'elastic scaling multi-tenant load-balanced service',
      file: join(dir, 'scenarios', 'multi-tenant.yaml'),
      chain: [join(dir, 'scenarios', 'default.yaml'), join(dir, 'scenarios', 'multi-tenant.yaml')],
    });
    t.match(d.description, /^A VPC of its own/);
    const by = Object.fromEntries(d.parameters.map((p: any) => [p.name, p]));
    t.same(Object.keys(by), ['InstanceType', 'KeyName', 'AdminPassword', 'WikiName', 'AppPort', 'Box', 'Replicas', 'AmiId', 'SshCidr']);
    t.same(by.Replicas, {
      name: 'Replicas',
      type: 'number',
      default: 2,
      required: false,
      secret: false,
      constraints: ['1..10'],
      declaredIn: ['template', 'scenario'],
      description: 'number of wiki hosts in the auto-scaling group',
    });
    t.same(by.AdminPassword.required, true);
    t.same(by.AdminPassword.secret, true);
    t.same(by.AdminPassword.declaredIn, ['template', 'scenario'], 'the template keeps it in Secrets Manager for the wiki hosts');
    t.same(by.Box.declaredIn, ['scenario']);
    t.same(by.SshCidr.declaredIn, ['template']);
    t.equal(d.configuration.providers.cloudformation.pattern, 'two-tier-with-vpc');
  });
});

t.test('scenario:list shows a scenario that does not parse rather than failing', async (t) => {
  const home = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, home, 'lister', {
    'scenarios/broken.yaml': 'summary: [\n',
    'scenarios/quiet.yaml': 'providers:\n  vagrant: {pattern: single}\n',
  });
  const r = await nepho(['scenario:list', c.id, '-o', 'json'], { home });
  t.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout);
  t.same(
    list.map((s: any) => s.name),
    ['broken', 'default', 'quiet'],
  );
  t.match(list[0].summary, /^\(invalid: /);
  t.equal(list[2].summary, '', 'no summary: empty');
});

t.test('scenario:describe masks secret defaults everywhere, including the merged configuration', async (t) => {
  const home = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, home, 'secrets', {
    'patterns/aws/t.cf': 'Parameters:\n  DbPassword: {Type: String, NoEcho: true, Default: tpl-secret-default}\nResources:\n  X: {Type: "AWS::S3::Bucket"}\n',
    'scenarios/default.yaml':
      'providers:\n  cloudformation: {pattern: t}\nparameters:\n  Token: {type: string, secret: true, default: scenario-secret-default}\n  Plain: {default: visible-default}\n',
  });
  const results = await Promise.all(['table', 'json', 'yaml'].map((o) => nepho(['scenario:describe', c.id, '-o', o], { home })));
  for (const [i, r] of results.entries()) {
    t.equal(r.code, 0, r.stderr);
    t.notMatch(r.stdout, /tpl-secret-default|scenario-secret-default/, `no secret default in ${['table', 'json', 'yaml'][i]}`);
    t.match(r.stdout, /visible-default/);
    t.match(r.stdout, /\*{8}/, 'masked');
  }
  const d = JSON.parse(results[1]!.stdout);
  const by = Object.fromEntries(d.parameters.map((p: any) => [p.name, p]));
  t.equal(by.Token.default, '********');
  t.equal(by.DbPassword.default, '********');
  t.equal(by.DbPassword.secret, true, 'NoEcho in the template makes a secret');
  t.equal(d.configuration.parameters.Token.default, '********', 'the merged configuration masks it too');
});
