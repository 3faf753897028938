// parameter:set/get/list/unset, the saved values: scoped global, per
// cloudlet and per scenario, the narrower scope winning; secrets refused; a
// scoped value checked against its declaration; and the values reaching a plan.
import t, { type Test } from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expectUserError, nepho } from '../fixtures/cli.js';
import { writeConfig } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';

async function mediawikiHome(t: Test): Promise<string> {
  const home = join(tempDir(t), 'home');
  const r = await nepho(['cloudlet:install', 'huit/mediawiki'], { home });
  if (r.code !== 0) throw new Error(r.stderr);
  return home;
}

const config = (home: string) => parse(readFileSync(join(home, 'config.yaml'), 'utf8'));

t.test('a global value: set, get, list, unset', async (t) => {
  const home = join(tempDir(t), 'home');
  const set = await nepho(['parameter:set', 'KeyName', 'my key=1'], { home });
  t.equal(set.code, 0, set.stderr);
  t.equal(set.stdout, 'saved KeyName for every cloudlet\n');
  t.same(config(home).parameters, { '*': { KeyName: 'my key=1' } }, 'saved under "*" in config.yaml');
  const get = await nepho(['parameter:get', 'KeyName'], { home });
  t.equal(get.stdout, 'my key=1\n', 'the value comes back as given');
  const list = await nepho(['parameter:list', '-o', 'json'], { home });
  t.same(JSON.parse(list.stdout), [{ key: 'KeyName', value: 'my key=1', scope: '*' }]);
  const table = await nepho(['parameter', 'list'], { home });
  t.match(table.stdout, /^KEY +VALUE +SCOPE\nKeyName +my key=1 +global\n$/);
  const unset = await nepho(['parameter:unset', 'KeyName'], { home });
  t.equal(unset.code, 0, unset.stderr);
  t.equal(unset.stdout, 'removed KeyName from the global scope\n');
  t.same(config(home).parameters, {}, 'nothing left');
  expectUserError(t, await nepho(['parameter:get', 'KeyName'], { home }), /no saved value for KeyName/, 'get after unset');
  expectUserError(t, await nepho(['parameter:unset', 'KeyName'], { home }), /no saved value for KeyName in scope global/, 'unset twice');
  const empty = await nepho(['parameter:list', '-o', 'json'], { home });
  t.same(JSON.parse(empty.stdout), []);
});

t.test('saved values keep the other settings of config.yaml', async (t) => {
  const home = join(tempDir(t), 'home');
  writeConfig(home, 'registry_ttl: 60\n');
  await nepho(['parameter:set', 'KeyName', 'k'], { home });
  t.match(config(home), { registry_ttl: 60, parameters: { '*': { KeyName: 'k' } } });
});

t.test('scopes on huit/mediawiki: the narrowest that applies wins, in get and in plans', async (t) => {
  const home = await mediawikiHome(t);
  const run = (...args: string[]) => nepho(args, { home });
  for (const args of [
    ['parameter:set', 'WikiName', 'Global Wiki'],
    ['parameter:set', 'WikiName', 'Cloudlet Wiki', '--cloudlet', 'mediawiki'],
    ['parameter:set', 'WikiName', 'Tenant Wiki', '--cloudlet', 'huit/mediawiki', '--scenario', 'multi-tenant'],
    ['parameter:set', 'AmiId', 'ami-12345678', '--cloudlet', 'mediawiki'],
    ['parameter:set', 'Replicas', '4', '--cloudlet', 'mediawiki', '--scenario', 'multi-tenant'],
  ]) {
    const r = await run(...args);
    t.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  t.same(
    config(home).parameters,
    {
      '*': { WikiName: 'Global Wiki' },
      'huit/mediawiki': { WikiName: 'Cloudlet Wiki', AmiId: 'ami-12345678' },
      'huit/mediawiki/multi-tenant': { WikiName: 'Tenant Wiki', Replicas: '4' },
    },
    'a short cloudlet name is saved as owner/name',
  );

  const [global, cloudlet, tenant, other, list] = await Promise.all([
    run('parameter:get', 'WikiName'),
    run('parameter:get', 'WikiName', '--cloudlet', 'mediawiki'),
    run('parameter:get', 'WikiName', '--cloudlet', 'mediawiki', '--scenario', 'multi-tenant'),
    run('parameter:get', 'WikiName', '--cloudlet', 'mediawiki', '--scenario', 'default'),
    run('parameter:list', '-o', 'json'),
  ]);
  t.equal(global.stdout, 'Global Wiki\n');
  t.equal(cloudlet.stdout, 'Cloudlet Wiki\n');
  t.equal(tenant.stdout, 'Tenant Wiki\n');
  t.equal(other.stdout, 'Cloudlet Wiki\n', "a scenario without its own value sees the cloudlet's");
  t.same(
    JSON.parse(list.stdout).map((v: any) => v.scope),
    ['*', 'huit/mediawiki', 'huit/mediawiki', 'huit/mediawiki/multi-tenant', 'huit/mediawiki/multi-tenant'],
    'widest scope first',
  );

  const plan = async (target: string) => {
    const r = await run('formation:create', target, '--dry-run', '-o', 'json', '-p', 'AdminPassword=correct horse battery');
    t.equal(r.code, 0, r.stderr);
    return Object.fromEntries(JSON.parse(r.stdout).parameters.map((p: any) => [p.name, p]));
  };
  const def = await plan('mediawiki');
  t.match(def.WikiName, { value: 'Cloudlet Wiki', source: /^saved \("?huit\/mediawiki"?\)$/ });
  t.match(def.AmiId, { value: 'ami-12345678', source: /^saved/ }, 'a template-only parameter saved for the cloudlet');
  const multi = await plan('mediawiki/multi-tenant');
  t.match(multi.WikiName, { value: 'Tenant Wiki', source: /^saved \("?huit\/mediawiki\/multi-tenant"?\)$/ });
  t.equal(multi.Replicas.value, 4, 'a saved number is read as a number');

  const flag = await run(
    'formation:create',
    'mediawiki/multi-tenant',
    '--dry-run',
    '-o',
    'json',
    '-p',
    'AdminPassword=correct horse battery',
    '-p',
    'WikiName=Flag Wiki',
  );
  t.match(
    JSON.parse(flag.stdout).parameters.find((p: any) => p.name === 'WikiName'),
    { value: 'Flag Wiki', source: '-p WikiName' },
    'a flag beats every saved value',
  );

  const unset = await run('parameter:unset', 'WikiName', '--cloudlet', 'mediawiki', '--scenario', 'multi-tenant');
  t.equal(unset.stdout, 'removed WikiName from huit/mediawiki/multi-tenant\n');
  t.equal(
    (await run('parameter:get', 'WikiName', '--cloudlet', 'mediawiki', '--scenario', 'multi-tenant')).stdout,
    'Cloudlet Wiki\n',
    'the wider scope shows through again',
  );
});

t.test('refusals: secrets, scopes, unknown parameters, bad values', async (t) => {
  const home = await mediawikiHome(t);
  const run = (...args: string[]) => nepho(args, { home });
  const cases: [string[], RegExp, string][] = [
    [['parameter:set', 'AdminPassword', 'hunter2hunter2'], /AdminPassword is a secret parameter; secrets are never saved/, 'a secret, globally'],
    [['parameter:set', 'AdminPassword', 'hunter2hunter2', '--cloudlet', 'mediawiki'], /AdminPassword is a secret parameter/, 'a secret, for a cloudlet'],
    [
      ['parameter:set', 'AdminPassword', 'hunter2hunter2', '--cloudlet', 'mediawiki', '--scenario', 'multi-tenant'],
      /AdminPassword is a secret parameter/,
      'a secret, for a scenario',
    ],
    [['parameter:set', 'WikiName', 'x', '--scenario', 'default'], /--scenario needs --cloudlet/, 'set: --scenario alone'],
    [['parameter:get', 'WikiName', '--scenario', 'default'], /--scenario needs --cloudlet/, 'get: --scenario alone'],
    [['parameter:unset', 'WikiName', '--scenario', 'default'], /--scenario needs --cloudlet/, 'unset: --scenario alone'],
    [['parameter:set', 'Nope', 'x', '--cloudlet', 'mediawiki'], /huit\/mediawiki has no parameter 'Nope'/, 'unknown for the cloudlet'],
    [
      ['parameter:set', 'Replicas', '3', '--cloudlet', 'mediawiki', '--scenario', 'default'],
      /huit\/mediawiki\/default has no parameter 'Replicas'/,
      'known only to another scenario',
    ],
    [['parameter:set', 'AppPort', '70000', '--cloudlet', 'mediawiki'], /AppPort must be at most 65535/, 'above max'],
    [['parameter:set', 'AppPort', 'eighty', '--cloudlet', 'mediawiki'], /AppPort must be a number/, 'not a number'],
    [['parameter:set', 'Replicas', '11', '--cloudlet', 'mediawiki', '--scenario', 'multi-tenant'], /Replicas must be at most 10/, 'a scenario value'],
    [['parameter:set', 'InstanceType', 't3.huge', '--cloudlet', 'mediawiki'], /InstanceType must be one of "t3\.small", "t3\.medium"/, 'not a choice'],
    [['parameter:set', 'AmiId', 'ami-xyz', '--cloudlet', 'mediawiki'], /AmiId must match the pattern/, "the template's AllowedPattern"],
    [['parameter:set', 'WikiName', 'x', '--cloudlet', 'ghost'], /ghost/, 'an unknown cloudlet'],
    [['parameter:set', 'WikiName', 'x', '--cloudlet', 'mediawiki', '--scenario', 'nope'], /no scenario 'nope'/, 'an unknown scenario'],
    [['parameter:set', 'bad-key', 'x'], /'bad-key' is not a parameter name/, 'a bad key'],
  ];
  const results = await Promise.all(cases.map(([args]) => run(...args)));
  cases.forEach(([, pattern, what], i) => expectUserError(t, results[i]!, pattern, what));
  t.notOk(existsSync(join(home, 'config.yaml')) && /hunter2/.test(readFileSync(join(home, 'config.yaml'), 'utf8')), 'no secret in config.yaml');
  t.notOk(existsSync(join(home, 'config.yaml')) && 'parameters' in (config(home) ?? {}), 'nothing was saved by any refused command');
});

t.test('saved values that do not fit the scenario are named at formation:create', async (t) => {
  const home = await mediawikiHome(t);
  const plan = (...extra: string[]) =>
    nepho(['formation:create', 'mediawiki', '--dry-run', '-o', 'json', '-p', 'AdminPassword=correct horse battery', ...extra], { home });
  // A global value is not checked when saved (it may be meant for any cloudlet) but is when used.
  t.equal((await nepho(['parameter:set', 'AppPort', 'http'], { home })).code, 0);
  expectUserError(t, await plan(), /config\.yaml parameters\."\*": AppPort must be a number/, 'a bad global value');
  // A flag does not excuse it: the saved value is read first.
  await nepho(['parameter:unset', 'AppPort'], { home });
  // A global value for a parameter this cloudlet lacks is left alone.
  await nepho(['parameter:set', 'Unrelated', 'x'], { home });
  const ok = await plan();
  t.equal(ok.code, 0, ok.stderr);
  // A secret put in config.yaml by hand is refused, not used.
  writeConfig(home, 'parameters:\n  "*":\n    AdminPassword: handwritten-secret\n');
  const r = await nepho(['formation:create', 'mediawiki', '--dry-run'], { home });
  expectUserError(t, r, /AdminPassword is a secret and is never read from saved values/, 'a hand-saved secret');
  t.notMatch(r.stderr, /handwritten-secret/, 'and is not printed');
  writeConfig(home, 'parameters: [1]\n');
  expectUserError(t, await nepho(['parameter:list'], { home }), /config\.yaml: parameters must map parameter names to values/, 'a broken parameters section');
});
