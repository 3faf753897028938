// Unit tests of parameter declarations: parsing, coercion, constraints, and
// merging the declarations of several files (template, cloudlet.yaml, scenario).
import t from 'tap';
import { thrown } from '../fixtures/cli.js';
import { MASK, coerce, mergeDeclarations, parseDeclaration, shown, validateValue, type Declaration } from '../../src/scenarios/parameters.js';

const FILE = 'scenarios/default.yaml';

t.test('coerce reads values as their type, losslessly', async (t) => {
  t.equal(coerce('number', '42'), 42);
  t.equal(coerce('number', ' 7 '), 7, 'surrounding blanks are not part of a number');
  t.equal(coerce('number', '-1.5'), -1.5);
  t.equal(coerce('number', 3), 3);
  t.equal(coerce('number', 'abc'), undefined);
  t.equal(coerce('number', ''), undefined, 'an empty string is not zero');
  t.equal(coerce('number', '   '), undefined);
  t.equal(coerce('number', 'Infinity'), undefined);
  t.equal(coerce('number', Number.NaN), undefined);
  t.equal(coerce('number', true), undefined, 'a boolean is not a number');
  t.equal(coerce('number', '12345678901234567890'), undefined, 'an integer a number cannot hold exactly is refused');

  for (const yes of ['true', 'TRUE', 'yes', 'Yes', 'on', '1', true]) t.equal(coerce('boolean', yes), true, `${String(yes)} is true`);
  for (const no of ['false', 'no', 'NO', 'off', '0', false]) t.equal(coerce('boolean', no), false, `${String(no)} is false`);
  t.equal(coerce('boolean', 'maybe'), undefined);
  t.equal(coerce('boolean', 2), undefined);
  t.equal(coerce('boolean', ''), undefined);

  t.equal(coerce('string', 'x=y'), 'x=y');
  t.equal(coerce('string', ''), '');
  t.equal(coerce('string', 8080), '8080', 'a YAML number read as a string');
  t.equal(coerce('string', false), 'false');
  t.equal(coerce('string', null), undefined);
  t.equal(coerce('string', { a: 1 }), undefined);
  t.equal(coerce('string', ['a']), undefined);
});

t.test('parseDeclaration reads every key of the format', async (t) => {
  const d = parseDeclaration(
    'Replicas',
    { type: 'number', min: 1, max: 10, default: 2, description: 'hosts', secret: false, required: false },
    FILE,
    'scenario',
  );
  t.match(d, { name: 'Replicas', type: 'number', default: 2, description: 'hosts', secret: false, required: false, origin: 'scenario' });
  t.same(d.constraints, { from: FILE, min: 1, max: 10 });

  const s = parseDeclaration('Size', { choices: ['a', 'b'], pattern: '[a-z]', default: 'a' }, FILE, 'scenario');
  t.equal(s.type, 'string', 'the type is inferred from the default');
  t.same(s.constraints, { from: FILE, choices: ['a', 'b'], pattern: '[a-z]' });

  t.equal(parseDeclaration('Port', { default: 80 }, FILE, 'scenario').type, 'number', 'a number default makes a number');
  t.equal(parseDeclaration('On', { default: true }, FILE, 'scenario').type, 'boolean');
  t.equal(parseDeclaration('Bare', null, FILE, 'scenario').type, undefined, 'an empty declaration leaves the type to other files');
  t.same(parseDeclaration('Nums', { type: 'number', choices: ['1', 2] }, FILE, 'scenario').constraints.choices, [1, 2], 'choices are read as the type');
});

t.test('parseDeclaration names file and field for every mistake', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['P', { type: 'integer' }, /scenarios\/default\.yaml: parameters\.P\.type 'integer' is not string, number or boolean/],
    ['P', { minimum: 1 }, /parameters\.P\.minimum is not a parameter key/],
    ['P', { type: 'string', min: 1 }, /parameters\.P\.min applies to numbers, not to a string/],
    ['P', { type: 'boolean', max: 1 }, /parameters\.P\.max applies to numbers, not to a boolean/],
    ['P', { type: 'number', pattern: '^1$' }, /parameters\.P\.pattern applies to strings, not to a number/],
    ['P', { min: 'one', type: 'number' }, /parameters\.P\.min must be a number/],
    ['P', { type: 'number', min: 5, max: 1 }, /parameters\.P\.min \(5\) is greater than max \(1\)/],
    ['P', { pattern: '(' }, /parameters\.P\.pattern is not a valid regular expression/],
    ['P', { choices: [] }, /parameters\.P\.choices must be a non-empty list/],
    ['P', { choices: 'a' }, /parameters\.P\.choices must be a non-empty list/],
    ['P', { type: 'number', choices: [1, 'x'] }, /parameters\.P\.choices\[1\] is not a number/],
    ['P', { secret: 'yes' }, /parameters\.P\.secret must be true or false/],
    ['P', { required: 1 }, /parameters\.P\.required must be true or false/],
    ['P', { description: 5 }, /parameters\.P\.description must be a string/],
    ['P', 'a string', /parameters\.P must be a mapping/],
    ['P', [1], /parameters\.P must be a mapping/],
    ['bad-name', {}, /parameters\.bad-name is not a valid parameter name/],
    ['P', { type: 'number', default: 'many' }, /parameters\.P\.default "many" is not a number/],
    ['P', { choices: ['a', 'b'], default: 'c' }, /parameters\.P\.default "c" breaks its own constraints: must be one of "a", "b"/],
    ['P', { pattern: '^ami-', default: 'xami-1' }, /parameters\.P\.default "xami-1" breaks its own constraints: must match the pattern/],
    ['P', { type: 'number', min: 1, default: 0 }, /parameters\.P\.default 0 breaks its own constraints: must be at least 1/],
    ['P', { type: 'number', max: 10, default: 11 }, /parameters\.P\.default 11 breaks its own constraints: must be at most 10/],
  ];
  for (const [name, raw, pattern] of cases)
    t.match(
      thrown(t, () => parseDeclaration(name, raw, FILE, 'scenario')),
      pattern,
      JSON.stringify(raw),
    );
});

t.test('a pattern is anchored: it must match the whole value', async (t) => {
  const d = parseDeclaration('Ami', { pattern: 'ami-[0-9a-f]+' }, FILE, 'scenario');
  const spec = mergeDeclarations([d]);
  t.equal(validateValue(spec, 'ami-0abc'), undefined);
  t.match(validateValue(spec, 'xami-0abc'), /must match the pattern ami-\[0-9a-f\]\+/);
  t.match(validateValue(spec, 'ami-0abc '), /must match/, 'nothing may follow');
  const alt = mergeDeclarations([parseDeclaration('Alt', { pattern: 'a|b' }, FILE, 'scenario')]);
  t.match(validateValue(alt, 'ab'), /must match/, 'an alternation is anchored as a whole');
  t.equal(validateValue(alt, 'b'), undefined);
});

t.test('validateValue checks type, choices, min, max, lengths', async (t) => {
  const num = mergeDeclarations([parseDeclaration('N', { type: 'number', min: 1, max: 10 }, FILE, 'scenario')]);
  t.equal(validateValue(num, 1), undefined, 'min is inclusive');
  t.equal(validateValue(num, 10), undefined, 'max is inclusive');
  t.match(validateValue(num, 0), /at least 1/);
  t.match(validateValue(num, 11), /at most 10/);
  t.match(validateValue(num, '5'), /must be a number/, 'a value of another type is refused');
  const str = mergeDeclarations([{ name: 'S', type: 'string', constraints: { from: 't.cf', minLength: 2, maxLength: 3 }, origin: 'template' }]);
  t.match(validateValue(str, 'a'), /at least 2 characters/);
  t.match(validateValue(str, 'abcd'), /at most 3 characters/);
  t.equal(validateValue(str, 'abc'), undefined);
});

t.test('mergeDeclarations: the narrowest declaration wins, constraints accumulate', async (t) => {
  const template: Declaration = {
    name: 'Size',
    type: 'string',
    description: 'from the template',
    default: 'a',
    constraints: { from: 'patterns/aws/x.cf', choices: ['a', 'b'] },
    origin: 'template',
  };
  const cloudlet = parseDeclaration('Size', { description: 'from cloudlet.yaml' }, 'cloudlet.yaml', 'cloudlet');
  const scenario = parseDeclaration('Size', { choices: ['a', 'b', 'c'], default: 'b' }, FILE, 'scenario');
  const spec = mergeDeclarations([template, cloudlet, scenario]);
  t.equal(spec.type, 'string');
  t.equal(spec.description, 'from cloudlet.yaml', 'the narrowest description that exists');
  t.equal(spec.default, 'b', "the scenario's default");
  t.equal(spec.defaultFrom, 'scenario');
  t.equal(spec.required, false, 'a parameter with a default is not required');
  t.equal(spec.constraints.length, 2, 'both sets of choices apply');
  t.equal(validateValue(spec, 'a'), undefined);
  t.match(
    validateValue(spec, 'c'),
    /must be one of "a", "b" \(patterns\/aws\/x\.cf\)/,
    'c is allowed by the scenario but refused by the template, which is named',
  );

  const onlyTemplate = mergeDeclarations([template]);
  t.equal(onlyTemplate.defaultFrom, 'template');

  const secret = mergeDeclarations([{ ...template, secret: true }, parseDeclaration('Size', {}, FILE, 'scenario')]);
  t.equal(secret.secret, true, 'a secret stays secret when a narrower file does not say');

  const required = mergeDeclarations([parseDeclaration('R', { type: 'string' }, FILE, 'scenario')]);
  t.equal(required.required, true, 'required when there is no default');
  const optional = mergeDeclarations([parseDeclaration('R', { type: 'string', required: false }, FILE, 'scenario')]);
  t.equal(optional.required, false);
  const forced = mergeDeclarations([parseDeclaration('R', { default: 'x', required: true }, FILE, 'scenario')]);
  t.equal(forced.required, true, 'required: true holds even with a default');
});

t.test("a template's number default is re-read under the final type", async (t) => {
  const template: Declaration = { name: 'Port', type: 'string', default: '80', constraints: { from: 'x.cf' }, origin: 'template' };
  const spec = mergeDeclarations([template, parseDeclaration('Port', { type: 'number', max: 100 }, FILE, 'scenario')]);
  t.equal(spec.default, 80);
  t.equal(spec.type, 'number');
});

t.test("a default that breaks another file's constraints names the file that declares the default", async (t) => {
  const template: Declaration = { name: 'Size', type: 'string', constraints: { from: 'patterns/aws/x.cf', choices: ['a', 'b'] }, origin: 'template' };
  const msg = thrown(t, () => mergeDeclarations([template, parseDeclaration('Size', { default: 'c' }, FILE, 'scenario')]));
  t.match(msg, /scenarios\/default\.yaml: parameters\.Size\.default "c" must be one of "a", "b" \(patterns\/aws\/x\.cf\)/);

  const bad: Declaration = { name: 'Size', type: 'string', default: 'z', constraints: { from: 'patterns/aws/x.cf', choices: ['a', 'b'] }, origin: 'template' };
  t.match(
    thrown(t, () => mergeDeclarations([bad])),
    /patterns\/aws\/x\.cf: Parameters\.Size\.Default "z" must be one of "a", "b"/,
    "a template's own default is named as the template's field",
  );

  const numeric: Declaration = { name: 'Port', type: 'string', default: 'eighty', constraints: { from: 'x.cf' }, origin: 'template' };
  t.match(
    thrown(t, () => mergeDeclarations([numeric, parseDeclaration('Port', { type: 'number' }, FILE, 'scenario')])),
    /x\.cf: Parameters\.Port\.Default "eighty" is not a number/,
  );
});

t.test('secrets are masked when shown', async (t) => {
  t.equal(shown({ secret: true }, 'hunter2'), MASK);
  t.equal(MASK, '********');
  t.equal(shown({ secret: false }, 3), '3');
  t.equal(shown({ secret: false }, undefined), '');
});

t.test('declarations whose choices leave no acceptable value are refused, naming the files', async (t) => {
  const template: Declaration = { name: 'Size', type: 'string', constraints: { from: 'patterns/aws/x.cf', choices: ['a', 'b'] }, origin: 'template' };
  const msg = thrown(t, () => mergeDeclarations([template, parseDeclaration('Size', { choices: ['c', 'd'] }, FILE, 'scenario')]));
  t.match(msg, /parameter Size: no value satisfies every declaration \(patterns\/aws\/x\.cf, scenarios\/default\.yaml\)/);
  const num: Declaration = { name: 'N', type: 'number', constraints: { from: 'x.cf', choices: [1, 2] }, origin: 'template' };
  t.match(
    thrown(t, () => mergeDeclarations([num, parseDeclaration('N', { type: 'number', min: 5 }, FILE, 'scenario')])),
    /parameter N: no value satisfies every declaration/,
  );
  t.equal(mergeDeclarations([template, parseDeclaration('Size', { choices: ['b', 'c'] }, FILE, 'scenario')]).required, true, 'an overlap is enough');
});
