// Unit tests of `extends`: deep merge (maps merge, lists and scalars replace),
// chains, and the merged result that loadScenario validates.
import t from 'tap';
import { join } from 'node:path';
import { builtinPlugins } from '../../src/providers/catalog.js';
import { deepMerge, listScenarios, loadScenario } from '../../src/scenarios/scenario.js';
import { cloudletFiles } from '../fixtures/cloudlets.js';
import { writeFiles } from '../fixtures/files.js';
import { ROOT, tempDir } from '../fixtures/paths.js';

t.test('deepMerge: maps merge key by key, lists and scalars replace', async (t) => {
  const base = { a: 1, map: { x: 1, y: { deep: 1, keep: true } }, list: [1, 2, 3], s: 'base', gone: 'here' };
  const over = { a: 2, map: { y: { deep: 2 }, z: 3 }, list: [9], s: 'over', gone: null, added: 'new' };
  t.same(deepMerge(base, over), {
    a: 2,
    map: { x: 1, y: { deep: 2, keep: true }, z: 3 },
    list: [9],
    s: 'over',
    gone: null,
    added: 'new',
  });
  t.same(base, { a: 1, map: { x: 1, y: { deep: 1, keep: true } }, list: [1, 2, 3], s: 'base', gone: 'here' }, 'the base is not modified');
  t.same(deepMerge({ l: { a: 1 } }, { l: [1] }), { l: [1] }, 'a list replaces a map');
  t.same(deepMerge({ l: [1] }, { l: { a: 1 } }), { l: { a: 1 } }, 'a map replaces a list');
  t.same(deepMerge({ a: 1 }, undefined), { a: 1 });
  t.same(deepMerge([1, 2], [3]), [3]);
});

t.test('extends chains merge base first, and the scenario knows its chain', async (t) => {
  const dir = tempDir(t);
  writeFiles(
    dir,
    cloudletFiles('chain', '1.0.0', {
      'patterns/aws/base.cf': 'Resources:\n  B: {Type: "AWS::S3::Bucket"}\n',
      'patterns/aws/big.cf': 'Resources:\n  B: {Type: "AWS::S3::Bucket"}\n',
      'scenarios/base.yaml': [
        'summary: the base',
        'description: base text',
        'providers:',
        '  cloudformation: {pattern: base}',
        '  vagrant: {pattern: single}',
        'provisioner: {type: shell, script: provisioners/bootstrap.sh}',
        'parameters:',
        '  Size: {type: string, default: s, choices: [s, m, l], description: size}',
        '  Count: {type: number, default: 1, min: 1, max: 5}',
        'access: {url: "http://{{outputs.Dns}}/", ssh: {host: "{{outputs.Ip}}", user: admin}}',
        '',
      ].join('\n'),
      'scenarios/middle.yaml': [
        'extends: base',
        'summary: the middle',
        'providers:',
        '  cloudformation: {pattern: big}',
        'parameters:',
        '  Size: {choices: [m, l], default: m}',
        '  Extra: {type: boolean, default: true}',
        '',
      ].join('\n'),
      'scenarios/top.yaml': ['extends: middle', 'summary: the top', 'parameters:', '  Count: {default: 3}', 'access: {ssh: {user: root}}', ''].join('\n'),
    }),
  );
  const top = loadScenario(dir, 'top', builtinPlugins());
  t.same(
    top.chain,
    ['base', 'middle', 'top'].map((n) => join(dir, 'scenarios', `${n}.yaml`)),
    'base first',
  );
  t.equal(top.file, join(dir, 'scenarios', 'top.yaml'), 'the file to edit is its own');
  t.equal(top.summary, 'the top');
  t.equal(top.description, 'base text', 'inherited from two levels up');
  t.same(top.providers, { cloudformation: { pattern: 'big' }, vagrant: { pattern: 'single' } }, 'providers merged; the middle changed one pattern');
  t.same(Object.keys(top.providers), ['cloudformation', 'vagrant'], 'order kept: the first provider is still the default one');
  t.same(top.provisioner, { type: 'shell', script: 'provisioners/bootstrap.sh' });
  const by = Object.fromEntries(top.declarations.map((d) => [d.name, d]));
  t.same(by.Size!.constraints.choices, ['m', 'l'], 'a list replaces the base list');
  t.equal(by.Size!.default, 'm');
  t.equal(by.Size!.description, 'size', 'keys of a declaration merge');
  t.equal(by.Count!.default, 3);
  t.same([by.Count!.constraints.min, by.Count!.constraints.max], [1, 5]);
  t.equal(by.Extra!.default, true);
  t.same(top.access, { url: 'http://{{outputs.Dns}}/', ssh: { host: '{{outputs.Ip}}', user: 'root' } });
  t.notOk('extends' in top.merged, 'the merged configuration has no extends');
  t.same((top.merged.parameters as any).Count, { type: 'number', default: 3, min: 1, max: 5 });

  t.same(
    listScenarios(dir).map((s) => [s.name, s.summary]),
    [
      ['base', 'the base'],
      ['default', 'the default'],
      ['middle', 'the middle'],
      ['top', 'the top'],
    ],
  );
});

t.test("a scenario that breaks its base's constraints is refused naming the chain", async (t) => {
  const dir = tempDir(t);
  writeFiles(
    dir,
    cloudletFiles('chain', '1.0.0', {
      'scenarios/default.yaml': 'summary: d\nproviders:\n  vagrant: {pattern: single}\nparameters:\n  Count: {type: number, max: 5, default: 1}\n',
      'scenarios/child.yaml': 'extends: default\nparameters:\n  Count: {default: 9}\n',
    }),
  );
  t.throws(() => loadScenario(dir, 'child', builtinPlugins()), {
    message: new RegExp(`child\\.yaml \\(with .*default\\.yaml\\): parameters\\.Count\\.default 9 breaks its own constraints: must be at most 5`),
  });
});

t.test('the official mediawiki scenarios load', async (t) => {
  const dir = join(ROOT, 'official/huit/mediawiki');
  const multi = loadScenario(dir, 'multi-tenant', builtinPlugins());
  t.same(Object.keys(multi.providers), ['cloudformation', 'vagrant']);
  t.same(multi.providers.cloudformation, { pattern: 'two-tier-with-vpc' });
  t.same(
    multi.declarations.map((d) => d.name),
    ['InstanceType', 'KeyName', 'AdminPassword', 'WikiName', 'AppPort', 'Box', 'Replicas'],
  );
  t.equal(multi.chain.length, 2);
});
