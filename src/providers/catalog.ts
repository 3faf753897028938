import { shellProvisioner } from '../provisioners/shell.js';
import { cloudformationProvider } from './cloudformation/index.js';
import type { PluginRegistry } from './types.js';
import { vagrantProvider } from './vagrant/index.js';

/**
 * The providers and provisioners that ship with nepho: the one place outside
 * a provider's own folder that names them. Each provider module is light (its
 * heavy parts load when a method runs), so listing them costs little.
 */
export function builtinPlugins(): PluginRegistry {
  return { providers: [cloudformationProvider, vagrantProvider], provisioners: [shellProvisioner] };
}
