import { isNephoError } from '../errors.js';
import { shortKey } from '../registry/keys.js';
import { findCloudlet, registrySources, syncAll, type RegistryState } from '../registry/registries.js';
import { keyStanding, type KeyStanding } from '../registry/signing.js';
import type { CloudletContext } from './install.js';
import type { InstallRecord } from './installed.js';

/**
 * What `cloudlet:verify` finds of where a cloudlet installed from a signed
 * registry came from: whether the key that verified that registry's index is
 * still the one trusted for it (itself, or the key it rotated to), and
 * whether the registry's verified index still pins the installed version to
 * the same commit and digest.
 */
export interface Provenance {
  /** The key that verified the index the cloudlet was installed from. */
  key: string;
  standing: KeyStanding;
  /** Set when something is wrong: one line saying what. */
  problem?: string;
}

/**
 * Re-check the provenance of each record that has one (installed from a
 * signed registry): the registries are read as install reads them (a
 * refused index leaves the last verified copy in use).
 */
export async function recheckProvenance(ctx: CloudletContext, records: InstallRecord[]): Promise<Map<string, Provenance>> {
  const checks = new Map<string, Provenance>();
  const signed = records.filter((r) => r.verifiedBy !== undefined && r.registry !== undefined);
  if (signed.length === 0) return checks;
  const sources = registrySources(ctx.config);
  const states: RegistryState[] = await syncAll(ctx);
  for (const record of signed) {
    const key = record.verifiedBy!;
    const source = sources.find((s) => s.name === record.registry);
    const standing = keyStanding(ctx.home, source, key);
    const check: Provenance = { key, standing };
    if (!source) check.problem = `registry '${record.registry}' is no longer configured`;
    else if (standing === 'untrusted') check.problem = `registry '${record.registry}' no longer trusts ${shortKey(key)}, the key that verified it`;
    else {
      const state = states.find((s) => s.source.name === source.name);
      try {
        const version = (await findCloudlet(ctx, state ? [state] : [], record.id)).cloudlet.versions.find((v) => v.version === record.version);
        if (!version) check.problem = `registry '${record.registry}' no longer lists version ${record.version}`;
        else if (version.commit !== record.commit || (version.digest !== undefined && version.digest !== record.digest)) {
          check.problem = `registry '${record.registry}' now pins ${record.version} to commit ${version.commit}, not the installed ${record.commit ?? 'content'}`;
        }
      } catch (error) {
        if (!isNephoError(error)) throw error;
        check.problem = `registry '${record.registry}' no longer lists it (${error.message})`;
      }
    }
    checks.set(record.id, check);
  }
  return checks;
}
