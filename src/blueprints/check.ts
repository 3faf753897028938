/**
 * The checks of a blueprint that need its cloudlets: each entry's cloudlet
 * installed (in its range), its scenario and provider known, the outputs
 * its parameters read declared by the other entries' patterns, and its
 * parameters declared by its scenario. Shared by planning (which stops at
 * the first problem) and `cloudlet:lint` (which lists them all).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { findInstalled } from '../cloudlets/installed.js';
import { readCloudletManifest, type CloudletManifest } from '../cloudlets/manifest.js';
import { NephoError, excerpt } from '../errors.js';
import type { NephoHome } from '../home.js';
import type { PluginRegistry, Provider } from '../providers/types.js';
import { declarationLayers } from '../scenarios/declarations.js';
import type { ParameterSpec } from '../scenarios/parameters.js';
import { collectSpecs, resolveValues } from '../scenarios/resolve.js';
import { listScenarios, loadScenario, type Scenario } from '../scenarios/scenario.js';
import { problemError, type Blueprint, type BlueprintEntry, type BlueprintParameter } from './format.js';

/** A cloudlet as the checks need it: where it is and what it is called. */
export interface CloudletSource {
  dir: string;
  /** `owner/name`. */
  id: string;
}

/** What an entry's formation is made from: the cloudlet, scenario, provider and pattern. */
export interface EntryTarget {
  cloudlet: CloudletSource;
  manifest: CloudletManifest;
  scenario: Scenario;
  provider: Provider;
  patternFile: string;
}

/** `FILE:LINE: formations.E.FIELD ...` as a user error. */
function entryError(blueprint: Blueprint, entry: BlueprintEntry, key: string, code: NephoError['code'], message: string, hint?: string): NephoError {
  return problemError(blueprint.file, { code, line: entry.lines[key] ?? entry.line, field: `formations.${entry.name}.${key}`, message }, hint);
}

/**
 * The installed cloudlet an entry names (`cloudlet: owner/name@range`), its
 * version within the range; the blueprint's own cloudlet when it names none.
 */
export function entryCloudlet(home: NephoHome, blueprint: Blueprint, entry: BlueprintEntry, own: CloudletSource): CloudletSource {
  if (!entry.cloudlet) return own;
  const { id, range } = entry.cloudlet;
  const wanted = `${id}${range ? `@${range}` : ''}`;
  const installed = findInstalled(home, id);
  if (!installed) {
    throw entryError(blueprint, entry, 'cloudlet', 'CLOUDLET_NOT_INSTALLED', `${id} is not installed`, `install it: nepho cloudlet:install ${wanted}`);
  }
  if (range && !semver.satisfies(installed.record.version, range, { includePrerelease: true })) {
    throw entryError(
      blueprint,
      entry,
      'cloudlet',
      'CLOUDLET_NOT_INSTALLED',
      `wants ${wanted}, but ${id} ${installed.record.version} is installed`,
      `install a version in range: nepho cloudlet:install ${wanted}`,
    );
  }
  return { dir: installed.dir, id };
}

/**
 * An entry's scenario (which must exist, named at the entry's line) and its
 * provider (the entry's, else the first the scenario names), with the
 * pattern file the formation will be made from.
 */
export function entryTarget(blueprint: Blueprint, entry: BlueprintEntry, cloudlet: CloudletSource, registry: PluginRegistry): EntryTarget {
  if (!existsSync(join(cloudlet.dir, 'scenarios', `${entry.scenario}.yaml`))) {
    const known = listScenarios(cloudlet.dir).map((s) => s.name);
    throw entryError(
      blueprint,
      entry,
      'scenario',
      'SCENARIO_NOT_FOUND',
      `'${entry.scenario}' is not a scenario of ${cloudlet.id} (scenarios: ${known.join(', ') || 'none'})`,
    );
  }
  const manifest = readCloudletManifest(cloudlet.dir);
  const scenario = loadScenario(cloudlet.dir, entry.scenario, registry);
  const named = Object.keys(scenario.providers);
  const name = entry.provider ?? named[0]!;
  const provider = registry.providers.find((p) => p.name === name);
  if (!provider) {
    throw entryError(
      blueprint,
      entry,
      'provider',
      'UNKNOWN_PROVIDER',
      `'${name}' is not a known provider (known: ${registry.providers.map((p) => p.name).join(', ')})`,
    );
  }
  if (!named.includes(name)) {
    throw entryError(
      blueprint,
      entry,
      'provider',
      'UNKNOWN_PROVIDER',
      `'${name}': scenario ${entry.scenario} of ${cloudlet.id} has no pattern for it (it names: ${named.join(', ')})`,
    );
  }
  return { cloudlet, manifest, scenario, provider, patternFile: join(cloudlet.dir, provider.patternPath(scenario.providers[name]!.pattern)) };
}

/**
 * Every output reference names an output the referred entry's pattern
 * declares (as its provider's `outputs` hook says). References to entries
 * without a known target, or whose provider cannot tell, are left for the
 * run to find. Throws the first that does not, at its line.
 */
export async function checkOutputs(
  blueprint: Blueprint,
  targets: ReadonlyMap<string, EntryTarget>,
  report: (error: NephoError) => void = (e) => {
    throw e;
  },
): Promise<void> {
  const declared = new Map<string, Promise<string[] | undefined>>();
  const outputsOf = (entry: string) => {
    if (!declared.has(entry)) {
      const t = targets.get(entry);
      declared.set(entry, t?.provider.outputs ? t.provider.outputs(t.patternFile) : Promise.resolve(undefined));
    }
    return declared.get(entry)!;
  };
  for (const entry of blueprint.entries) {
    for (const p of entry.parameters) {
      for (const ref of p.references) {
        const outputs = await outputsOf(ref.entry);
        if (outputs === undefined || outputs.includes(ref.output)) continue;
        const t = targets.get(ref.entry)!;
        report(
          problemError(blueprint.file, {
            code: 'BLUEPRINT_REFERENCE',
            line: p.line,
            field: `formations.${entry.name}.parameters.${p.name}`,
            message: `reads formations.${ref.entry}.outputs.${ref.output}, but ${t.provider.name} pattern ${t.scenario.providers[t.provider.name]!.pattern} of ${t.cloudlet.id} (scenario ${t.scenario.name}) declares no output ${ref.output} (its outputs: ${outputs.join(', ') || 'none'})`,
          }),
        );
      }
    }
  }
}

/** The parameters an entry's formation has: every declaration for its scenario and provider, merged. */
export async function entrySpecs(target: EntryTarget, registry: PluginRegistry): Promise<ParameterSpec[]> {
  return collectSpecs(await declarationLayers(target.cloudlet.dir, target.manifest, target.scenario, registry, target.provider));
}

/** Where a blueprint parameter is given, as messages name it (`FILE:LINE`). */
export function parameterPlace(blueprint: Blueprint, p: BlueprintParameter): string {
  return `${blueprint.file}:${p.line}`;
}

/**
 * An entry's parameters against its scenario's declarations: each one
 * declared, and each plain value (one that reads no output) of its type and
 * within its constraints. Reports every problem, each at its line.
 */
export function checkEntryParameters(
  blueprint: Blueprint,
  entry: BlueprintEntry,
  target: EntryTarget,
  specs: ParameterSpec[],
  report: (error: NephoError) => void,
): void {
  const known = new Set(specs.map((s) => s.name));
  const label = `${target.cloudlet.id}/${target.scenario.name}`;
  for (const p of entry.parameters) {
    if (!known.has(p.name)) {
      report(
        problemError(blueprint.file, {
          code: 'UNKNOWN_PARAMETER',
          line: p.line,
          field: `formations.${entry.name}.parameters.${excerpt(p.name, 80)}`,
          message: `is not a parameter of ${label} with ${target.provider.name} (known: ${[...known].join(', ') || 'none'})`,
        }),
      );
      continue;
    }
    if (p.references.length > 0) continue;
    try {
      resolveValues(specs, { saved: [], files: [{ path: parameterPlace(blueprint, p), values: { [p.name]: p.value } }], flags: [] }, label);
    } catch (error) {
      report(error as NephoError);
    }
  }
}
