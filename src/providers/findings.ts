import { relative } from 'node:path';
import { isNephoError } from '../errors.js';
import type { LintFinding } from './types.js';

/** The first word of a message that names a field, as nepho's own errors put it. */
const FIELD = /^((?:name|version|summary|description|author|license|source|project_page|keywords|nepho|parameters|providers|provisioner|access|extends|Resources|Parameters|Outputs|Conditions)(?:\.[A-Za-z0-9_-]+)*)\s+(.*)$/s;

/**
 * A user error as a lint finding. nepho's errors start with the file (and
 * maybe a line), then the field: `FILE:12: Resources.Web.Type is required`.
 * Anything that is not a user error is a bug, and is thrown again.
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
    file, ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }), ...(f ? { field: f[1]! } : {}),
    message: (f ? f[2]! : text).trim(), severity, source: 'nepho',
  };
}

/** `file` relative to `root` when it is inside it, as lint prints files. */
export function relativeTo(root: string, file: string): string {
  const r = relative(root, file);
  return r === '' || r.startsWith('..') ? file : r;
}
