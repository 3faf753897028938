import { loadConfig } from '../config.js';
import type { NephoHome } from '../home.js';
import type { CloudletContext } from './install.js';

/** Where the messages of cloudlet and registry operations go: a command's output. */
export interface Reporter {
  warn(message: string): void;
  notice(message: string): void;
}

/**
 * The context cloudlet and registry operations run in: this home, its
 * config.yaml read now (with the run's overrides from `env`), and messages
 * told to `report`. Kept apart from install.ts so that the registry commands
 * get it without loading the installer.
 */
export function cloudletContext(home: NephoHome, env: NodeJS.ProcessEnv, report: Reporter): CloudletContext {
  return { home, config: loadConfig(home, env), warn: (m) => report.warn(m), notice: (m) => report.notice(m) };
}
