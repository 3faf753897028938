// formation:create --dry-run and parameters: the plan's name, cloudlet and version, scenario, provider,
// pattern and every parameter with its value and source; precedence through
// every layer; unknown keys; providers; missing parameters without a terminal;
// secrets masked in every format and never written under NEPHO_HOME.
import t, { type Test } from 'tap';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expectUserError, nepho, type RunResult } from '../fixtures/cli.js';
import { installDevCloudlet } from '../fixtures/cloudlets.js';
import { filesContaining, writeConfig } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';

const SECRET = 'correct-horse-battery-staple-7f3a';

async function mediawikiHome(t: Test): Promise<string> {
  const home = join(tempDir(t), 'home');
  const r = await nepho(['cloudlet:install', 'huit/mediawiki'], { home });
  if (r.code !== 0) throw new Error(r.stderr);
  return home;
}

/** The plan printed by a successful `-o json` dry run, with its parameters by name. */
function planOf(t: Test, r: RunResult): { plan: any; params: Record<string, { name: string; value: unknown; source: string; secret: boolean }> } {
  t.equal(r.code, 0, `dry run succeeds: ${r.stderr}`);
  const plan = JSON.parse(r.stdout || 'null');
  return { plan, params: Object.fromEntries((plan?.parameters ?? []).map((p: any) => [p.name, p])) };
}

t.test('huit/mediawiki', async (t) => {
  const home = await mediawikiHome(t);
  const dir = join(home, 'cloudlets', 'huit-mediawiki');
  const create = (...args: string[]) => nepho(['formation:create', ...args], { home });

  t.test('the default scenario: cloudformation, every parameter with value and source', async (t) => {
    const { plan } = planOf(t, await create('mediawiki', '--dry-run', '-o', 'json', '-p', `AdminPassword=${SECRET}`));
    t.match(plan, {
      name: 'mediawiki-default',
      cloudlet: { name: 'huit/mediawiki', version: '0.7.2', path: dir },
      scenario: { name: 'default', file: join(dir, 'scenarios', 'default.yaml') },
      provider: 'cloudformation',
      pattern: join(dir, 'patterns', 'aws', 'single-host.cf'),
    });
    t.same(plan.parameters, [
      { name: 'InstanceType', value: 't3.small', source: 'scenario default', secret: false },
      { name: 'KeyName', value: '', source: 'scenario default', secret: false },
      { name: 'AdminPassword', value: '********', source: '-p AdminPassword', secret: true },
      { name: 'WikiName', value: 'My Wiki', source: 'scenario default', secret: false },
      { name: 'AppPort', value: 80, source: 'scenario default', secret: false },
      { name: 'Box', value: 'generic/debian12', source: 'scenario default', secret: false },
      { name: 'AmiId', value: 'ami-0abcdef1234567890', source: 'template default', secret: false },
      { name: 'SshCidr', value: '0.0.0.0/0', source: 'template default', secret: false },
    ]);
  });

  t.test('multi-tenant, named, with flags of every type', async (t) => {
    const { plan, params } = planOf(
      t,
      await create(
        'huit/mediawiki/multi-tenant',
        '--dry-run',
        '-o',
        'json',
        '--name',
        'agmedia',
        '-p',
        `AdminPassword=${SECRET}`,
        '-p',
        'Replicas=3',
        '-p',
        'WikiName=a=b c',
        '-p',
        'InstanceType=t3.medium',
        '-p',
        'AmiId=ami-0123456789abcdef0',
      ),
    );
    t.match(plan, {
      name: 'agmedia',
      scenario: { name: 'multi-tenant', file: join(dir, 'scenarios', 'multi-tenant.yaml') },
      provider: 'cloudformation',
      pattern: join(dir, 'patterns', 'aws', 'two-tier-with-vpc.cf'),
    });
    t.same(params.Replicas, { name: 'Replicas', value: 3, source: '-p Replicas', secret: false }, 'a number is a number');
    t.equal(params.WikiName!.value, 'a=b c', 'a value may contain = and spaces');
    t.equal(params.InstanceType!.value, 't3.medium');
    t.match(params.AmiId, { value: 'ami-0123456789abcdef0', source: '-p AmiId' }, 'a template-only parameter takes a flag');
    t.same(params.SshCidr, { name: 'SshCidr', value: '0.0.0.0/0', source: 'template default', secret: false });
    t.same(
      plan.parameters.map((p: any) => p.name),
      ['InstanceType', 'KeyName', 'AdminPassword', 'WikiName', 'AppPort', 'Box', 'Replicas', 'AmiId', 'SshCidr'],
    );
  });

  t.test("multi-tenant with --provider vagrant: the template's own parameters are unknown there", async (t) => {
    const { plan, params } = planOf(
      t,
      await create('mediawiki/multi-tenant', '--dry-run', '-o', 'json', '--provider', 'vagrant', '-p', `AdminPassword=${SECRET}`),
    );
    t.equal(plan.provider, 'vagrant');
    t.equal(plan.pattern, join(dir, 'patterns', 'vagrant', 'single-host.rb'));
    t.notOk('AmiId' in params, 'AmiId comes from the CloudFormation template only');
    t.notOk('SshCidr' in params);
    t.equal(params.Replicas!.value, 2, "the scenario's own parameters are still there");
    const r = await create(
      'mediawiki/multi-tenant',
      '--dry-run',
      '--provider',
      'vagrant',
      '-p',
      `AdminPassword=${SECRET}`,
      '-p',
      'AmiId=ami-0123456789abcdef0',
    );
    expectUserError(t, r, /-p AmiId: unknown parameter 'AmiId' for huit\/mediawiki\/multi-tenant/, 'AmiId with vagrant');
    t.match(r.stderr, /hint: known parameters: InstanceType, .*Replicas\n/);
  });

  t.test('providers: an unknown one lists the known ones', async (t) => {
    const r = await create('mediawiki', '--dry-run', '--provider', 'nope', '-p', `AdminPassword=${SECRET}`);
    expectUserError(t, r, /--provider 'nope' is not a known provider/, 'unknown provider');
    t.match(r.stderr, /hint: known providers: .*cloudformation.*vagrant|hint: known providers: .*vagrant.*cloudformation/);
  });

  t.test('bad values name their source', async (t) => {
    const files = tempDir(t);
    writeFileSync(join(files, 'bad.yaml'), 'AppPort: 0\n');
    writeFileSync(join(files, 'unknown.json'), '{"Nope": 1}\n');
    const cases: [string[], RegExp, string][] = [
      [['-p', 'Replicas=3'], /-p Replicas: unknown parameter 'Replicas' for huit\/mediawiki\/default/, 'a parameter of another scenario'],
      [['-p', 'AppPort=eighty'], /-p AppPort: AppPort must be a number/, 'not a number'],
      [['-p', 'AppPort=70000'], /-p AppPort: AppPort must be at most 65535/, 'above max'],
      [['-p', 'AdminPassword=short'], /-p AdminPassword: AdminPassword must match the pattern/, 'a secret that breaks its pattern'],
      [['-p', 'InstanceType=t3.huge'], /-p InstanceType: InstanceType must be one of "t3\.small", "t3\.medium"/, 'not a choice'],
      [['-p', 'AmiId=ami-nothex'], /-p AmiId: AmiId must match the pattern \^ami-/, "the template's AllowedPattern"],
      [['-p', 'WikiName'], /-p 'WikiName' is not KEY=VALUE/, 'no ='],
      [['--params-file', join(files, 'bad.yaml')], /bad\.yaml: AppPort must be at least 1/, 'a file value'],
      [['--params-file', join(files, 'unknown.json')], /unknown\.json: unknown parameter 'Nope'/, 'an unknown key in a JSON file'],
      [['--params-file', join(files, 'none.yaml')], /--params-file .*none\.yaml: file not found/, 'a missing file'],
      [['--name', 'Bad_Name'], /--name 'Bad_Name' must start with a letter/, 'a bad name'],
    ];
    const results = await Promise.all(cases.map(([args]) => create('mediawiki', '--dry-run', '-p', `AdminPassword=${SECRET}`, ...args)));
    cases.forEach(([, pattern, what], i) => {
      expectUserError(t, results[i]!, pattern, what);
      t.notMatch(results[i]!.stderr, /short|correct-horse/, `${what}: no secret in the error`);
    });
  });

  t.test('missing parameters without a terminal: one error, nothing done', async (t) => {
    const [noTerminal, noInput] = await Promise.all([create('mediawiki', '--dry-run'), create('mediawiki', '--dry-run', '--no-input')]);
    expectUserError(
      t,
      noTerminal,
      /missing parameter AdminPassword \(password of the wiki's Admin account .*\); there is no terminal to ask on/,
      'no terminal',
    );
    expectUserError(t, noInput, /missing parameter AdminPassword .*; --no-input forbids prompting/, '--no-input');
    t.match(noInput.stderr, /hint: supply them with -p KEY=VALUE or --params-file FILE/);
    t.equal(noInput.stdout, '');
  });

  t.test('secrets: masked in every format, never on disk', async (t) => {
    const files = tempDir(t);
    writeFileSync(join(files, 'secret.yaml'), `AdminPassword: ${SECRET}-file\n`);
    const [table, json, yaml, fromFile] = await Promise.all([
      create('mediawiki', '--dry-run', '-p', `AdminPassword=${SECRET}`),
      create('mediawiki', '--dry-run', '-o', 'json', '-p', `AdminPassword=${SECRET}`),
      create('mediawiki/multi-tenant', '--dry-run', '-o', 'yaml', '-p', `AdminPassword=${SECRET}`),
      create('mediawiki', '--dry-run', '-o', 'json', '--params-file', join(files, 'secret.yaml')),
    ]);
    for (const [what, r] of Object.entries({ table, json, yaml, fromFile })) {
      t.equal(r.code, 0, `${what}: ${r.stderr}`);
      t.notMatch(r.stdout + r.stderr, SECRET, `${what}: the secret is not printed`);
    }
    t.match(table.stdout, /^AdminPassword +\*{8} +-p AdminPassword$/m);
    t.match(table.stdout, /Dry run: nothing was created\./);
    t.equal(JSON.parse(json.stdout).parameters.find((p: any) => p.name === 'AdminPassword').value, '********');
    t.match(
      parse(yaml.stdout).parameters.find((p: any) => p.name === 'AdminPassword'),
      { value: '********', secret: true },
    );
    t.match(
      JSON.parse(fromFile.stdout).parameters.find((p: any) => p.name === 'AdminPassword'),
      { value: '********', source: `file ${join(files, 'secret.yaml')}` },
    );
    t.same(filesContaining(home, SECRET), [], 'no file under NEPHO_HOME holds the secret');
    t.same(readdirSync(join(home, 'formations')), [], 'a dry run records no formation');
  });
});

t.test('precedence through every layer, lowest first, with sources', async (t) => {
  const home = join(tempDir(t), 'home');
  // One parameter per layer; each is set by its layer and every layer below it.
  const names = ['Template', 'Cloudlet', 'Scenario', 'SavedGlobal', 'SavedCloudlet', 'SavedScenario', 'File1', 'File2', 'Flag1', 'Flag2'];
  const decl = (from: number, text: string) =>
    names
      .slice(from)
      .map((n) => `  ${n}: ${text}`)
      .join('\n');
  const values = (from: number, value: string) =>
    names
      .slice(from)
      .map((n) => `  ${n}: ${value}`)
      .join('\n');
  const c = await installDevCloudlet(t, home, 'layers', {
    'cloudlet.yaml': `name: layers\nversion: 2.1.0\nsummary: s\nparameters:\n${decl(1, '{default: cloudlet}')}\n`,
    'patterns/aws/stack.cf': `Parameters:\n${decl(0, '{Type: String, Default: template}')}\nResources:\n  Bucket: {Type: "AWS::S3::Bucket"}\n`,
    'scenarios/default.yaml': `providers:\n  cloudformation: {pattern: stack}\nparameters:\n${decl(2, '{default: scenario}')}\n`,
  });
  writeConfig(
    home,
    `parameters:\n  "*":\n${values(3, 'saved-global').replace(/^/gm, '  ')}\n  local/layers:\n${values(4, 'saved-cloudlet').replace(/^/gm, '  ')}\n  local/layers/default:\n${values(5, 'saved-scenario').replace(/^/gm, '  ')}\n  local/layers/other:\n    File1: another-scenario\n  local/other:\n    File1: another-cloudlet\n`,
  );
  const files = tempDir(t);
  writeFileSync(join(files, 'one.yaml'), `${values(6, 'file1')}\n`);
  writeFileSync(join(files, 'two.json'), JSON.stringify(Object.fromEntries(names.slice(7).map((n) => [n, 'file2']))));
  const r = await nepho(
    [
      'formation:create',
      c.id,
      '--dry-run',
      '-o',
      'json',
      '--params-file',
      join(files, 'one.yaml'),
      '--params-file',
      join(files, 'two.json'),
      '-p',
      'Flag1=flag1',
      '-p',
      'Flag2=flag1',
      '-p',
      'Flag2=flag2',
    ],
    { home },
  );
  const { plan, params } = planOf(t, r);
  t.match(plan, {
    name: 'layers-default',
    cloudlet: { name: 'local/layers', version: '2.1.0' },
    provider: 'cloudformation',
    pattern: join(c.installed, 'patterns', 'aws', 'stack.cf'),
  });
  const got = Object.fromEntries(names.map((n) => [n, [params[n]?.value, params[n]?.source]]));
  t.same(got, {
    Template: ['template', 'template default'],
    Cloudlet: ['cloudlet', 'cloudlet.yaml default'],
    Scenario: ['scenario', 'scenario default'],
    SavedGlobal: ['saved-global', got.SavedGlobal![1]],
    SavedCloudlet: ['saved-cloudlet', got.SavedCloudlet![1]],
    SavedScenario: ['saved-scenario', got.SavedScenario![1]],
    File1: ['file1', `file ${join(files, 'one.yaml')}`],
    File2: ['file2', `file ${join(files, 'two.json')}`],
    Flag1: ['flag1', '-p Flag1'],
    Flag2: ['flag2', '-p Flag2'],
  });
  t.equal(got.SavedGlobal![1], 'saved (global)');
  t.equal(got.SavedCloudlet![1], 'saved (local/layers)');
  t.equal(got.SavedScenario![1], 'saved (local/layers/default)');
});

t.test('both sets of constraints apply when scenario and template declare a parameter', async (t) => {
  const home = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, home, 'both', {
    'patterns/aws/stack.cf':
      'Parameters:\n  Size: {Type: String, Default: a, AllowedValues: [a, b]}\n  Count: {Type: Number, Default: 5, MinValue: 1, MaxValue: 10}\n  Code: {Type: String, Default: abc, MinLength: 3, MaxLength: 5}\nResources:\n  Bucket: {Type: "AWS::S3::Bucket"}\n',
    'scenarios/default.yaml':
      'providers:\n  cloudformation: {pattern: stack}\nparameters:\n  Size: {choices: [a, b, c], description: size}\n  Count: {type: number, min: 3, max: 20}\n  Code: {pattern: "[a-z]+"}\n',
  });
  const pattern = join(c.installed, 'patterns', 'aws', 'stack.cf').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const run = (...p: string[]) => nepho(['formation:create', c.id, '--dry-run', '-o', 'json', ...p.flatMap((x) => ['-p', x])], { home });
  const [sizeC, count2, count15, code2, codeUpper, ok] = await Promise.all([
    run('Size=c'),
    run('Count=2'),
    run('Count=15'),
    run('Code=ab'),
    run('Code=ABC'),
    run('Size=b', 'Count=7', 'Code=abcd'),
  ]);
  expectUserError(t, sizeC, new RegExp(`-p Size: Size must be one of "a", "b" \\(${pattern}:2:3\\)`), 'c: allowed by the scenario, refused by the template');
  expectUserError(t, count2, /-p Count: Count must be at least 3 \(.*scenarios\/default\.yaml\)/, "2: allowed by the template, refused by the scenario's min");
  expectUserError(
    t,
    count15,
    new RegExp(`-p Count: Count must be at most 10 \\(${pattern}:3:3\\)`),
    "15: allowed by the scenario, refused by the template's MaxValue",
  );
  expectUserError(t, code2, /-p Code: Code must be at least 3 characters long/, 'MinLength');
  expectUserError(t, codeUpper, /-p Code: Code must match the pattern \[a-z\]\+/, "the scenario's pattern");
  const { params } = planOf(t, ok);
  t.same([params.Size!.value, params.Count!.value, params.Code!.value], ['b', 7, 'abcd']);
  t.equal(params.Size!.source, '-p Size');
});

t.test('fixture cloudlets: providers, defaults, types, missing parameters, access', async (t) => {
  const home = join(tempDir(t), 'home');
  const c = await installDevCloudlet(t, home, 'fixture', {
    'patterns/vagrant/single.rb': 'Vagrant.configure("2") do |config|\n  config.vm.box = "generic/debian12"\nend\n',
    'scenarios/default.yaml': [
      'providers:',
      '  vagrant: {pattern: single}',
      'parameters:',
      '  Region: {default: us-east-1, required: true, description: where it runs}',
      '  Name: {type: string, description: "name of\n    the thing"}',
      '  Token: {secret: true}',
      '  Debug: {type: boolean, default: false}',
      '  Optional: {type: string, required: false}',
      '',
    ].join('\n'),
    'patterns/aws/stack.cf': 'Parameters:\n  Zone: {Type: String, Default: z1}\nResources:\n  Bucket: {Type: "AWS::S3::Bucket"}\n',
    'scenarios/order.yaml': 'providers:\n  vagrant: {pattern: single}\n  cloudformation: {pattern: stack}\n',
    'scenarios/access.yaml': 'providers:\n  vagrant: {pattern: single}\naccess: {url: "http://{{outputs.Host}}:{{parameters.Port}}/"}\n',
    'scenarios/nosuch.yaml':
      'providers:\n  vagrant: {pattern: single}\nparameters:\n  Port: {default: 80}\naccess: {url: "http://{{outputs.Host}}:{{parameters.Port}}/", ssh: {host: "{{parameters.Hostname}}"}}\n',
  });
  const run = (...args: string[]) => nepho(['formation:create', ...args], { home });
  const [missing, noInput, cloudformation, full, access, nosuch, order, orderCfn] = await Promise.all([
    run(c.id, '--dry-run'),
    run(c.id, '--dry-run', '--no-input', '-p', 'Name=x'),
    run(c.id, '--dry-run', '--provider', 'cloudformation'),
    run(c.id, '--dry-run', '-o', 'json', '-p', 'Region=eu-west-1', '-p', 'Name=n', '-p', `Token=${SECRET}`, '-p', 'Debug=yes'),
    run(`${c.id}/access`, '--dry-run'),
    run(`${c.id}/nosuch`, '--dry-run'),
    run(`${c.id}/order`, '--dry-run', '-o', 'json'),
    run(`${c.id}/order`, '--dry-run', '-o', 'json', '--provider', 'cloudformation'),
  ]);
  const first = planOf(t, order);
  t.equal(first.plan.provider, 'vagrant', 'the provider the scenario names first is the default');
  t.same(first.plan.parameters, [], "the template's parameters belong to cloudformation only");
  const second = planOf(t, orderCfn);
  t.match(second.plan, { provider: 'cloudformation', pattern: join(c.installed, 'patterns', 'aws', 'stack.cf') });
  t.same(second.plan.parameters, [{ name: 'Zone', value: 'z1', source: 'template default', secret: false }]);
  expectUserError(
    t,
    missing,
    /^error: missing parameters Region \(where it runs\), Name \(name of the thing\), Token; there is no terminal to ask on$/,
    'every missing parameter in one message',
  );
  t.equal(missing.stdout, '', 'nothing printed');
  expectUserError(
    t,
    noInput,
    /missing parameters Region \(where it runs\), Token; --no-input forbids prompting/,
    'a required parameter with a default is not taken silently',
  );
  expectUserError(
    t,
    cloudformation,
    /scenario default of local\/fixture has no pattern for provider 'cloudformation'/,
    'a provider the scenario does not name',
  );
  t.match(cloudformation.stderr, /hint: it names: vagrant/);
  const { plan, params } = planOf(t, full);
  t.match(plan, { name: 'fixture-default', provider: 'vagrant', cloudlet: { name: 'local/fixture', version: '1.0.0' } });
  t.same(params.Debug, { name: 'Debug', value: true, source: '-p Debug', secret: false }, 'yes is true');
  t.same(params.Optional, { name: 'Optional', value: null, source: 'unset', secret: false }, 'an optional parameter without value');
  t.same(params.Token, { name: 'Token', value: '********', source: '-p Token', secret: true });
  t.same(params.Region, { name: 'Region', value: 'eu-west-1', source: '-p Region', secret: false });
  expectUserError(
    t,
    access,
    new RegExp(`${join(c.installed, 'scenarios', 'access.yaml')}: access.url uses \\{\\{parameters.Port\\}\\}, which is not a parameter of this scenario`),
    'access naming an unknown parameter',
  );
  expectUserError(t, nosuch, /nosuch\.yaml: access\.ssh\.host uses \{\{parameters\.Hostname\}\}/, 'in access.ssh too');
  t.same(filesContaining(home, SECRET), [], 'the secret is nowhere under NEPHO_HOME');
  t.notOk(existsSync(join(home, 'config.yaml')), 'nothing saved');
  t.same(readdirSync(join(home, 'formations')), []);
});
