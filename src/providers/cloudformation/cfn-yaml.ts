import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import type { Position, NodePath } from './source-map.js';
import { SourceMap } from './source-map.js';

/**
 * CloudFormation templates in YAML, read as CloudFormation reads them: YAML
 * 1.1 scalars (`yes` is true, `0755` is 493, `2010-09-09` stays a string
 * because CloudFormation has no timestamps), every short-form intrinsic
 * (`!Ref`, `!Sub`, ... and the Rules ones, `!EachMemberIn`, `!ValueOfAll`...)
 * turned into its long form, and the looseness CloudFormation's parser lets
 * through (see `loosen`). The `yaml` library does the parsing; this module
 * builds the plain document from its nodes, keeping where each was written.
 */

/** Every short-form intrinsic CloudFormation knows, and the long form each stands for. */
export const SHORT_FORMS: ReadonlyMap<string, string> = new Map([
  ...['Ref', 'Condition'].map((n): [string, string] => [n, n]),
  ...[
    'And',
    'Base64',
    'Cidr',
    'Contains',
    'EachMemberEquals',
    'EachMemberIn',
    'Equals',
    'FindInMap',
    'ForEach',
    'GetAtt',
    'GetAZs',
    'If',
    'ImportValue',
    'Join',
    'Length',
    'Not',
    'Or',
    'RefAll',
    'Select',
    'Split',
    'Sub',
    'ToJsonString',
    'Transform',
    'ValueOf',
    'ValueOfAll',
  ].map((n): [string, string] => [n, `Fn::${n}`]),
]);

/** The deepest nesting a template may have; deeper ones are refused before anything recurses over them. */
export const MAX_DEPTH = 256;
/** The most values a template may expand to through YAML aliases. */
const MAX_NODES = 1_000_000;

/** A problem found while reading, at a place in the original text. */
export interface ReadProblem extends Position {
  message: string;
}

/** What reading a YAML template gives. */
export interface YamlRead {
  /** The plain document (long-form intrinsics), or undefined when it could not be read. */
  value: unknown;
  map: SourceMap;
  /** Errors: syntax (only the first, later ones are usually its echoes), duplicate keys, unknown tags. */
  errors: ReadProblem[];
  /** Where the text needed `loosen` to be read: CloudFormation accepts it, strict YAML tools do not. */
  loose: ReadProblem[];
}

/** Read a YAML template. Never throws for bad input: problems come back with their positions. */
export function readCfnYaml(text: string): YamlRead {
  const strict = parseOnce(text);
  if (!strict.syntax) return { value: strict.value, map: strict.map, errors: strict.errors, loose: [] };
  const loosened = loosen(text);
  const second = loosened && parseOnce(loosened.text);
  if (!loosened || !second) return { value: undefined, map: strict.map, errors: strict.errors, loose: [] };
  // Positions in the loosened text: the same lines, columns shifted where indentation was added.
  const back = (p: Position): Position => ({ line: p.line, col: Math.max(1, p.col - (loosened.shifts.get(p.line) ?? 0)) });
  if (second.syntax) {
    // Still unreadable. An error past the strict parse's first one means loosening got over that one, and this is what is left.
    const first = strict.errors[0]!;
    const left = second.errors.map((e) => ({ ...e, ...back(e) }))[0]!;
    const later = left.line > first.line || (left.line === first.line && left.col > first.col);
    return { value: undefined, map: strict.map, errors: later ? [left] : strict.errors, loose: [] };
  }
  const map = new SourceMap();
  second.map.forEachShifted(map, back);
  return { value: second.value, map, errors: second.errors.map((e) => ({ ...e, ...back(e) })), loose: loosened.notes };
}

interface Parsed {
  value: unknown;
  map: ShiftableMap;
  errors: ReadProblem[];
  /** The errors include a syntax error (nothing else was read). */
  syntax: boolean;
}

/** A SourceMap whose positions can be re-based onto the original text after loosening. */
class ShiftableMap extends SourceMap {
  private readonly entries: [NodePath, Position, Position | undefined][] = [];
  override set(path: NodePath, value: Position, key?: Position): void {
    super.set(path, value, key);
    this.entries.push([path, value, key]);
  }
  forEachShifted(target: SourceMap, back: (p: Position) => Position): void {
    for (const [path, value, key] of this.entries) target.set(path, back(value), key && back(key));
  }
}

function parseOnce(text: string): Parsed {
  const lineCounter = new LineCounter();
  const map = new ShiftableMap();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false, prettyErrors: false, logLevel: 'silent', lineCounter, strict: true });
  } catch (error) {
    // The yaml library reports its own failures as errors; anything thrown (a stack overflow on absurd input) is one too.
    return { value: undefined, map, errors: [{ line: 1, col: 1, message: `not readable as YAML (${(error as Error).message})` }], syntax: true };
  }
  const errors: ReadProblem[] = [];
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0] ?? lineCounter.linePos(first.pos[0]);
    errors.push({ line: pos.line, col: pos.col, message: syntaxMessage(first.code, first.message) });
    return { value: undefined, map, errors, syntax: true };
  }
  const builder = new Builder(doc, lineCounter, map, text);
  let value: unknown;
  try {
    value = builder.build(doc.contents, [], 0);
  } catch (error) {
    if (!(error instanceof TooDeep)) throw error;
    errors.push(...builder.errors, error.problem);
    return { value: undefined, map, errors, syntax: false };
  }
  errors.push(...builder.errors);
  return { value, map, errors, syntax: false };
}

/** The yaml library's message, on one line, in words a template author knows. */
function syntaxMessage(code: string, message: string): string {
  const line = message
    .split('\n')[0]!
    .replace(/\s+at line \d+, column \d+:?$/, '')
    .trim();
  if (code === 'RESOURCE_EXHAUSTION') return `nested too deeply to read (${line})`;
  if (code === 'BAD_INDENT' || code === 'TAB_AS_INDENT' || code === 'MISSING_CHAR' || code === 'MULTILINE_IMPLICIT_KEY')
    return `bad indentation or structure: ${line}`;
  return `not valid YAML: ${line}`;
}

class TooDeep extends Error {
  constructor(readonly problem: ReadProblem) {
    super(problem.message);
  }
}

/** Booleans, nulls, integers and floats as PyYAML and CloudFormation read YAML 1.1 plain scalars. */
const TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** A plain (unquoted, untagged) scalar's value under YAML 1.1, as CloudFormation reads it. */
export function resolvePlain(text: string): string | number | boolean | null {
  if (TRUE.test(text)) return true;
  if (FALSE.test(text)) return false;
  if (FLOAT.test(text)) return yamlFloat(text);
  if (INT.test(text)) return yamlInt(text);
  if (NULL.test(text)) return null;
  return text;
}

function sexagesimal(text: string): number {
  return text.split(':').reduce((total, part) => total * 60 + Number(part), 0);
}

function yamlInt(raw: string): number {
  let text = raw.replace(/_/g, '');
  let sign = 1;
  if (text[0] === '-' || text[0] === '+') {
    if (text[0] === '-') sign = -1;
    text = text.slice(1);
  }
  if (text === '0') return 0;
  if (text.startsWith('0b')) return sign * parseInt(text.slice(2), 2);
  if (text.startsWith('0x')) return sign * parseInt(text.slice(2), 16);
  if (text.startsWith('0')) return sign * parseInt(text, 8);
  if (text.includes(':')) return sign * sexagesimal(text);
  return sign * Number(text);
}

function yamlFloat(raw: string): number {
  let text = raw.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (text[0] === '-' || text[0] === '+') {
    if (text[0] === '-') sign = -1;
    text = text.slice(1);
  }
  if (text === '.inf') return sign * Infinity;
  if (text === '.nan') return NaN;
  if (text.includes(':')) return sign * sexagesimal(text);
  return sign * Number(text);
}

const YAML_TAG = 'tag:yaml.org,2002:';

/** Builds the plain document from the yaml library's nodes, recording positions and problems. */
class Builder {
  readonly errors: ReadProblem[] = [];
  private nodes = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    private readonly map: SourceMap,
    private readonly text: string,
  ) {}

  /** Where a node's tag is written (just before the node), else where the node is. */
  private tagPos(node: Node, tag: string, fallback: Position): Position {
    const start = node.range?.[0];
    if (start === undefined) return fallback;
    const at = this.text.lastIndexOf(tag, start);
    return at >= 0 && start - at < 4096 ? this.lines.linePos(at) : fallback;
  }

  private pos(node: { range?: readonly number[] | null } | null | undefined, fallback: Position): Position {
    const offset = node?.range?.[0];
    return offset === undefined ? fallback : this.lines.linePos(offset);
  }

  build(node: Node | Pair | null | undefined, path: NodePath, depth: number, at: Position = { line: 1, col: 1 }): unknown {
    if (node === null || node === undefined) return null;
    let pos = this.pos(node as Node, at);
    if (depth > MAX_DEPTH) throw new TooDeep({ ...pos, message: `nested more than ${MAX_DEPTH} levels deep` });
    if (++this.nodes > MAX_NODES) throw new TooDeep({ ...pos, message: `expands to more than ${MAX_NODES} values (through aliases)` });
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) {
        this.errors.push({ ...pos, message: `unknown alias *${node.source}` });
        return null;
      }
      return this.build(target, path, depth + 1, pos);
    }
    const tag = (node as Node).tag;
    const short = tag?.startsWith('!') && tag !== '!' && !tag.startsWith('!!') ? tag.slice(1) : undefined;
    // A tagged node is where its tag is written: errors about `!Ref X` point at `!Ref`.
    if (tag !== undefined && tag !== '!') pos = this.tagPos(node as Node, tag.startsWith(YAML_TAG) ? `!!${tag.slice(YAML_TAG.length)}` : tag, pos);
    let value: unknown;
    if (short !== undefined) {
      const long = SHORT_FORMS.get(short);
      if (!long) {
        this.errors.push({ ...pos, message: `unknown tag !${short}: not one of CloudFormation's short forms (!Ref, !Sub, !GetAtt, ...)` });
        value = this.untagged(node as Node, path, depth, pos);
      } else {
        let inner: unknown;
        if (isScalar(node)) {
          // A tagged scalar is its text as written: `!Ref 123` names "123".
          const text = String(node.value);
          inner = long === 'Fn::GetAtt' ? splitGetAtt(text) : text;
          this.map.set([...path, long], pos);
        } else {
          inner = this.untagged(node as Node, [...path, long], depth + 1, pos);
        }
        value = { [long]: inner };
      }
    } else {
      value = this.untagged(node as Node, path, depth, pos, tag);
    }
    this.map.set(path, pos);
    return value;
  }

  /** A node as plain YAML: a mapping, a sequence or a scalar, with its standard tag if any. */
  private untagged(node: Node, path: NodePath, depth: number, pos: Position, tag?: string): unknown {
    const standard = tag?.startsWith(YAML_TAG) ? tag.slice(YAML_TAG.length) : tag === '!' ? 'str' : undefined;
    if (tag !== undefined && standard === undefined && !tag.startsWith('!')) {
      this.errors.push({ ...pos, message: `unknown tag ${tag}` });
    }
    if (isMap(node)) {
      if (standard !== undefined && standard !== 'map') this.errors.push({ ...pos, message: `!!${standard} cannot tag a mapping` });
      return this.mapping(node.items as Pair[], path, depth, pos);
    }
    if (isSeq(node)) {
      if (standard !== undefined && standard !== 'seq') this.errors.push({ ...pos, message: `!!${standard} cannot tag a sequence` });
      return (node.items as Node[]).map((item, i) => {
        const v = this.build(item, [...path, i], depth + 1, pos);
        return v;
      });
    }
    if (isScalar(node)) {
      const text = String(node.value ?? '');
      if (standard === undefined) return node.type === 'PLAIN' ? resolvePlain(text) : text;
      return this.standardScalar(standard, text, pos);
    }
    return null;
  }

  private standardScalar(standard: string, text: string, pos: Position): unknown {
    switch (standard) {
      case 'str':
        return text;
      case 'null':
        return null;
      case 'bool':
        if (TRUE.test(text)) return true;
        if (FALSE.test(text)) return false;
        break;
      case 'int':
        if (INT.test(text)) return yamlInt(text);
        break;
      case 'float':
        if (FLOAT.test(text) || INT.test(text)) return FLOAT.test(text) ? yamlFloat(text) : yamlInt(text);
        break;
      default:
        this.errors.push({ ...pos, message: `the tag !!${standard} is not one CloudFormation reads` });
        return text;
    }
    this.errors.push({ ...pos, message: `'${text}' is not a valid !!${standard}` });
    return text;
  }

  /** A mapping: keys as strings (as JSON has them), `<<` merges as PyYAML does them, duplicate keys refused. */
  private mapping(pairs: Pair[], path: NodePath, depth: number, pos: Position): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const seen = new Map<string, Position>();
    const merged: [string, unknown][] = [];
    const own: [string, unknown][] = [];
    for (const pair of pairs) {
      const keyNode = pair.key as Node | null;
      const keyPos = this.pos(keyNode, pos);
      if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.tag === undefined && keyNode.value === '<<') {
        merged.push(...this.mergeSources(pair.value as Node | null, path, depth, keyPos));
        continue;
      }
      const key = this.key(keyNode, keyPos);
      if (key === undefined) continue;
      const previous = seen.get(key);
      if (previous) {
        this.errors.push({ ...keyPos, message: `duplicate key '${key}' (first at line ${previous.line})` });
      } else {
        seen.set(key, keyPos);
      }
      const childPath = [...path, key];
      const valuePos = this.pos(pair.value as Node | null, keyPos);
      this.map.set(childPath, valuePos, keyPos);
      own.push([key, this.build(pair.value as Node | null, childPath, depth + 1, keyPos)]);
    }
    for (const [k, v] of [...merged, ...own]) out[k] = v;
    return out;
  }

  /** The entries a `<<` merge brings, earlier sources winning over later ones as in PyYAML. */
  private mergeSources(node: Node | null, path: NodePath, depth: number, at: Position): [string, unknown][] {
    const one = (n: Node | null): [string, unknown][] => {
      const value = this.build(n, path, depth + 1, at);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        this.errors.push({ ...this.pos(n, at), message: 'a << merge takes a mapping or a list of mappings' });
        return [];
      }
      return Object.entries(value);
    };
    const resolved = isAlias(node) ? (node.resolve(this.doc) ?? null) : node;
    if (isSeq(resolved))
      return (resolved.items as Node[])
        .slice()
        .reverse()
        .flatMap((n) => one(n));
    return one(node);
  }

  /** A mapping key as a string, the way CloudFormation (and JSON) see it. */
  private key(node: Node | null, pos: Position): string | undefined {
    if (node === null) {
      this.errors.push({ ...pos, message: 'a mapping key is missing' });
      return undefined;
    }
    if (!isScalar(node) || (node.tag !== undefined && node.tag.startsWith('!') && !node.tag.startsWith('!!'))) {
      this.errors.push({ ...pos, message: 'a mapping key must be a plain string, not a list, a mapping or an intrinsic function' });
      return undefined;
    }
    const value = this.untagged(node, [], 0, pos, node.tag);
    if (value === null) {
      this.errors.push({ ...pos, message: 'a mapping key is empty (null)' });
      return undefined;
    }
    return String(value);
  }
}

function splitGetAtt(value: string): string[] {
  const dot = value.indexOf('.');
  return dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
}

/** The text with loose lines re-indented, what was done (one note per construct), and columns added per line. */
export interface Loosened {
  text: string;
  notes: ReadProblem[];
  /** 1-based line -> columns added at its start. */
  shifts: Map<number, number>;
}

/**
 * CloudFormation's YAML parser (like libyaml) reads the continuation lines of
 * a multi-line quoted string, and the lines of a flow collection (`[...]`,
 * `{...}`) with the plain strings in it, wherever they are indented and
 * whether spaces or tabs indent them; the YAML specification and the `yaml`
 * library require them to be indented past their key, with spaces. Leading
 * white space on those lines is folded away and means nothing, so this pass
 * re-indents them (spaces, one column past their key) without changing any
 * value; it never adds or removes lines, so line numbers stay those of the
 * file. Returns undefined when nothing needed it.
 */
export function loosen(text: string): Loosened | undefined {
  const lines = text.split('\n');
  const notes: ReadProblem[] = [];
  const shifts = new Map<number, number>();
  let quote: '"' | "'" | null = null;
  let flow = 0;
  /** The column of the key that owns the open quoted string or flow collection (0-based), and where it opened. */
  let owner = 0;
  let opened: Position = { line: 1, col: 1 };
  let noted = false;
  let blockScalar: number | null = null;
  let plain: number | null = null;

  const indentOf = (line: string) => /^ */.exec(line)![0].length;

  for (let n = 0; n < lines.length; n++) {
    const hasCr = lines[n]!.endsWith('\r');
    let line = hasCr ? lines[n]!.slice(0, -1) : lines[n]!;
    const blank = line.trim() === '';
    if (blockScalar !== null) {
      if (blank || indentOf(line) > blockScalar) continue;
      blockScalar = null;
    }
    if (plain !== null && quote === null && flow === 0) {
      if (blank) continue;
      if (indentOf(line) > plain && !line.trimStart().startsWith('#')) {
        if (/[ \t]#/.test(line)) plain = null;
        continue;
      }
      plain = null;
    }
    let from: number;
    let ownerCol: number;
    if (quote !== null || flow > 0) {
      const lead = /^[ \t]*/.exec(line)![0];
      if (!blank && (lead.includes('\t') || lead.length <= owner) && !/^(---|\.\.\.)(\s|$)/.test(line)) {
        const fixed = ' '.repeat(owner + 1);
        line = fixed + line.slice(lead.length);
        shifts.set(n + 1, fixed.length - lead.length);
        lines[n] = hasCr ? `${line}\r` : line;
        if (!noted) {
          noted = true;
          const what = quote !== null ? 'quoted string' : 'flow collection';
          notes.push({
            ...opened,
            message: lead.includes('\t')
              ? `not strict YAML: tabs indent the lines of this ${what}; CloudFormation reads it, stricter YAML tools may not`
              : `not strict YAML: the lines of this multi-line ${what} are not indented past its key; CloudFormation reads it, stricter YAML tools may not`,
          });
        }
      }
      from = /^[ \t]*/.exec(line)![0].length;
      ownerCol = owner;
    } else {
      if (blank || line.trimStart().startsWith('#')) continue;
      if (/^(---|\.\.\.|%)/.test(line)) {
        plain = null;
        continue;
      }
      from = indentOf(line);
      // The key's column: past any `- ` and `? ` indicators that start the line.
      ownerCol = from + /^(?:[-?][ \t]+)*/.exec(line.slice(from))![0].length;
    }
    const state = scanLine(line, from, { quote, flow });
    if (state.quote !== null && quote === null && flow === 0) {
      owner = ownerCol;
      opened = { line: n + 1, col: state.openedAt + 1 };
      noted = false;
    } else if (state.flow > 0 && flow === 0 && quote === null) {
      owner = ownerCol;
      opened = { line: n + 1, col: state.openedAt + 1 };
      noted = false;
    }
    quote = state.quote;
    flow = state.flow;
    if (quote === null && flow === 0) {
      if (state.blockScalar) blockScalar = indentOf(line);
      else if (state.plainValue) plain = indentOf(line);
    }
  }
  if (shifts.size === 0) return undefined;
  return { text: lines.join('\n'), notes, shifts };
}

interface LineState {
  quote: '"' | "'" | null;
  flow: number;
  /** Where (0-based column) the construct left open at the end of the line began. */
  openedAt: number;
  /** The line ends in a block scalar header (`|`, `>`). */
  blockScalar: boolean;
  /** The line ends inside a plain scalar value in block context (which may go on, more indented). */
  plainValue: boolean;
}

/** Follow quotes, flow brackets, comments and block scalar headers along one line. */
function scanLine(line: string, from: number, start: { quote: '"' | "'" | null; flow: number }): LineState {
  let { quote, flow } = start;
  let openedAt = 0;
  let atStart = quote === null;
  let afterQuote = false;
  let plainValue = false;
  const space = (c: string | undefined) => c === undefined || c === ' ' || c === '\t';
  for (let i = from; i < line.length;) {
    const c = line[i]!;
    if (quote === "'") {
      const end = line.indexOf("'", i);
      if (end < 0) return { quote, flow, openedAt, blockScalar: false, plainValue: false };
      if (line[end + 1] === "'") {
        i = end + 2;
        continue;
      }
      quote = null;
      i = end + 1;
      atStart = false;
      afterQuote = true;
      continue;
    }
    if (quote === '"') {
      if (c === '\\') i += 2;
      else if (c === '"') {
        quote = null;
        i++;
        atStart = false;
        afterQuote = true;
      } else i++;
      continue;
    }
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#' && (i === 0 || space(line[i - 1]))) break;
    if (flow > 0) {
      if (c === '[' || c === '{') {
        flow++;
        atStart = true;
      } else if (c === ']' || c === '}') {
        flow--;
        atStart = false;
      } else if (c === ',') {
        atStart = true;
      } else if (c === ':' && (space(line[i + 1]) || ',[]{}'.includes(line[i + 1]!) || afterQuote)) {
        atStart = true;
      } else if ((c === '"' || c === "'") && atStart) {
        quote = c;
        if (flow === 0) openedAt = i;
      } else if ((c === '!' || c === '&' || c === '*') && atStart) {
        while (i + 1 < line.length && !space(line[i + 1]) && !',[]{}'.includes(line[i + 1]!)) i++;
        atStart = c !== '*';
      } else {
        atStart = false;
      }
      afterQuote = false;
      i++;
      if (flow === 0) plainValue = false;
      continue;
    }
    // Block context.
    if (atStart) {
      if ((c === '-' || c === '?') && space(line[i + 1])) {
        i++;
        continue;
      }
      if (c === '[' || c === '{') {
        flow = 1;
        openedAt = i;
        atStart = true;
        afterQuote = false;
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        openedAt = i;
        i++;
        continue;
      }
      if (c === '|' || c === '>') return { quote, flow, openedAt, blockScalar: true, plainValue: false };
      if (c === '!' || c === '&' || c === '*') {
        while (i + 1 < line.length && !space(line[i + 1])) i++;
        atStart = c !== '*';
        i++;
        continue;
      }
      atStart = false;
      plainValue = true;
      i++;
      continue;
    }
    if (c === ':' && (space(line[i + 1]) || afterQuote)) {
      atStart = true;
      plainValue = false;
    } else if (!afterQuote) {
      plainValue = true;
    }
    afterQuote = false;
    i++;
  }
  if (quote === null && flow === 0 && atStart) plainValue = false;
  return { quote, flow, openedAt, blockScalar: false, plainValue: plainValue && quote === null && flow === 0 };
}
