import { MAX_DEPTH, type ReadProblem } from './cfn-yaml.js';
import { SourceMap, type NodePath, type Position } from './source-map.js';

/**
 * CloudFormation templates in JSON, read without recursion (a template nested
 * 10,000 levels deep is refused with its position, not a stack overflow),
 * keeping where each value was written and refusing duplicate keys, which
 * `JSON.parse` would silently resolve to the last one.
 */

/** What reading a JSON template gives. */
export interface JsonRead {
  /** The document, or undefined when it is not valid JSON. */
  value: unknown;
  map: SourceMap;
  /** Duplicate keys (all of them), or the one syntax error that stopped reading. */
  errors: ReadProblem[];
  /** The errors include a syntax error (nothing was read). */
  syntax: boolean;
}

interface ObjectFrame {
  kind: 'object';
  value: Record<string, unknown>;
  path: NodePath;
  state: 'first' | 'key' | 'colon' | 'value' | 'comma';
  key: string;
  keyPos: Position;
  keys: Map<string, Position>;
}

interface ArrayFrame {
  kind: 'array';
  value: unknown[];
  path: NodePath;
  state: 'first' | 'value' | 'comma';
}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
const WS = /[ \t\n\r]*/y;

/** Read a JSON template. Never throws for bad input. */
export function readCfnJson(text: string): JsonRead {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const posOf = (offset: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - lineStarts[lo]! + 1 };
  };
  const map = new SourceMap();
  const errors: ReadProblem[] = [];
  try {
    const value = parse(text, posOf, map, errors);
    return { value, map, errors, syntax: false };
  } catch (error) {
    if (!(error instanceof JsonSyntax)) throw error;
    return { value: undefined, map, errors: [{ ...posOf(error.offset), message: error.message }], syntax: true };
  }
}

function parse(text: string, posOf: (offset: number) => Position, map: SourceMap, errors: ReadProblem[]): unknown {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: (ObjectFrame | ArrayFrame)[] = [];
  let root: unknown;
  let done = false;
  const ws = () => {
    WS.lastIndex = i;
    WS.exec(text);
    i = WS.lastIndex;
  };
  const describe = (offset: number) => (offset >= text.length ? 'the end of the file' : `'${text[offset]}'`);

  const complete = (value: unknown) => {
    const top = stack.at(-1);
    if (!top) {
      root = value;
      done = true;
    } else if (top.kind === 'object') {
      top.value[top.key] = value;
      top.state = 'comma';
    } else {
      top.value.push(value);
      top.state = 'comma';
    }
  };

  for (;;) {
    ws();
    const top = stack.at(-1);
    const c = text[i];
    if (done) {
      if (i < text.length) throw new JsonSyntax(i, `not valid JSON: unexpected ${describe(i)} after the end of the template`);
      return root;
    }
    let path: NodePath = [];
    let keyPos: Position | undefined;
    // After a value, or at the start of an empty one: a separator or the closing bracket.
    const close = top?.kind === 'object' ? '}' : ']';
    if (top && (top.state === 'comma' || (top.state === 'first' && c === close))) {
      if (c === close) {
        stack.pop();
        i++;
        complete(top.value);
        continue;
      }
      if (c !== ',') throw new JsonSyntax(i, `not valid JSON: expected ',' or '${close}' after a value, found ${describe(i)}`);
      top.state = top.kind === 'object' ? 'key' : 'value';
      i++;
      continue;
    }
    if (top?.kind === 'object') {
      if (top.state === 'first' || top.state === 'key') {
        if (c !== '"') throw new JsonSyntax(i, `not valid JSON: expected a key in double quotes, found ${describe(i)}`);
        const start = i;
        top.key = readString();
        top.keyPos = posOf(start);
        const first = top.keys.get(top.key);
        if (first) errors.push({ ...top.keyPos, message: `duplicate key '${top.key}' (first at line ${first.line})` });
        else top.keys.set(top.key, top.keyPos);
        top.state = 'colon';
        continue;
      }
      if (top.state === 'colon') {
        if (c !== ':') throw new JsonSyntax(i, `not valid JSON: expected ':' after the key '${top.key}', found ${describe(i)}`);
        i++;
        top.state = 'value';
        continue;
      }
      path = [...top.path, top.key];
      keyPos = top.keyPos;
    } else if (top?.kind === 'array') {
      path = [...top.path, top.value.length];
    }

    // A value starts here.
    const start = i;
    map.set(path, posOf(start), keyPos);
    if (c === '{' || c === '[') {
      if (stack.length >= MAX_DEPTH) throw new JsonSyntax(i, `nested more than ${MAX_DEPTH} levels deep`);
      i++;
      stack.push(
        c === '{'
          ? { kind: 'object', value: {}, path, state: 'first', key: '', keyPos: posOf(start), keys: new Map() }
          : { kind: 'array', value: [], path, state: 'first' },
      );
      continue;
    }
    if (c === '"') {
      complete(readString());
      continue;
    }
    const word = /^(true|false|null)/.exec(text.slice(i, i + 5));
    if (word) {
      i += word[1]!.length;
      complete(word[1] === 'true' ? true : word[1] === 'false' ? false : null);
      continue;
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number) {
      i = NUMBER.lastIndex;
      complete(Number(number[0]));
      continue;
    }
    throw new JsonSyntax(i, `not valid JSON: expected a value, found ${describe(i)}`);
  }

  function readString(): string {
    const start = i;
    i++;
    for (;;) {
      if (i >= text.length) throw new JsonSyntax(start, 'not valid JSON: a string is not closed');
      const code = text.charCodeAt(i);
      if (code === 0x22) break;
      if (code < 0x20) throw new JsonSyntax(i, 'not valid JSON: a control character (a raw tab or line break) inside a string');
      if (code === 0x5c) {
        const next = text[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new JsonSyntax(i, 'not valid JSON: \\u must be followed by four hex digits');
          i += 6;
          continue;
        }
        if (next === undefined || !'"\\/bfnrt'.includes(next)) throw new JsonSyntax(i, `not valid JSON: unknown escape \\${next ?? ''} in a string`);
        i += 2;
        continue;
      }
      i++;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  }
}
