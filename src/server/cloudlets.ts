/**
 * Cloudlets on the server: a request names a cloudlet and the exact commit
 * its client resolved, and the server deploys that commit and nothing else,
 * installed into its own home from the registries it is configured with.
 * A registry pins each version to a commit (and a content digest), which the
 * install checks; a commit no registry lists cannot be checked, so it is
 * refused rather than fetched from wherever.
 */
import { findInRegistries, installCloudlet, type CloudletContext } from '../cloudlets/install.js';
import { findInstalled, parseCloudletId, type InstalledCloudlet } from '../cloudlets/installed.js';
import { loadConfig } from '../config.js';
import { NephoError } from '../errors.js';
import type { NephoHome } from '../home.js';

/** Installs of one cloudlet in this process, one at a time (the install lock refuses rather than waits). */
const installing = new Map<string, Promise<unknown>>();

/**
 * Make sure `id` is installed at `commit` in the server's home, installing
 * that version from a registry when it is not. `notice` is told what happens.
 */
export async function ensureCloudlet(home: NephoHome, id: string, commit: string, notice: (text: string) => void): Promise<InstalledCloudlet> {
  parseCloudletId(id, 'cloudlet');
  const before = installing.get(id) ?? Promise.resolve();
  const turn = before.catch(() => undefined).then(() => install(home, id, commit, notice));
  installing.set(id, turn);
  try {
    return await turn;
  } finally {
    if (installing.get(id) === turn) installing.delete(id);
  }
}

async function install(home: NephoHome, id: string, commit: string, notice: (text: string) => void): Promise<InstalledCloudlet> {
  const installed = findInstalled(home, id);
  if (installed?.record.commit === commit && !installed.record.develop) return installed;
  const ctx: CloudletContext = { home, config: loadConfig(home), warn: notice, notice };
  const found = await findInRegistries(ctx, id);
  const version = found.cloudlet.versions.find((v) => v.commit === commit);
  if (!version) {
    throw new NephoError(
      'COMMIT_UNVERIFIED',
      `${id}: no registry this server uses lists commit ${commit} (registry '${found.registry.name}' lists ${found.cloudlet.versions.map((v) => `${v.version} at ${v.commit.slice(0, 12)}`).join(', ') || 'no versions'})`,
      {
        hint: 'deploy a version the registry publishes, or publish this commit as a version first',
      },
    );
  }
  notice(`installing ${id}@${version.version} (commit ${commit.slice(0, 12)}) from registry '${found.registry.name}'`);
  const outcome = await installCloudlet(ctx, { kind: 'registry', name: id, range: version.version }, { force: true });
  if (outcome.cloudlet.record.commit !== commit) {
    throw new NephoError(
      'COMMIT_MISMATCH',
      `${id}@${version.version}: installed commit ${outcome.cloudlet.record.commit ?? '(none)'}, not the ${commit} asked for`,
    );
  }
  return outcome.cloudlet;
}
