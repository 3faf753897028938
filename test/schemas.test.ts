// Machine-readable output: each command's `-o json` validated with ajv
// against its JSON Schema under schemas/, and in one naming style (camelCase
// keys, lists as arrays of objects). `-o yaml` is the same data.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { nepho } from './fixtures/cli.js';
import { ROOT, tempDir } from './fixtures/paths.js';
import { followsSchema, sameAsYaml, SCHEMA_FILES } from './fixtures/schemas.js';
import { standInFormation } from './fixtures/ssh.js';

const home = join(tempDir(t, 'nepho-schemas-'), 'home');
t.before(async () => {
  const installed = await nepho(['cloudlet:install', 'huit/static-site'], { home });
  if (installed.code !== 0) throw new Error(installed.stderr);
  await nepho(['parameter:set', 'InstanceType', 't3.small', '--cloudlet', 'static-site'], { home });
});

/** Each command that reports something, its arguments, and the schema its JSON follows. */
const CASES: [string[], string][] = [
  [['cloudlet:list'], 'cloudlet-list.json'],
  [['cloudlet:search', 'static'], 'cloudlet-search.json'],
  [['registry:list'], 'registry-list.json'],
  [['parameter:list'], 'parameter-list.json'],
  [['scenario:list', 'static-site'], 'scenario-list.json'],
  [['version'], 'version.json'],
];

t.test('every schema is used by a test', async (t) => {
  const tests = readdirSync(join(ROOT, 'test'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => readFileSync(join(ROOT, 'test', f), 'utf8'))
    .join('\n');
  // formation.json is the shape the formation schemas refer to, not a command's.
  t.same(
    SCHEMA_FILES.filter((s) => s !== 'formation.json' && !tests.includes(`'${s}'`)),
    [],
    'each schema is named by a test under test/',
  );
});

for (const [args, schema] of CASES) {
  t.test(`${args.join(' ')} -o json follows schemas/${schema}`, async (t) => {
    const r = await nepho([...args, '-o', 'json'], { home });
    t.equal(r.code, 0, r.stderr);
    const data = followsSchema(t, r, schema);
    if (Array.isArray(data)) t.ok(data.length > 0, 'something listed');
    sameAsYaml(t, await nepho([...args, '-o', 'yaml'], { home }), data);
  });
}

t.test('formation:ssh --print -o json follows schemas/ssh-print.json', async (t) => {
  const h = join(tempDir(t), 'home');
  const access = { ssh: { host: '{{outputs.Host}}', port: '{{outputs.Port}}', user: 'admin', bastion: '{{outputs.Bastion}}', bastion_port: '2222' } };
  standInFormation(h, 'web', { access, state: { outputs: { Host: '10.0.0.5', Port: '22', Bastion: 'bastion.example.org' } } });
  const r = await nepho(['formation:ssh', 'web', '--print', '-o', 'json'], { home: h });
  t.equal(r.code, 0, r.stderr);
  const data = followsSchema(t, r, 'ssh-print.json');
  t.match(data, { user: 'admin', host: '10.0.0.5', port: 22, bastion: { host: 'bastion.example.org', port: 2222 } });
});
