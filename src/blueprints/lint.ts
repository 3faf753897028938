import { basename } from 'node:path';
import type { NephoError } from '../errors.js';
import { findingFromError } from '../providers/findings.js';
import type { LintFinding, PluginRegistry } from '../providers/types.js';
import { checkEntryParameters, checkOutputs, entrySpecs, entryTarget, type EntryTarget } from './check.js';
import { listBlueprints, readBlueprint } from './format.js';

/**
 * What `cloudlet:lint` finds in a cloudlet's blueprints: every problem of
 * each file, with its line; then, for entries made from this cloudlet's own
 * scenarios, unknown scenarios, providers, parameters and outputs. Entries
 * made from another cloudlet are checked when the blueprint is applied,
 * where that cloudlet is installed.
 */
export async function lintBlueprints(root: string, name: string | undefined, registry: PluginRegistry): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  const report = (file: string) => (error: unknown) => void findings.push(findingFromError(error, file));
  const own = { dir: root, id: name ?? basename(root) };
  for (const { name: blueprintName, file } of listBlueprints(root)) {
    let read: ReturnType<typeof readBlueprint>;
    try {
      read = readBlueprint(file, blueprintName);
    } catch (error) {
      report(file)(error);
      continue;
    }
    for (const p of read.problems)
      findings.push({ file, line: p.line, ...(p.field ? { field: p.field } : {}), message: p.message, severity: 'error', source: 'nepho' });
    const blueprint = read.blueprint;
    if (!blueprint) continue;
    const targets = new Map<string, EntryTarget>();
    for (const entry of blueprint.entries.filter((e) => !e.cloudlet)) {
      try {
        const target = entryTarget(blueprint, entry, own, registry);
        targets.set(entry.name, target);
        checkEntryParameters(blueprint, entry, target, await entrySpecs(target, registry), report(file));
      } catch (error) {
        report(file)(error as NephoError);
      }
    }
    await checkOutputs(blueprint, targets, report(file)).catch(report(file));
  }
  return findings;
}
