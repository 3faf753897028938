// Unit tests of parameter resolution: declarations merged across layers, and
// values applied in product.md's precedence, lowest first: template default,
// cloudlet.yaml, scenario, saved (global, cloudlet, scenario), params files, -p flags.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { NephoError } from '../../src/errors.js';
import { parseDeclaration, type Declaration } from '../../src/scenarios/parameters.js';
import {
  applyAnswers,
  collectSpecs,
  missingParametersError,
  parseFlag,
  readParamsFile,
  resolveValues,
  type ParameterSources,
} from '../../src/scenarios/resolve.js';
import { writeFiles } from '../fixtures/files.js';
import { tempDir } from '../fixtures/paths.js';

function thrown(t: Test, fn: () => unknown): NephoError {
  try {
    fn();
  } catch (error) {
    t.type(error, NephoError, 'a user error, not a bug');
    return error as NephoError;
  }
  t.fail('expected an error');
  return new NephoError('NONE', '');
}

const tpl = (name: string, extra: Partial<Declaration> = {}): Declaration => ({
  name,
  type: 'string',
  constraints: { from: 'x.cf' },
  origin: 'template',
  ...extra,
});
const cl = (name: string, raw: unknown) => parseDeclaration(name, raw, 'cloudlet.yaml', 'cloudlet');
const sc = (name: string, raw: unknown) => parseDeclaration(name, raw, 'scenarios/default.yaml', 'scenario');
const none: ParameterSources = { saved: [], files: [], flags: [] };

t.test('parseFlag splits at the first =', async (t) => {
  t.same(parseFlag('A=b'), { key: 'A', value: 'b' });
  t.same(parseFlag('Query=a=b&c=d'), { key: 'Query', value: 'a=b&c=d' }, 'the value may contain =');
  t.same(parseFlag('Empty='), { key: 'Empty', value: '' });
  t.match(thrown(t, () => parseFlag('NoEquals')).message, /-p 'NoEquals' is not KEY=VALUE/);
  t.match(thrown(t, () => parseFlag('=value')).message, /-p '=value' is not KEY=VALUE/);
});

t.test("collectSpecs: the scenario's order first, then what only lower layers know", async (t) => {
  const specs = collectSpecs([
    [tpl('T1'), tpl('Shared', { default: 't' })],
    [cl('C1', { default: 1 })],
    [sc('S1', { default: 's' }), sc('Shared', { default: 'sc' })],
  ]);
  t.same(
    specs.map((s) => s.name),
    ['S1', 'Shared', 'C1', 'T1'],
  );
  t.equal(specs.find((s) => s.name === 'Shared')!.default, 'sc');
});

t.test('every layer in precedence order, each one winning over the layer below', async (t) => {
  // One parameter per layer: the layer named in it is the highest that sets it.
  const names = ['Template', 'Cloudlet', 'Scenario', 'SavedGlobal', 'SavedCloudlet', 'SavedScenario', 'File1', 'File2', 'Flag1', 'Flag2'];
  const specs = collectSpecs([
    names.map((n) => tpl(n, { default: 'template' })),
    names.slice(1).map((n) => cl(n, { default: 'cloudlet' })),
    names.slice(2).map((n) => sc(n, { default: 'scenario' })),
  ]);
  const upFrom = (i: number, value: string) => Object.fromEntries(names.slice(i).map((n) => [n, value]));
  const sources: ParameterSources = {
    saved: [
      { scope: '*', values: upFrom(3, 'saved-global') },
      { scope: 'o/c', values: upFrom(4, 'saved-cloudlet') },
      { scope: 'o/c/default', values: upFrom(5, 'saved-scenario') },
    ],
    files: [
      { path: 'one.yaml', values: upFrom(6, 'file1') },
      { path: 'two.json', values: upFrom(7, 'file2') },
    ],
    flags: [...names.slice(8).map((n) => ({ key: n, value: 'flag1' })), { key: 'Flag2', value: 'flag2' }],
  };
  const r = resolveValues(specs, sources, 'o/c/default', '/home/config.yaml');
  const got = Object.fromEntries(r.parameters.map((p) => [p.spec.name, [p.value, p.origin, p.from]]));
  t.same(got, {
    Template: ['template', 'template', undefined],
    Cloudlet: ['cloudlet', 'cloudlet', undefined],
    Scenario: ['scenario', 'scenario', undefined],
    SavedGlobal: ['saved-global', 'saved', '/home/config.yaml parameters."*"'],
    SavedCloudlet: ['saved-cloudlet', 'saved', '/home/config.yaml parameters."o/c"'],
    SavedScenario: ['saved-scenario', 'saved', '/home/config.yaml parameters."o/c/default"'],
    File1: ['file1', 'file', 'one.yaml'],
    File2: ['file2', 'file', 'two.json'],
    Flag1: ['flag1', 'flag', '-p Flag1'],
    Flag2: ['flag2', 'flag', '-p Flag2'],
  });
  t.same(r.missing, []);
});

t.test('values are read as their type and checked against every constraint', async (t) => {
  const specs = collectSpecs([
    [tpl('Size', { constraints: { from: 'x.cf', choices: ['a', 'b'] } })],
    [],
    [
      sc('Size', { choices: ['a', 'b', 'c'], default: 'a' }),
      sc('Port', { type: 'number', min: 1, max: 10, default: 1 }),
      sc('On', { type: 'boolean', default: false }),
    ],
  ]);
  const r = resolveValues(specs, { saved: [], files: [{ path: 'f.yaml', values: { Port: 3 } }], flags: [{ key: 'On', value: 'yes' }] }, 'o/c/default');
  const by = Object.fromEntries(r.parameters.map((p) => [p.spec.name, p.value]));
  t.same(by, { Size: 'a', Port: 3, On: true });
  const flag = (key: string, value: string) => ({ ...none, flags: [{ key, value }] });
  t.match(
    thrown(t, () => resolveValues(specs, flag('Size', 'c'), 'o/c/default')).message,
    /^-p Size: Size must be one of "a", "b" \(x\.cf\)$/,
    'both constraint sets apply; the template is named',
  );
  t.match(thrown(t, () => resolveValues(specs, flag('Port', 'abc'), 'o/c/default')).message, /^-p Port: Port must be a number$/);
  t.match(thrown(t, () => resolveValues(specs, flag('Port', '11'), 'o/c/default')).message, /^-p Port: Port must be at most 10$/);
  t.match(thrown(t, () => resolveValues(specs, flag('On', 'maybe'), 'o/c/default')).message, /^-p On: On must be a boolean$/);
  t.match(
    thrown(t, () => resolveValues(specs, { ...none, files: [{ path: 'p.yaml', values: { Port: 0 } }] }, 'o/c/default')).message,
    /^p\.yaml: Port must be at least 1$/,
  );
  t.match(
    thrown(t, () => resolveValues(specs, { ...none, saved: [{ scope: '*', values: { Port: 'x' } }] }, 'o/c/default', 'cfg.yaml')).message,
    /^cfg\.yaml parameters\."\*": Port must be a number$/,
  );
});

t.test('unknown keys are errors in files and flags, ignored in saved values', async (t) => {
  const specs = collectSpecs([[], [], [sc('Known', { default: 'x' })]]);
  const flagErr = thrown(t, () => resolveValues(specs, { ...none, flags: [{ key: 'Nope', value: '1' }] }, 'o/c/default'));
  t.match(flagErr.message, /^-p Nope: unknown parameter 'Nope' for o\/c\/default$/);
  t.match(flagErr.hint, /known parameters: Known/);
  t.match(
    thrown(t, () => resolveValues(specs, { ...none, files: [{ path: 'p.yaml', values: { Nope: 1 } }] }, 'o/c/default')).message,
    /^p\.yaml: unknown parameter 'Nope'/,
  );
  const r = resolveValues(specs, { ...none, saved: [{ scope: '*', values: { Nope: 1 } }] }, 'o/c/default');
  t.same(
    r.parameters.map((p) => p.spec.name),
    ['Known'],
    'a saved value for another cloudlet is no error',
  );
});

t.test('a secret is never read from saved values', async (t) => {
  const specs = collectSpecs([[], [], [sc('Pw', { secret: true })]]);
  const err = thrown(t, () => resolveValues(specs, { ...none, saved: [{ scope: '*', values: { Pw: 'hunter2-secret' } }] }, 'o/c/default'));
  t.match(err.message, /Pw is a secret and is never read from saved values/);
  t.notMatch(`${err.message} ${err.hint}`, /hunter2-secret/, 'the error does not repeat the secret');
  const ok = resolveValues(specs, { ...none, flags: [{ key: 'Pw', value: 'hunter2-secret' }] }, 'o/c/default');
  t.equal(ok.parameters[0]!.value, 'hunter2-secret', 'from a flag it is fine');
});

t.test('required parameters without a value are missing; answers fill them', async (t) => {
  const specs = collectSpecs([
    [tpl('NoDefault')],
    [],
    [
      sc('A', { type: 'string' }),
      sc('B', { type: 'number', description: 'the\n  b' }),
      sc('C', { default: 'c' }),
      sc('D', { type: 'string', required: false }),
    ],
  ]);
  const r = resolveValues(specs, none, 'o/c/default');
  t.same(
    r.missing.map((s) => s.name),
    ['A', 'B', 'NoDefault'],
    'D is optional, C has a default',
  );
  t.equal(r.parameters.find((p) => p.spec.name === 'D')!.value, undefined);
  const err = missingParametersError(r.missing, '--no-input forbids prompting');
  t.equal(err.code, 'MISSING_PARAMETERS');
  t.equal(err.message, 'missing parameters A, B (the b), NoDefault; --no-input forbids prompting', 'one message names every one');
  const answered = applyAnswers(r, { A: 'a', B: 2 });
  t.same(
    answered.missing.map((s) => s.name),
    ['NoDefault'],
  );
  t.match(
    answered.parameters.find((p) => p.spec.name === 'B'),
    { value: 2, origin: 'prompt' },
  );
  t.equal(missingParametersError([specs[0]!], 'x').message, 'missing parameter A; x');
});

t.test('required: true with a default must still be supplied; the default is what a prompt offers', async (t) => {
  const specs = collectSpecs([[], [], [sc('Region', { default: 'us-east-1', required: true })]]);
  const r = resolveValues(specs, none, 'o/c/default');
  t.same(
    r.missing.map((s) => s.name),
    ['Region'],
  );
  t.equal(r.missing[0]!.default, 'us-east-1');
  const given = resolveValues(specs, { ...none, flags: [{ key: 'Region', value: 'eu-west-1' }] }, 'o/c/default');
  t.same(given.missing, []);
});

t.test('params files: YAML or JSON, read losslessly', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    'p.yaml': 'Version: 1.10\nZip: 02138\nOn: yes\nPort: 8080\nName: "quoted"\n',
    'p.json': '{"Version": 1.10, "Port": 8080, "On": true, "Name": "j"}\n',
    'empty.yaml': '\n',
    'list.yaml': '- a\n',
    'bad.yaml': 'a: [\n',
  });
  const specs = collectSpecs([
    [],
    [],
    [
      sc('Version', { type: 'string' }),
      sc('Zip', { type: 'string', required: false }),
      sc('On', { type: 'boolean' }),
      sc('Port', { type: 'number' }),
      sc('Name', { type: 'string' }),
    ],
  ]);
  const yaml = readParamsFile(join(dir, 'p.yaml'));
  const json = readParamsFile(join(dir, 'p.json'));
  const value = (files: { path: string; values: Record<string, unknown> }[]) =>
    Object.fromEntries(resolveValues(specs, { ...none, files }, 'o/c/default').parameters.map((p) => [p.spec.name, p.value]));
  t.same(value([yaml]), { Version: '1.10', Zip: '02138', On: true, Port: 8080, Name: 'quoted' }, 'a string parameter gets the text as written');
  t.same(value([json]), { Version: '1.10', Zip: undefined, On: true, Port: 8080, Name: 'j' });
  t.same(readParamsFile(join(dir, 'empty.yaml')).values, {});
  t.match(thrown(t, () => readParamsFile(join(dir, 'none.yaml'))).message, /--params-file .*none\.yaml: file not found/);
  t.match(thrown(t, () => readParamsFile(join(dir, 'list.yaml'))).message, /list\.yaml: expected a mapping of parameter names to values/);
  t.match(thrown(t, () => readParamsFile(join(dir, 'bad.yaml'))).message, /bad\.yaml(:\d+)?: not valid YAML or JSON/);
});
