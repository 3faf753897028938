import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where nepho keeps its state: `$NEPHO_HOME`, `~/.nepho` by default.
 * Every path nepho writes to is derived from one of these.
 */
export interface NephoHome {
  /** The root directory. */
  readonly root: string;
  /** `config.yaml`: registries, saved parameters, plugins, settings. */
  readonly configFile: string;
  /** Installed cloudlets, one directory each, named `<owner>-<name>`. */
  readonly cloudlets: string;
  /** Downloaded registry indexes and other re-fetchable data. */
  readonly cache: string;
  /** One directory per formation: its record and journal. */
  readonly formations: string;
}

/** Resolve the home directory from the environment without touching the disk. */
export function nephoHome(env: NodeJS.ProcessEnv = process.env): NephoHome {
  const root = resolve(env.NEPHO_HOME && env.NEPHO_HOME.length > 0 ? env.NEPHO_HOME : join(homedir(), '.nepho'));
  return {
    root,
    configFile: join(root, 'config.yaml'),
    cloudlets: join(root, 'cloudlets'),
    cache: join(root, 'cache'),
    formations: join(root, 'formations'),
  };
}

/** Create the home directory layout if it is not there yet (first use). */
export function ensureHome(home: NephoHome): NephoHome {
  for (const dir of [home.root, home.cloudlets, home.cache, home.formations]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  return home;
}
