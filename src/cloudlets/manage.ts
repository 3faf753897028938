import { lstat, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { NephoError, isNephoError, type ErrorCode } from '../errors.js';
import { removePath, withScratchDir } from '../fs.js';
import { listFormationSummaries } from '../formations/records.js';
import { developRecordPath, listInstalled, resolveInstalled, type DamagedInstall, type InstalledCloudlet } from './installed.js';
import { recheckProvenance, type Provenance } from './provenance.js';
import { assertUnmodified, findInRegistries, installCloudlet, modifiedFiles, pickVersion, withInstallLock, type CloudletContext } from './install.js';
import { errorData } from '../error-catalogue.js';

/** The cloudlets a command names, or every installed one when it names none. */
export function selectInstalled(ctx: CloudletContext, names: string[]): InstalledCloudlet[] {
  return names.length === 0 ? listInstalled(ctx.home) : names.map((n) => resolveInstalled(ctx.home, n));
}

/** What `cloudlet:update` did for one cloudlet. */
export interface UpdateResult {
  id: string;
  from: string;
  to: string;
  action: 'updated' | 'up-to-date' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  reason?: string;
  /** The error code of a failure (`CLOUDLET_MODIFIED`, ...). */
  code?: ErrorCode;
  /** What the user can do about a failure (`--force discards the edits`). */
  hint?: string;
}

/**
 * Move each cloudlet to the newest version its recorded range allows (registry
 * installs), or to what its ref now points at (git installs), or to the
 * directory's current content (path installs). Edited cloudlets are refused
 * unless forced. One failure does not stop the others.
 */
export async function updateCloudlets(ctx: CloudletContext, names: string[], force = false): Promise<UpdateResult[]> {
  const results: UpdateResult[] = [];
  for (const cloudlet of selectInstalled(ctx, names)) {
    const { record } = cloudlet;
    const base = { id: record.id, from: record.version };
    try {
      if (record.develop) {
        results.push({ ...base, to: record.version, action: 'skipped', reason: `linked to ${record.source}` });
        continue;
      }
      let outcome;
      if (record.registry !== undefined) {
        const found = await findInRegistries(ctx, record.id);
        const version = pickVersion(found, record.range);
        // A version withdrawn from the registry is no reason to go back to an older one.
        if (version.commit === record.commit || semver.lt(version.version, record.version)) {
          results.push({ ...base, to: record.version, action: 'up-to-date' });
          continue;
        }
        await assertUnmodified(cloudlet, force);
        outcome = await installCloudlet(ctx, { kind: 'registry', name: record.id, ...(record.range ? { range: record.range } : {}) }, { force });
      } else if (record.commit !== undefined && !record.source.startsWith('/')) {
        outcome = await installCloudlet(ctx, { kind: 'git', url: record.source, ...(record.ref ? { ref: record.ref } : {}) }, { as: record.id, force });
      } else {
        outcome = await installCloudlet(ctx, { kind: 'path', path: record.source }, { as: record.id, force });
      }
      const to = outcome.cloudlet.record;
      results.push({ ...base, to: to.version, action: outcome.action === 'unchanged' || to.digest === record.digest ? 'up-to-date' : 'updated' });
    } catch (error) {
      if (!isNephoError(error)) throw error;
      const { code, message, hint } = errorData(error);
      results.push({ ...base, to: record.version, action: 'failed', reason: message, code, ...(hint === undefined ? {} : { hint }) });
    }
  }
  return results;
}

/** One row of `cloudlet:outdated`. */
export interface OutdatedRow {
  id: string;
  current: string;
  /** The newest version the recorded range allows. */
  wanted: string;
  /** The newest version the registry has. */
  latest: string;
  registry: string;
}

/** Registry-installed cloudlets for which the registry has something newer. */
export async function outdatedCloudlets(ctx: CloudletContext, names: string[]): Promise<OutdatedRow[]> {
  const rows: OutdatedRow[] = [];
  for (const { record } of selectInstalled(ctx, names)) {
    if (record.registry === undefined || record.develop) continue;
    const found = await findInRegistries(ctx, record.id);
    const latest = found.cloudlet.versions[0]!.version;
    const wanted =
      semver.maxSatisfying(
        found.cloudlet.versions.map((v) => v.version),
        record.range ?? '*',
      ) ?? record.version;
    if (semver.gt(latest, record.version) || semver.gt(wanted, record.version)) {
      rows.push({ id: record.id, current: record.version, wanted, latest, registry: found.registry.name });
    }
  }
  return rows;
}

/** What `cloudlet:verify` found for one cloudlet. */
export interface VerifyResult {
  id: string;
  /** False for develop links, which have nothing recorded to compare with. */
  checked: boolean;
  changes: { path: string; change: 'modified' | 'added' | 'removed' }[];
  /** For a cloudlet installed from a signed registry: the key that verified it, re-checked. */
  provenance?: Provenance;
}

/** Compare installed files with what was installed, and re-check where those from signed registries came from. */
export async function verifyCloudlets(ctx: CloudletContext, names: string[]): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  const selected = selectInstalled(ctx, names);
  const provenance = await recheckProvenance(
    ctx,
    selected.map((c) => c.record),
  );
  for (const cloudlet of selected) {
    const check = provenance.get(cloudlet.record.id);
    results.push({
      id: cloudlet.record.id,
      checked: !cloudlet.record.develop,
      changes: await modifiedFiles(cloudlet),
      ...(check ? { provenance: check } : {}),
    });
  }
  return results;
}

/**
 * Remove an installed cloudlet. Refused while formations made from it exist,
 * or when its files were edited, unless forced. `confirm` runs after those
 * checks pass and before anything is removed; it throws to cancel.
 */
export async function uninstallCloudlet(
  ctx: CloudletContext,
  cloudlet: InstalledCloudlet,
  force = false,
  confirm: () => Promise<void> = async () => undefined,
): Promise<void> {
  const id = cloudlet.record.id;
  const using = listFormationSummaries(ctx.home).filter((f) => f.cloudlet === id);
  if (using.length > 0 && !force) {
    throw new NephoError('CLOUDLET_IN_USE', `${id} is used by formation(s) ${using.map((f) => f.name).join(', ')}`, {
      hint: 'destroy them first, or pass --force to remove the cloudlet anyway',
    });
  }
  await assertUnmodified(cloudlet, force);
  await confirm();
  await withInstallLock(ctx, id, async () => {
    if (cloudlet.record.develop) {
      await unlink(cloudlet.dir);
      await removePath(developRecordPath(ctx.home, id));
    } else {
      // Out of sight in one rename, then deleted.
      await withScratchDir(ctx.home.cloudlets, async (trash) => rename(cloudlet.dir, join(trash, 'old')));
    }
  });
}

/**
 * Remove a cloudlet whose install record is damaged (see `scanInstalled`).
 * Without its record, edits to its files cannot be checked, nor can it be
 * updated: only `force` removes it, and `confirm` runs before anything is.
 */
export async function uninstallDamaged(
  ctx: CloudletContext,
  damaged: DamagedInstall,
  force: boolean,
  confirm: () => Promise<void> = async () => undefined,
): Promise<void> {
  if (!force) {
    throw new NephoError(
      'CLOUDLET_DAMAGED',
      `${damaged.id}: its install record is damaged (${damaged.file}: ${damaged.problem}), so edits to its files cannot be checked`,
      {
        hint: `remove it anyway with nepho cloudlet:uninstall --force ${damaged.id}`,
      },
    );
  }
  await confirm();
  await withInstallLock(ctx, damaged.id, async () => {
    if ((await lstat(damaged.dir)).isSymbolicLink()) {
      await unlink(damaged.dir);
      await removePath(developRecordPath(ctx.home, damaged.id));
    } else {
      await withScratchDir(ctx.home.cloudlets, async (trash) => rename(damaged.dir, join(trash, 'old')));
    }
  });
}
