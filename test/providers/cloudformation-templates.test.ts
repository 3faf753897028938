// Templates read as CloudFormation reads them (in-process): every short form,
// including the Rules ones, becomes its long form with no YAML warning; YAML
// 1.1 scalars; the looseness CloudFormation's parser accepts; errors with
// file:line:col, all of them for lint and the first for create; JSON nested
// 10,000 deep refused with its place; Java AllowedPatterns; NoEcho in any spelling.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintTemplate } from '../../src/providers/cloudformation/lint.js';
import { prepareStack, renderStack } from '../../src/providers/cloudformation/prepare.js';
import { isNoEcho, parseTemplate, readTemplateText, templateDeclarations } from '../../src/providers/cloudformation/template.js';
import { translateJavaPattern } from '../../src/providers/cloudformation/java-regex.js';
import { findingLine } from '../../src/providers/findings.js';
import { mergeDeclarations, validateValue } from '../../src/scenarios/parameters.js';
import type { FormationSpec } from '../../src/providers/types.js';
import { thrown } from '../fixtures/cli.js';
import { tempDir } from '../fixtures/paths.js';

const FILE = 'patterns/aws/x.cf';

/** A spec for prepareStack: the pattern file and the given parameter values. */
function specFor(patternFile: string, parameters: FormationSpec['parameters'] = {}): FormationSpec {
  return { name: 'f', cloudlet: { id: 'local/x', version: '1.0.0', dir: '/nowhere' }, scenario: 'default', settings: {}, patternFile, parameters, tags: {} };
}

/** Every short form, on a scalar, a sequence and a mapping where CloudFormation allows it, Rules and Conditions included. */
const ALL_SHORT_FORMS = `AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Env: {Type: String, Default: prod}
  Subnets: {Type: "List<AWS::EC2::Subnet::Id>", Default: "subnet-1"}
  Vpc: {Type: "AWS::EC2::VPC::Id", Default: vpc-1}
Rules:
  InVpc:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !EachMemberIn
          - !ValueOfAll [AWS::EC2::Subnet::Id, VpcId]
          - !RefAll AWS::EC2::VPC::Id
        AssertDescription: subnets in the VPC
      - Assert: !EachMemberEquals [!ValueOfAll [AWS::EC2::Subnet::Id, VpcId], !Ref Vpc]
      - Assert: !Contains [[prod, dev], !Ref Env]
      - Assert: !Not [!Equals [!ValueOf [Vpc, Tags], none]]
      - Assert: !And [!Or [!Equals [!Ref Env, prod], !Equals [!Ref Env, dev]], !Equals [a, a]]
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Either: !Or [!Condition IsProd, !Condition NotProd]
  Both: !And
    - !Condition IsProd
    - !Condition Either
Mappings:
  Region: {us-east-1: {Ami: ami-1}}
Resources:
  Vpc1:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Net:
    Type: AWS::EC2::Subnet
    Condition: IsProd
    Properties:
      VpcId: !Ref Vpc1
      CidrBlock: !Select [0, !Cidr [!GetAtt Vpc1.CidrBlock, 4, 8]]
      AvailabilityZone: !Select
        - 0
        - !GetAZs ''
      Tags:
        - Key: Name
          Value: !Join ['-', [!Ref 'AWS::StackName', !ImportValue shared-name, !FindInMap [Region, !Ref 'AWS::Region', Ami]]]
        - Key: Parts
          Value: !Select [1, !Split [',', !Sub '\${Env},x']]
        - Key: Listed
          Value: !Sub
            - '\${Name}-\${Vpc1.CidrBlock}'
            - Name: !If [IsProd, !Ref Env, !Ref 'AWS::NoValue']
        - Key: Attr
          Value: !GetAtt [Vpc1, DefaultSecurityGroup]
        - Key: Encoded
          Value: !Base64 {'Fn::Sub': x}
        - Key: Included
          Value: !Transform {Name: 'AWS::Include', Parameters: {Location: 's3://bucket/x.yaml'}}
Outputs:
  Id: {Value: !Ref Net, Condition: IsProd}
`;

t.test('every short form, Rules and Conditions ones too, becomes its long form, with no YAML warning', async (t) => {
  const warnings: unknown[] = [];
  const emit = process.emitWarning;
  const warn = console.warn;
  process.emitWarning = ((w: unknown) => warnings.push(w)) as typeof process.emitWarning;
  console.warn = (...a: unknown[]) => warnings.push(a);
  let tpl;
  try {
    tpl = parseTemplate(ALL_SHORT_FORMS, FILE);
  } finally {
    process.emitWarning = emit;
    console.warn = warn;
  }
  t.same(warnings, [], 'nothing printed');
  const d = tpl.document as any;
  t.equal(d.AWSTemplateFormatVersion, '2010-09-09', 'an unquoted date stays the string CloudFormation reads');
  const asserts = d.Rules.InVpc.Assertions.map((a: any) => a.Assert);
  t.same(d.Rules.InVpc.RuleCondition, { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] });
  t.same(asserts[0], { 'Fn::EachMemberIn': [{ 'Fn::ValueOfAll': ['AWS::EC2::Subnet::Id', 'VpcId'] }, { 'Fn::RefAll': 'AWS::EC2::VPC::Id' }] });
  t.same(asserts[1], { 'Fn::EachMemberEquals': [{ 'Fn::ValueOfAll': ['AWS::EC2::Subnet::Id', 'VpcId'] }, { Ref: 'Vpc' }] });
  t.same(asserts[2], { 'Fn::Contains': [['prod', 'dev'], { Ref: 'Env' }] });
  t.same(asserts[3], { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::ValueOf': ['Vpc', 'Tags'] }, 'none'] }] });
  t.same(asserts[4], {
    'Fn::And': [{ 'Fn::Or': [{ 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }, { 'Fn::Equals': [{ Ref: 'Env' }, 'dev'] }] }, { 'Fn::Equals': ['a', 'a'] }],
  });
  t.same(d.Conditions.NotProd, { 'Fn::Not': [{ Condition: 'IsProd' }] });
  t.same(d.Conditions.Both, { 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'Either' }] }, 'a short form on a block sequence');
  const p = d.Resources.Net.Properties;
  t.same(p.CidrBlock, { 'Fn::Select': [0, { 'Fn::Cidr': [{ 'Fn::GetAtt': ['Vpc1', 'CidrBlock'] }, 4, 8] }] }, '!Cidr, dotted !GetAtt, numbers as numbers');
  t.same(p.AvailabilityZone, { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] });
  t.same(p.Tags[0].Value, {
    'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, { 'Fn::ImportValue': 'shared-name' }, { 'Fn::FindInMap': ['Region', { Ref: 'AWS::Region' }, 'Ami'] }]],
  });
  t.same(p.Tags[1].Value, { 'Fn::Select': [1, { 'Fn::Split': [',', { 'Fn::Sub': '${Env},x' }] }] }, '!Sub on a string');
  t.same(
    p.Tags[2].Value,
    { 'Fn::Sub': ['${Name}-${Vpc1.CidrBlock}', { Name: { 'Fn::If': ['IsProd', { Ref: 'Env' }, { Ref: 'AWS::NoValue' }] } }] },
    '!Sub on a list',
  );
  t.same(p.Tags[3].Value, { 'Fn::GetAtt': ['Vpc1', 'DefaultSecurityGroup'] }, '!GetAtt on a list');
  t.same(p.Tags[4].Value, { 'Fn::Base64': { 'Fn::Sub': 'x' } }, 'a short form on a mapping');
  t.same(p.Tags[5].Value, { 'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: 's3://bucket/x.yaml' } } });

  const dir = tempDir(t);
  const file = join(dir, 'all.cf');
  writeFileSync(file, ALL_SHORT_FORMS);
  const sent = JSON.parse(renderStack(specFor(file))[0]!.content);
  t.same(sent, JSON.parse(JSON.stringify(tpl.document)), 'the template sent is the long-form document');
  const text = JSON.stringify(sent);
  for (const fn of [
    'Contains',
    'EachMemberEquals',
    'EachMemberIn',
    'RefAll',
    'ValueOf',
    'ValueOfAll',
    'Equals',
    'And',
    'Or',
    'Not',
    'If',
    'Transform',
    'Cidr',
    'GetAZs',
    'ImportValue',
    'Split',
    'Join',
    'Select',
    'FindInMap',
    'Base64',
    'Sub',
    'GetAtt',
  ]) {
    t.match(text, `"Fn::${fn}"`, `Fn::${fn} is sent`);
  }
  t.notMatch(text, /"![A-Z]/, 'no short form left');
  t.same(
    lintTemplate(file).filter((f) => f.severity === 'error'),
    [],
    'and it lints clean',
  );
});

t.test('an unknown tag is an error naming the tag and file:line:col', async (t) => {
  const text = 'Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Reff Name\n';
  t.match(
    thrown(t, () => parseTemplate(text, FILE)),
    /^patterns\/aws\/x\.cf:5:19: unknown tag !Reff: not one of CloudFormation's short forms/,
  );
  t.match(
    thrown(t, () => parseTemplate('Resources:\n  A: {Type: X, Properties: {L: !!binary aGk=}}\n', FILE)),
    /^patterns\/aws\/x\.cf:2:32: the tag !!binary is not one CloudFormation reads/,
  );
});

t.test('plain scalars are YAML 1.1, as CloudFormation (and cfn-lint) read them', async (t) => {
  const text =
    'Resources:\n  A:\n    Type: X\n    Properties:\n      V: [yes, No, on, OFF, y, True, 0755, 0x1F, 1_000, 1.10, 1e3, 1.0e+3, 08, ~, null, "", 2012-10-17, 190:20:30]\n      K: {1: a, yes: b}\n';
  const d = parseTemplate(text, FILE).document as any;
  t.same(d.Resources.A.Properties.V, [true, false, true, false, 'y', true, 493, 31, 1000, 1.1, '1e3', 1000, '08', null, null, '', '2012-10-17', 685230]);
  t.same(Object.keys(d.Resources.A.Properties.K), ['1', 'true'], 'keys become strings');
});

t.test('YAML CloudFormation accepts and strict YAML does not: read, with a warning naming the line', async (t) => {
  const text = `Resources:
  A:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: "a long name that goes
      on past its line"
      Tags: [{Key: a, Value: b},
\t{Key: c, Value: d}]
      TopicName: !Sub "x-\${AWS::Region}-
    y"
`;
  const { template, findings } = readTemplateText(text, FILE);
  t.ok(template, 'read');
  const props = (template!.document as any).Resources.A.Properties;
  t.equal(props.DisplayName, 'a long name that goes on past its line', 'folded as CloudFormation folds it');
  t.same(props.Tags, [
    { Key: 'a', Value: 'b' },
    { Key: 'c', Value: 'd' },
  ]);
  t.same(props.TopicName, { 'Fn::Sub': 'x-${AWS::Region}- y' });
  t.same(
    findings.map((f) => [f.severity, f.line, f.col]),
    [
      ['warning', 5, 20],
      ['warning', 7, 13],
      ['warning', 9, 23],
    ],
    'one warning per loose construct, where it starts',
  );
  t.match(findings[0]!.message, /^not strict YAML: the lines of this multi-line quoted string are not indented past its key/);
  t.match(findings[1]!.message, /^not strict YAML: tabs indent the lines of this flow collection/);
  const dir = tempDir(t);
  const file = join(dir, 'loose.cf');
  writeFileSync(file, text);
  t.same(
    lintTemplate(file).map((f) => f.severity),
    ['warning', 'warning', 'warning'],
    'lint warns, no error',
  );
  t.same(
    prepareStack(specFor(file)).warnings.map((f) => f.line),
    [5, 7, 9],
    'create passes the warnings on',
  );
});

const BROKEN = `Parameters:
  Size: {Type: String, Default: small}
Conditions:
  Big: !Equals [!Ref Sise, large]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    DependsOn: [Queue, Tabel]
    Properties:
      BucketName: !Ref Nam
      Tags:
        - Key: arn
          Value: !GetAtt Topik.Arn
        - Key: sub
          Value: !Sub '\${Undefined}-\${Queue.Arn}-\${!Literal}'
  Queue:
    Type: AWS::SQS::Queue
    DependsOn: Topic
    Condition: Small
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !GetAtt Bucket.Arn
`;

t.test('template errors: lint lists all of them with file:line:col; create stops on the first with the same line', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'broken.cf');
  writeFileSync(file, BROKEN);
  const findings = lintTemplate(file);
  const lines = findings.map(findingLine);
  t.same(lines, [
    `${file}:4:17: Ref 'Sise': no parameter, resource or pseudo parameter has that name`,
    `${file}:8:17: circular dependency: Bucket → Queue → Topic → Bucket`,
    `${file}:8:24: DependsOn 'Tabel': no resource has that name`,
    `${file}:10:19: Ref 'Nam': no parameter, resource or pseudo parameter has that name`,
    `${file}:13:18: Fn::GetAtt on 'Topik': no resource has that name`,
    `${file}:15:18: Fn::Sub uses \${Undefined}: no parameter, resource, pseudo parameter or Sub variable has that name`,
    `${file}:19:16: condition 'Small' is not defined in Conditions`,
  ]);
  t.match(findings.find((f) => f.message.startsWith("Ref 'Sise'"))!.hint, "did you mean 'Size'?");
  const first = thrown(t, () => prepareStack(specFor(file)));
  t.equal(first, lines[0], 'create stops on the first, with the same line');

  // Duplicate keys and bad indentation are reading errors, each with its place.
  writeFileSync(file, 'Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Type: AWS::SQS::Queue\n  B:\n    Type: AWS::SQS::Queue\n  B: {Type: X}\n');
  t.same(lintTemplate(file).map(findingLine), [`${file}:4:5: duplicate key 'Type' (first at line 3)`, `${file}:7:3: duplicate key 'B' (first at line 5)`]);
  t.equal(
    thrown(t, () => prepareStack(specFor(file))),
    `${file}:4:5: duplicate key 'Type' (first at line 3)`,
  );
  writeFileSync(file, 'Resources:\n  A:\n    Type: AWS::S3::Bucket\n   Properties: {}\n');
  t.match(lintTemplate(file).map(findingLine), [new RegExp(`^${file}:4:1: bad indentation`)]);
  t.match(
    thrown(t, () => prepareStack(specFor(file))),
    new RegExp(`^${file}:4:1: bad indentation`),
  );
  // A DependsOn circle of two, and a resource that names itself.
  writeFileSync(file, 'Resources:\n  A: {Type: X, DependsOn: B}\n  B: {Type: X, DependsOn: [A]}\n  C: {Type: X, Properties: {P: !Ref C}}\n');
  t.same(lintTemplate(file).map(findingLine), [`${file}:2:27: circular dependency: A → B → A`, `${file}:4:32: circular dependency: C → C`]);
});

t.test('templates with a transform are not name-checked: SAM and macros add resources CloudFormation only sees after expanding', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sam.cf');
  writeFileSync(
    file,
    'Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Role: !GetAtt FnRole.Arn}\nOutputs:\n  Api: {Value: !Ref ServerlessRestApi}\n',
  );
  t.same(lintTemplate(file), []);
});

t.test('JSON: duplicate keys with their place; nested 10,000 deep refused with a line, in reading, lint and create, never a stack overflow', async (t) => {
  t.match(
    thrown(t, () => parseTemplate('{\n  "Resources": {\n    "A": {"Type": "X"},\n    "A": {"Type": "Y"}\n  }\n}\n', FILE)),
    /^patterns\/aws\/x\.cf:4:5: duplicate key 'A' \(first at line 3\)$/,
  );
  const deep = `{"Resources": {"A": {"Type": "X", "Properties": {"P": ${'['.repeat(10_000)}${']'.repeat(10_000)}}}}}`;
  t.match(
    thrown(t, () => parseTemplate(deep, FILE)),
    /^patterns\/aws\/x\.cf:1:\d+: nested more than 256 levels deep$/,
  );
  const deepObjects = `{"Resources": {"A": {"Type": "X", "Properties": ${'{"a": '.repeat(10_000)}1${'}'.repeat(10_000)}}}}`;
  const dir = tempDir(t);
  const file = join(dir, 'deep.cf');
  writeFileSync(file, deepObjects);
  t.match(lintTemplate(file).map(findingLine), [new RegExp(`^${file}:1:\\d+: nested more than 256 levels deep$`)]);
  t.match(
    thrown(t, () => prepareStack(specFor(file))),
    /deep\.cf:1:\d+: nested more than 256 levels deep$/,
  );
  const deepYaml = `Resources:\n  A: {Type: X, Properties: {P: ${'['.repeat(10_000)}${']'.repeat(10_000)}}}\n`;
  t.match(
    thrown(t, () => parseTemplate(deepYaml, FILE)),
    /^patterns\/aws\/x\.cf:2:\d+: nested/,
    'and YAML likewise',
  );
  // Not strict JSON, but YAML: read as YAML, as CloudFormation does, with a warning.
  const trailing = readTemplateText('{"Resources": {"A": {"Type": "X",}}}', FILE);
  t.same((trailing.template!.document as any).Resources.A, { Type: 'X' });
  t.match(trailing.findings, [{ severity: 'warning', line: 1, col: 34, message: /^not strict JSON/ }]);
});

t.test('AllowedPattern is Java: translated where it can be, otherwise left to CloudFormation, never a crash', async (t) => {
  const pattern = (p: string, good: string[], bad: string[]) => {
    const r = translateJavaPattern(p);
    if (!r.ok) return t.fail(`${p}: ${r.reason}`);
    const re = new RegExp(`^(?:${r.source})$`, r.flags);
    for (const g of good) t.ok(re.test(g), `${p} matches ${JSON.stringify(g)}`);
    for (const b of bad) t.notOk(re.test(b), `${p} does not match ${JSON.stringify(b)}`);
  };
  pattern('[\\w-\\+]+', ['a-b+c_1'], ['a b', 'a.b']);
  pattern('a*+a', [], ['aaa', 'a']);
  pattern('[a-z]++[0-9]', ['abc1'], ['abc']);
  pattern('(?>a|ab)c', ['ac'], ['abc']);
  pattern('\\p{Alpha}\\p{Alnum}*', ['a1', 'Zz9'], ['1a', 'é']);
  pattern('[\\p{Upper}\\d]+', ['A1'], ['a']);
  pattern('\\Qa.b*\\E-\\d', ['a.b*-1'], ['axb-1']);
  pattern('(?i)yes|no', ['YES', 'no'], ['maybe']);
  pattern('\\s+\\S', [' \tx'], ['\u00a0x']);
  pattern('[\\.\\-_a-z]+', ['a.b-c_d'], ['A']);
  pattern('[a-zA-Z0-9-_]{1,3}', ['a-_', 'Z9'], ['a.b', '^']);
  pattern('[0-9a-zA-Z/=+-\\\\]+', ['a+\\'], ['a b']);
  pattern('(\\d)-\\1', ['1-1'], ['1-2']);
  for (const p of ['[a-z&&[^aeiou]]+', '\\p{InGreek}+', '(a)++\\1', 'a{', '(?x)a b', '[[a-z][0-9]]']) {
    const r = translateJavaPattern(p);
    t.notOk(r.ok, `${p} is left to CloudFormation`);
  }

  const text = `Parameters:
  Name: {Type: String, AllowedPattern: "[\\\\w-\\\\+]+", Default: "a-b"}
  Vowelless: {Type: String, AllowedPattern: "[a-z&&[^aeiou]]+", Default: "xyz"}
  Plain: {Type: String, AllowedPattern: "[a-z]+"}
Resources:
  A: {Type: AWS::SNS::Topic}
`;
  const decls = templateDeclarations(parseTemplate(text, FILE));
  const spec = (name: string) => mergeDeclarations([decls.find((d) => d.name === name)!]);
  t.equal(validateValue(spec('Name'), 'x-y+z'), undefined, 'a translated pattern checks values');
  t.match(validateValue(spec('Name'), 'x y'), /must match the pattern/);
  t.equal(validateValue(spec('Vowelless'), 'anything at all'), undefined, 'an untranslatable pattern is left to CloudFormation');
  t.match(decls.find((d) => d.name === 'Vowelless')!.constraints, { patternUnchecked: /intersection/ });
  // On a CommaDelimitedList (or List<...>), the pattern and the allowed values apply to each item, as CloudFormation applies them.
  const list = mergeDeclarations(
    templateDeclarations(
      parseTemplate(
        'Parameters:\n  Profiles: {Type: CommaDelimitedList, AllowedPattern: "\\\\w+", AllowedValues: [dev, test, q-a]}\nResources:\n  A: {Type: AWS::SNS::Topic}\n',
        FILE,
      ),
    ),
  );
  t.equal(validateValue(list, 'dev,test'), undefined, 'every item allowed');
  t.match(validateValue(list, 'dev,prod'), /^each item must be one of/);
  t.match(validateValue(list, 'dev,q-a'), /^each item must match the pattern \\w\+/);
  const dir = tempDir(t);
  const file = join(dir, 'patterns.cf');
  writeFileSync(file, text);
  t.same(lintTemplate(file).map(findingLine), [
    `${file}:3:45: Parameters.Vowelless.AllowedPattern is not checked by nepho (the class intersection '&&' at offset 4 has no JavaScript equivalent); CloudFormation will check values of Vowelless`,
  ]);
  t.same(
    prepareStack(specFor(file, { Plain: { value: 'abc', secret: false } })).warnings.map(findingLine),
    lintTemplate(file).map(findingLine),
    'create warns with the same one line',
  );
});

t.test('NoEcho in any spelling makes a secret, and lets a secret through to CloudFormation', async (t) => {
  for (const v of [true, 'true', 'True', 'TRUE', ' true ']) t.ok(isNoEcho(v), `${JSON.stringify(v)}`);
  for (const v of [false, 'false', 'yes', 1, undefined, null]) t.notOk(isNoEcho(v), `${JSON.stringify(v)}`);
  const text = `Parameters:
  A: {Type: String, NoEcho: true}
  B: {Type: String, NoEcho: "true"}
  C: {Type: String, NoEcho: "True"}
  D: {Type: String, NoEcho: "TRUE"}
  E: {Type: String, NoEcho: True}
  F: {Type: String, NoEcho: "false"}
Resources:
  T: {Type: AWS::SNS::Topic}
`;
  const decls = templateDeclarations(parseTemplate(text, FILE));
  // A to E spell NoEcho true, F spells it false.
  const secrets = [
    ['A', true],
    ['B', true],
    ['C', true],
    ['D', true],
    ['E', true],
    ['F', false],
  ];
  t.same(
    decls.map((d) => [d.name, d.secret === true]),
    secrets,
  );
  const dir = tempDir(t);
  const file = join(dir, 'noecho.cf');
  writeFileSync(file, text);
  const secret = (v: string) => ({ value: v, secret: true });
  const prepared = prepareStack(
    specFor(file, { A: secret('1'), B: secret('2'), C: secret('3'), D: secret('4'), E: secret('5'), F: { value: '6', secret: false } }),
  );
  t.same(
    prepared.parameters.map((p) => [p.key, p.secret]),
    secrets,
  );
  t.match(
    thrown(t, () => prepareStack(specFor(file, { A: secret('1'), B: secret('2'), C: secret('3'), D: secret('4'), E: secret('5'), F: secret('6') }))),
    /Parameters\.F receives a secret but is not NoEcho/,
  );
});
