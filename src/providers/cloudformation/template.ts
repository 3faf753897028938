import { readFileSync } from 'node:fs';
import { NephoError, messageOf } from '../../errors.js';
import type { Declaration } from '../../scenarios/parameters.js';
import { findingError, type PatternFinding } from '../findings.js';
import { readCfnJson } from './cfn-json.js';
import { readCfnYaml, type ReadProblem } from './cfn-yaml.js';
import { translateJavaPattern } from './java-regex.js';
import { SourceMap } from './source-map.js';

/** A CloudFormation template as read from a pattern file. */
export interface Template {
  /** The pattern file. */
  file: string;
  /** The file's text, as written. */
  body: string;
  format: 'json' | 'yaml';
  /** The parsed document as CloudFormation reads it, short-form tags turned into their long form (`!Ref X` → `{Ref: X}`). */
  document: Record<string, unknown>;
  /** Where each node of `document` was written. */
  map: SourceMap;
  /** Warnings from reading (text CloudFormation accepts that strict YAML or JSON does not), with their places. */
  notes: PatternFinding[];
}

/** What reading a template's text found: the template when it could be read, and every problem with its place. */
export interface TemplateRead {
  template?: Template;
  /** Errors (syntax, duplicate keys, unknown tags, no Resources) and warnings, in no particular order. */
  findings: PatternFinding[];
}

/**
 * Read template text (JSON, or YAML with short-form tags) and report every
 * problem of reading it, each with `file:line:col`. Text that starts with `{`
 * is JSON; when it is not valid JSON but is valid YAML (a trailing comma, say)
 * it is read as YAML, with a warning. Never throws for bad input.
 */
export function readTemplateText(body: string, file: string): TemplateRead {
  const problem = (p: ReadProblem, severity: PatternFinding['severity'] = 'error'): PatternFinding => ({
    file,
    line: p.line,
    col: p.col,
    message: p.message,
    severity,
  });
  let format: Template['format'] = 'yaml';
  let read: { value: unknown; map: SourceMap; errors: ReadProblem[] };
  const notes: PatternFinding[] = [];
  if (
    body
      .replace(/^\uFEFF/, '')
      .trimStart()
      .startsWith('{')
  ) {
    format = 'json';
    const json = readCfnJson(body);
    read = json;
    if (json.syntax && !/nested more than/.test(json.errors[0]!.message)) {
      const yaml = readCfnYaml(body);
      if (yaml.errors.length === 0 && yaml.value !== undefined) {
        const e = json.errors[0]!;
        notes.push(
          problem(
            { ...e, message: `not strict JSON (${e.message.replace(/^not valid JSON: /, '')}); read as YAML, which CloudFormation also accepts` },
            'warning',
          ),
        );
        read = yaml;
        format = 'yaml';
      }
    }
  } else {
    const yaml = readCfnYaml(body);
    read = yaml;
    notes.push(...yaml.loose.map((p) => problem(p, 'warning')));
  }
  const findings = [...read.errors.map((p) => problem(p)), ...notes];
  if (read.value === undefined) return { findings };
  const at = (path: (string | number)[], message: string): PatternFinding => ({ file, ...read.map.keyAt(path), message, severity: 'error' });
  const document = read.value;
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    findings.push(at([], 'a template must be a mapping with Resources'));
    return { findings };
  }
  const doc = document as Record<string, unknown>;
  if (doc.Resources === null || typeof doc.Resources !== 'object' || Array.isArray(doc.Resources) || Object.keys(doc.Resources as object).length === 0) {
    findings.push(at(doc.Resources === undefined ? [] : ['Resources'], 'Resources is missing or empty'));
    return { findings };
  }
  return { template: { file, body, format, document: doc, map: read.map, notes }, findings };
}

/** Parse template text (JSON, or YAML with short-form tags). The first error is thrown, naming `file:line:col`. */
export function parseTemplate(body: string, file: string): Template {
  const { template, findings } = readTemplateText(body, file);
  const first = firstError(findings);
  if (first || !template) throw findingError(first ?? { file, line: 0, col: 0, message: 'not a template', severity: 'error' }, 'TEMPLATE_INVALID');
  return template;
}

/** The error that comes first in the file, if any. */
export function firstError(findings: readonly PatternFinding[]): PatternFinding | undefined {
  return findings.filter((f) => f.severity === 'error').sort((a, b) => a.line - b.line || a.col - b.col)[0];
}

/** A pattern file's text; a missing or unreadable one is a NephoError naming it. */
export function readPatternText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new NephoError(missing ? 'PATTERN_MISSING' : 'TEMPLATE_INVALID', `${file}: ${missing ? 'pattern file not found' : messageOf(error)}`);
  }
}

/** Read and parse a pattern file. */
export function readTemplate(file: string): Template {
  return parseTemplate(readPatternText(file), file);
}

/** `file:line:col` of a node of a template, for messages. */
export type Place = (path: (string | number)[]) => string;

/** Where each node of `template` is, as `file:line:col` of the key that names it (or of the node). */
export function placeOf(template: Template): Place {
  return (path) => {
    const p = template.map.keyAt(path);
    return `${template.file}:${p.line}:${p.col}`;
  };
}

/**
 * CloudFormation's NoEcho is a boolean it also accepts as a string in any
 * case (`true`, `"true"`, `"True"`, `"TRUE"`): any of them makes a parameter secret.
 */
export function isNoEcho(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}

/**
 * The template's own parameters as nepho declarations: `Type`, `Default`,
 * `AllowedValues`, `AllowedPattern`, `MinLength`, `MaxLength`, `MinValue`,
 * `MaxValue`, `NoEcho` and `Description`. A parameter the scenario does not
 * declare is still known through these. `AllowedPattern` is a Java regular
 * expression: it is translated, and one that has no JavaScript equivalent is
 * left to CloudFormation (`constraints.patternUnchecked` says why).
 */
export function templateDeclarations(template: Template): Declaration[] {
  const params = template.document.Parameters;
  const where = placeOf(template);
  if (params === undefined || params === null) return [];
  if (typeof params !== 'object' || Array.isArray(params)) throw new NephoError('TEMPLATE_INVALID', `${where(['Parameters'])}: Parameters must be a mapping`);
  return Object.entries(params as Record<string, unknown>).map(([name, raw]) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new NephoError('TEMPLATE_INVALID', `${where(['Parameters', name])}: Parameters.${name} must be a mapping`);
    const p = raw as Record<string, unknown>;
    // A missing field is pointed at through its parameter's name.
    const bad = (field: string, what: string) =>
      new NephoError(
        'TEMPLATE_INVALID',
        `${where(p[field] === undefined ? ['Parameters', name] : ['Parameters', name, field])}: Parameters.${name}.${field} ${what}`,
      );
    if (typeof p.Type !== 'string') throw bad('Type', 'is required');
    const type = p.Type === 'Number' ? 'number' : 'string';
    // Constraints name where the parameter is declared, so that a Default breaking them points there.
    const decl: Declaration = { name, type, constraints: { from: where(['Parameters', name]) }, origin: 'template' };
    if (p.Type === 'CommaDelimitedList' || p.Type.startsWith('List<')) decl.constraints.eachListItem = true;
    if (typeof p.Description === 'string') decl.description = p.Description;
    if (isNoEcho(p.NoEcho)) decl.secret = true;
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
      if (decl.constraints.choices.some((v) => typeof v === 'number' && !Number.isFinite(v)))
        throw bad('AllowedValues', 'must be a list of numbers (Type is Number)');
    }
    if (p.AllowedPattern !== undefined) {
      if (typeof p.AllowedPattern !== 'string') throw bad('AllowedPattern', 'must be a string');
      decl.constraints.pattern = p.AllowedPattern;
      const js = translateJavaPattern(p.AllowedPattern);
      if (js.ok) decl.constraints.patternAsJs = { source: js.source, flags: js.flags };
      else decl.constraints.patternUnchecked = js.reason;
    }
    const c = decl.constraints;
    const minValue = num('MinValue');
    if (minValue !== undefined) c.min = minValue;
    const maxValue = num('MaxValue');
    if (maxValue !== undefined) c.max = maxValue;
    const minLength = num('MinLength');
    if (minLength !== undefined) c.minLength = minLength;
    const maxLength = num('MaxLength');
    if (maxLength !== undefined) c.maxLength = maxLength;
    return decl;
  });
}
