import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findingFromError, lintFinding } from '../findings.js';
import type { LintFinding, LintInput } from '../types.js';
import { lintTemplate } from './lint.js';
import { prepareStack } from './prepare.js';

/** Where CloudFormation patterns live in a cloudlet, and their ending. */
export const PATTERN_DIR = 'patterns/aws';
export const PATTERN_EXT = '.cf';

/**
 * Every problem of a cloudlet's CloudFormation patterns: each template on its
 * own, every problem at once with its line and column (so a broken one is
 * reported even when no scenario names it), each scenario's use of one (the
 * bootstrap fits the marked resources, parameters suit the template), and
 * `cfn-lint`'s findings when it is installed.
 */
export async function lintCloudFormation(input: LintInput): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  const templates = patternFiles(input.root);
  for (const file of templates) findings.push(...lintTemplate(file).map((f) => lintFinding(f)));
  for (const use of input.uses) {
    try {
      prepareStack(use.spec);
    } catch (error) {
      findings.push(findingFromError(error, use.spec.patternFile));
    }
  }
  if (input.external) for (const file of templates) findings.push(...cfnLint(file, input.env));
  return findings;
}

function patternFiles(root: string): string[] {
  try {
    return readdirSync(join(root, PATTERN_DIR))
      .filter((f) => f.endsWith(PATTERN_EXT))
      .sort()
      .map((f) => join(root, PATTERN_DIR, f));
  } catch {
    return [];
  }
}

/** `cfn-lint`'s findings, when it is on PATH; nothing otherwise. */
function cfnLint(file: string, env: NodeJS.ProcessEnv): LintFinding[] {
  const r = spawnSync('cfn-lint', ['--format', 'parseable', '--', file], { encoding: 'utf8', timeout: 120_000, env });
  if (r.error) return [];
  const findings: LintFinding[] = [];
  for (const line of r.stdout.split('\n')) {
    // FILE:LINE:COL:ENDLINE:ENDCOL:RULE:MESSAGE
    const m = /^(.*?):(\d+):(\d+):\d+:\d+:([EWI]\d+):(.*)$/.exec(line.trim());
    if (!m) continue;
    const rule = m[4]!;
    if (rule.startsWith('I')) continue;
    findings.push({
      file,
      line: Number(m[2]),
      column: Number(m[3]),
      message: `${rule} ${m[5]!.trim()}`,
      severity: rule.startsWith('E') ? 'error' : 'warning',
      source: 'cfn-lint',
    });
  }
  return findings;
}
