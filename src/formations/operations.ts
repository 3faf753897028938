import { join } from 'node:path';
import { NephoError, isNephoError, messageOf } from '../errors.js';
import type { NephoHome } from '../home.js';
import { findProvider, type PluginRegistry } from '../plugins.js';
import type { FormationEvent, FormationRef, FormationSpec, Outcome, Provider, ProviderOptions } from '../providers/types.js';
import type { PreparedFormation } from './plan.js';
import { formationDir, readRecord, removeRecord, updateRecord, writeRecord, type FormationRecord } from './records.js';

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
 * provisioner from non-secret values only.
 */
export async function buildSpec(prepared: PreparedFormation, registry: PluginRegistry): Promise<FormationSpec> {
  const parameters: FormationSpec['parameters'] = {};
  const visible: Record<string, string | number | boolean> = {};
  for (const p of prepared.resolution.parameters) {
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

/** A new record for a formation about to be created. */
export function newRecord(prepared: PreparedFormation, spec: FormationSpec, options: ProviderOptions): FormationRecord {
  const now = new Date().toISOString();
  return {
    name: prepared.name,
    cloudlet: spec.cloudlet.id,
    version: spec.cloudlet.version,
    scenario: spec.scenario,
    provider: prepared.provider.name,
    pattern: String(spec.settings.pattern ?? ''),
    parameters: Object.fromEntries(Object.entries(spec.parameters).filter(([, p]) => !p.secret).map(([k, p]) => [k, p.value])),
    secrets: Object.entries(spec.parameters).filter(([, p]) => p.secret).map(([k]) => k),
    access: prepared.scenario.access,
    options,
    state: {},
    status: 'CREATE_REQUESTED',
    operation: { kind: 'create', startedAt: now },
    createdAt: now,
    updatedAt: now,
  };
}

/** What a command or the nanny gives an operation: where events go and how to stop following. */
export interface Driver {
  env: NodeJS.ProcessEnv;
  emit(event: FormationEvent): void;
  /** Told once the provider has accepted the operation. */
  onAccepted?(record: FormationRecord): void;
  signal?: AbortSignal;
}

/** The reference providers use to find a recorded formation. */
export function refOf(record: FormationRecord): FormationRef {
  return { name: record.name, state: record.state, options: record.options };
}

/**
 * Create a formation and follow it to the end. The record is written before
 * the provider is called and updated as it goes, so a formation is never
 * lost: if the provider refuses before accepting anything, the record is
 * removed again; if it fails after, the record stays, saying so.
 */
export async function createFormation(home: NephoHome, record: FormationRecord, provider: Provider, spec: FormationSpec, driver: Driver): Promise<Outcome> {
  const existing = readRecord(home, record.name);
  if (existing) {
    // Also checked under the operation lock by claimOperation; kept here for callers that run without it.
    throw new NephoError('FORMATION_EXISTS', `a formation named '${record.name}' already exists (${existing.status}, from ${existing.cloudlet}/${existing.scenario})`, {
      hint: `choose another --name, or destroy it first: nepho formation:destroy ${record.name}`,
    });
  }
  writeRecord(home, record);
  let accepted = false;
  try {
    const outcome = await provider.create(spec, {
      dir: formationDir(home, record.name),
      options: record.options,
      env: driver.env,
      emit: driver.emit,
      accepted: (state) => {
        accepted = true;
        const updated = updateRecord(home, record.name, (r) => {
          r.state = { ...r.state, ...state };
          r.status = 'CREATE_IN_PROGRESS';
        });
        driver.onAccepted?.(updated);
      },
      ...(driver.signal ? { signal: driver.signal } : {}),
    });
    updateRecord(home, record.name, (r) => {
      r.state = { ...r.state, ...outcome.state };
      r.status = outcome.status;
      r.operation = { ...r.operation!, endedAt: new Date().toISOString(), ok: outcome.ok, status: outcome.status };
    });
    return outcome;
  } catch (error) {
    if (!accepted) {
      await removeRecord(home, record.name);
    } else {
      updateRecord(home, record.name, (r) => {
        r.status = 'UNKNOWN';
        r.operation = { ...r.operation!, endedAt: new Date().toISOString(), ok: false, status: `failed: ${messageOf(error)}` };
      });
    }
    throw error;
  }
}

/** Destroy a recorded formation and follow it; the record goes only once the provider says it is gone. */
export async function destroyFormation(home: NephoHome, record: FormationRecord, registry: PluginRegistry, driver: Driver): Promise<Outcome> {
  const provider = findProvider(registry, record.provider, `formation ${record.name}: provider`);
  updateRecord(home, record.name, (r) => {
    r.status = 'DELETE_REQUESTED';
    r.operation = { kind: 'destroy', startedAt: new Date().toISOString() };
  });
  let outcome: Outcome;
  try {
    outcome = await provider.destroy(refOf(record), {
      dir: formationDir(home, record.name),
      options: record.options,
      env: driver.env,
      emit: driver.emit,
      accepted: (state) => {
        const updated = updateRecord(home, record.name, (r) => {
          r.state = { ...r.state, ...state };
          r.status = 'DELETE_IN_PROGRESS';
        });
        driver.onAccepted?.(updated);
      },
      ...(driver.signal ? { signal: driver.signal } : {}),
    });
  } catch (error) {
    updateRecord(home, record.name, (r) => {
      r.status = 'UNKNOWN';
      r.operation = { ...r.operation!, endedAt: new Date().toISOString(), ok: false, status: `failed: ${isNephoError(error) ? error.message : messageOf(error)}` };
    });
    throw error;
  }
  if (outcome.ok) {
    await removeRecord(home, record.name);
  } else {
    updateRecord(home, record.name, (r) => {
      r.status = outcome.status;
      r.operation = { ...r.operation!, endedAt: new Date().toISOString(), ok: false, status: outcome.status };
    });
  }
  return outcome;
}
