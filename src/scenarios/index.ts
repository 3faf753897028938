/**
 * Scenarios and saved parameters as the scenario and parameter commands use
 * them. A command loads this one module when it runs; the plugin registry a
 * scenario is read with comes from here too, so the command needs nothing
 * else.
 */
export { resolveInstalled } from '../cloudlets/installed.js';
export { configuredPlugins } from '../plugins.js';
export { camelConfiguration, describeScenario, type ScenarioDescription } from './describe.js';
export { resolveScope, saveParameter } from './saved-checks.js';
export { listSaved, scopeKey, unsetSaved, type SavedValue } from './saved.js';
export { listScenarios } from './scenario.js';
