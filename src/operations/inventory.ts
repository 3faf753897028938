import { isNephoError } from '../errors.js';
import { formationNotFound, listRecords, refOf, type FormationRecord } from '../formations/records.js';
import type { DiscoveredFormation, FormationState, ProviderOptions } from '../providers/types.js';
import { installedVersion, NOT_INSTALLED, type InstalledVersion } from './installed-version.js';
import { operationStates, type RunningOperation } from './recover.js';
import type { EngineContext } from './types.js';

/** One line of `formation:list`. */
export interface FormationListing {
  name: string;
  cloudlet: string;
  /** The cloudlet version it runs, when known. */
  version: string | null;
  /** The version of its cloudlet installed now, and whether it is newer (`formation:update` would move to it); as formation:describe says it. */
  installed: InstalledVersion;
  scenario: string;
  provider: string;
  status: string;
  /** `local`: recorded on this machine; `remote`: found at the provider only (made elsewhere); `server`: the team server's. */
  source: 'local' | 'remote' | 'server';
  /** False when the record says it exists but the provider no longer has it. */
  exists: boolean;
  /** An operation under way (`create running`), or one whose process died while the provider still works on it. */
  operation?: RunningOperation;
  /** The last operation failed: which, why, and what to do next. */
  failed?: { operation: string; reason: string; next: string };
}

/** What could not be checked, for a warning (no credentials, a provider down). */
export interface ListingProblem {
  provider: string;
  message: string;
}

/**
 * Local records and the formations providers hold under nepho's tags,
 * together: a teammate's formations show up, and a record whose stack is gone
 * is shown as gone. Providers that cannot be reached are reported, not fatal.
 */
export async function listFormations(ctx: EngineContext, options: ProviderOptions): Promise<{ formations: FormationListing[]; problems: ListingProblem[] }> {
  const { home, registry, env } = ctx;
  const operations = await operationStates(ctx);
  const records = listRecords(home);
  const problems: ListingProblem[] = [];
  const discovered = new Map<string, DiscoveredFormation & { provider: string }>();
  for (const provider of registry.providers) {
    if (!provider.discover) continue;
    try {
      const found = await provider.discover(options, env);
      if ('formations' in found) {
        for (const d of found.formations) discovered.set(d.name, { ...d, provider: provider.name });
        continue;
      }
      // A provider this machine was never set up for is not a problem worth
      // a warning, unless the user asked for it or uses it.
      const wanted = options.profile !== undefined || options.region !== undefined || records.some((r) => r.provider === provider.name);
      if (wanted) problems.push({ provider: provider.name, message: found.unconfigured });
    } catch (error) {
      if (!isNephoError(error)) throw error;
      problems.push({ provider: provider.name, message: error.message });
    }
  }
  const rows: FormationListing[] = [];
  for (const record of records) {
    const found = discovered.get(record.name);
    discovered.delete(record.name);
    const operation = operations.get(record.name);
    const failed = !operation ? failureOf(record) : undefined;
    const base = {
      name: record.name,
      cloudlet: record.cloudlet,
      version: record.version,
      installed: installedVersion(home, record.cloudlet, record.version),
      scenario: record.scenario,
      provider: record.provider,
      source: 'local' as const,
      ...(operation ? { operation } : {}),
      ...(failed ? { failed } : {}),
    };
    if (operation?.state === 'running') {
      // The nanny is at work: its record is the freshest word on it.
      rows.push({ ...base, status: record.status, exists: true });
      continue;
    }
    if (found) {
      rows.push({ ...base, status: found.status, exists: true });
      continue;
    }
    const state = await stateOf(ctx, record, problems);
    // GONE only where nepho believed it there: a failed create or destroy is failed, even when the provider has nothing.
    const status = !state ? record.status : state.exists ? state.status : failed ? record.status : 'GONE';
    rows.push({ ...base, status, exists: state ? state.exists : true });
  }
  for (const d of discovered.values()) {
    rows.push({
      name: d.name,
      cloudlet: d.cloudlet ?? '?',
      version: d.version ?? null,
      installed: d.cloudlet && d.version ? installedVersion(home, d.cloudlet, d.version) : NOT_INSTALLED,
      scenario: d.scenario ?? '?',
      provider: d.provider,
      status: d.status,
      source: 'remote',
      exists: true,
    });
  }
  rows.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { formations: rows, problems };
}

/** What went wrong in a record's last operation, with the command that deals with it, when it failed. */
function failureOf(record: FormationRecord): FormationListing['failed'] {
  const op = record.operation;
  if (!op || op.ok !== false) return undefined;
  const reason = op.failures?.map((f) => `${f.resource}: ${f.reason}`).join('; ') || op.status || 'failed';
  const next =
    op.kind === 'destroy'
      ? `fix what stands in the way, then nepho formation:destroy ${record.name}`
      : op.kind === 'create'
        ? `nepho formation:destroy ${record.name}, then create it again`
        : op.kind === 'update'
          ? `nepho formation:update ${record.name} again, or nepho formation:describe ${record.name}`
          : `nepho formation:provision ${record.name} again`;
  return { operation: op.kind, reason, next };
}

async function stateOf(ctx: EngineContext, record: FormationRecord, problems: ListingProblem[]): Promise<FormationState | undefined> {
  const provider = ctx.registry.providers.find((p) => p.name === record.provider);
  if (!provider || Object.keys(record.state).length === 0) return undefined;
  try {
    return await provider.describe(refOf(record, ctx.store.dir(record.name)), record.options, ctx.env);
  } catch (error) {
    if (!isNephoError(error)) throw error;
    if (!problems.some((p) => p.provider === provider.name)) problems.push({ provider: provider.name, message: error.message });
    return undefined;
  }
}

/**
 * The record of a formation by name: the store's (this machine's, or a
 * server's database), or one made from what a provider holds under nepho's
 * tags (a teammate's formation).
 */
export async function findFormation(ctx: EngineContext, name: string, options: ProviderOptions): Promise<FormationRecord> {
  const { registry, env } = ctx;
  ctx.store.dir(name); // checks the name
  const record = ctx.store.read(name);
  if (record) return record;
  const problems: string[] = [];
  for (const provider of registry.providers) {
    if (!provider.discover) continue;
    try {
      const discovery = await provider.discover(options, env);
      if (!('formations' in discovery)) {
        problems.push(`${provider.name}: ${discovery.unconfigured}`);
        continue;
      }
      const found = discovery.formations.find((d) => d.name === name);
      if (found) {
        const now = new Date().toISOString();
        return {
          name,
          cloudlet: found.cloudlet ?? '?',
          version: found.version ?? '?',
          scenario: found.scenario ?? '?',
          provider: provider.name,
          pattern: '',
          parameters: {},
          secrets: [],
          access: {},
          options,
          state: found.state,
          status: found.status,
          createdAt: found.createdAt ?? now,
          updatedAt: now,
        };
      }
    } catch (error) {
      if (!isNephoError(error)) throw error;
      problems.push(`${provider.name}: ${error.message}`);
    }
  }
  throw formationNotFound(name, '', problems.length > 0 ? `could not check ${problems.join('; ')}` : undefined);
}
