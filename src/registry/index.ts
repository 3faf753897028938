/**
 * Registries as the registry commands and `cloudlet:search` use them:
 * listing, adding, removing and refreshing them, searching them, and building
 * and serving one. A command loads this one module when it runs; it builds
 * the context itself, so the command needs nothing else.
 *
 * `cloudlet:search` runs on every keystroke of a shell loop: what this module
 * loads when it loads is what a search needs (config, the cached copies and
 * their search files). Building and serving a registry bring the manifest
 * checks, the linters and an HTTP server: they load when called.
 */
import type { BuildOptions, BuildResult } from './build.js';
import type { RegistryServer } from './serve.js';

export { cloudletContext, type Reporter } from '../cloudlets/context.js';
export type { BuildOptions, BuildResult } from './build.js';
export { addRegistry, listRegistries, removeRegistry, type RegistryListing } from './manage.js';
export { search, shownUrl, syncAll, type RegistryState } from './registries.js';
export { generateKeyPair, readKeyArgument, shortKey } from './keys.js';
export { expiryWarnings } from './signing.js';

/** Build a registry from cloudlet sources: see build.ts. */
export async function buildRegistry(options: BuildOptions): Promise<BuildResult> {
  return (await import('./build.js')).buildRegistry(options);
}

/** Serve a built registry's folder over HTTP: see serve.ts. */
export async function serveRegistry(dir: string, port: number): Promise<RegistryServer> {
  return (await import('./serve.js')).serveRegistry(dir, port);
}
