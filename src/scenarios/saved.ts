import { loadConfig, updateConfig, type Config } from '../config.js';
import { NephoError } from '../errors.js';
import type { NephoHome } from '../home.js';
import { CLOUDLET_ID } from '../cloudlets/names.js';
import { PARAMETER_NAME, type ParameterValue } from './parameters.js';
import { SCENARIO_NAME } from './scenario.js';

/**
 * Saved parameter values live in config.yaml under `parameters:`, keyed by
 * scope: `"*"` for every cloudlet, `owner/name` for one cloudlet,
 * `owner/name/scenario` for one scenario. The narrower scope wins.
 */
export interface Scope {
  cloudlet?: string;
  scenario?: string;
}

/** One saved value and where it is saved. */
export interface SavedValue {
  key: string;
  value: ParameterValue;
  scope: string;
}

/** The config.yaml key of a scope. */
export function scopeKey(scope: Scope): string {
  if (scope.scenario !== undefined && scope.cloudlet === undefined) {
    throw new NephoError('BAD_ARGUMENT', '--scenario needs --cloudlet: a scenario belongs to one cloudlet');
  }
  if (scope.cloudlet !== undefined && !CLOUDLET_ID.test(scope.cloudlet)) {
    throw new NephoError('BAD_ARGUMENT', `--cloudlet '${scope.cloudlet}' is not owner/name`);
  }
  if (scope.scenario !== undefined && !SCENARIO_NAME.test(scope.scenario)) {
    throw new NephoError('BAD_ARGUMENT', `--scenario '${scope.scenario}' is not a scenario name`);
  }
  return scope.cloudlet === undefined ? '*' : scope.scenario === undefined ? scope.cloudlet : `${scope.cloudlet}/${scope.scenario}`;
}

function readAll(home: NephoHome): { config: Config; saved: Record<string, Record<string, ParameterValue>> } {
  const config = loadConfig(home);
  return { config, saved: savedIn(home, config) };
}

/** The `parameters:` of a config, checked. */
function savedIn(home: NephoHome, config: Config): Record<string, Record<string, ParameterValue>> {
  const raw = config.rest.parameters ?? {};
  const bad = (field: string) => new NephoError('CONFIG_INVALID', `${home.configFile}: ${field} must map parameter names to values`);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('parameters');
  const saved: Record<string, Record<string, ParameterValue>> = {};
  for (const [scope, values] of Object.entries(raw as Record<string, unknown>)) {
    if (values === null || typeof values !== 'object' || Array.isArray(values)) throw bad(`parameters."${scope}"`);
    for (const [k, v] of Object.entries(values as Record<string, unknown>)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw bad(`parameters."${scope}".${k}`);
    }
    saved[scope] = values as Record<string, ParameterValue>;
  }
  return saved;
}

/** Every saved value, narrowest scope last. */
export function listSaved(home: NephoHome): SavedValue[] {
  const { saved } = readAll(home);
  const rank = (scope: string) => (scope === '*' ? 0 : scope.split('/').length);
  return Object.entries(saved)
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1))
    .flatMap(([scope, values]) => Object.entries(values).map(([key, value]) => ({ key, value, scope })));
}

/** The saved values that apply to a cloudlet's scenario, as layers from the widest scope to the narrowest. */
export function savedLayers(home: NephoHome, cloudlet: string, scenario: string): { scope: string; values: Record<string, ParameterValue> }[] {
  const { saved } = readAll(home);
  return ['*', cloudlet, `${cloudlet}/${scenario}`].filter((s) => saved[s]).map((scope) => ({ scope, values: saved[scope]! }));
}

/** Save a value (a locked change of config.yaml). The caller has checked that the parameter is not a secret. */
export async function setSaved(home: NephoHome, key: string, value: string, scope: Scope): Promise<string> {
  if (!PARAMETER_NAME.test(key)) throw new NephoError('BAD_ARGUMENT', `'${key}' is not a parameter name`);
  const where = scopeKey(scope);
  await updateConfig(home, `saving parameter ${key}`, (config) => {
    const saved = savedIn(home, config);
    saved[where] = { ...saved[where], [key]: value };
    config.rest.parameters = saved;
  });
  return where;
}

/** Remove a saved value (a locked change of config.yaml); false when there was none. */
export async function unsetSaved(home: NephoHome, key: string, scope: Scope): Promise<boolean> {
  const where = scopeKey(scope);
  return updateConfig(home, `removing parameter ${key}`, (config) => {
    const saved = savedIn(home, config);
    if (!saved[where] || !(key in saved[where]!)) return false;
    delete saved[where]![key];
    if (Object.keys(saved[where]!).length === 0) delete saved[where];
    config.rest.parameters = saved;
    return true;
  });
}
