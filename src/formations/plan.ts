import { join } from 'node:path';
import type { InstalledCloudlet } from '../cloudlets/installed.js';
import { readCloudletManifest, type CloudletManifest } from '../cloudlets/manifest.js';
import { NephoError } from '../errors.js';
import type { NephoHome } from '../home.js';
import type { PluginRegistry, Provider } from '../providers/types.js';
import { declarationLayers } from '../scenarios/declarations.js';
import { MASK } from '../scenarios/parameters.js';
import { collectSpecs, parseFlag, readParamsFile, resolveValues, type Resolution } from '../scenarios/resolve.js';
import { savedLayers } from '../scenarios/saved.js';
import { loadScenario, placeholders, type Scenario } from '../scenarios/scenario.js';
import { resolveTarget } from '../scenarios/target.js';
import { FORMATION_NAME } from './records.js';

/** What `formation:create` was asked for. */
export interface FormationRequest {
  /** `CLOUDLET[/SCENARIO]`: `mediawiki`, `mediawiki/multi-tenant`, `huit/mediawiki/multi-tenant`. */
  target: string;
  name?: string;
  provider?: string;
  /** `-p KEY=VALUE`, in order. */
  params: string[];
  /** `--params-file`, in order. */
  paramsFiles: string[];
  /** The values a formation was deployed with, when it is updated. */
  deployed?: Record<string, string | number | boolean>;
  /**
   * Values a host holds in memory (a blueprint's entry), each set named by
   * where it came from for messages (`FILE:LINE`): above `--params-file`
   * files, below `-p` flags. Checked as strictly as a params file.
   */
  values?: ParameterValues[];
}

/** Parameter values given together, and where they came from (a file, `FILE:LINE`, `-p entry.Key`). */
export interface ParameterValues {
  path: string;
  values: Record<string, unknown>;
}

/** Everything known about a formation before any provider is touched. */
export interface PreparedFormation {
  name: string;
  cloudlet: InstalledCloudlet;
  manifest: CloudletManifest;
  scenario: Scenario;
  provider: Provider;
  /** The pattern file the provider will use. */
  patternFile: string;
  resolution: Resolution;
}

/**
 * Resolve a formation request as far as it goes without asking anyone:
 * cloudlet, scenario, provider, pattern, and every parameter from defaults,
 * saved values, params files and flags. `resolution.missing` lists the
 * required parameters still without a value (to prompt for, or to fail on).
 */
export async function prepareFormation(home: NephoHome, request: FormationRequest, registry: PluginRegistry): Promise<PreparedFormation> {
  const { providers } = registry;
  // Read every argument before any file, so a typo fails first and fast.
  const flags = request.params.map(parseFlag);
  const files = [...request.paramsFiles.map(readParamsFile), ...(request.values ?? [])];
  const { cloudlet, scenario: scenarioName } = resolveTarget(home, request.target);
  const manifest = readCloudletManifest(cloudlet.dir);
  const scenario = loadScenario(cloudlet.dir, scenarioName, registry);

  const named = Object.keys(scenario.providers);
  const providerName = request.provider ?? named[0]!;
  const provider = providers.find((p) => p.name === providerName);
  if (!provider) {
    throw new NephoError('UNKNOWN_PROVIDER', `--provider '${providerName}' is not a known provider`, {
      hint: `known providers: ${providers.map((p) => p.name).join(', ')}`,
    });
  }
  if (!named.includes(providerName)) {
    throw new NephoError('UNKNOWN_PROVIDER', `scenario ${scenarioName} of ${cloudlet.record.id} has no pattern for provider '${providerName}'`, {
      hint: `it names: ${named.join(', ')}`,
    });
  }
  const patternFile = join(cloudlet.dir, provider.patternPath(scenario.providers[providerName]!.pattern));

  const name = request.name ?? `${manifest.name}-${scenarioName}`.replace(/[^a-z0-9-]/g, '-');
  if (!FORMATION_NAME.test(name)) {
    throw new NephoError(
      'BAD_FORMATION_NAME',
      `${request.name === undefined ? 'formation name' : '--name'} '${name}' must start with a letter and use lowercase letters, digits and '-' (at most 63)`,
    );
  }

  const specs = collectSpecs(await declarationLayers(cloudlet.dir, manifest, scenario, registry, provider));

  // Access may only name parameters that exist.
  const known = new Set(specs.map((s) => s.name));
  const accessTexts: [string, string][] = [];
  if (scenario.access.url) accessTexts.push(['access.url', scenario.access.url]);
  for (const [k, v] of Object.entries(scenario.access.ssh ?? {})) if (typeof v === 'string') accessTexts.push([`access.ssh.${k}`, v]);
  for (const [field, text] of accessTexts) {
    for (const p of placeholders(text, field, (f, w) => new NephoError('SCENARIO_INVALID', `${scenario.file}: ${f} ${w}`))) {
      if (p.kind === 'parameters' && !known.has(p.name)) {
        throw new NephoError('SCENARIO_INVALID', `${scenario.file}: ${field} uses {{parameters.${p.name}}}, which is not a parameter of this scenario`);
      }
    }
  }

  const resolution = resolveValues(
    specs,
    {
      saved: savedLayers(home, cloudlet.record.id, scenarioName),
      files,
      flags,
      ...(request.deployed ? { deployed: request.deployed } : {}),
    },
    `${cloudlet.record.id}/${scenarioName}`,
    home.configFile,
  );
  return { name, cloudlet, manifest, scenario, provider, patternFile, resolution };
}

/** The plan as `--dry-run` prints it: nothing secret in it. */
export interface FormationPlan {
  name: string;
  cloudlet: { name: string; version: string; path: string };
  scenario: { name: string; file: string };
  provider: string;
  pattern: string;
  parameters: { name: string; value: string | number | boolean | null; source: string; secret: boolean }[];
}

/** Describe a prepared formation for people and machines, secrets masked. */
export function describePlan(prepared: PreparedFormation): FormationPlan {
  return {
    name: prepared.name,
    cloudlet: { name: prepared.cloudlet.record.id, version: prepared.manifest.version, path: prepared.cloudlet.dir },
    scenario: { name: prepared.scenario.name, file: prepared.scenario.file },
    provider: prepared.provider.name,
    pattern: prepared.patternFile,
    parameters: prepared.resolution.parameters.map((p) => ({
      name: p.spec.name,
      value: p.value === undefined ? null : p.spec.secret ? MASK : p.value,
      source: p.value === undefined ? 'unset' : sourceLabel(p.origin!, p.from),
      secret: p.spec.secret,
    })),
  };
}

function sourceLabel(origin: string, from: string | undefined): string {
  switch (origin) {
    case 'template':
      return 'template default';
    case 'cloudlet':
      return 'cloudlet.yaml default';
    case 'scenario':
      return 'scenario default';
    case 'saved': {
      const scope = /parameters\."(.*)"$/.exec(from ?? '')?.[1] ?? '';
      return `saved (${scope === '*' ? 'global' : scope})`;
    }
    case 'file':
      return `file ${from ?? ''}`;
    case 'flag':
      return from ?? '-p';
    case 'deployed':
      return 'deployed';
    default:
      return origin;
  }
}
