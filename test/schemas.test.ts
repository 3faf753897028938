// Machine-readable output: each command's `-o json` validated with ajv
// against its JSON Schema under schemas/, and in one naming style (camelCase
// keys, lists as arrays of objects). `-o yaml` is the same data.
import Ajv2020 from 'ajv/dist/2020.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { nepho } from './fixtures/cli.js';
import { ROOT, tempDir } from './fixtures/paths.js';
import { standInFormation } from './fixtures/ssh.js';

const SCHEMAS = join(ROOT, 'schemas');
const ajv = new Ajv2020.default({ allErrors: true, strict: true, allowUnionTypes: true });
const validators = new Map(readdirSync(SCHEMAS).map((file) => [file, ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')))]));

/** Keys that are not camelCase, anywhere in `value` (maps of user-chosen names, such as parameters, are not keys of nepho's). */
function badKeys(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => badKeys(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [...(/^[a-z][a-zA-Z0-9]*$/.test(k) ? [] : [`${path}.${k}`]), ...badKeys(v, `${path}.${k}`)]);
}

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
  t.same([...validators.keys()].sort(), [...new Set([...CASES.map(([, s]) => s), 'ssh-print.json'])].sort());
});

for (const [args, schema] of CASES) {
  t.test(`${args.join(' ')} -o json follows schemas/${schema}`, async (t) => {
    const r = await nepho([...args, '-o', 'json'], { home });
    t.equal(r.code, 0, r.stderr);
    const data = JSON.parse(r.stdout) as unknown;
    const validate = validators.get(schema)!;
    t.ok(validate(data), JSON.stringify(validate.errors));
    t.same(badKeys(data), [], 'camelCase keys');
    if (Array.isArray(data)) t.ok(data.length > 0 && data.every((d) => d !== null && typeof d === 'object' && !Array.isArray(d)), 'a list of objects');
    const yaml = await nepho([...args, '-o', 'yaml'], { home });
    t.same(parse(yaml.stdout), data, '-o yaml is the same data');
  });
}

t.test('formation:ssh --print -o json follows schemas/ssh-print.json', async (t) => {
  const h = join(tempDir(t), 'home');
  const access = { ssh: { host: '{{outputs.Host}}', port: '{{outputs.Port}}', user: 'admin', bastion: '{{outputs.Bastion}}', bastion_port: '2222' } };
  standInFormation(h, 'web', { access, state: { outputs: { Host: '10.0.0.5', Port: '22', Bastion: 'bastion.example.org' } } });
  const r = await nepho(['formation:ssh', 'web', '--print', '-o', 'json'], { home: h });
  t.equal(r.code, 0, r.stderr);
  const data = JSON.parse(r.stdout) as unknown;
  const validate = validators.get('ssh-print.json')!;
  t.ok(validate(data), JSON.stringify(validate.errors));
  t.same(badKeys(data), []);
  t.match(data, { user: 'admin', host: '10.0.0.5', port: 22, bastion: { host: 'bastion.example.org', port: 2222 } });
});
