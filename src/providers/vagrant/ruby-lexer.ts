/**
 * Just enough of Ruby's lexer to tell, for any offset of a Vagrantfile,
 * whether it is code, a comment, or the text of a string literal: quotes,
 * backticks, `%q()`-style literals, symbols in quotes, heredocs and
 * `=begin`/`=end` blocks, with `#{...}` interpolation inside double-quoted
 * kinds being code again. Regular expression literals are read as code (a
 * `/` is division): Vagrantfiles rarely have them, and nothing here depends on
 * their insides.
 */

/** What is at an offset of Ruby source. */
export type RubyContext = 'code' | 'comment' | 'string';

/** A span of source that is not code. */
interface Span {
  start: number;
  end: number;
  kind: 'comment' | 'string';
}

const PAIRS: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };

/** Classify every offset of `text`; the answer is a lookup function. */
export function rubyContexts(text: string): (offset: number) => RubyContext {
  const spans = scan(text);
  return (offset) => {
    let lo = 0;
    let hi = spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = spans[mid]!;
      if (offset < s.start) hi = mid - 1;
      else if (offset >= s.end) lo = mid + 1;
      else return s.kind;
    }
    return 'code';
  };
}

interface Heredoc {
  id: string;
  indented: boolean;
  interpolating: boolean;
}

function scan(text: string): Span[] {
  const spans: Span[] = [];
  const n = text.length;
  let i = 0;
  let pending: Heredoc[] = [];
  // Brace depth of each `#{` we are inside, innermost last; code ends it at a `}` with depth 0.
  const interpolation: { depth: number; resume: StringState }[] = [];
  let string: StringState | undefined;
  let spanStart = 0;

  const openString = (state: StringState, at: number) => {
    string = state;
    spanStart = at;
  };
  const closeSpan = (end: number) => {
    if (end > spanStart) spans.push({ start: spanStart, end, kind: 'string' });
  };

  while (i < n) {
    const c = text[i]!;
    if (string) {
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (string.interpolating && c === '#' && text[i + 1] === '{') {
        closeSpan(i);
        interpolation.push({ depth: 0, resume: string });
        string = undefined;
        i += 2;
        continue;
      }
      if (string.open !== undefined && c === string.open) {
        string.nesting++;
      } else if (c === string.close) {
        if (string.nesting > 0) string.nesting--;
        else {
          closeSpan(i + 1);
          string = undefined;
        }
      }
      i++;
      continue;
    }
    // Code.
    if (c === '\n') {
      i++;
      if (pending.length > 0) {
        i = heredocBodies(text, i, pending, spans);
        pending = [];
      }
      continue;
    }
    if (c === '#') {
      const end = text.indexOf('\n', i);
      spans.push({ start: i, end: end < 0 ? n : end, kind: 'comment' });
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '=' && (i === 0 || text[i - 1] === '\n') && text.startsWith('=begin', i)) {
      const m = /\n=end[^\n]*/.exec(text.slice(i));
      const end = m ? i + m.index + m[0].length : n;
      spans.push({ start: i, end, kind: 'comment' });
      i = end;
      continue;
    }
    if (interpolation.length > 0 && (c === '{' || c === '}')) {
      const top = interpolation.at(-1)!;
      if (c === '{') top.depth++;
      else if (top.depth > 0) top.depth--;
      else {
        interpolation.pop();
        openString(top.resume, i + 1);
        i++;
        continue;
      }
      i++;
      continue;
    }
    if (c === '"' || c === '`') {
      openString({ close: c, interpolating: true, nesting: 0 }, i);
      i++;
      continue;
    }
    if (c === "'") {
      openString({ close: "'", interpolating: false, nesting: 0 }, i);
      i++;
      continue;
    }
    if (c === '%') {
      const m = /^%([qQwWiIsrx]?)([^\w\s])/.exec(text.slice(i, i + 3));
      // `a % b` (with a space) is arithmetic; `%(...)`, `%w[...]` and friends are literals.
      if (m && !(m[1] === '' && /[\s=]/.test(m[2]!)) && !(m[1] === '' && /\w|\)|\]/.test(text[i - 1] ?? ''))) {
        const open = m[2]!;
        const close = PAIRS[open] ?? open;
        openString({ close, open: PAIRS[open] ? open : undefined, interpolating: !/^[qwis]$/.test(m[1]!), nesting: 0 }, i);
        i += m[0].length;
        continue;
      }
    }
    if (c === '<' && text[i + 1] === '<') {
      const m = /^<<([~-]?)(["'`]?)([A-Za-z_]\w*)\2/.exec(text.slice(i, i + 200));
      if (m && (m[1] !== '' || m[2] !== '' || /^[A-Z_]/.test(m[3]!))) {
        pending.push({ id: m[3]!, indented: m[1] !== '', interpolating: m[2] !== "'" });
        i += m[0].length;
        continue;
      }
    }
    if (
      c === '?' &&
      /[A-Za-z0-9_]/.test(text[i + 1] ?? '') === false &&
      text[i + 1] !== undefined &&
      !/\s/.test(text[i + 1]!) &&
      /[\s(,=]/.test(text[i - 1] ?? ' ')
    ) {
      // A character literal such as ?" or ?': the quote after it is not an opening one.
      i += text[i + 1] === '\\' ? 3 : 2;
      continue;
    }
    i++;
  }
  if (string) closeSpan(n);
  return spans;
}

interface StringState {
  close: string;
  open?: string | undefined;
  interpolating: boolean;
  nesting: number;
}

/** Heredoc bodies start on the line after their openers, one after another; they are strings (with `#{}` code in them when interpolating). */
function heredocBodies(text: string, from: number, docs: Heredoc[], spans: Span[]): number {
  let i = from;
  for (const doc of docs) {
    const start = i;
    for (;;) {
      if (i >= text.length) break;
      const end = text.indexOf('\n', i);
      const line = text.slice(i, end < 0 ? text.length : end);
      const next = end < 0 ? text.length : end + 1;
      if ((doc.indented ? line.trim() : line.replace(/\r$/, '')) === doc.id) {
        pushBody(text, start, i, doc.interpolating, spans);
        i = next;
        break;
      }
      i = next;
      if (i >= text.length) pushBody(text, start, i, doc.interpolating, spans);
    }
  }
  return i;
}

function pushBody(text: string, start: number, end: number, interpolating: boolean, spans: Span[]): void {
  if (!interpolating) {
    spans.push({ start, end, kind: 'string' });
    return;
  }
  let s = start;
  for (let i = start; i < end; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === '#' && text[i + 1] === '{') {
      if (i > s) spans.push({ start: s, end: i, kind: 'string' });
      let depth = 0;
      let j = i + 2;
      for (; j < end; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}') {
          if (depth === 0) break;
          depth--;
        }
      }
      s = j + 1;
      i = j;
    }
  }
  if (end > s) spans.push({ start: s, end, kind: 'string' });
}
