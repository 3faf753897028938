/**
 * Blueprints as hosts use them: the command line now, a server later.
 * Everything a blueprint command needs is here, so a command loads this one
 * module when it runs.
 */
import { engineContext } from '../operations/index.js';
import type { NephoHome } from '../home.js';
import { blueprintContext } from './store.js';
import type { BlueprintContext } from './types.js';

export { listBlueprints } from './format.js';
export { describeBlueprint, planApply, type BlueprintPlanView, type PlannedParameter } from './plan.js';
export { applyBlueprint, blueprintStatus, destroyBlueprint, executeBlueprint, watchBlueprint, type BlueprintStatus, type EntryStatus } from './run.js';
export type * from './types.js';

/** The blueprint context on this machine: the engine's, with blueprints kept under `$NEPHO_HOME/blueprints`. */
export async function blueprintsContext(home: NephoHome, env: NodeJS.ProcessEnv): Promise<BlueprintContext> {
  return blueprintContext(await engineContext(home, env));
}
