import { listInstalled, resolveInstalled } from '../cloudlets/installed.js';
import { readCloudletManifest } from '../cloudlets/manifest.js';
import { NephoError, isNephoError } from '../errors.js';
import type { NephoHome } from '../home.js';
import type { PluginRegistry } from '../providers/types.js';
import { declarationLayers } from './declarations.js';
import { coerce, validateValue, type ParameterSpec } from './parameters.js';
import { collectSpecs } from './resolve.js';
import { setSaved } from './saved.js';
import { listScenarios, loadScenario } from './scenario.js';

/** A scope as the user typed it: the cloudlet may be a short name. */
export interface TypedScope {
  cloudlet?: string | undefined;
  scenario?: string | undefined;
}

/** The specs of one scenario, or of every scenario of a cloudlet. Scenarios that do not load are skipped. */
async function specsOf(dir: string, scenario: string | undefined, registry: PluginRegistry): Promise<ParameterSpec[][]> {
  const manifest = readCloudletManifest(dir);
  const names = scenario ? [scenario] : listScenarios(dir).map((s) => s.name);
  const out: ParameterSpec[][] = [];
  for (const name of names) {
    try {
      out.push(collectSpecs(await declarationLayers(dir, manifest, loadScenario(dir, name, registry), registry)));
    } catch (error) {
      if (scenario || !isNephoError(error)) throw error;
    }
  }
  return out;
}

/**
 * Save a parameter value after checking it: a secret (in any scenario the
 * scope covers) is refused; for a cloudlet or scenario scope the parameter
 * must exist there, and its value must satisfy its declaration.
 * Returns the scope key it was saved under.
 */
export async function saveParameter(home: NephoHome, key: string, value: string, typed: TypedScope, registry: PluginRegistry): Promise<string> {
  if (typed.scenario !== undefined && typed.cloudlet === undefined) {
    throw new NephoError('BAD_ARGUMENT', '--scenario needs --cloudlet: a scenario belongs to one cloudlet');
  }
  const cloudlet = typed.cloudlet === undefined ? undefined : resolveInstalled(home, typed.cloudlet);
  const groups: ParameterSpec[][] = [];
  if (cloudlet) groups.push(...(await specsOf(cloudlet.dir, typed.scenario, registry)));
  else {
    for (const c of listInstalled(home)) groups.push(...(await specsOf(c.dir, undefined, registry).catch(() => [])));
  }
  const matching = groups.flat().filter((s) => s.name === key);
  if (matching.some((s) => s.secret)) {
    throw new NephoError('SECRET_NOT_SAVED', `${key} is a secret parameter; secrets are never saved`, {
      hint: 'pass it with -p or type it at the prompt when you create a formation',
    });
  }
  if (cloudlet && matching.length === 0) {
    const where = typed.scenario ? `${cloudlet.record.id}/${typed.scenario}` : cloudlet.record.id;
    throw new NephoError('UNKNOWN_PARAMETER', `${where} has no parameter '${key}'`, { hint: `see nepho scenario:describe ${where}` });
  }
  if (cloudlet) {
    for (const spec of matching) {
      const v = coerce(spec.type, value);
      const why = v === undefined ? `must be a ${spec.type}` : validateValue(spec, v);
      if (why) throw new NephoError('BAD_PARAMETER', `${key} ${why}`);
    }
  }
  return setSaved(home, key, value, {
    ...(cloudlet ? { cloudlet: cloudlet.record.id } : {}),
    ...(typed.scenario ? { scenario: typed.scenario } : {}),
  });
}

/** Turn a typed scope into a saved-values scope: a short cloudlet name must be installed; owner/name need not be. */
export function resolveScope(home: NephoHome, typed: TypedScope): { cloudlet?: string; scenario?: string } {
  if (typed.cloudlet === undefined) {
    if (typed.scenario !== undefined) throw new NephoError('BAD_ARGUMENT', '--scenario needs --cloudlet: a scenario belongs to one cloudlet');
    return {};
  }
  const cloudlet = typed.cloudlet.includes('/') ? typed.cloudlet : resolveInstalled(home, typed.cloudlet).record.id;
  return typed.scenario === undefined ? { cloudlet } : { cloudlet, scenario: typed.scenario };
}
