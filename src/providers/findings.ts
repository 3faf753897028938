import { NephoError } from '../errors.js';

/**
 * One problem a provider's checks found in a pattern file, where it is: what
 * `cloudlet:lint` lists and what `formation:create` stops on. Errors make the
 * pattern unusable; warnings do not.
 */
export interface LintFinding {
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
export function findingPlace(f: Pick<LintFinding, 'file' | 'line' | 'col'>): string {
  if (f.line <= 0) return f.file;
  return f.col > 0 ? `${f.file}:${f.line}:${f.col}` : `${f.file}:${f.line}`;
}

/** A finding on one line, `file:line:col: message`: what `cloudlet:lint` prints and `formation:create` stops or warns with. */
export function findingLine(f: LintFinding): string {
  return `${findingPlace(f)}: ${f.message}`;
}

/** A finding as the error `formation:create` stops with: the same line `cloudlet:lint` prints. */
export function findingError(f: LintFinding, code: string): NephoError {
  return new NephoError(code, findingLine(f), f.hint === undefined ? {} : { hint: f.hint });
}

/** Findings in the order of the file, errors before warnings at the same place. */
export function sortFindings<T extends LintFinding>(findings: T[]): T[] {
  return [...findings].sort((a, b) => a.line - b.line || a.col - b.col || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}
