import { findInstalled, hasInstalledName, notInstalled, resolveInstalled, type InstalledCloudlet } from '../cloudlets/installed.js';
import { CLOUDLET_ID } from '../cloudlets/names.js';
import { NephoError } from '../errors.js';
import type { NephoHome } from '../home.js';

/** Split `CLOUDLET[/SCENARIO]` into an installed cloudlet and a scenario name. */
export function resolveTarget(home: NephoHome, target: string): { cloudlet: InstalledCloudlet; scenario: string } {
  const parts = target.split('/');
  if (parts.length === 3) return { cloudlet: resolveInstalled(home, `${parts[0]}/${parts[1]}`), scenario: parts[2]! };
  if (parts.length === 2) {
    // owner/name of an installed cloudlet (default scenario), or name/scenario.
    if (CLOUDLET_ID.test(target)) {
      const exact = findInstalled(home, target);
      if (exact) return { cloudlet: exact, scenario: 'default' };
      // Neither is installed: owner/name of a registry is the likelier meaning, and its install command the hint that works.
      if (!hasInstalledName(home, parts[0]!)) throw notInstalled(target);
    }
    return { cloudlet: resolveInstalled(home, parts[0]!), scenario: parts[1]! };
  }
  if (parts.length === 1) return { cloudlet: resolveInstalled(home, target), scenario: 'default' };
  throw new NephoError('BAD_ARGUMENT', `'${target}' is not CLOUDLET[/SCENARIO]`, { hint: 'for example mediawiki/multi-tenant' });
}
