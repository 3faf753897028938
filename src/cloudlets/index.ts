/**
 * Cloudlets as the cloudlet commands use them: installing, describing,
 * updating, verifying and removing them, and authoring new ones (create,
 * lint). A command loads this one module when it runs; it builds the
 * context and the plugin registry itself, so the command needs nothing else.
 *
 * What loads with this module is what `cloudlet:install` and
 * `cloudlet:describe` need; updating, verifying and removing cloudlets,
 * linting and scaffolding them, and the plugins load when called.
 */
import type * as Lint from './lint.js';
import type * as Manage from './manage.js';
import type * as Scaffold from './scaffold.js';
import type * as Plugins from '../plugins.js';

export { cloudletContext, type Reporter } from './context.js';
export { findInRegistries, installCloudlet, parseInstallSpec, versionsInRange, type CloudletContext, type InstallSpec } from './install.js';
export { cloudletListing, findDamaged, repairCommand, resolveInstalled, scanInstalled, type CloudletListing } from './installed.js';
export { printableUrl } from '../output.js';

/** `name` of the module `load` imports, which loads at the first call: an async function of it. */
function onCall<M, K extends keyof M>(load: () => Promise<M>, name: K): M[K] {
  return (async (...args: unknown[]) => ((await load())[name] as (...a: unknown[]) => unknown)(...args)) as M[K];
}

const manage = (): Promise<typeof Manage> => import('./manage.js');

/** Checking a cloudlet's files (lint.ts). */
export const lintCloudlet = onCall((): Promise<typeof Lint> => import('./lint.js'), 'lintCloudlet');
/** A new cloudlet from the template (scaffold.ts). */
export const scaffoldCloudlet = onCall((): Promise<typeof Scaffold> => import('./scaffold.js'), 'scaffoldCloudlet');
/** The plugins config.yaml names, with the built-in providers (plugins.ts). */
export const configuredPlugins = onCall((): Promise<typeof Plugins> => import('../plugins.js'), 'configuredPlugins');
/** Installed cloudlets with newer versions in the registries (manage.ts). */
export const outdatedCloudlets = onCall(manage, 'outdatedCloudlets');
/** Removing an installed cloudlet (manage.ts). */
export const uninstallCloudlet = onCall(manage, 'uninstallCloudlet');
/** Removing what is left of a damaged install (manage.ts). */
export const uninstallDamaged = onCall(manage, 'uninstallDamaged');
/** Updating installed cloudlets within their ranges (manage.ts). */
export const updateCloudlets = onCall(manage, 'updateCloudlets');
/** Checking installed cloudlets against their records (manage.ts). */
export const verifyCloudlets = onCall(manage, 'verifyCloudlets');

/** Rows keyed by a cloudlet's `id`, keyed by `name` instead (first): how every command's data names a cloudlet. */
export function named<T extends { id: string }>(rows: T[]): (Omit<T, 'id'> & { name: string })[] {
  return rows.map(({ id, ...rest }) => ({ name: id, ...rest }));
}
