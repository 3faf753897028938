import { readFileSync } from 'node:fs';
import { isNephoError } from '../../errors.js';
import { findingFromError } from '../findings.js';
import type { LintFinding, LintInput, PatternUse } from '../types.js';
import { renderPattern } from './render.js';

/**
 * Every problem of the Vagrantfile patterns the cloudlet's scenarios use:
 * each placeholder, line by line, so that every unknown one is reported, and
 * placeholders put in quotes (nepho writes Ruby literals, quotes included).
 */
export async function lintVagrant(input: LintInput): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  for (const use of input.uses) findings.push(...placeholderFindings(use));
  return findings;
}

function placeholderFindings(use: PatternUse): LintFinding[] {
  const file = use.spec.patternFile;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return [{ file, message: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, severity: 'error', source: 'nepho' }];
  }
  const findings: LintFinding[] = [];
  text.split('\n').forEach((line, index) => {
    try {
      renderPattern(line, { ...use.spec, patternFile: file });
    } catch (error) {
      if (!isNephoError(error)) throw error;
      const finding = findingFromError(error, file);
      findings.push({ ...finding, line: index + 1 });
    }
    if (/["']\{\{[^}]*\}\}["']/.test(line)) {
      findings.push({ file, line: index + 1, severity: 'error', source: 'nepho', message: 'a placeholder is quoted: nepho writes Ruby literals, so leave {{...}} unquoted' });
    }
  });
  return findings;
}
