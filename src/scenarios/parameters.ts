import { NephoError } from '../errors.js';

/** The value types a parameter can have. */
export type ParameterType = 'string' | 'number' | 'boolean';

/** A parameter's value once parsed. */
export type ParameterValue = string | number | boolean;

/** One source's constraints on a parameter; a value must satisfy every set that applies. */
export interface Constraints {
  /** Where these constraints were declared, for error messages (`scenarios/default.yaml`, `FILE:12:3` in a pattern). */
  from: string;
  choices?: ParameterValue[];
  /** A regular expression the whole value must match (anchored, as providers' templates anchor theirs), as declared. */
  pattern?: string;
  /**
   * `pattern` as a JavaScript regular expression, when it was declared in
   * another dialect: a template's AllowedPattern is Java, translated.
   */
  patternAsJs?: { source: string; flags: string };
  /**
   * Why nepho does not check `pattern` itself (a Java pattern with no
   * JavaScript equivalent): the provider checks it when the value reaches it.
   */
  patternUnchecked?: string;
  /**
   * The value is a comma-separated list (a template's CommaDelimitedList or
   * List<...>): `choices` and `pattern` apply to each item, as the provider applies them.
   */
  eachListItem?: boolean;
  min?: number;
  max?: number;
  minLength?: number;
  maxLength?: number;
}

/** Everything known about one parameter after merging every declaration of it. */
export interface ParameterSpec {
  name: string;
  type: ParameterType;
  description?: string;
  /** The default the user sees (the narrowest declaration's). */
  default?: ParameterValue;
  /** Where the default comes from. */
  defaultFrom?: ParameterOrigin;
  secret: boolean;
  /** A value must be supplied (by default: when there is no default). */
  required: boolean;
  constraints: Constraints[];
}

/** Where a parameter's value came from, lowest precedence first. */
export type ParameterOrigin = 'template' | 'cloudlet' | 'scenario' | 'saved' | 'deployed' | 'file' | 'flag' | 'prompt';

/** The keys a parameter declaration may have (product.md, Formats). */
export const DECLARATION_KEYS = new Set(['type', 'default', 'description', 'choices', 'pattern', 'min', 'max', 'secret', 'required']);

/** A parameter as one file declares it, before merging. */
export interface Declaration {
  name: string;
  type?: ParameterType;
  description?: string;
  default?: ParameterValue;
  secret?: boolean;
  required?: boolean;
  constraints: Constraints;
  origin: ParameterOrigin;
}

/** Parameter names: what providers' templates and environment variables accept. */
export const PARAMETER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,254}$/;

/**
 * Read one `parameters:` entry of cloudlet.yaml or a scenario. `file` names
 * the file in errors; every problem names the field
 * (`scenarios/default.yaml: parameters.AppPort.min must be a number`).
 */
export function parseDeclaration(name: string, raw: unknown, file: string, origin: ParameterOrigin): Declaration {
  const where = `${file}: parameters.${name}`;
  const bad = (field: string, what: string) => new NephoError('SCENARIO_INVALID', `${where}${field ? `.${field}` : ''} ${what}`);
  if (!PARAMETER_NAME.test(name)) throw bad('', 'is not a valid parameter name (letters, digits and _, starting with a letter)');
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad('', 'must be a mapping (type, default, description, ...)');
  const d = raw as Record<string, unknown>;
  for (const key of Object.keys(d))
    if (!DECLARATION_KEYS.has(key)) throw bad(key, `is not a parameter key (expected one of ${[...DECLARATION_KEYS].join(', ')})`);

  const decl: Declaration = { name, constraints: { from: file }, origin };
  if (d.type !== undefined) {
    if (d.type !== 'string' && d.type !== 'number' && d.type !== 'boolean') throw bad('type', `'${String(d.type)}' is not string, number or boolean`);
    decl.type = d.type;
  }
  const type = decl.type ?? inferType(d.default) ?? 'string';
  if (d.description !== undefined) {
    if (typeof d.description !== 'string') throw bad('description', 'must be a string');
    decl.description = d.description;
  }
  for (const key of ['secret', 'required'] as const) {
    if (d[key] !== undefined) {
      if (typeof d[key] !== 'boolean') throw bad(key, 'must be true or false');
      decl[key] = d[key] as boolean;
    }
  }
  if (d.choices !== undefined) {
    if (!Array.isArray(d.choices) || d.choices.length === 0) throw bad('choices', 'must be a non-empty list');
    decl.constraints.choices = d.choices.map((c, i) => {
      const value = coerce(type, c);
      if (value === undefined) throw bad(`choices[${i}]`, `is not a ${type}`);
      return value;
    });
  }
  if (d.pattern !== undefined) {
    if (typeof d.pattern !== 'string') throw bad('pattern', 'must be a string (a regular expression)');
    if (type !== 'string') throw bad('pattern', `applies to strings, not to a ${type}`);
    try {
      new RegExp(d.pattern, 'u');
    } catch (error) {
      throw bad('pattern', `is not a valid regular expression (${(error as Error).message})`);
    }
    decl.constraints.pattern = d.pattern;
  }
  for (const key of ['min', 'max'] as const) {
    if (d[key] === undefined) continue;
    if (typeof d[key] !== 'number' || !Number.isFinite(d[key])) throw bad(key, 'must be a number');
    if (type !== 'number') throw bad(key, `applies to numbers, not to a ${type}`);
    decl.constraints[key] = d[key] as number;
  }
  if (decl.constraints.min !== undefined && decl.constraints.max !== undefined && decl.constraints.min > decl.constraints.max) {
    throw bad('min', `(${decl.constraints.min}) is greater than max (${decl.constraints.max})`);
  }
  if (d.default !== undefined && d.default !== null) {
    const value = coerce(type, d.default);
    if (value === undefined) throw bad('default', `${JSON.stringify(d.default)} is not a ${type}`);
    const why = violation(value, decl.constraints);
    if (why) throw bad('default', `${JSON.stringify(d.default)} breaks its own constraints: ${why}`);
    decl.default = value;
  }
  if (decl.type === undefined && (d.default !== undefined || d.choices !== undefined || d.min !== undefined)) decl.type = type;
  return decl;
}

function inferType(value: unknown): ParameterType | undefined {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  return undefined;
}

/**
 * Merge the declarations of one parameter, lowest precedence first (template,
 * cloudlet.yaml, scenario). The narrowest declaration's type, default and
 * description win; constraints accumulate, so a value must satisfy all of them.
 * A default that breaks any of them is refused naming the file and field that
 * declare it, and so are choices of which none satisfies every declaration.
 */
export function mergeDeclarations(decls: Declaration[]): ParameterSpec {
  const name = decls[0]!.name;
  const spec: ParameterSpec = { name, type: 'string', secret: false, required: true, constraints: [] };
  let required: boolean | undefined;
  let defaultDecl: Declaration | undefined;
  for (const d of decls) {
    if (d.type) spec.type = d.type;
    if (d.description !== undefined) spec.description = d.description;
    if (d.default !== undefined) {
      spec.default = d.default;
      spec.defaultFrom = d.origin;
      defaultDecl = d;
    }
    if (d.secret) spec.secret = true;
    if (d.required !== undefined) required = d.required;
    const { from, ...rest } = d.constraints;
    if (Object.keys(rest).length > 0) spec.constraints.push({ from, ...rest });
  }
  // A default declared under another type (a template's "80" for a number) is re-read under the final type.
  if (spec.default !== undefined && defaultDecl) {
    // Name the file and field that declare the default: that is what to edit.
    const field = defaultDecl.origin === 'template' ? `Parameters.${name}.Default` : `parameters.${name}.default`;
    const where = `${defaultDecl.constraints.from}: ${field}`;
    const value = coerce(spec.type, spec.default);
    if (value === undefined) {
      throw new NephoError('SCENARIO_INVALID', `${where} ${JSON.stringify(spec.default)} is not a ${spec.type}`);
    }
    spec.default = value;
    for (const c of spec.constraints) {
      const why = violation(value, c);
      const other = c.from === defaultDecl.constraints.from ? '' : ` (${c.from})`;
      if (why) throw new NephoError('SCENARIO_INVALID', `${where} ${JSON.stringify(value)} ${why}${other}`);
    }
  }
  // Choices that no other declaration allows would leave nothing to give, or an empty list at a prompt.
  const listed = spec.constraints.find((c) => c.choices);
  if (listed && !listed.choices!.some((v) => validateValue(spec, v) === undefined)) {
    const files = [...new Set(spec.constraints.map((c) => c.from))].join(', ');
    throw new NephoError('SCENARIO_INVALID', `parameter ${name}: no value satisfies every declaration (${files})`);
  }
  spec.required = required ?? spec.default === undefined;
  return spec;
}

/**
 * Read a value as the parameter's type: `-p` values arrive as strings, params
 * files as YAML values. Returns undefined when it cannot be read losslessly.
 */
export function coerce(type: ParameterType, value: unknown): ParameterValue | undefined {
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value === 'boolean') return String(value);
      return undefined;
    case 'number': {
      if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
      if (typeof value !== 'string' || value.trim() === '') return undefined;
      const text = value.trim();
      const n = Number(text);
      if (!Number.isFinite(n)) return undefined;
      // An integer a double cannot hold exactly would reach the provider changed.
      if (/^[+-]?\d+$/.test(text) && !Number.isSafeInteger(n)) return undefined;
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        const v = value.trim().toLowerCase();
        if (['true', 'yes', 'on', '1'].includes(v)) return true;
        if (['false', 'no', 'off', '0'].includes(v)) return false;
      }
      return undefined;
  }
}

function violation(value: ParameterValue, c: Constraints): string | undefined {
  const items = c.eachListItem && typeof value === 'string' ? value.split(',') : [value];
  const each = items.length > 1 ? 'each item ' : '';
  if (c.choices && !items.every((item) => c.choices!.some((choice) => choice === item))) {
    return `${each}must be one of ${c.choices.map((x) => JSON.stringify(x)).join(', ')}`;
  }
  if (c.pattern !== undefined && c.patternUnchecked === undefined && items.some((item) => typeof item === 'string' && !patternRegExp(c).test(item))) {
    return `${each}must match the pattern ${c.pattern}`;
  }
  if (typeof value === 'number') {
    if (c.min !== undefined && value < c.min) return `must be at least ${c.min}`;
    if (c.max !== undefined && value > c.max) return `must be at most ${c.max}`;
  }
  if (typeof value === 'string') {
    if (c.minLength !== undefined && value.length < c.minLength) return `must be at least ${c.minLength} characters long`;
    if (c.maxLength !== undefined && value.length > c.maxLength) return `must be at most ${c.maxLength} characters long`;
  }
  return undefined;
}

/** The declared pattern as an anchored JavaScript regular expression (the whole value must match). */
function patternRegExp(c: Constraints): RegExp {
  const { source, flags } = c.patternAsJs ?? { source: c.pattern!, flags: 'u' };
  return new RegExp(`^(?:${source})$`, flags);
}

/** Why a value is not acceptable for a parameter, or undefined when it is. Names the declaring file when several constrain it. */
export function validateValue(spec: ParameterSpec, value: ParameterValue): string | undefined {
  if (typeof value !== spec.type) return `must be a ${spec.type}`;
  for (const c of spec.constraints) {
    const why = violation(value, c);
    if (why) return spec.constraints.length > 1 ? `${why} (${c.from})` : why;
  }
  return undefined;
}

/** What is shown in place of a secret value, everywhere. */
export const MASK = '********';

/** A value as it may be printed: secrets masked. */
export function shown(spec: Pick<ParameterSpec, 'secret'>, value: ParameterValue | undefined): string {
  if (value === undefined) return '';
  return spec.secret ? MASK : String(value);
}
