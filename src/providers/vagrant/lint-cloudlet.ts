import { readFileSync } from 'node:fs';
import { lintFinding } from '../findings.js';
import type { LintFinding, LintInput } from '../types.js';
import { lintPlaceholders, lintVagrantfile } from './lint.js';
import { renderVagrant } from './render.js';

/**
 * Every problem of the Vagrantfile patterns the cloudlet's scenarios use:
 * each placeholder, line by line (unknown ones, and those inside quoted Ruby
 * strings), then, when they all render, the Vagrantfile itself with `ruby -c`
 * and `vagrant validate -p` where those are installed. Scenarios often share a
 * pattern: each rendering is checked once.
 */
export async function lintVagrant(input: LintInput): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  const checked = new Map<string, Promise<LintFinding[]>>();
  for (const use of input.uses) {
    const file = use.spec.patternFile;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      findings.push({ file, message: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, severity: 'error', source: 'nepho' });
      continue;
    }
    const placeholders = lintPlaceholders(file, text, use.spec.parameters);
    findings.push(...placeholders.map((f) => lintFinding(f)));
    // The pattern alone: the provisioner nepho appends points at a copy made only in the formation's directory.
    const { bootstrap: _bootstrap, ...alone } = use.spec;
    const rendered = input.external && !placeholders.some((f) => f.severity === 'error') ? (await renderVagrant(alone))[0]!.content : undefined;
    const key = `${file}\0${rendered ?? ''}`;
    if (!checked.has(key)) {
      checked.set(
        key,
        lintVagrantfile(file, rendered, input.env, (checks) => input.checked?.(file, checks)).then((found) => found.map((f) => lintFinding(f))),
      );
    }
    findings.push(...(await checked.get(key)!));
  }
  return findings;
}
