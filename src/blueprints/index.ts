/**
 * Blueprints as hosts use them: the command line now, a server later.
 * Everything a blueprint command needs is here, so a command loads this one
 * module when it runs.
 */
import { resolveInstalled } from '../cloudlets/installed.js';
import type { NephoHome } from '../home.js';
import { engineContext } from '../operations/index.js';
import { listBlueprints } from './format.js';
import { blueprintContext } from './store.js';
import type { BlueprintContext } from './types.js';

export { listBlueprints };
export { describeBlueprint, planApply, type BlueprintPlanView, type PlannedParameter } from './plan.js';
export { applyBlueprint, blueprintStatus, destroyBlueprint, executeBlueprint, watchBlueprint, type BlueprintStatus, type EntryStatus } from './run.js';
export type * from './types.js';

/** The blueprint context on this machine: the engine's, with blueprints kept under `$NEPHO_HOME/blueprints`. */
export async function blueprintsContext(home: NephoHome, env: NodeJS.ProcessEnv): Promise<BlueprintContext> {
  return blueprintContext(await engineContext(home, env));
}

/** The blueprints of an installed cloudlet (`owner/name` or its short name), with their summaries. */
export function cloudletBlueprints(home: NephoHome, cloudlet: string): ReturnType<typeof listBlueprints> {
  return listBlueprints(resolveInstalled(home, cloudlet).dir);
}
