import { NephoError } from '../../errors.js';
import type { Provider } from '../types.js';

function notYet(): never {
  throw new NephoError('NOT_AVAILABLE', 'the vagrant provider cannot create formations in this version of nepho yet', {
    hint: 'use --provider cloudformation, or plan with --dry-run',
  });
}

/**
 * The Vagrant provider. Scenarios may name it and plan with it; creating
 * Vagrant formations is not available yet, and says so.
 */
export const vagrantProvider: Provider = {
  name: 'vagrant',
  description: 'local machines through Vagrant',
  patternPath: (p) => `patterns/vagrant/${p}.rb`,
  validate: async () => undefined,
  render: async () => [],
  create: async () => notYet(),
  destroy: async () => notYet(),
  describe: async () => notYet(),
};
