// Unit tests of CloudFormation pattern parsing (short-form tags, JSON) and of
// the parameter declarations a template makes for parameters a scenario does not declare.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTemplate, readTemplate, templateDeclarations } from '../../src/providers/cloudformation/template.js';
import { mergeDeclarations, validateValue } from '../../src/scenarios/parameters.js';
import { thrown } from '../fixtures/cli.js';
import { ROOT, tempDir } from '../fixtures/paths.js';

const FILE = 'patterns/aws/x.cf';

const YAML_TEMPLATE = `
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Size:
    Type: String
    Default: small
    AllowedValues: [small, large]
    Description: how big
  Port:
    Type: Number
    Default: "8080"
    MinValue: 1
    MaxValue: 65535
  Name:
    Type: String
    MinLength: 3
    MaxLength: 8
    AllowedPattern: "[a-z]+"
  Password:
    Type: String
    NoEcho: true
  Counts:
    Type: Number
    AllowedValues: [1, "2", 3]
  Key:
    Type: AWS::EC2::KeyPair::KeyName
Conditions:
  Big: !Equals [!Ref Size, large]
Resources:
  Thing:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !Sub "ami-\${Size}"
      SubnetId: !GetAtt Net.SubnetId
      Other: !GetAtt [Net, Arn]
      KeyName: !If [Big, !Ref Key, !Ref "AWS::NoValue"]
      UserData: !Base64
        Fn::Join: ["", [a, b]]
      Tags: !Sub
        - "\${X}-y"
        - X: !Ref Name
`;

t.test('YAML templates: short-form tags become their long form', async (t) => {
  const tpl = parseTemplate(YAML_TEMPLATE, FILE);
  t.equal(tpl.format, 'yaml');
  t.equal(tpl.body, YAML_TEMPLATE, 'the text is kept as written');
  const props = (tpl.document.Resources as any).Thing.Properties;
  t.same(props.ImageId, { 'Fn::Sub': 'ami-${Size}' });
  t.same(props.SubnetId, { 'Fn::GetAtt': ['Net', 'SubnetId'] }, '!GetAtt A.B splits at the first dot');
  t.same(props.Other, { 'Fn::GetAtt': ['Net', 'Arn'] }, '!GetAtt in sequence form');
  t.same(props.KeyName, { 'Fn::If': ['Big', { Ref: 'Key' }, { Ref: 'AWS::NoValue' }] }, '!If with nested !Ref');
  t.same(props.UserData, { 'Fn::Base64': { 'Fn::Join': ['', ['a', 'b']] } }, 'a tag on a mapping');
  t.same(props.Tags, { 'Fn::Sub': ['${X}-y', { X: { Ref: 'Name' } }] }, '!Sub in sequence form');
  t.same((tpl.document.Conditions as any).Big, { 'Fn::Equals': [{ Ref: 'Size' }, 'large'] });
});

t.test('JSON templates parse as JSON', async (t) => {
  const body = JSON.stringify(
    { Parameters: { Env: { Type: 'String', Default: 'dev', AllowedValues: ['dev', 'prod'] } }, Resources: { B: { Type: 'AWS::S3::Bucket' } } },
    null,
    2,
  );
  const tpl = parseTemplate(body, FILE);
  t.equal(tpl.format, 'json');
  const [env] = templateDeclarations(tpl);
  t.match(env, { name: 'Env', type: 'string', default: 'dev', origin: 'template', constraints: { from: FILE, choices: ['dev', 'prod'] } });
});

t.test("a template's parameters are declarations: Type, Default, AllowedValues, AllowedPattern, lengths, values, NoEcho, Description", async (t) => {
  const decls = templateDeclarations(parseTemplate(YAML_TEMPLATE, FILE));
  const by = Object.fromEntries(decls.map((d) => [d.name, d]));
  t.same(Object.keys(by), ['Size', 'Port', 'Name', 'Password', 'Counts', 'Key']);
  t.match(by.Size, { type: 'string', default: 'small', description: 'how big', constraints: { choices: ['small', 'large'] } });
  t.match(by.Port, { type: 'number', default: 8080, constraints: { min: 1, max: 65535 } });
  t.match(by.Name, { type: 'string', constraints: { minLength: 3, maxLength: 8, pattern: '[a-z]+' } });
  t.equal(by.Name!.default, undefined);
  t.equal(by.Password!.secret, true, 'NoEcho makes a secret');
  t.same(by.Counts!.constraints.choices, [1, 2, 3], 'number choices are numbers');
  t.equal(by.Key!.type, 'string', 'AWS-specific types are strings');

  const name = mergeDeclarations([by.Name!]);
  t.equal(name.required, true, 'no Default: required');
  t.match(validateValue(name, 'ab'), /at least 3 characters/);
  t.match(validateValue(name, 'abcdefghi'), /at most 8 characters/);
  t.match(validateValue(name, 'ABCD'), /must match the pattern/, 'AllowedPattern is anchored, as CloudFormation does');
  t.equal(validateValue(name, 'abcd'), undefined);
  t.equal(mergeDeclarations([by.Size!]).required, false, 'a Default makes it optional');
});

t.test('a template without Parameters declares nothing', async (t) => {
  t.same(templateDeclarations(parseTemplate('Resources:\n  B: {Type: "AWS::S3::Bucket"}\n', FILE)), []);
});

t.test('bad templates and parameters name the file, line and column', async (t) => {
  const res = 'Resources:\n  B: {Type: "AWS::S3::Bucket"}\n';
  t.match(
    thrown(t, () => parseTemplate('{"Resources": ', FILE)),
    /^patterns\/aws\/x\.cf:1:15: not valid JSON: expected a value, found the end of the file$/,
  );
  t.match(
    thrown(t, () => parseTemplate('Resources:\n  B: [\n', FILE)),
    /^patterns\/aws\/x\.cf:3:1: .*end with a \]/,
  );
  t.match(
    thrown(t, () => parseTemplate('- a\n- b\n', FILE)),
    /^patterns\/aws\/x\.cf:1:1: a template must be a mapping/,
  );
  t.match(
    thrown(t, () => parseTemplate('Parameters: {}\n', FILE)),
    /x\.cf:1:1: Resources is missing or empty/,
  );
  t.match(
    thrown(t, () => parseTemplate('Resources: {}\n', FILE)),
    /x\.cf:1:1: Resources is missing or empty/,
  );
  t.match(
    thrown(t, () => parseTemplate(`${res}Resources:\n  C: {}\n`, FILE)),
    /^patterns\/aws\/x\.cf:3:1: duplicate key 'Resources' \(first at line 1\)$/,
    'duplicate keys are refused',
  );
  const decl = (p: string) => () => templateDeclarations(parseTemplate(`Parameters:\n${p}\n${res}`, FILE));
  t.match(thrown(t, decl('  P: {Default: x}')), /x\.cf:2:3: Parameters\.P\.Type is required/);
  t.match(thrown(t, decl('  P: 5')), /x\.cf:2:3: Parameters\.P must be a mapping/);
  t.match(thrown(t, decl('  P: {Type: Number, Default: abc}')), /x\.cf:2:21: Parameters\.P\.Default must be a number/);
  t.match(thrown(t, decl('  P: {Type: Number, MinValue: low}')), /x\.cf:2:21: Parameters\.P\.MinValue must be a number/);
  t.match(thrown(t, decl('  P: {Type: String, MaxLength: long}')), /x\.cf:2:21: Parameters\.P\.MaxLength must be a number/);
  t.match(thrown(t, decl('  P: {Type: String, AllowedValues: a}')), /x\.cf:2:21: Parameters\.P\.AllowedValues must be a list/);
  t.match(thrown(t, decl('  P: {Type: Number, AllowedValues: [1, two]}')), /x\.cf:2:21: Parameters\.P\.AllowedValues must be a list of numbers/);
  t.match(thrown(t, decl('  P: {Type: String, AllowedPattern: [a]}')), /x\.cf:2:21: Parameters\.P\.AllowedPattern must be a string/);
  t.match(
    thrown(t, () => templateDeclarations(parseTemplate(`Parameters: [a]\n${res}`, FILE))),
    /x\.cf:1:1: Parameters must be a mapping/,
  );
});

t.test('readTemplate reads a pattern file; a missing one is named', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'p.cf');
  writeFileSync(file, YAML_TEMPLATE);
  t.equal(readTemplate(file).file, file);
  t.match(
    thrown(t, () => readTemplate(join(dir, 'none.cf'))),
    /none\.cf: pattern file not found/,
  );
});

t.test('the official mediawiki patterns parse, with every parameter known', async (t) => {
  for (const pattern of ['single-host', 'two-tier-with-vpc']) {
    const tpl = readTemplate(join(ROOT, 'official/huit/mediawiki/patterns/aws', `${pattern}.cf`));
    const names = templateDeclarations(tpl).map((d) => d.name);
    t.ok(names.includes('AmiId') && names.includes('SshCidr'), `${pattern}: ${names.join(', ')}`);
  }
});
