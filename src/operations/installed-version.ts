import semver from 'semver';
import { findInstalled } from '../cloudlets/installed.js';
import type { NephoHome } from '../home.js';

/** The installed version of a formation's cloudlet, and whether it is newer than the one the formation runs. */
export interface InstalledVersion {
  /** The version installed now, or null when the cloudlet is no longer installed. */
  version: string | null;
  /** True when `formation:update` would move the formation to a newer version. */
  newer: boolean;
}

/** A formation whose cloudlet is not installed here (or not known). */
export const NOT_INSTALLED: InstalledVersion = Object.freeze({ version: null, newer: false });

/** Compare the version a formation runs with the one installed now. */
export function installedVersion(home: NephoHome, cloudlet: string, deployed: string): InstalledVersion {
  let installed: string | undefined;
  try {
    installed = findInstalled(home, cloudlet)?.record.version;
  } catch {
    installed = undefined; // a name that is not owner/name (a record from elsewhere): not installed
  }
  if (!installed) return NOT_INSTALLED;
  return { version: installed, newer: semver.valid(deployed) !== null && semver.valid(installed) !== null && semver.gt(installed, deployed) };
}
