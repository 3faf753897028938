import { readCloudletManifest } from '../cloudlets/manifest.js';
import type { NephoHome } from '../home.js';
import type { PluginRegistry } from '../providers/types.js';
import { declarationLayers } from './declarations.js';
import { MASK, type Constraints, type ParameterValue } from './parameters.js';
import { collectSpecs, oneLine } from './resolve.js';
import { loadScenario } from './scenario.js';
import { resolveTarget } from './target.js';

/** A scenario as `scenario:describe` shows it. */
export interface ScenarioDescription {
  name: string;
  cloudlet: string;
  version: string;
  summary?: string;
  description?: string;
  /** The file to edit. */
  file: string;
  /** The files merged through `extends`, base first. */
  chain: string[];
  /** The merged configuration. */
  configuration: Record<string, unknown>;
  parameters: {
    name: string;
    type: string;
    default?: ParameterValue;
    required: boolean;
    secret: boolean;
    constraints: string[];
    /** Which files declare it: template, cloudlet.yaml, scenario. */
    declaredIn: string[];
    description?: string;
  }[];
}

/** Describe `CLOUDLET/SCENARIO`: merged configuration and every parameter (the patterns' own included). */
export async function describeScenario(home: NephoHome, target: string, registry: PluginRegistry): Promise<ScenarioDescription> {
  const { cloudlet, scenario: name } = resolveTarget(home, target);
  const manifest = readCloudletManifest(cloudlet.dir);
  const scenario = loadScenario(cloudlet.dir, name, registry);
  const layers = await declarationLayers(cloudlet.dir, manifest, scenario, registry);
  const declaredIn = new Map<string, string[]>();
  const labels = ['template', 'cloudlet.yaml', 'scenario'];
  layers.forEach((layer, i) => layer.forEach((d) => declaredIn.set(d.name, [...(declaredIn.get(d.name) ?? []), labels[i]!])));

  const specs = collectSpecs(layers);
  const description: ScenarioDescription = {
    name,
    cloudlet: cloudlet.record.id,
    version: manifest.version,
    file: scenario.file,
    chain: scenario.chain,
    configuration: maskSecretDefaults(scenario.merged, new Set(specs.filter((s) => s.secret).map((s) => s.name))),
    parameters: specs.map((spec) => ({
      name: spec.name,
      type: spec.type,
      ...(spec.default === undefined ? {} : { default: spec.secret ? MASK : spec.default }),
      required: spec.required,
      secret: spec.secret,
      constraints: [...new Set(spec.constraints.flatMap(describeConstraints))],
      declaredIn: declaredIn.get(spec.name) ?? [],
      ...(spec.description === undefined ? {} : { description: oneLine(spec.description) }),
    })),
  };
  if (scenario.summary !== undefined) description.summary = scenario.summary;
  if (scenario.description !== undefined) description.description = scenario.description;
  return description;
}

/** The merged configuration with the default of every secret parameter masked: secrets are never printed. */
function maskSecretDefaults(merged: Record<string, unknown>, secrets: Set<string>): Record<string, unknown> {
  const params = merged.parameters;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return merged;
  const masked: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(params)) {
    const hasDefault =
      secrets.has(name) && decl !== null && typeof decl === 'object' && !Array.isArray(decl) && (decl as Record<string, unknown>).default !== undefined;
    masked[name] = hasDefault ? { ...(decl as Record<string, unknown>), default: MASK } : decl;
  }
  return { ...merged, parameters: masked };
}

function describeConstraints(c: Constraints): string[] {
  const out: string[] = [];
  if (c.choices) out.push(`one of ${c.choices.join(', ')}`);
  if (c.pattern !== undefined) out.push(`matches ${c.pattern}${c.patternUnchecked === undefined ? '' : ' (checked by the provider only)'}`);
  if (c.min !== undefined || c.max !== undefined) out.push(`${c.min ?? ''}..${c.max ?? ''}`);
  if (c.minLength !== undefined || c.maxLength !== undefined) out.push(`length ${c.minLength ?? 0}..${c.maxLength ?? ''}`);
  return out;
}

/** Maps whose keys are names a cloudlet chose (parameters, providers, outputs), not keys of the format. */
const NAMED_MAPS = new Set(['parameters', 'providers', 'outputs']);

/**
 * A scenario's configuration with nepho's camelCase keys, for `-o json|yaml`
 * (`access.ssh.bastion_port` becomes `bastionPort`, a provider's `box_url`
 * `boxUrl`). The file format stays snake_case; names a cloudlet chose (its
 * parameters', providers' and outputs') are kept as written.
 */
export function camelConfiguration(value: unknown, named = false): unknown {
  if (Array.isArray(value)) return value.map((v) => camelConfiguration(v));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      named ? k : k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
      named ? camelConfiguration(v) : camelConfiguration(v, NAMED_MAPS.has(k)),
    ]),
  );
}
