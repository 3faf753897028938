import { existsSync, readdirSync } from 'node:fs';
import { join, normalize, isAbsolute } from 'node:path';
import { readYamlFile } from '../cloudlets/manifest.js';
import { NephoError } from '../errors.js';
import type { PluginRegistry } from '../providers/types.js';
import { parseDeclaration, type Declaration } from './parameters.js';

/** Scenario names: file names under `scenarios/`, nothing that could leave it. */
export const SCENARIO_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** How a formation is reached once it runs. Values may hold `{{outputs.X}}` and `{{parameters.X}}`. */
export interface Access {
  url?: string;
  ssh?: { host: string; port?: number | string; user?: string; bastion?: string; bastion_port?: number | string; bastion_user?: string };
}

/** A scenario after `extends` is applied and the result validated. */
export interface Scenario {
  name: string;
  /** The scenario's own file (the one to edit). */
  file: string;
  /** The files merged to make it, base first. */
  chain: string[];
  summary?: string;
  description?: string;
  /** Provider name → its settings (`pattern`, ...), in the order the scenario lists them. */
  providers: Record<string, { pattern: string; [key: string]: unknown }>;
  provisioner?: { type: string; script: string };
  /** Declarations from this scenario (after merging), in file order. */
  declarations: Declaration[];
  access: Access;
  /** The merged configuration, as `scenario:describe` prints it. */
  merged: Record<string, unknown>;
}

/** The keys a scenario file may have. */
export const SCENARIO_KEYS = new Set(['summary', 'description', 'extends', 'providers', 'provisioner', 'parameters', 'access']);
/** The keys of a scenario's `access.ssh`. */
export const SSH_KEYS = new Set(['host', 'port', 'user', 'bastion', 'bastion_port', 'bastion_user']);

/** The scenarios a cloudlet has, with their one-line summaries. Files that do not parse say so in the summary. */
export function listScenarios(cloudletDir: string): { name: string; summary: string; file: string }[] {
  const dir = join(cloudletDir, 'scenarios');
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
  } catch {
    return [];
  }
  return files.map((f) => {
    const name = f.slice(0, -'.yaml'.length);
    const file = join(dir, f);
    let summary = '';
    try {
      const raw = readYamlFile(file, 'SCENARIO_INVALID') as Record<string, unknown> | null;
      if (raw && typeof raw.summary === 'string') summary = raw.summary;
    } catch (error) {
      summary = `(invalid: ${(error as Error).message})`;
    }
    return { name, summary, file };
  });
}

/**
 * Deep merge for `extends`: mappings merge key by key, everything else
 * (lists, scalars) in `over` replaces what `base` had.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (isMapping(base) && isMapping(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return over === undefined ? base : over;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function scenarioFile(cloudletDir: string, name: string): string {
  return join(cloudletDir, 'scenarios', `${name}.yaml`);
}

/** Read one scenario file and the chain it extends, merged; cycles and missing bases name both files. */
function readChain(cloudletDir: string, name: string, seen: string[]): { merged: Record<string, unknown>; chain: string[] } {
  const file = scenarioFile(cloudletDir, name);
  const raw = readYamlFile(file, 'SCENARIO_INVALID') ?? {};
  if (!isMapping(raw)) throw new NephoError('SCENARIO_INVALID', `${file}: expected a mapping`);
  for (const key of Object.keys(raw)) {
    if (!SCENARIO_KEYS.has(key))
      throw new NephoError('SCENARIO_INVALID', `${file}: '${key}' is not a scenario key (expected one of ${[...SCENARIO_KEYS].join(', ')})`);
  }
  const { extends: base, ...own } = raw;
  if (base === undefined || base === null) return { merged: own, chain: [file] };
  if (typeof base !== 'string' || !SCENARIO_NAME.test(base)) {
    throw new NephoError('SCENARIO_INVALID', `${file}: extends must name another scenario of this cloudlet`);
  }
  if (seen.includes(base)) {
    const from = scenarioFile(cloudletDir, seen[seen.length - 1]!);
    throw new NephoError(
      'SCENARIO_CYCLE',
      `${file}: extends '${base}', which leads back to it (${[...seen, base].join(' -> ')}; ${from} and ${scenarioFile(cloudletDir, base)})`,
    );
  }
  if (!existsSync(scenarioFile(cloudletDir, base))) {
    throw new NephoError('SCENARIO_INVALID', `${file}: extends '${base}', but ${scenarioFile(cloudletDir, base)} does not exist`);
  }
  const parent = readChain(cloudletDir, base, [...seen, base]);
  return { merged: deepMerge(parent.merged, own) as Record<string, unknown>, chain: [...parent.chain, file] };
}

/**
 * Load a scenario: apply `extends`, then validate the result against the
 * format, naming file and field: providers (known ones, with an existing
 * pattern file), the provisioner and its script, parameter declarations
 * (types, constraints, defaults that satisfy them), and access placeholders.
 */
export function loadScenario(cloudletDir: string, name: string, registry: PluginRegistry): Scenario {
  const { providers } = registry;
  const provisioners = registry.provisioners.map((p) => p.type);
  if (!SCENARIO_NAME.test(name)) {
    throw new NephoError('BAD_SCENARIO_NAME', `'${name}' is not a scenario name (lowercase letters, digits, '.', '_' and '-')`);
  }
  const file = scenarioFile(cloudletDir, name);
  if (!existsSync(file)) {
    const known = listScenarios(cloudletDir).map((s) => s.name);
    throw new NephoError('SCENARIO_NOT_FOUND', `no scenario '${name}' in ${cloudletDir}`, { hint: `scenarios: ${known.join(', ') || 'none'}` });
  }
  const { merged, chain } = readChain(cloudletDir, name, [name]);
  // Errors about merged content name the scenario's own file: it is the one to edit (or its chain).
  const where = chain.length > 1 ? `${file} (with ${chain.slice(0, -1).join(', ')})` : file;
  const bad = (field: string, what: string) => new NephoError('SCENARIO_INVALID', `${where}: ${field} ${what}`);

  const scenario: Scenario = { name, file, chain, providers: {}, declarations: [], access: {}, merged };
  for (const key of ['summary', 'description'] as const) {
    if (merged[key] === undefined || merged[key] === null) continue;
    if (typeof merged[key] !== 'string') throw bad(key, 'must be a string');
    scenario[key] = merged[key] as string;
  }

  if (!isMapping(merged.providers) || Object.keys(merged.providers).length === 0) {
    throw bad('providers', `must name at least one provider (${providers.map((p) => p.name).join(', ')})`);
  }
  for (const [provider, settings] of Object.entries(merged.providers)) {
    const info = providers.find((p) => p.name === provider);
    if (!info) throw bad(`providers.${provider}`, `is not a known provider (known: ${providers.map((p) => p.name).join(', ')})`);
    if (!isMapping(settings) || typeof settings.pattern !== 'string') throw bad(`providers.${provider}.pattern`, 'is required');
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(settings.pattern)) throw bad(`providers.${provider}.pattern`, `'${settings.pattern}' is not a pattern name`);
    const patternFile = join(cloudletDir, info.patternPath(settings.pattern));
    if (!existsSync(patternFile)) throw bad(`providers.${provider}.pattern`, `'${settings.pattern}': ${patternFile} does not exist`);
    scenario.providers[provider] = { ...settings, pattern: settings.pattern };
  }

  if (merged.provisioner !== undefined && merged.provisioner !== null) {
    const p = merged.provisioner;
    if (!isMapping(p)) throw bad('provisioner', 'must be a mapping with type and script');
    if (typeof p.type !== 'string' || !provisioners.includes(p.type))
      throw bad('provisioner.type', `'${String(p.type)}' is not a known provisioner (known: ${provisioners.join(', ')})`);
    if (typeof p.script !== 'string' || p.script === '') throw bad('provisioner.script', 'is required');
    if (isAbsolute(p.script) || normalize(p.script).startsWith('..')) throw bad('provisioner.script', 'must be a path inside the cloudlet');
    if (!existsSync(join(cloudletDir, p.script))) throw bad('provisioner.script', `${join(cloudletDir, p.script)} does not exist`);
    scenario.provisioner = { type: p.type, script: p.script };
  }

  if (merged.parameters !== undefined && merged.parameters !== null) {
    if (!isMapping(merged.parameters)) throw bad('parameters', 'must be a mapping of parameter declarations');
    scenario.declarations = Object.entries(merged.parameters).map(([k, v]) => parseDeclaration(k, v, where, 'scenario'));
  }

  if (merged.access !== undefined && merged.access !== null) {
    const a = merged.access;
    if (!isMapping(a)) throw bad('access', 'must be a mapping with url and/or ssh');
    for (const key of Object.keys(a)) if (key !== 'url' && key !== 'ssh') throw bad(`access.${key}`, 'is not an access key (url, ssh)');
    if (a.url !== undefined) {
      if (typeof a.url !== 'string') throw bad('access.url', 'must be a string');
      checkPlaceholders(a.url, 'access.url', bad);
      scenario.access.url = a.url;
    }
    if (a.ssh !== undefined) {
      if (!isMapping(a.ssh)) throw bad('access.ssh', 'must be a mapping (host, port, user, bastion, bastion_port, bastion_user)');
      for (const [k, v] of Object.entries(a.ssh)) {
        if (!SSH_KEYS.has(k)) throw bad(`access.ssh.${k}`, `is not an ssh key (${[...SSH_KEYS].join(', ')})`);
        if (typeof v !== 'string' && typeof v !== 'number') throw bad(`access.ssh.${k}`, 'must be a string or a number');
        if (typeof v === 'string') checkPlaceholders(v, `access.ssh.${k}`, bad);
      }
      if (a.ssh.host === undefined) throw bad('access.ssh.host', 'is required');
      scenario.access.ssh = a.ssh as Access['ssh'];
    }
  }
  return scenario;
}

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/** The `{{outputs.X}}` and `{{parameters.X}}` placeholders in a text; anything else is an error. */
export function placeholders(text: string, field: string, bad: (f: string, w: string) => NephoError): { kind: 'outputs' | 'parameters'; name: string }[] {
  const found: { kind: 'outputs' | 'parameters'; name: string }[] = [];
  for (const [, expr] of text.matchAll(PLACEHOLDER)) {
    const m = /^(outputs|parameters)\.([A-Za-z][A-Za-z0-9_]*)$/.exec(expr!);
    if (!m) throw bad(field, `has an unknown placeholder {{${expr}}} (use {{outputs.X}} or {{parameters.X}})`);
    found.push({ kind: m[1] as 'outputs' | 'parameters', name: m[2]! });
  }
  return found;
}

function checkPlaceholders(text: string, field: string, bad: (f: string, w: string) => NephoError): void {
  placeholders(text, field, bad);
}
