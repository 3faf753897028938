import { readFileSync } from 'node:fs';
import { parse, type Tags } from 'yaml';
import { NephoError, messageOf } from '../../errors.js';
import type { Declaration } from '../../scenarios/parameters.js';

/** A CloudFormation template as read from a pattern file. */
export interface Template {
  /** The pattern file. */
  file: string;
  /** The file's text, sent to CloudFormation as written. */
  body: string;
  format: 'json' | 'yaml';
  /** The parsed document, short-form tags turned into their long form (`!Ref X` → `{Ref: X}`). */
  document: Record<string, unknown>;
}

/** CloudFormation's short-form intrinsic functions and the long form each stands for. */
const INTRINSICS: Record<string, string> = {
  Ref: 'Ref', Condition: 'Condition',
  And: 'Fn::And', Base64: 'Fn::Base64', Cidr: 'Fn::Cidr', Equals: 'Fn::Equals', FindInMap: 'Fn::FindInMap',
  GetAtt: 'Fn::GetAtt', GetAZs: 'Fn::GetAZs', If: 'Fn::If', ImportValue: 'Fn::ImportValue', Join: 'Fn::Join',
  Length: 'Fn::Length', Not: 'Fn::Not', Or: 'Fn::Or', Select: 'Fn::Select', Split: 'Fn::Split', Sub: 'Fn::Sub',
  ToJsonString: 'Fn::ToJsonString', Transform: 'Fn::Transform',
};

/** yaml tags for every short form, as a scalar, a sequence or a mapping. */
const CFN_TAGS: Tags = Object.entries(INTRINSICS).flatMap(([short, long]) => [
  {
    tag: `!${short}`,
    resolve: (value: string) => ({ [long]: short === 'GetAtt' ? splitGetAtt(value) : value }),
  },
  { tag: `!${short}`, collection: 'seq' as const, resolve: (value: { toJSON(): unknown }) => ({ [long]: value.toJSON() }) },
  { tag: `!${short}`, collection: 'map' as const, resolve: (value: { toJSON(): unknown }) => ({ [long]: value.toJSON() }) },
]) as Tags;

function splitGetAtt(value: string): string[] {
  const dot = value.indexOf('.');
  return dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
}

/** Parse template text (JSON, or YAML with short-form tags). Errors name the file and, for YAML, the line. */
export function parseTemplate(body: string, file: string): Template {
  const trimmed = body.trimStart();
  let document: unknown;
  let format: Template['format'];
  if (trimmed.startsWith('{')) {
    format = 'json';
    try {
      document = JSON.parse(body);
    } catch (error) {
      throw new NephoError('TEMPLATE_INVALID', `${file}: not valid JSON (${messageOf(error)})`);
    }
  } else {
    format = 'yaml';
    try {
      document = parse(body, { customTags: CFN_TAGS, prettyErrors: false, uniqueKeys: true });
    } catch (error) {
      const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
      throw new NephoError('TEMPLATE_INVALID', `${file}${line ? `:${line}` : ''}: not a valid template (${messageOf(error).split('\n')[0]})`);
    }
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new NephoError('TEMPLATE_INVALID', `${file}: a template must be a mapping with Resources`);
  }
  const doc = document as Record<string, unknown>;
  if (doc.Resources === null || typeof doc.Resources !== 'object' || Array.isArray(doc.Resources) || Object.keys(doc.Resources as object).length === 0) {
    throw new NephoError('TEMPLATE_INVALID', `${file}: Resources is missing or empty`);
  }
  return { file, body, format, document: doc };
}

/** Read and parse a pattern file. */
export function readTemplate(file: string): Template {
  let body: string;
  try {
    body = readFileSync(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new NephoError(missing ? 'PATTERN_MISSING' : 'TEMPLATE_INVALID', `${file}: ${missing ? 'pattern file not found' : messageOf(error)}`);
  }
  return parseTemplate(body, file);
}

/**
 * The template's own parameters as nepho declarations: `Type`, `Default`,
 * `AllowedValues`, `AllowedPattern`, `MinLength`, `MaxLength`, `MinValue`,
 * `MaxValue`, `NoEcho` and `Description`. A parameter the scenario does not
 * declare is still known through these.
 */
export function templateDeclarations(template: Template): Declaration[] {
  const params = template.document.Parameters;
  if (params === undefined || params === null) return [];
  if (typeof params !== 'object' || Array.isArray(params)) throw new NephoError('TEMPLATE_INVALID', `${template.file}: Parameters must be a mapping`);
  return Object.entries(params as Record<string, unknown>).map(([name, raw]) => {
    const bad = (field: string, what: string) => new NephoError('TEMPLATE_INVALID', `${template.file}: Parameters.${name}.${field} ${what}`);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new NephoError('TEMPLATE_INVALID', `${template.file}: Parameters.${name} must be a mapping`);
    const p = raw as Record<string, unknown>;
    if (typeof p.Type !== 'string') throw bad('Type', 'is required');
    const type = p.Type === 'Number' ? 'number' : 'string';
    const decl: Declaration = { name, type, constraints: { from: template.file }, origin: 'template' };
    if (typeof p.Description === 'string') decl.description = p.Description;
    if (p.NoEcho === true || p.NoEcho === 'true') decl.secret = true;
    const num = (field: string): number | undefined => {
      if (p[field] === undefined) return undefined;
      const n = Number(p[field]);
      if (!Number.isFinite(n)) throw bad(field, 'must be a number');
      return n;
    };
    if (p.Default !== undefined && p.Default !== null) {
      decl.default = type === 'number' ? num('Default')! : String(p.Default);
    }
    if (p.AllowedValues !== undefined) {
      if (!Array.isArray(p.AllowedValues)) throw bad('AllowedValues', 'must be a list');
      decl.constraints.choices = p.AllowedValues.map((v) => (type === 'number' ? Number(v) : String(v)));
      if (decl.constraints.choices.some((v) => typeof v === 'number' && !Number.isFinite(v))) throw bad('AllowedValues', 'must be a list of numbers (Type is Number)');
    }
    if (p.AllowedPattern !== undefined) {
      if (typeof p.AllowedPattern !== 'string') throw bad('AllowedPattern', 'must be a string');
      decl.constraints.pattern = p.AllowedPattern;
    }
    const c = decl.constraints;
    const minValue = num('MinValue'); if (minValue !== undefined) c.min = minValue;
    const maxValue = num('MaxValue'); if (maxValue !== undefined) c.max = maxValue;
    const minLength = num('MinLength'); if (minLength !== undefined) c.minLength = minLength;
    const maxLength = num('MaxLength'); if (maxLength !== undefined) c.maxLength = maxLength;
    return decl;
  });
}
