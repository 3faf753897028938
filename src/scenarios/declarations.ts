import { join } from 'node:path';
import type { CloudletManifest } from '../cloudlets/manifest.js';
import type { PatternParameter, PluginRegistry, Provider } from '../providers/types.js';
import { parseDeclaration, type Declaration } from './parameters.js';
import type { Scenario } from './scenario.js';

/** A parameter a pattern declares, as a declaration of the lowest layer (its constraints name the pattern file). */
export function patternDeclaration(p: PatternParameter, patternFile: string): Declaration {
  const constraints: Declaration['constraints'] = { from: p.declaredAt ?? patternFile };
  if (p.choices) constraints.choices = p.choices;
  if (p.pattern !== undefined) {
    // Messages show the pattern as the file writes it; checks use the JavaScript one.
    constraints.pattern = p.declaredPattern ?? p.pattern;
    if (p.declaredPattern !== undefined || p.patternFlags !== undefined) constraints.patternAsJs = { source: p.pattern, flags: p.patternFlags ?? 'u' };
    if (p.patternUnchecked !== undefined) constraints.patternUnchecked = p.patternUnchecked;
  }
  if (p.listItems) constraints.eachListItem = true;
  if (p.min !== undefined) constraints.min = p.min;
  if (p.max !== undefined) constraints.max = p.max;
  if (p.minLength !== undefined) constraints.minLength = p.minLength;
  if (p.maxLength !== undefined) constraints.maxLength = p.maxLength;
  return {
    name: p.name,
    type: p.type,
    constraints,
    origin: 'template',
    ...(p.default === undefined ? {} : { default: p.default }),
    ...(p.description === undefined ? {} : { description: p.description }),
    ...(p.secret ? { secret: true } : {}),
  };
}

/** What `provider`'s pattern for this scenario declares itself (nothing for providers without the hook). */
export async function providerDeclarations(dir: string, scenario: Scenario, provider: Provider): Promise<Declaration[]> {
  const settings = scenario.providers[provider.name];
  if (!settings || !provider.parameters) return [];
  const patternFile = join(dir, provider.patternPath(settings.pattern));
  return (await provider.parameters(patternFile)).map((p) => patternDeclaration(p, patternFile));
}

/**
 * Every declaration that applies to a scenario, lowest precedence first: the
 * patterns' own (of `provider` when given, else of every provider the
 * scenario names), cloudlet.yaml's, the scenario's.
 */
export async function declarationLayers(
  dir: string,
  manifest: CloudletManifest,
  scenario: Scenario,
  registry: PluginRegistry,
  provider?: Provider,
): Promise<Declaration[][]> {
  const providers = provider ? [provider] : registry.providers.filter((p) => scenario.providers[p.name] !== undefined);
  const pattern: Declaration[] = [];
  for (const p of providers) pattern.push(...(await providerDeclarations(dir, scenario, p)));
  return [pattern, Object.entries(manifest.parameters).map(([k, v]) => parseDeclaration(k, v, join(dir, 'cloudlet.yaml'), 'cloudlet')), scenario.declarations];
}
