import { relative } from 'node:path';
import { NephoError, isNephoError, type ErrorCode } from '../errors.js';
import type { LintFinding } from './types.js';

/**
 * One problem a built-in provider's checks found in a pattern file, where it
 * is: what `cloudlet:lint` lists and what `formation:create` stops on.
 * Errors make the pattern unusable; warnings do not. (`LintFinding` is the
 * same thing as the plugin contract carries it.)
 */
export interface PatternFinding {
  /** The file at fault, as given to the check (the caller may shorten it). */
  file: string;
  /** 1-based line, or 0 when the finding is about the whole file. */
  line: number;
  /** 1-based column, or 0 when the finding is about the whole file or line. */
  col: number;
  /** One line, without the file and position. */
  message: string;
  severity: 'error' | 'warning';
  /** What to do about it, when there is something to say. */
  hint?: string;
}

/** `file:line:col` (or `file:line`, or `file`), the form editors and compilers use. */
export function findingPlace(f: Pick<PatternFinding, 'file' | 'line' | 'col'>): string {
  if (f.line <= 0) return f.file;
  return f.col > 0 ? `${f.file}:${f.line}:${f.col}` : `${f.file}:${f.line}`;
}

/** A finding on one line, `file:line:col: message`: what `cloudlet:lint` prints and `formation:create` stops or warns with. */
export function findingLine(f: PatternFinding): string {
  return `${findingPlace(f)}: ${f.message}`;
}

/** A finding as the error `formation:create` stops with: the same line `cloudlet:lint` prints. */
export function findingError(f: PatternFinding, code: ErrorCode): NephoError {
  return new NephoError(code, findingLine(f), f.hint === undefined ? {} : { hint: f.hint });
}

/** Findings in the order of the file, errors before warnings at the same place. */
export function sortFindings<T extends PatternFinding>(findings: T[]): T[] {
  return [...findings].sort((a, b) => a.line - b.line || a.col - b.col || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}

/** A pattern finding as the contract's lint finding. */
export function lintFinding(f: PatternFinding, source = 'nepho'): LintFinding {
  return {
    file: f.file,
    ...(f.line > 0 ? { line: f.line } : {}),
    ...(f.col > 0 ? { column: f.col } : {}),
    message: f.message,
    severity: f.severity,
    source,
  };
}

/** The first word of a message that names a field, as nepho's own errors put it. */
const FIELD =
  /^((?:name|version|summary|description|author|license|source|project_page|keywords|nepho|parameters|providers|provisioner|access|extends|Resources|Parameters|Outputs|Conditions)(?:\.[A-Za-z0-9_-]+)*)\s+(.*)$/s;

/**
 * A user error as a lint finding. nepho's errors start with the file (and
 * maybe a line and column), then the field: `FILE:12: Resources.Web.Type is
 * required`. Anything that is not a user error is a bug, and is thrown again.
 */
export function findingFromError(error: unknown, fallbackFile: string, severity: LintFinding['severity'] = 'error'): LintFinding {
  if (!isNephoError(error)) throw error;
  let text = error.message;
  let file = fallbackFile;
  let line: number | undefined;
  let column: number | undefined;
  const m = /^(\/[^:\s]*?)(?::(\d+)(?::(\d+))?)?(?: \(with [^)]*\))?: (.*)$/s.exec(text);
  if (m) {
    file = m[1]!;
    if (m[2]) line = Number(m[2]);
    if (m[3]) column = Number(m[3]);
    text = m[4]!;
  }
  const f = line === undefined ? FIELD.exec(text) : null;
  return {
    file,
    ...(line === undefined ? {} : { line }),
    ...(column === undefined ? {} : { column }),
    ...(f ? { field: f[1]! } : {}),
    message: (f ? f[2]! : text).trim(),
    severity,
    source: 'nepho',
  };
}

/** `file` relative to `root` when it is inside it, as lint prints files. */
export function relativeTo(root: string, file: string): string {
  const r = relative(root, file);
  return r === '' || r.startsWith('..') ? file : r;
}
