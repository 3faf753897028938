/**
 * Registries as the registry commands and `cloudlet:search` use them:
 * listing, adding, removing and refreshing them, searching them, and building
 * and serving one. A command loads this one module when it runs; it builds
 * the context itself, so the command needs nothing else.
 */
export { cloudletContext, type Reporter } from '../cloudlets/context.js';
export { buildRegistry, type BuildOptions, type BuildResult } from './build.js';
export { addRegistry, listRegistries, removeRegistry, type RegistryListing } from './manage.js';
export { search, shownUrl, syncAll, type RegistryState } from './registries.js';
export { serveRegistry } from './serve.js';
export { generateKeyPair, readKeyArgument, shortKey } from './keys.js';
export { expiryWarnings } from './signing.js';
