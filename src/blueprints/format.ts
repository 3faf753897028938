/**
 * The blueprint format: `blueprints/<name>.yaml` in a cloudlet lists several
 * formations (entries), each a scenario of this cloudlet or of another
 * installed one, with a provider, region, profile and parameters that may
 * read other entries' outputs (`{{formations.X.outputs.Y}}`). Reading checks
 * the file field by field, every problem with its line, and the graph the
 * entries make (unknown entries, cycles), before anything else looks at it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import { readCloudletText } from '../cloudlets/manifest.js';
import { CLOUDLET_ID } from '../cloudlets/names.js';
import { NephoError, excerpt, type ErrorCode } from '../errors.js';
import { SCENARIO_NAME } from '../scenarios/scenario.js';

/** Blueprint names: file names under `blueprints/`, nothing that could leave it. */
export const BLUEPRINT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Entry names: each becomes the end of a formation name (`NAME-entry`). */
export const ENTRY_NAME = /^[a-z][a-z0-9-]{0,61}$/;

/** A parameter value's reference to another entry's output. */
export interface OutputReference {
  entry: string;
  output: string;
}

/** One parameter of an entry, as the blueprint gives it. */
export interface BlueprintParameter {
  name: string;
  /**
   * As written: numbers and booleans written plainly keep their text
   * (`1.10` stays `1.10`), and are read as the parameter's type once its
   * declaration is known, as a params file's are.
   */
  value: string | number | boolean;
  /** The line it is on. */
  line: number;
  /** The outputs its value reads, in order; empty for a plain value. */
  references: OutputReference[];
}

/** One formation a blueprint makes. */
export interface BlueprintEntry {
  name: string;
  /** The line of the entry's name. */
  line: number;
  /** Another installed cloudlet the scenario comes from (`owner/name`, optionally with a version range). */
  cloudlet?: { id: string; range?: string };
  /** `default` when the entry names none. */
  scenario: string;
  provider?: string;
  region?: string;
  profile?: string;
  parameters: BlueprintParameter[];
  /** `depends_on`, as written. */
  dependsOn: string[];
  /** Every entry this one waits for, in the blueprint's order: those of `depends_on` and those whose outputs it reads. */
  after: string[];
  /** The line of each field given (`scenario`, `provider` ...), for messages. */
  lines: Record<string, number>;
}

/** A blueprint, read and checked. */
export interface Blueprint {
  name: string;
  file: string;
  summary?: string;
  description?: string;
  /** In the file's order. */
  entries: BlueprintEntry[];
  /** Entries in dependency order, as waves: each entry waits only for entries of earlier waves. */
  waves: string[][];
}

/** One problem of a blueprint file, where it is. */
export interface BlueprintProblem {
  code: ErrorCode;
  line: number;
  /** The field at fault (`formations.web.parameters.Port`), or empty for the file as a whole. */
  field: string;
  message: string;
}

/** `FILE:LINE: field message`, the line lint prints and commands stop with. */
export function problemText(file: string, p: BlueprintProblem): string {
  return `${file}:${p.line}: ${p.field ? `${p.field} ` : ''}${p.message}`;
}

/** A problem as the user error it is. */
export function problemError(file: string, p: BlueprintProblem, hint?: string): NephoError {
  return new NephoError(p.code, problemText(file, p), hint ? { hint } : {});
}

/** The file of blueprint `name` in a cloudlet. */
export function blueprintFile(cloudletDir: string, name: string): string {
  return join(cloudletDir, 'blueprints', `${name}.yaml`);
}

/** The blueprints a cloudlet has, with their one-line summaries. Files that do not read say so in the summary. */
export function listBlueprints(cloudletDir: string): { name: string; summary: string; file: string }[] {
  let files: string[];
  try {
    files = readdirSync(join(cloudletDir, 'blueprints'))
      .filter((f) => f.endsWith('.yaml') && BLUEPRINT_NAME.test(f.slice(0, -5)))
      .sort();
  } catch {
    return [];
  }
  return files.map((f) => {
    const name = f.slice(0, -'.yaml'.length);
    const file = blueprintFile(cloudletDir, name);
    const { blueprint, problems } = readBlueprint(file, name);
    const summary = problems.length > 0 ? `(invalid: ${problemText(file, problems[0]!)})` : (blueprint?.summary ?? '');
    return { name, summary, file };
  });
}

/** Read and check a cloudlet's blueprint; the first problem is thrown, naming file, line and field. */
export function loadBlueprint(cloudletDir: string, name: string): Blueprint {
  if (!BLUEPRINT_NAME.test(name)) {
    throw new NephoError('BAD_BLUEPRINT_NAME', `'${excerpt(name, 80)}' is not a blueprint name (lowercase letters, digits, '.', '_' and '-')`);
  }
  const file = blueprintFile(cloudletDir, name);
  let read: ReturnType<typeof readBlueprint>;
  try {
    read = readBlueprint(file, name);
  } catch (error) {
    if ((error as NephoError).code !== 'FILE_MISSING') throw error;
    const known = listBlueprints(cloudletDir).map((b) => b.name);
    throw new NephoError('BLUEPRINT_NOT_FOUND', `no blueprint '${name}' in ${cloudletDir}`, { hint: `blueprints: ${known.join(', ') || 'none'}` });
  }
  if (read.problems.length > 0) throw problemError(file, read.problems[0]!);
  return read.blueprint!;
}

const TOP_KEYS = ['summary', 'description', 'formations'];
const ENTRY_KEYS = ['scenario', 'cloudlet', 'provider', 'region', 'profile', 'parameters', 'depends_on'];
const PARAMETER_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const REFERENCE = /^formations\.([^.\s]+)\.outputs\.([A-Za-z][A-Za-z0-9_]*)$/;
/** Provider, region and profile names: one word, as every provider's names are. */
const WORD = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;

/**
 * Read a blueprint file and return every problem found, each with its line
 * (not only the first, for `cloudlet:lint`), and the blueprint when there
 * was none. A file that cannot be read at all is thrown.
 */
export function readBlueprint(file: string, name: string): { blueprint?: Blueprint; problems: BlueprintProblem[] } {
  const text = readCloudletText(file);
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const problems: BlueprintProblem[] = [];
  const bad = (line: number, field: string, message: string, code: ErrorCode = 'BLUEPRINT_INVALID') => void problems.push({ code, line, field, message });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    bad(e.linePos?.[0]?.line ?? 1, '', `not valid YAML (${excerpt(e.message.split('\n')[0] ?? '', 160)})`);
    return { problems };
  }
  const lineOf = (node: Node | Pair | null | undefined): number => {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    return range ? counter.linePos(range[0]).line : 1;
  };
  const root = doc.contents;
  if (!isMap(root)) {
    bad(lineOf(root), '', 'must be a mapping with formations (and optionally summary and description)');
    return { problems };
  }

  const blueprint: Blueprint = { name, file, entries: [], waves: [] };
  let formations: Node | null = null;
  let formationsLine = 1;
  for (const pair of root.items) {
    const key = keyOf(pair);
    const line = lineOf(pair.key as Node);
    if (key === undefined || !TOP_KEYS.includes(key)) {
      bad(line, key ?? '', `is not a blueprint key (expected one of ${TOP_KEYS.join(', ')})`);
      continue;
    }
    if (key === 'formations') {
      formations = pair.value as Node | null;
      formationsLine = line;
      continue;
    }
    const value = scalarOf(pair.value);
    if (value === null) continue;
    if (typeof value !== 'string') bad(line, key, 'must be a string');
    else blueprint[key as 'summary' | 'description'] = value;
  }
  if (!isMap(formations) || formations.items.length === 0) {
    bad(
      formations ? lineOf(formations) : formationsLine,
      'formations',
      'must be a mapping of at least one entry (entry name: scenario, provider, parameters ...)',
    );
    return { problems };
  }

  for (const pair of formations.items) {
    const entryName = keyOf(pair);
    const line = lineOf(pair.key as Node);
    const field = `formations.${entryName ?? '?'}`;
    if (entryName === undefined || !ENTRY_NAME.test(entryName)) {
      bad(line, field, "is not an entry name: it starts a formation name, so lowercase letters, digits and '-', starting with a letter");
      continue;
    }
    const entry = readEntry(entryName, line, pair.value as Node | null, lineOf, bad);
    if (entry) blueprint.entries.push(entry);
  }
  if (problems.length > 0) return { problems };

  checkGraph(blueprint, bad);
  if (problems.length > 0) return { problems };
  blueprint.waves = wavesOf(blueprint.entries);
  return { blueprint, problems };
}

type Bad = (line: number, field: string, message: string, code?: ErrorCode) => void;

/** One entry, field by field. */
function readEntry(
  name: string,
  line: number,
  node: Node | null,
  lineOf: (node: Node | Pair | null | undefined) => number,
  bad: Bad,
): BlueprintEntry | undefined {
  const field = `formations.${name}`;
  if (!isMap(node)) {
    bad(node ? lineOf(node) : line, field, `must be a mapping (${ENTRY_KEYS.join(', ')})`);
    return undefined;
  }
  const entry: BlueprintEntry = { name, line, scenario: 'default', parameters: [], dependsOn: [], after: [], lines: {} };
  const words = (key: string, value: unknown, keyLine: number, check: (text: string) => boolean, what: string): string | undefined => {
    if (typeof value === 'string' && check(value)) return value;
    bad(keyLine, `${field}.${key}`, what);
    return undefined;
  };
  for (const pair of node.items) {
    const key = keyOf(pair);
    const keyLine = lineOf(pair.key as Node);
    if (key === undefined || !ENTRY_KEYS.includes(key)) {
      bad(keyLine, `${field}.${key ?? '?'}`, `is not an entry key (expected one of ${ENTRY_KEYS.join(', ')})`);
      continue;
    }
    entry.lines[key] = keyLine;
    if (key === 'parameters') {
      readParameters(entry, pair.value as Node | null, keyLine, lineOf, bad);
      continue;
    }
    if (key === 'depends_on') {
      const list = pair.value as Node | null;
      if (!isSeq(list) || list.items.some((item) => typeof scalarOf(item) !== 'string')) {
        bad(keyLine, `${field}.depends_on`, 'must be a list of entry names');
        continue;
      }
      entry.dependsOn = list.items.map((item) => scalarOf(item) as string);
      continue;
    }
    const value = scalarOf(pair.value);
    switch (key) {
      case 'scenario': {
        const scenario = words(key, value, keyLine, (v) => SCENARIO_NAME.test(v), "must be a scenario name (lowercase letters, digits, '.', '_' and '-')");
        if (scenario) entry.scenario = scenario;
        break;
      }
      case 'cloudlet': {
        const text = words(key, value, keyLine, (v) => v.length <= 200, 'must be an installed cloudlet as owner/name, optionally @RANGE (acme/app@^1)');
        if (text === undefined) break;
        const at = text.indexOf('@');
        const id = at < 0 ? text : text.slice(0, at);
        const range = at < 0 ? undefined : text.slice(at + 1);
        if (!CLOUDLET_ID.test(id)) bad(keyLine, `${field}.cloudlet`, `'${excerpt(id, 80)}' is not owner/name (lowercase letters, digits and '-')`);
        else if (range !== undefined && (range.trim() === '' || semver.validRange(range) === null))
          bad(keyLine, `${field}.cloudlet`, `'${excerpt(range, 80)}' is not a semver range (such as ^1 or >=1.2 <2)`);
        else entry.cloudlet = range === undefined ? { id } : { id, range };
        break;
      }
      default: {
        const word = words(key, value, keyLine, (v) => WORD.test(v), `must be a ${key} name (one word)`);
        if (word) entry[key as 'provider' | 'region' | 'profile'] = word;
      }
    }
  }
  return entry;
}

/** An entry's parameters: scalar values, whose placeholders may only read other entries' outputs. */
function readParameters(entry: BlueprintEntry, node: Node | null, line: number, lineOf: (node: Node | Pair | null | undefined) => number, bad: Bad): void {
  const field = `formations.${entry.name}.parameters`;
  if (node === null || (isScalar(node) && node.value === null)) return;
  if (!isMap(node)) {
    bad(line, field, 'must be a mapping of parameter names to values');
    return;
  }
  for (const pair of node.items) {
    const key = keyOf(pair);
    const keyLine = lineOf(pair.key as Node);
    if (key === undefined || !PARAMETER_KEY.test(key)) {
      bad(keyLine, `${field}.${key ?? '?'}`, 'is not a parameter name (a letter, then letters, digits and _)');
      continue;
    }
    const value = losslessScalar(pair.value);
    if (value === undefined || value === null) {
      bad(keyLine, `${field}.${key}`, 'must be a string, a number or a boolean');
      continue;
    }
    const references: OutputReference[] = [];
    if (typeof value === 'string') {
      for (const [, expr] of value.matchAll(PLACEHOLDER)) {
        const m = REFERENCE.exec(expr!);
        if (!m) {
          bad(keyLine, `${field}.${key}`, `has an unknown placeholder {{${excerpt(expr!, 80)}}} (use {{formations.ENTRY.outputs.NAME}})`);
          continue;
        }
        references.push({ entry: m[1]!, output: m[2]! });
      }
    }
    entry.parameters.push({ name: key, value, line: keyLine, references });
  }
}

/**
 * The graph the entries make: every name in depends_on and in references an
 * entry (and not the entry itself), and no cycle. Fills each entry's `after`.
 */
function checkGraph(blueprint: Blueprint, bad: Bad): void {
  const names = blueprint.entries.map((e) => e.name);
  const known = new Set(names);
  for (const entry of blueprint.entries) {
    const after = new Set<string>();
    for (const dep of entry.dependsOn) {
      const line = entry.lines.depends_on ?? entry.line;
      if (dep === entry.name) bad(line, `formations.${entry.name}.depends_on`, 'names the entry itself', 'BLUEPRINT_CYCLE');
      else if (!known.has(dep))
        bad(
          line,
          `formations.${entry.name}.depends_on`,
          `names '${excerpt(dep, 80)}', which is not an entry of this blueprint (entries: ${names.join(', ')})`,
          'BLUEPRINT_REFERENCE',
        );
      else after.add(dep);
    }
    for (const p of entry.parameters) {
      for (const ref of p.references) {
        const field = `formations.${entry.name}.parameters.${p.name}`;
        if (ref.entry === entry.name)
          bad(
            p.line,
            field,
            `reads formations.${ref.entry}.outputs.${ref.output}, an output of its own formation, which does not exist before it`,
            'BLUEPRINT_CYCLE',
          );
        else if (!known.has(ref.entry))
          bad(
            p.line,
            field,
            `reads formations.${excerpt(ref.entry, 80)}.outputs.${ref.output}, but '${excerpt(ref.entry, 80)}' is not an entry of this blueprint (entries: ${names.join(', ')})`,
            'BLUEPRINT_REFERENCE',
          );
        else after.add(ref.entry);
      }
    }
    entry.after = names.filter((n) => after.has(n));
  }
  const cycle = findCycle(blueprint.entries);
  if (cycle) {
    const first = blueprint.entries.find((e) => e.name === cycle[0])!;
    bad(first.line, `formations.${first.name}`, `waits for itself, through depends_on or output references: ${cycle.join(' -> ')}`, 'BLUEPRINT_CYCLE');
  }
}

/** The first cycle among the entries (in file order), as the names around it, first repeated at the end. */
export function findCycle(entries: Pick<BlueprintEntry, 'name' | 'after'>[]): string[] | undefined {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    path.push(name);
    for (const next of byName.get(name)?.after ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const e of entries) {
    const found = visit(e.name);
    if (found) return found;
  }
  return undefined;
}

/** Entries in waves: the first those that wait for nothing, each next those whose every dependency is in an earlier one. */
export function wavesOf(entries: Pick<BlueprintEntry, 'name' | 'after'>[]): string[][] {
  const placed = new Set<string>();
  const waves: string[][] = [];
  let left = [...entries];
  while (left.length > 0) {
    const wave = left.filter((e) => e.after.every((d) => placed.has(d))).map((e) => e.name);
    if (wave.length === 0) break; // a cycle, refused before this is called
    waves.push(wave);
    for (const name of wave) placed.add(name);
    left = left.filter((e) => !placed.has(e.name));
  }
  return waves;
}

/** A value text with each `{{formations.X.outputs.Y}}` replaced by what `value` gives for it. */
export function fillReferences(text: string, value: (ref: OutputReference) => string): string {
  return text.replace(PLACEHOLDER, (whole, expr: string) => {
    const m = REFERENCE.exec(expr);
    return m ? value({ entry: m[1]!, output: m[2]! }) : whole;
  });
}

/** The output references in a value text, in order. */
export function referencesIn(text: string): OutputReference[] {
  const found: OutputReference[] = [];
  fillReferences(text, (ref) => {
    found.push(ref);
    return '';
  });
  return found;
}

function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) && (typeof pair.key.value === 'string' || typeof pair.key.value === 'number') ? String(pair.key.value) : undefined;
}

/** A scalar's value; undefined for a mapping or a list, null for an empty value. */
function scalarOf(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  return isScalar(node) ? node.value : undefined;
}

/** A scalar's value, numbers and booleans written plainly kept as their text. */
function losslessScalar(node: unknown): string | number | boolean | null | undefined {
  if (node === null || node === undefined) return null;
  if (!isScalar(node)) return undefined;
  const v = node.value;
  if (node.type === 'PLAIN' && (typeof v === 'number' || typeof v === 'boolean') && node.source !== undefined) return node.source;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : v === null ? null : undefined;
}
