/**
 * CloudFormation checks `AllowedPattern` with Java's regular expressions
 * (java.util.regex), whose syntax is close to JavaScript's but not the same:
 * `[\w-\+]`, possessive quantifiers, `\p{Alpha}`, `\Q...\E` and atomic groups
 * are Java, and JavaScript either refuses them or reads them otherwise. This
 * module rewrites a Java pattern into a JavaScript one (`u` flag) that accepts
 * exactly the same strings, or says why it cannot.
 */

/** A Java pattern as JavaScript, or the reason it has no faithful JavaScript form. */
export type JavaPatternTranslation = { ok: true; source: string; flags: string } | { ok: false; reason: string };

/** Java's POSIX classes (US-ASCII only, as Java reads them without UNICODE_CHARACTER_CLASS), as class contents. */
const POSIX: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: '\\x00-\\x7F',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '!-~',
  Print: ' -~',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F',
  Space: ' \\t\\n\\x0B\\f\\r',
};

/** Java's `\s` (ASCII white space only; JavaScript's also takes Unicode spaces). */
const JAVA_SPACE = ' \\t\\n\\x0B\\f\\r';
/** Java's `\h`, horizontal white space. */
const JAVA_H = ' \\t\\xA0\\u1680\\u180E\\u2000-\\u200A\\u202F\\u205F\\u3000';
/** Java's `\v` (Java 8 and later), vertical white space. */
const JAVA_V = '\\n\\x0B\\f\\r\\x85\\u2028\\u2029';

/** Characters that must stay escaped in a JavaScript `u` pattern (outside a class). */
const SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));

/** Unicode general categories JavaScript knows under the same one- or two-letter names. */
const CATEGORY = /^(?:L[ultmo]?|M[nce]?|N[dlo]?|P[cdseifo]?|S[mcko]?|Z[slp]?|C[cfson]?|LC)$/;

class Untranslatable extends Error {}

/**
 * Translate a Java regular expression into a JavaScript one with the same
 * meaning. The result's `source` is meant for `new RegExp(source, flags)` and,
 * like the Java pattern under `matches()`, for a whole-value match (the caller
 * anchors it). Never throws.
 */
export function translateJavaPattern(pattern: string): JavaPatternTranslation {
  try {
    const { source, flags } = new Translator(pattern).run();
    try {
      new RegExp(`^(?:${source})$`, flags);
    } catch (error) {
      return { ok: false, reason: `JavaScript cannot compile it (${(error as Error).message})` };
    }
    return { ok: true, source, flags };
  } catch (error) {
    if (error instanceof Untranslatable) return { ok: false, reason: error.message };
    throw error;
  }
}

class Translator {
  private i = 0;
  private out = '';
  /** Where the last complete atom starts in `out`, for quantifiers that apply to it. */
  private atom = -1;
  /** Open groups: where each starts in `out`, and the text that closes it. */
  private readonly groups: { start: number; close: string }[] = [];
  private atomic = 0;
  private backreferences = false;
  private flags = 'u';

  constructor(private readonly p: string) {}

  run(): { source: string; flags: string } {
    this.leadingFlags();
    while (this.i < this.p.length) this.step();
    if (this.groups.length > 0) throw new Untranslatable('a group is not closed');
    if (this.atomic > 0 && this.backreferences) throw new Untranslatable('it combines numbered back-references with possessive quantifiers or atomic groups');
    return { source: this.out, flags: this.flags };
  }

  /** `(?i)`, `(?s)`, `(?m)` at the very start become JavaScript flags; anywhere else they are refused. */
  private leadingFlags(): void {
    const m = /^\(\?([ism]+)\)/.exec(this.p);
    if (!m) return;
    for (const f of new Set(m[1]!)) this.flags += f;
    this.i = m[0].length;
  }

  private emitAtom(text: string): void {
    this.atom = this.out.length;
    this.out += text;
  }

  private step(): void {
    const c = this.p[this.i]!;
    switch (c) {
      case '\\':
        this.escape();
        return;
      case '[':
        this.emitAtom(this.charClass());
        return;
      case '(':
        this.openGroup();
        return;
      case ')': {
        const group = this.groups.pop();
        if (!group) throw new Untranslatable(`unbalanced ')' at offset ${this.i}`);
        this.out += group.close;
        this.atom = group.start;
        this.i++;
        return;
      }
      case '*':
      case '+':
      case '?':
        this.i++;
        this.quantifier(c);
        return;
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(this.i));
        if (!m) throw new Untranslatable(`'{' at offset ${this.i} does not start a repetition`);
        this.i += m[0].length;
        this.quantifier(m[0]);
        return;
      }
      case '^':
      case '$':
      case '|':
      case '.':
        this.i++;
        if (c === '.') this.emitAtom('.');
        else {
          this.out += c;
          this.atom = -1;
        }
        return;
      default:
        this.i++;
        this.emitAtom(literal(c, false));
    }
  }

  /** A quantifier just read; a following `?` makes it lazy (as in JavaScript), a `+` possessive (emulated). */
  private quantifier(q: string): void {
    if (this.atom < 0) throw new Untranslatable(`'${q}' at offset ${this.i - q.length} has nothing to repeat`);
    const next = this.p[this.i];
    if (next === '+') {
      this.i++;
      // A possessive X*+ is the atomic group (?>X*): a look-ahead captures what
      // X* takes and the back-reference consumes exactly that, never giving back.
      const body = this.out.slice(this.atom) + q;
      this.out = this.out.slice(0, this.atom);
      this.emitAtom(this.atomicGroup(body));
      return;
    }
    this.out += q;
    if (next === '?') {
      this.out += '?';
      this.i++;
    }
  }

  private atomicGroup(body: string): string {
    const name = `nephoAtomic${++this.atomic}`;
    return `(?=(?<${name}>${body}))\\k<${name}>`;
  }

  private openGroup(): void {
    const rest = this.p.slice(this.i);
    const start = this.out.length;
    const m = /^\((\?(?::|=|!|<=|<!|<[A-Za-z][A-Za-z0-9]*>|>|[a-zA-Z-]*[:)]))?/.exec(rest)!;
    const kind = m[1] ?? '';
    if (kind === '?>') {
      const name = `nephoAtomic${++this.atomic}`;
      this.out += `(?=(?<${name}>`;
      this.groups.push({ start, close: `))\\k<${name}>` });
    } else if (kind === '' || kind === '?:' || kind === '?=' || kind === '?!' || kind === '?<=' || kind === '?<!' || /^\?<[A-Za-z]/.test(kind)) {
      this.out += `(${kind}`;
      this.groups.push({ start, close: ')' });
    } else {
      throw new Untranslatable(`the inline flags '(${kind}' at offset ${this.i} have no JavaScript equivalent`);
    }
    this.i += m[0].length;
    this.atom = -1;
  }

  /** A backslash escape outside a class. */
  private escape(): void {
    const c = this.p[this.i + 1];
    if (c === undefined) throw new Untranslatable('the pattern ends with a lone backslash');
    if (c === 'Q') {
      const end = this.p.indexOf('\\E', this.i + 2);
      const text = this.p.slice(this.i + 2, end < 0 ? undefined : end);
      this.i = end < 0 ? this.p.length : end + 2;
      for (const ch of text) this.emitAtom(literal(ch, false));
      return;
    }
    if (c === 'E') {
      this.i += 2;
      return;
    }
    const anchors: Record<string, string> = { A: '^', z: '$', Z: '(?=\\n?$)', b: '\\b', B: '\\B' };
    if (anchors[c] !== undefined) {
      this.i += 2;
      this.out += anchors[c];
      this.atom = -1;
      return;
    }
    if (c === 'R') {
      this.i += 2;
      this.emitAtom(`(?:\\r\\n|[${JAVA_V}])`);
      return;
    }
    if (/[1-9]/.test(c)) {
      const m = /^\\(\d+)/.exec(this.p.slice(this.i))!;
      this.backreferences = true;
      this.i += m[0].length;
      this.emitAtom(`\\${m[1]}`);
      return;
    }
    if (c === 'k') {
      const m = /^\\k<([A-Za-z][A-Za-z0-9]*)>/.exec(this.p.slice(this.i));
      if (!m) throw new Untranslatable(`'\\k' at offset ${this.i} is not \\k<name>`);
      this.i += m[0].length;
      this.emitAtom(m[0]);
      return;
    }
    const cls = this.classEscape();
    if (cls.negated !== undefined) {
      this.emitAtom(`[${cls.negated ? '^' : ''}${cls.text}]`);
      return;
    }
    // An escaped punctuation character is itself, escaped again where JavaScript needs it (`\.`, but `\-` is plain `-`).
    this.emitAtom(cls.text.length === 1 ? literal(cls.text, false) : cls.text);
  }

  /**
   * An escape that stands for one character or a set of them, read at `\`:
   * `text` is JavaScript for the inside of a class (a set) or a single
   * character; `negated` is set for sets.
   */
  private classEscape(): { text: string; negated?: boolean } {
    const rest = this.p.slice(this.i);
    const c = rest[1]!;
    const take = (n: number) => {
      this.i += n;
    };
    switch (c) {
      case 'd':
        take(2);
        return { text: '0-9', negated: false };
      case 'D':
        take(2);
        return { text: '0-9', negated: true };
      case 'w':
        take(2);
        return { text: 'a-zA-Z_0-9', negated: false };
      case 'W':
        take(2);
        return { text: 'a-zA-Z_0-9', negated: true };
      case 's':
        take(2);
        return { text: JAVA_SPACE, negated: false };
      case 'S':
        take(2);
        return { text: JAVA_SPACE, negated: true };
      case 'h':
        take(2);
        return { text: JAVA_H, negated: false };
      case 'H':
        take(2);
        return { text: JAVA_H, negated: true };
      case 'v':
        take(2);
        return { text: JAVA_V, negated: false };
      case 'V':
        take(2);
        return { text: JAVA_V, negated: true };
      case 't':
        take(2);
        return { text: '\\t' };
      case 'n':
        take(2);
        return { text: '\\n' };
      case 'r':
        take(2);
        return { text: '\\r' };
      case 'f':
        take(2);
        return { text: '\\f' };
      case 'a':
        take(2);
        return { text: '\\x07' };
      case 'e':
        take(2);
        return { text: '\\x1B' };
      case 'p':
      case 'P': {
        const m = /^\\[pP](?:\{(\^?)([A-Za-z_][A-Za-z0-9_=]*)\}|([A-Za-z]))/.exec(rest);
        if (!m) throw new Untranslatable(`'\\${c}' at offset ${this.i} is not \\p{Name}`);
        take(m[0].length);
        const negated = (c === 'P') !== (m[1] === '^');
        return { text: propertyClass(m[2] ?? m[3]!), negated };
      }
      case 'x': {
        const m = /^\\x(?:([0-9a-fA-F]{2})|\{([0-9a-fA-F]+)\})/.exec(rest);
        if (!m) throw new Untranslatable(`'\\x' at offset ${this.i} is not \\xhh or \\x{h...}`);
        take(m[0].length);
        return { text: m[1] ? `\\x${m[1]}` : `\\u{${m[2]}}` };
      }
      case 'u': {
        const m = /^\\u([0-9a-fA-F]{4})/.exec(rest);
        if (!m) throw new Untranslatable(`'\\u' at offset ${this.i} is not \\uhhhh`);
        take(m[0].length);
        return { text: m[0] };
      }
      case '0': {
        const m = /^\\0([0-3]?[0-7]{1,2}|[0-7])/.exec(rest);
        if (!m) throw new Untranslatable(`'\\0' at offset ${this.i} is not an octal escape`);
        take(m[0].length);
        return { text: `\\u${parseInt(m[1]!, 8).toString(16).padStart(4, '0')}` };
      }
      case 'c': {
        const m = /^\\c([A-Za-z])/.exec(rest);
        if (!m) throw new Untranslatable(`'\\c' at offset ${this.i} is not a control escape JavaScript knows`);
        take(m[0].length);
        return { text: m[0] };
      }
      default:
        if (/[A-Za-z0-9]/.test(c)) throw new Untranslatable(`'\\${c}' at offset ${this.i} has no JavaScript equivalent`);
        take(2);
        return { text: c };
    }
  }

  /** A Java character class, read at `[`, as a JavaScript one. */
  private charClass(): string {
    this.i++;
    let out = '[';
    if (this.p[this.i] === '^') {
      out += '^';
      this.i++;
    }
    // Each item: a single character (which may end or start a range) or a set.
    const items: { text: string; single: boolean }[] = [];
    let closed = false;
    while (this.i < this.p.length) {
      const c = this.p[this.i]!;
      if (c === ']' && items.length > 0) {
        this.i++;
        closed = true;
        break;
      }
      if (c === '[') throw new Untranslatable(`the nested class at offset ${this.i} (a Java union) has no JavaScript equivalent`);
      if (c === '&' && this.p[this.i + 1] === '&') throw new Untranslatable(`the class intersection '&&' at offset ${this.i} has no JavaScript equivalent`);
      if (c === '\\') {
        if (this.p[this.i + 1] === 'Q') {
          const end = this.p.indexOf('\\E', this.i + 2);
          const text = this.p.slice(this.i + 2, end < 0 ? undefined : end);
          this.i = end < 0 ? this.p.length : end + 2;
          for (const ch of text) items.push({ text: literal(ch, true), single: true });
          continue;
        }
        if (this.p[this.i + 1] === 'E') {
          this.i += 2;
          continue;
        }
        const e = this.classEscape();
        if (e.negated === true) throw new Untranslatable(`a negated set inside a class at offset ${this.i} has no exact JavaScript equivalent`);
        if (e.negated === false) items.push({ text: e.text, single: false });
        else items.push({ text: e.text.length === 1 ? literal(e.text, true) : e.text, single: true });
        continue;
      }
      this.i++;
      if (c === ']') items.push({ text: '\\]', single: true });
      else items.push({ text: c === '-' ? '-' : literal(c, true), single: true });
    }
    if (!closed) throw new Untranslatable('a character class is not closed');
    // A '-' is a range only between two single characters, the first not
    // already the end of a range; beside a set (`[\w-\+]`), after a range
    // (`[0-9-_]`), first or last it is a literal '-', as in Java.
    let rangeEnd = false;
    for (let k = 0; k < items.length; k++) {
      const item = items[k]!;
      if (item.text !== '-') {
        out += item.text;
        rangeEnd = false;
        continue;
      }
      const before = items[k - 1];
      const after = items[k + 1];
      const range = k >= 1 && !rangeEnd && before?.single === true && before.text !== '-' && after?.single === true && after.text !== '-';
      if (range) {
        out += `-${after.text}`;
        k++;
        rangeEnd = true;
      } else out += '\\-';
    }
    return `${out}]`;
  }
}

/** A `\p{...}` name as JavaScript class contents. */
function propertyClass(name: string): string {
  const posix = POSIX[name] ?? POSIX[name.replace(/^Is/, '')];
  if (posix) return posix;
  const java: Record<string, string> = {
    javaLowerCase: '\\p{Lowercase}',
    javaUpperCase: '\\p{Uppercase}',
    javaWhitespace: '\\t-\\r\\x1C-\\x1F\\p{Zs}\\p{Zl}\\p{Zp}',
    javaDigit: '\\p{Nd}',
    javaLetter: '\\p{L}',
    javaLetterOrDigit: '\\p{L}\\p{Nd}',
    javaAlphabetic: '\\p{Alphabetic}',
    IsAlphabetic: '\\p{Alphabetic}',
    IsLetter: '\\p{L}',
    IsDigit: '\\p{Nd}',
    IsUppercase: '\\p{Uppercase}',
    IsLowercase: '\\p{Lowercase}',
    IsWhite_Space: '\\p{White_Space}',
    IsWhiteSpace: '\\p{White_Space}',
    IsPunctuation: '\\p{P}',
    IsControl: '\\p{Cc}',
  };
  if (java[name]) return java[name]!;
  const category = name.replace(/^(?:Is|general_category=|gc=)/, '');
  if (CATEGORY.test(category)) return `\\p{${category}}`;
  const script = /^(?:Is|script=|sc=)([A-Z][A-Za-z_]+)$/.exec(name);
  if (script) {
    try {
      new RegExp(`\\p{Script=${script[1]}}`, 'u');
      return `\\p{Script=${script[1]}}`;
    } catch {
      // not a script JavaScript knows: refused below
    }
  }
  throw new Untranslatable(`the property class \\p{${name}} has no JavaScript equivalent`);
}

/** One literal character as JavaScript, escaped where the `u` flag requires it. */
function literal(c: string, inClass: boolean): string {
  if (SYNTAX.has(c) || (inClass && c === '-')) return `\\${c}`;
  return c;
}
