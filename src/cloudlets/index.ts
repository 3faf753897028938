/**
 * Cloudlets as the cloudlet commands use them: installing, describing,
 * updating, verifying and removing them, and authoring new ones (create,
 * lint). A command loads this one module when it runs; it builds the
 * context and the plugin registry itself, so the command needs nothing else.
 */
export { cloudletContext, type Reporter } from './context.js';
export { findInRegistries, installCloudlet, parseInstallSpec, versionsInRange, type CloudletContext, type InstallSpec } from './install.js';
export { cloudletListing, findDamaged, repairCommand, resolveInstalled, scanInstalled, type CloudletListing } from './installed.js';
export { lintCloudlet } from './lint.js';
export { outdatedCloudlets, uninstallCloudlet, uninstallDamaged, updateCloudlets, verifyCloudlets } from './manage.js';
export { scaffoldCloudlet } from './scaffold.js';
export { printableUrl } from '../http.js';
export { configuredPlugins } from '../plugins.js';

/** Rows keyed by a cloudlet's `id`, keyed by `name` instead (first): how every command's data names a cloudlet. */
export function named<T extends { id: string }>(rows: T[]): (Omit<T, 'id'> & { name: string })[] {
  return rows.map(({ id, ...rest }) => ({ name: id, ...rest }));
}
