import { shellProvisioner } from '../provisioners/shell.js';
import type { PROVIDER_ERRORS as CLOUDFORMATION_ERRORS } from './cloudformation/errors.js';
import { cloudformationProvider } from './cloudformation/index.js';
import type { PluginRegistry } from './types.js';
import type { PROVIDER_ERRORS as VAGRANT_ERRORS } from './vagrant/errors.js';
import { vagrantProvider } from './vagrant/index.js';

/**
 * Every code a built-in provider throws, from each provider's own catalogue.
 * Types only: src/errors.ts names this in ErrorCode without loading anything.
 */
export type ProviderErrorCode = keyof typeof CLOUDFORMATION_ERRORS | keyof typeof VAGRANT_ERRORS;

/**
 * The providers and provisioners that ship with nepho: the one place outside
 * a provider's own folder that names them. Each provider module is light (its
 * heavy parts load when a method runs), so listing them costs little.
 */
export function builtinPlugins(): PluginRegistry {
  return { providers: [cloudformationProvider, vagrantProvider], provisioners: [shellProvisioner] };
}
