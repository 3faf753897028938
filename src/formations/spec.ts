import { join } from 'node:path';
import { NephoError } from '../errors.js';
import type { FormationSpec, PluginRegistry, ProviderOptions } from '../providers/types.js';
import type { PreparedFormation } from './plan.js';
import type { FormationRecord } from './records.js';

/** Tags every formation's provider resources carry, so teammates' nepho can find them. */
export function formationTags(prepared: PreparedFormation): Record<string, string> {
  return {
    'nepho:formation': prepared.name,
    'nepho:cloudlet': prepared.cloudlet.record.id,
    'nepho:scenario': prepared.scenario.name,
    'nepho:version': prepared.manifest.version,
  };
}

/**
 * Turn a prepared formation into what providers receive: parameter values
 * with their secrecy, and the bootstrap rendered by the scenario's
 * provisioner from non-secret values only. `kept`: secrets an update did not
 * get again, which the provider keeps as they are (`previous`).
 */
export async function buildSpec(prepared: PreparedFormation, registry: PluginRegistry, kept: ReadonlySet<string> = new Set()): Promise<FormationSpec> {
  const parameters: FormationSpec['parameters'] = {};
  const visible: Record<string, string | number | boolean> = {};
  for (const p of prepared.resolution.parameters) {
    if (kept.has(p.spec.name)) {
      parameters[p.spec.name] = { value: '', secret: true, previous: true };
      continue;
    }
    if (p.value === undefined) continue;
    parameters[p.spec.name] = { value: p.value, secret: p.spec.secret };
    if (!p.spec.secret) visible[p.spec.name] = p.value;
  }
  const spec: FormationSpec = {
    name: prepared.name,
    cloudlet: { id: prepared.cloudlet.record.id, version: prepared.manifest.version, dir: prepared.cloudlet.dir },
    scenario: prepared.scenario.name,
    settings: prepared.scenario.providers[prepared.provider.name] ?? {},
    patternFile: prepared.patternFile,
    parameters,
    tags: formationTags(prepared),
  };
  const wanted = prepared.scenario.provisioner;
  if (wanted) {
    const provisioner = registry.provisioners.find((p) => p.type === wanted.type);
    if (!provisioner) {
      throw new NephoError('UNKNOWN_PROVISIONER', `${prepared.scenario.file}: provisioner.type '${wanted.type}' is not a known provisioner`, {
        hint: `known provisioners: ${registry.provisioners.map((p) => p.type).join(', ')}`,
      });
    }
    spec.bootstrap = await provisioner.render({
      formation: prepared.name,
      cloudlet: prepared.cloudlet.record.id,
      scenario: prepared.scenario.name,
      scriptFile: join(prepared.cloudlet.dir, wanted.script),
      parameters: visible,
    });
  }
  return spec;
}

/** A new record for a formation about to be created: every non-secret value, only the names of secrets. */
export function newRecord(prepared: PreparedFormation, spec: FormationSpec, options: ProviderOptions): FormationRecord {
  const now = new Date().toISOString();
  return {
    name: prepared.name,
    cloudlet: spec.cloudlet.id,
    version: spec.cloudlet.version,
    ...(prepared.cloudlet.record.commit ? { commit: prepared.cloudlet.record.commit } : {}),
    scenario: spec.scenario,
    provider: prepared.provider.name,
    pattern: String(spec.settings.pattern ?? ''),
    parameters: Object.fromEntries(
      Object.entries(spec.parameters)
        .filter(([, p]) => !p.secret)
        .map(([k, p]) => [k, p.value]),
    ),
    secrets: Object.entries(spec.parameters)
      .filter(([, p]) => p.secret)
      .map(([k]) => k),
    access: prepared.scenario.access,
    options,
    state: {},
    status: 'CREATE_REQUESTED',
    operation: { kind: 'create', startedAt: now },
    createdAt: now,
    updatedAt: now,
  };
}
