/**
 * The operation engine, as its hosts use it: the command line, the nanny, a
 * server. Everything a formation command needs is here, so a command loads
 * this one module when it runs.
 */
import type { NephoHome } from '../home.js';
import { configuredPlugins } from '../plugins.js';
import { localStore } from './store.js';
import type { EngineContext } from './types.js';

export { writeRendered } from '../formations/render.js';
export { listFormations, type FormationListing, type ListingProblem } from './inventory.js';
export { dryRunCreate } from './plan.js';
export { describeFormation, driftOf, formationUrlOf, sshCommandFor, type FormationDescription, type FormationDrift, type SshCommand, type SshRequest } from './query.js';
export { formationHistory, type HistoryEntry } from './history.js';
export { executePlan, runOperation, watchOperation } from './run.js';
export { openInBrowser } from '../formations/access.js';
export { runSsh, shellCommandLine, sshDestination } from '../formations/ssh.js';
export type * from './types.js';

/** The engine's context on this machine: formations under `$NEPHO_HOME`, the built-in providers and configured plugins. */
export async function engineContext(home: NephoHome, env: NodeJS.ProcessEnv): Promise<EngineContext> {
  return { home, store: localStore(home), registry: await configuredPlugins(home), env };
}
