import { parseDocument, visit } from 'yaml';
import { NephoError, excerpt, messageOf, quoted } from '../errors.js';
import { SmallFileError, readSmallFile } from '../fs.js';
import { coerce, mergeDeclarations, validateValue, type Declaration, type ParameterOrigin, type ParameterSpec, type ParameterValue } from './parameters.js';

/** Where user-supplied values come from, each list in the order given. */
export interface ParameterSources {
  /** Saved values, widest scope first (`*`, cloudlet, scenario). */
  saved: { scope: string; values: Record<string, ParameterValue> }[];
  /**
   * The values a formation was deployed with (an update): above saved
   * values, below files and flags. Parameters the scenario no longer has are
   * left out (the caller reports them as dropped).
   */
  deployed?: Record<string, ParameterValue>;
  /** `--params-file` files, in order. */
  files: { path: string; values: Record<string, unknown> }[];
  /** `-p KEY=VALUE` flags, in order. */
  flags: { key: string; value: string }[];
}

/** A parameter with its final value and where that value came from. */
export interface ResolvedParameter {
  spec: ParameterSpec;
  value?: ParameterValue;
  origin?: ParameterOrigin;
  /** The file, scope or flag that supplied the value. */
  from?: string;
}

/** The outcome of resolution: every parameter, and the required ones still without a value. */
export interface Resolution {
  parameters: ResolvedParameter[];
  missing: ParameterSpec[];
}

/**
 * Merge declarations by name. `layers` go from the lowest precedence (the
 * template) to the highest (the scenario). The result lists parameters in the
 * order the highest layer declares them, then those only lower layers know.
 */
export function collectSpecs(layers: Declaration[][]): ParameterSpec[] {
  const byName = new Map<string, Declaration[]>();
  for (const layer of layers) for (const d of layer) byName.set(d.name, [...(byName.get(d.name) ?? []), d]);
  const order = [...layers].reverse().flatMap((layer) => layer.map((d) => d.name));
  return [...new Set(order)].map((name) => mergeDeclarations(byName.get(name)!));
}

/** Split `KEY=VALUE` at the first `=`: the value may contain more. */
export function parseFlag(text: string): { key: string; value: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new NephoError('BAD_ARGUMENT', `-p '${text}' is not KEY=VALUE`);
  return { key: text.slice(0, eq), value: text.slice(eq + 1) };
}

/** The largest `--params-file` nepho reads: a parameters file is a few lines. */
export const PARAMS_FILE_MAX_BYTES = 1024 * 1024;

/** Bytes no YAML or JSON text holds: control characters other than tab and line ends, and what is not UTF-8 (U+FFFD once decoded). */
const BINARY = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]/;

/**
 * Read a `--params-file` (YAML or JSON): a mapping of parameter names to
 * values. Only a regular file of at most PARAMS_FILE_MAX_BYTES is read; one
 * holding binary data is refused naming its first such character and line,
 * and no message ever quotes more than a short, escaped excerpt of the file.
 */
export function readParamsFile(path: string): { path: string; values: Record<string, unknown> } {
  let text: string;
  try {
    text = readSmallFile(path, PARAMS_FILE_MAX_BYTES).toString('utf8');
  } catch (error) {
    if (!(error instanceof SmallFileError)) throw error;
    throw new NephoError('PARAMS_FILE', `--params-file ${path}: ${error.message}`, {
      hint: error.reason === 'missing' ? undefined : 'give a YAML or JSON file of parameter names and values',
    });
  }
  const binary = BINARY.exec(text);
  if (binary) {
    const line = lineOf(text, binary.index);
    const column = binary.index - text.lastIndexOf('\n', binary.index - 1);
    throw new NephoError('PARAMS_FILE', `${path}:${line}: not YAML or JSON: binary data (${quoted(binary[0])} at column ${column})`, {
      hint: 'give a YAML or JSON file of parameter names and values',
    });
  }
  let values: unknown;
  try {
    values = text.trim() === '' ? {} : parseLossless(text);
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    // YAML's first line of a message says what and where; the file's text follows it and is not repeated.
    const reason = (messageOf(error).split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new NephoError('PARAMS_FILE', `${path}${line ? `:${line}` : ''}: not valid YAML or JSON (${excerpt(reason, 120)})`);
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new NephoError('PARAMS_FILE', `${path}: expected a mapping of parameter names to values`);
  }
  return { path, values: values as Record<string, unknown> };
}

/** The 1-based line of the character at `index`. */
function lineOf(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at >= 0 && at < index; at = text.indexOf('\n', at + 1)) line++;
  return line;
}

/**
 * Parse YAML (or JSON) keeping the text of unquoted numbers and booleans as
 * written: `Version: 1.10` or `Zip: 02138` must reach a string parameter
 * unchanged, and `coerce` reads the text for number and boolean parameters.
 */
function parseLossless(text: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw doc.errors[0];
  visit(doc, {
    Scalar(_key, node) {
      if (node.type === 'PLAIN' && (typeof node.value === 'number' || typeof node.value === 'boolean') && node.source !== undefined) node.value = node.source;
    },
  });
  return doc.toJS();
}

/**
 * Apply values in product.md's order, lowest first: declared defaults
 * (template, cloudlet.yaml, scenario; not for a parameter declared
 * `required: true`), saved values (widest scope first),
 * params files in order, `-p` flags in order. Every value is read as its
 * parameter's type and checked against every constraint; a key no
 * declaration knows is an error naming where it came from (saved values for
 * parameters this scenario does not have are ignored: they may be meant for
 * another). Secrets are never taken from saved values.
 */
export function resolveValues(specs: ParameterSpec[], sources: ParameterSources, label: string, configFile = 'config.yaml'): Resolution {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const resolved = new Map<string, ResolvedParameter>(
    specs.map((spec) => [
      spec.name,
      // A parameter declared `required: true` despite its default must be supplied: the default is only what a prompt offers.
      spec.default === undefined || spec.required ? { spec } : { spec, value: spec.default, origin: spec.defaultFrom ?? 'scenario' },
    ]),
  );
  const known = () => specs.map((s) => s.name).join(', ') || 'none';

  const apply = (key: string, raw: unknown, origin: ParameterOrigin, from: string, strict: boolean) => {
    const spec = byName.get(key);
    if (!spec) {
      if (!strict) return;
      throw new NephoError('UNKNOWN_PARAMETER', `${from}: unknown parameter ${quoted(key)} for ${label}`, { hint: `known parameters: ${known()}` });
    }
    if (origin === 'saved' && spec.secret) {
      throw new NephoError('SECRET_SAVED', `${from}: ${key} is a secret and is never read from saved values`, {
        hint: `remove it with nepho parameter:unset ${key}`,
      });
    }
    const value = coerce(spec.type, raw);
    if (value === undefined) throw new NephoError('BAD_PARAMETER', `${from}: ${key} must be a ${spec.type}`);
    const why = validateValue(spec, value);
    if (why) throw new NephoError('BAD_PARAMETER', `${from}: ${key} ${why}`);
    resolved.set(key, { spec, value, origin, from });
  };

  for (const layer of sources.saved) {
    for (const [key, value] of Object.entries(layer.values)) apply(key, value, 'saved', `${configFile} parameters."${layer.scope}"`, false);
  }
  for (const [key, value] of Object.entries(sources.deployed ?? {})) apply(key, value, 'deployed', 'the deployed value', false);
  for (const file of sources.files) {
    for (const [key, value] of Object.entries(file.values)) apply(key, value, 'file', file.path, true);
  }
  for (const { key, value } of sources.flags) apply(key, value, 'flag', `-p ${key}`, true);

  const parameters = [...resolved.values()];
  return { parameters, missing: parameters.filter((p) => p.value === undefined && p.spec.required).map((p) => p.spec) };
}

/** Record answers given at a prompt (already validated by the prompt). */
export function applyAnswers(resolution: Resolution, answers: Record<string, ParameterValue>): Resolution {
  const parameters = resolution.parameters.map((p) =>
    answers[p.spec.name] === undefined ? p : { ...p, value: answers[p.spec.name]!, origin: 'prompt' as const, from: 'prompt' },
  );
  return { parameters, missing: parameters.filter((p) => p.value === undefined && p.spec.required).map((p) => p.spec) };
}

/** The error for required parameters that have no value and cannot be asked for: names every one. */
export function missingParametersError(missing: ParameterSpec[], why: string, hint = 'supply them with -p KEY=VALUE or --params-file FILE'): NephoError {
  const list = missing.map((s) => (s.description ? `${s.name} (${oneLine(s.description)})` : s.name)).join(', ');
  return new NephoError('MISSING_PARAMETERS', `missing ${missing.length === 1 ? 'parameter' : 'parameters'} ${list}; ${why}`, { hint });
}

/** A description squeezed onto one line, for messages and prompts. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
