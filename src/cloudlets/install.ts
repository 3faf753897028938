import { cp, lstat, mkdir, realpath, rename, stat, symlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import maxSatisfying from 'semver/ranges/max-satisfying.js';
import satisfies from 'semver/functions/satisfies.js';
import validRange from 'semver/ranges/valid.js';
import { NephoError, messageOf } from '../errors.js';
import {
  acquireLock,
  diffManifests,
  manifestDigest,
  readManifest,
  removePath,
  swapIntoPlaceSync,
  withScratchDir,
  writeFileAtomicSync,
  type Manifest,
} from '../fs.js';
import { checkoutRef, isRepository, looksLikeGitUrl, parseGitSpec, resolveCommit } from '../git.js';
import { redactUrl, withoutCredentials } from '../output.js';
import type { RegistryVersion } from '../registry/format.js';
import { assertInstallable } from '../registry/signing.js';
import { CLOUDLET_ID, CLOUDLET_NAME } from './names.js';
import { cloudletNotFound, findCloudlet, findNamed, syncAll, type Found, type RegistryContext } from '../registry/registries.js';
import {
  NOT_CONTENT,
  RECORD_FILE,
  cloudletDir,
  developRecordPath,
  findInstalled,
  parseCloudletId,
  type InstallRecord,
  type InstalledCloudlet,
} from './installed.js';
import type * as ManifestChecks from './manifest.js';
import type { CloudletManifest } from './manifest.js';

let manifestModule: Promise<typeof ManifestChecks> | undefined;

/**
 * The checks of `cloudlet.yaml` (the YAML parser, semver ranges): loaded on
 * first use, and by a clone while git runs, so that loading them costs no
 * time of its own.
 */
function manifestChecks(): Promise<typeof ManifestChecks> {
  return (manifestModule ??= import('./manifest.js'));
}

/** Start loading the manifest checks; a failure is met (and reported) where they are used. */
function preloadManifestChecks(): void {
  manifestChecks().catch(() => undefined);
}

/** What cloudlet operations need: registries, plus a way to tell the user what is happening. */
export interface CloudletContext extends RegistryContext {
  notice: (message: string) => void;
}

/** What `cloudlet:install` was asked to install. */
export type InstallSpec = { kind: 'registry'; name: string; range?: string } | { kind: 'git'; url: string; ref?: string } | { kind: 'path'; path: string };

/**
 * Read the install argument: a path (`./x`, `../x`, `/x`, `~/x`), a git URL
 * (`https://…`, `git@host:path`, with `#REF`), or a registry name with an
 * optional semver range (`huit/mediawiki@^0.7`, `mediawiki`).
 */
export function parseInstallSpec(spec: string): InstallSpec {
  if (spec === '.' || spec === '..' || /^(\.{1,2}\/|\/|~\/?)/.test(spec)) {
    const path = spec.startsWith('~') ? join(homedir(), spec.slice(1)) : spec;
    return { kind: 'path', path: resolve(path) };
  }
  if (spec.startsWith('-')) {
    throw new NephoError('BAD_ARGUMENT', `'${spec}' is not a cloudlet name, git URL or path`, { hint: 'names, URLs and refs cannot start with "-"' });
  }
  if (looksLikeGitUrl(spec)) return { kind: 'git', ...parseGitSpec(spec) };
  const at = spec.indexOf('@');
  const name = at >= 0 ? spec.slice(0, at) : spec;
  const range = at >= 0 ? spec.slice(at + 1) : undefined;
  if (!CLOUDLET_ID.test(name) && !CLOUDLET_NAME.test(name)) {
    throw new NephoError('BAD_CLOUDLET_NAME', `'${spec}' is not a cloudlet name (owner/name[@range]), a git URL or a path`, {
      hint: 'for example huit/mediawiki, huit/mediawiki@^0.7, https://host/repo.git#v1.0 or ./my-cloudlet',
    });
  }
  if (range !== undefined && (range.trim() === '' || validRange(range) === null)) {
    throw new NephoError('BAD_RANGE', `'${range}' in '${spec}' is not a semver range`, { hint: 'for example 0.7.2, ^0.7 or >=1.0.0 <2' });
  }
  return range === undefined ? { kind: 'registry', name } : { kind: 'registry', name, range };
}

/** Options of `cloudlet:install`. */
export interface InstallOptions {
  /** Link a local directory instead of copying it. */
  develop?: boolean;
  /** The `owner/name` to install a git URL or path as (default `local/<name>`). */
  as?: string;
  /** Replace an installed copy even when its files were edited. */
  force?: boolean;
}

/** What an install did. */
export interface InstallOutcome {
  action: 'installed' | 'replaced' | 'unchanged';
  cloudlet: InstalledCloudlet;
  /** The version that was there before, when one was replaced. */
  previous?: string;
}

/**
 * Install a cloudlet. The content is fetched into a scratch directory,
 * checked (registry commit and digest, `cloudlet.yaml`, the default scenario,
 * links that stay inside), and only then moved into place in one rename; a
 * refused or interrupted install leaves nothing behind.
 */
export async function installCloudlet(ctx: CloudletContext, spec: InstallSpec, options: InstallOptions = {}): Promise<InstallOutcome> {
  if (options.as !== undefined) parseCloudletId(options.as, '--as');
  switch (spec.kind) {
    case 'registry': {
      if (options.develop) throw new NephoError('BAD_ARGUMENT', '--develop links a local directory; give a path, not a registry name');
      if (options.as) throw new NephoError('BAD_ARGUMENT', '--as names git URL and path installs; registry cloudlets keep their registry name');
      const found = await findInRegistries(ctx, spec.name);
      const version = pickVersion(found, spec.range);
      return installFromRegistry(ctx, found, version, spec.range ?? `^${version.version}`, options.force ?? false);
    }
    case 'git':
      if (options.develop) throw new NephoError('BAD_ARGUMENT', '--develop links a local directory; give a path, not a git URL');
      return installFromGit(ctx, spec.url, spec.ref, options);
    case 'path':
      return options.develop ? linkForDevelopment(ctx, spec.path, options) : installFromPath(ctx, spec.path, options);
  }
}

/** Find a cloudlet by `owner/name`, or by `name` when exactly one registry entry has it. */
export async function findInRegistries(ctx: CloudletContext, name: string): Promise<Found> {
  const states = await syncAll(ctx);
  if (CLOUDLET_ID.test(name)) return findCloudlet(ctx, states, name);
  const matches = await findNamed(ctx, states, name);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new NephoError(
      'AMBIGUOUS_CLOUDLET',
      `'${name}' could be ${matches
        .map((m) => m.cloudlet.id)
        .sort()
        .join(' or ')}`,
      { hint: 'name it as owner/name' },
    );
  }
  throw cloudletNotFound(states, name);
}

/** The versions a registry lists for the cloudlet that fall within `range` (all of them without one), newest first as listed. */
export function versionsInRange(found: Found, range: string | undefined): RegistryVersion[] {
  return found.cloudlet.versions.filter((v) => range === undefined || satisfies(v.version, range));
}

/** The newest version within `range` (any version when no range is given). */
export function pickVersion(found: Found, range: string | undefined): RegistryVersion {
  const versions = found.cloudlet.versions.map((v) => v.version);
  const best = maxSatisfying(versions, range ?? '*');
  if (best === null) {
    throw new NephoError(
      'NO_MATCHING_VERSION',
      `${found.cloudlet.id} has no version in range '${range}' (registry '${found.registry.name}' lists ${versions.join(', ')})`,
    );
  }
  return found.cloudlet.versions.find((v) => v.version === best)!;
}

async function installFromRegistry(ctx: CloudletContext, found: Found, version: RegistryVersion, range: string, force: boolean): Promise<InstallOutcome> {
  const id = found.cloudlet.id;
  const verifiedBy = assertInstallable(ctx.home, found.registry, (ctx.now ?? Date.now)());
  const existing = findInstalled(ctx.home, id);
  if (existing && existing.record.commit === version.commit && !existing.record.develop && !force) {
    return { action: 'unchanged', cloudlet: existing };
  }
  ctx.notice(`Notice: Preparing to install ${id}@${version.version} into ${ctx.home.cloudlets} ...`);
  return withInstallLock(ctx, id, () =>
    withScratchDir(ctx.home.cloudlets, async (scratch) => {
      const tree = join(scratch, 'tree');
      ctx.notice(`Notice: Cloning ${version.ref} from ${redactUrl(found.cloudlet.source)} ...`);
      const commit = await checkoutRef(found.cloudlet.source, version.ref, tree, `${id}@${version.version}`, preloadManifestChecks);
      if (commit !== version.commit) {
        throw new NephoError(
          'COMMIT_MISMATCH',
          `${id}@${version.version}: registry '${found.registry.name}' pins commit ${version.commit}, but ${version.ref} is ${commit}`,
          { hint: 'the tag was moved or the registry is wrong; nothing was installed' },
        );
      }
      await removePath(join(tree, '.git'));
      const { manifest, files, digest } = await checkContent(tree, `${id}@${version.version}`);
      if (version.digest && version.digest !== digest) {
        throw new NephoError('DIGEST_MISMATCH', `${id}@${version.version}: content digest ${digest} does not match the registry's ${version.digest}`, {
          hint: 'the content is not what the registry published; nothing was installed',
        });
      }
      if (manifest.name !== id.split('/')[1]) {
        throw new NephoError('CLOUDLET_INVALID', `${id}@${version.version}: cloudlet.yaml name is '${manifest.name}', expected '${id.split('/')[1]}'`);
      }
      if (manifest.version !== version.version) {
        throw new NephoError(
          'CLOUDLET_INVALID',
          `${id}@${version.version}: cloudlet.yaml version is ${manifest.version}, but the registry lists this commit as ${version.version}`,
        );
      }
      const record: InstallRecord = {
        // A registry may list a source with a password in it: it is the registry's to publish, not ours to keep.
        id,
        version: manifest.version,
        source: withoutCredentials(found.cloudlet.source) ?? found.cloudlet.source,
        registry: found.registry.name,
        ref: version.ref,
        commit,
        digest,
        range,
        installedAt: new Date().toISOString(),
        files,
        ...(verifiedBy ? { verifiedBy } : {}),
      };
      return commitInstall(ctx, tree, record, force);
    }),
  );
}

async function installFromGit(ctx: CloudletContext, url: string, ref: string | undefined, options: InstallOptions): Promise<InstallOutcome> {
  // The URL may carry credentials: they are used for this fetch, never shown, never stored.
  const shown = redactUrl(url);
  const source = withoutCredentials(url);
  if (source !== undefined) {
    ctx.warn(
      `the user and password in ${shown} are used for this install but not saved; ` +
        "cloudlet:update will authenticate through git's credential helper or ~/.netrc",
    );
  }
  return withScratchDir(ctx.home.cloudlets, async (scratch) => {
    const tree = join(scratch, 'tree');
    ctx.notice(`Notice: Cloning ${ref ?? 'HEAD'} from ${shown} ...`);
    const commit = await checkoutRef(url, ref, tree, shown, preloadManifestChecks);
    await removePath(join(tree, '.git'));
    const { manifest, files, digest } = await checkContent(tree, shown);
    const id = options.as ?? `local/${manifest.name}`;
    const existing = findInstalled(ctx.home, id);
    if (existing && existing.record.commit === commit && existing.record.source === (source ?? url) && !options.force) {
      return { action: 'unchanged', cloudlet: existing };
    }
    const record: InstallRecord = {
      id,
      version: manifest.version,
      source: source ?? url,
      commit,
      digest,
      installedAt: new Date().toISOString(),
      files,
      ...(ref === undefined ? {} : { ref }),
    };
    return withInstallLock(ctx, id, () => commitInstall(ctx, tree, record, options.force ?? false));
  });
}

async function installFromPath(ctx: CloudletContext, path: string, options: InstallOptions): Promise<InstallOutcome> {
  await assertDirectory(path);
  const { readCloudletManifest } = await manifestChecks();
  // Judge the directory before copying it: `install /` must not copy the disk first.
  readCloudletManifest(path);
  await assertOutsideHome(ctx, path, true);
  const commit = (await isRepository(path)) ? await resolveCommit(path).catch(() => undefined) : undefined;
  return withScratchDir(ctx.home.cloudlets, async (scratch) => {
    const tree = join(scratch, 'tree');
    try {
      await cp(path, tree, {
        recursive: true,
        verbatimSymlinks: true,
        filter: (src) => resolve(src) !== resolve(path, '.git'),
      });
    } catch (error) {
      throw new NephoError('PATH_UNREADABLE', `${path}: cannot copy (${messageOf(error)})`);
    }
    // The copy is what gets installed, so it is what gets checked.
    const { manifest, files, digest } = await checkContent(tree, path);
    const id = options.as ?? `local/${manifest.name}`;
    const existing = findInstalled(ctx.home, id);
    if (existing && existing.record.digest === digest && existing.record.source === path && !existing.record.develop && !options.force) {
      return { action: 'unchanged', cloudlet: existing };
    }
    const record: InstallRecord = {
      id,
      version: manifest.version,
      source: path,
      digest,
      installedAt: new Date().toISOString(),
      files,
      ...(commit ? { commit } : {}),
    };
    return withInstallLock(ctx, id, () => commitInstall(ctx, tree, record, options.force ?? false));
  });
}

async function linkForDevelopment(ctx: CloudletContext, path: string, options: InstallOptions): Promise<InstallOutcome> {
  await assertDirectory(path);
  const { assertNephoCompatible, readCloudletManifest } = await manifestChecks();
  const manifest = readCloudletManifest(path);
  await assertOutsideHome(ctx, path, false);
  assertNephoCompatible(manifest, path);
  const files = await readManifest(path, NOT_CONTENT);
  const id = options.as ?? `local/${manifest.name}`;
  return withInstallLock(ctx, id, async () => {
    const dir = cloudletDir(ctx.home, id);
    const existing = findInstalled(ctx.home, id);
    if (existing && !existing.record.develop) await assertUnmodified(existing, options.force ?? false);
    const record: InstallRecord = {
      id,
      version: manifest.version,
      source: path,
      digest: manifestDigest(files),
      develop: true,
      installedAt: new Date().toISOString(),
      files: {},
    };
    // The record first, the link last: the link is what makes it installed.
    await mkdir(join(ctx.home.cloudlets, '.develop'), { recursive: true });
    writeFileAtomicSync(developRecordPath(ctx.home, id), JSON.stringify(record, null, 2));
    // The new link is made in a scratch directory, so an interruption leaves no stray link.
    await withScratchDir(ctx.home.cloudlets, async (scratch) => {
      const link = join(scratch, 'link');
      await symlink(path, link, 'dir');
      const there = await lstat(dir).catch(() => undefined);
      try {
        // A copy (or the leftover of an interrupted install) is swapped out; an older link is simply replaced.
        if (there && !there.isSymbolicLink()) swapIntoPlaceSync(link, dir, join(scratch, 'old'));
        else await rename(link, dir);
      } catch (error) {
        throw new NephoError('INSTALL_FAILED', `${id}: could not link ${dir} (${messageOf(error)})`);
      }
    });
    return { action: existing ? 'replaced' : 'installed', cloudlet: { record, dir }, ...(existing ? { previous: existing.record.version } : {}) };
  });
}

/**
 * A directory inside nepho's cloudlets cannot be installed (it would replace
 * or link to itself), nor copied when it holds them (the copy would go into
 * itself). Linking a directory that holds them is harmless.
 */
async function assertOutsideHome(ctx: CloudletContext, path: string, copy: boolean): Promise<void> {
  const [real, cloudlets] = await Promise.all([realpath(path), realpath(ctx.home.cloudlets).catch(() => resolve(ctx.home.cloudlets))]);
  if (real === cloudlets || real.startsWith(cloudlets + sep) || (copy && cloudlets.startsWith(real + sep))) {
    throw new NephoError('BAD_ARGUMENT', `${path}: is or holds nepho's own cloudlets directory (${ctx.home.cloudlets})`, {
      hint: 'install a cloudlet from its own directory',
    });
  }
}

async function assertDirectory(path: string): Promise<void> {
  const stats = await stat(path).catch(() => undefined);
  if (!stats?.isDirectory()) throw new NephoError('PATH_NOT_FOUND', `${path}: no such directory`, { hint: 'give the path of a cloudlet directory' });
}

/** Check a fetched tree: links stay inside, cloudlet.yaml is valid, a default scenario exists, nepho is recent enough. */
async function checkContent(tree: string, label: string): Promise<{ manifest: CloudletManifest; files: Manifest; digest: string }> {
  const files = await readManifest(tree, NOT_CONTENT).catch((error: unknown) => {
    throw error instanceof NephoError ? new NephoError(error.code, `${label}: ${error.message}`, error.hint ? { hint: error.hint } : {}) : error;
  });
  const { assertNephoCompatible, readCloudletManifest } = await manifestChecks();
  let manifest: CloudletManifest;
  try {
    manifest = readCloudletManifest(tree);
  } catch (error) {
    if (!(error instanceof NephoError)) throw error;
    // Name the file as the user knows it, not our scratch path.
    throw new NephoError(error.code, `${label}: ${error.message.split(`${tree}/`).join('')}`, error.hint ? { hint: error.hint } : {});
  }
  assertNephoCompatible(manifest, label);
  return { manifest, files, digest: manifestDigest(files) };
}

/** Run `fn` holding the lock that keeps two nepho processes from changing one cloudlet at once. */
export async function withInstallLock<T>(ctx: CloudletContext, id: string, fn: () => Promise<T>): Promise<T> {
  const { owner, name } = parseCloudletId(id);
  await mkdir(join(ctx.home.cloudlets, '.locks'), { recursive: true });
  const lock = await acquireLock(join(ctx.home.cloudlets, '.locks', `${owner}-${name}.lock`), `a change to cloudlet ${id}`, 'CLOUDLET_BUSY');
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/** Files of an installed cloudlet that differ from what was installed. */
export async function modifiedFiles(cloudlet: InstalledCloudlet): Promise<ReturnType<typeof diffManifests>> {
  if (cloudlet.record.develop) return [];
  // A link the user added that points outside is a change to report, not a reason to stop looking.
  const actual = await readManifest(cloudlet.dir, NOT_CONTENT, { outsideLinks: 'record' }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {} as Manifest;
    throw error;
  });
  return diffManifests(cloudlet.record.files, actual);
}

/** Refuse to replace or remove a cloudlet whose files were edited, unless forced. */
export async function assertUnmodified(cloudlet: InstalledCloudlet, force: boolean): Promise<void> {
  if (force) return;
  const changed = await modifiedFiles(cloudlet);
  if (changed.length > 0) {
    const list = changed
      .slice(0, 5)
      .map((c) => `${c.path} (${c.change})`)
      .join(', ');
    throw new NephoError(
      'CLOUDLET_MODIFIED',
      `${cloudlet.record.id}: ${changed.length} installed file(s) were edited: ${list}${changed.length > 5 ? ', …' : ''}`,
      {
        hint: `see nepho cloudlet:verify ${cloudlet.record.id}; --force discards the edits`,
      },
    );
  }
}

/** Move a checked tree into place, replacing an installed copy in one swap. Call with the install lock held. */
async function commitInstall(ctx: CloudletContext, tree: string, record: InstallRecord, force: boolean): Promise<InstallOutcome> {
  const dir = cloudletDir(ctx.home, record.id);
  const existing = findInstalled(ctx.home, record.id);
  if (existing) await assertUnmodified(existing, force);
  writeFileAtomicSync(join(tree, RECORD_FILE), JSON.stringify(record, null, 2));
  try {
    if (existing || (await stat(dir).catch(() => undefined))) {
      // An older copy (or the leftover of an interrupted install): swap it out, then drop it.
      await withScratchDir(ctx.home.cloudlets, async (trash) => swapIntoPlaceSync(tree, dir, join(trash, 'old')));
      if (existing?.record.develop) await removePath(developRecordPath(ctx.home, record.id));
    } else {
      await rename(tree, dir);
    }
  } catch (error) {
    throw new NephoError('INSTALL_FAILED', `${record.id}: could not move into ${dir} (${messageOf(error)})`);
  }
  return {
    action: existing ? 'replaced' : 'installed',
    cloudlet: { record, dir },
    ...(existing ? { previous: existing.record.version } : {}),
  };
}
