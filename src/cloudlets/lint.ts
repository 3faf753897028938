import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lintBlueprints } from '../blueprints/lint.js';
import { NephoError, messageOf } from '../errors.js';
import { findingFromError, relativeTo } from '../providers/findings.js';
import type { FormationSpec, LintFinding, ParameterInput, PatternUse, PluginRegistry, Provider } from '../providers/types.js';
import { declarationLayers } from '../scenarios/declarations.js';
import type { Declaration } from '../scenarios/parameters.js';
import { collectSpecs } from '../scenarios/resolve.js';
import { listScenarios, loadScenario, type Scenario } from '../scenarios/scenario.js';
import { structureFindings } from './lint-keys.js';
import { readCloudletManifest, type CloudletManifest } from './manifest.js';

/**
 * One finding of `cloudlet:lint`. Errors make the cloudlet unfit to publish;
 * warnings do not (a template parameter that ends up with no default only
 * means `formation:create` will ask for it).
 */
export interface LintProblem {
  /** The file at fault, relative to the cloudlet. */
  file: string;
  /** The field, key or line within it (`version`, `providers.NAME.pattern`, `line 12:3`), or `-`. */
  field: string;
  /** 1-based line and column, when the check knows them. */
  line?: number;
  col?: number;
  message: string;
  severity: 'error' | 'warning';
  /** Where it comes from: nepho's own checks, `sh -n`, or a provider's external checker (`cfn-lint`). */
  source: string;
}

/** What `lintCloudlet` needs. */
export interface LintOptions {
  registry: PluginRegistry;
  env: NodeJS.ProcessEnv;
  /** Let providers run external checkers such as cfn-lint (default true). */
  external?: boolean;
  /** Told which checks ran on each file a provider checked with external tools (the file relative to the cloudlet). */
  checked?: (file: string, checks: string[]) => void;
}

/**
 * Check a cloudlet directory the way install, `formation:create` and the
 * registry would, and return every problem found (not only the first):
 * cloudlet.yaml; every scenario after `extends`; parameter declarations
 * against the patterns'; the bootstrap script (`sh -n`); its blueprints;
 * and whatever each provider finds in its patterns (its `lint` hook).
 */
export async function lintCloudlet(dir: string, options: LintOptions): Promise<LintProblem[]> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new NephoError('CLOUDLET_NOT_FOUND', `${root}: no such directory`);
  const problems: LintProblem[] = [];
  const seen = new Set<string>();
  const add = (finding: LintFinding) => {
    const place = finding.line === undefined ? {} : { line: finding.line, ...(finding.column === undefined ? {} : { col: finding.column }) };
    const p: LintProblem = {
      file: relativeTo(root, finding.file),
      field: finding.field ?? (finding.line === undefined ? '-' : `line ${finding.line}${finding.column === undefined ? '' : `:${finding.column}`}`),
      ...place,
      message: finding.message,
      severity: finding.severity,
      source: finding.source,
    };
    const key = `${p.file}\0${p.field}\0${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(p);
    }
  };
  const report = (fallbackFile: string, error: unknown) => add(findingFromError(error, fallbackFile));

  let manifest: CloudletManifest | undefined;
  try {
    manifest = readCloudletManifest(root);
  } catch (error) {
    report(join(root, 'cloudlet.yaml'), error);
  }
  const shared = manifest ?? { name: '', version: '0.0.0', keywords: [], parameters: {} };
  // Unknown keys and names that point nowhere, at their lines. A file with
  // such a problem is not reported again by the loader, which would stop at
  // the first of them and say it without a line.
  const structure = structureFindings(root, options.registry);
  for (const finding of structure) add(finding);
  const flagged = new Set(structure.map((f) => f.file));
  const quiet = (file: string) => flagged.has(file) || flagged.has(join(root, 'cloudlet.yaml'));
  for (const file of filesIn(root, 'provisioners', '.sh')) shellSyntax(file, add);

  const scenarios = listScenarios(root);
  if (scenarios.length === 0)
    add({ file: 'scenarios/default.yaml', message: 'no scenarios: every cloudlet needs scenarios/default.yaml', severity: 'error', source: 'nepho' });
  const uses = new Map<Provider, PatternUse[]>(options.registry.providers.map((p) => [p, []]));
  for (const { name, file } of scenarios) {
    let scenario: Scenario;
    try {
      scenario = loadScenario(root, name, options.registry);
    } catch (error) {
      if (!flagged.has(file)) report(file, error);
      continue;
    }
    for (const provider of options.registry.providers) {
      if (!scenario.providers[provider.name]) continue;
      const use = await scenarioUse(root, shared, scenario, provider, options.registry, add, quiet(scenario.file) ? () => undefined : report);
      if (use) uses.get(provider)!.push(use);
    }
  }
  for (const finding of await lintBlueprints(root, manifest ? `local/${manifest.name}` : undefined, options.registry)) add(finding);
  // Every provider lints its own patterns, even those no scenario names.
  for (const [provider, used] of uses) {
    if (!provider.lint) continue;
    const checked = options.checked ? (file: string, checks: string[]) => options.checked!(relativeTo(root, file), checks) : undefined;
    for (const finding of await provider.lint({ root, uses: used, env: options.env, external: options.external !== false, ...(checked ? { checked } : {}) }))
      add(finding);
  }
  return problems;
}

type Add = (finding: LintFinding) => void;
type Report = (file: string, error: unknown) => void;

/**
 * One scenario's use of a provider's pattern, with what formation:create
 * would resolve stood in by defaults (or dummies of the right type); the
 * parameter layers are checked on the way.
 */
async function scenarioUse(
  root: string,
  manifest: CloudletManifest,
  scenario: Scenario,
  provider: Provider,
  registry: PluginRegistry,
  add: Add,
  report: Report,
): Promise<PatternUse | undefined> {
  const patternFile = join(root, provider.patternPath(scenario.providers[provider.name]!.pattern));
  let layers: Declaration[][];
  try {
    layers = await declarationLayers(root, manifest, scenario, registry, provider);
  } catch (error) {
    report(patternFile, error);
    return undefined;
  }
  const parameters: Record<string, ParameterInput> = {};
  const dummy = (type: string | undefined) => (type === 'number' ? 1 : type === 'boolean' ? true : 'x');
  try {
    const declaredBeyondPattern = new Set(
      layers
        .slice(1)
        .flat()
        .map((d) => d.name),
    );
    for (const spec of collectSpecs(layers)) {
      parameters[spec.name] = { value: spec.default ?? dummy(spec.type), secret: spec.secret };
      // A pattern parameter nobody gives a default: formation:create will have to ask for it.
      if (spec.default !== undefined || declaredBeyondPattern.has(spec.name)) continue;
      add({
        file: patternFile,
        field: `Parameters.${spec.name}`,
        severity: 'warning',
        source: 'nepho',
        message: `has no Default and scenario '${scenario.name}' does not declare it with a default: every formation:create must pass -p ${spec.name}=VALUE`,
      });
    }
  } catch (error) {
    // Declarations that do not agree: reported, and the patterns are still checked with what each layer says.
    report(scenario.file, error);
    for (const d of layers.flat()) parameters[d.name] = { value: d.default ?? dummy(d.type), secret: d.secret ?? false };
  }
  const script = scenario.provisioner ? join(root, scenario.provisioner.script) : undefined;
  const spec: FormationSpec = {
    name: 'lint',
    cloudlet: { id: `local/${manifest.name}`, version: manifest.version, dir: root },
    scenario: scenario.name,
    settings: scenario.providers[provider.name]!,
    patternFile,
    parameters,
    tags: {},
    ...(script ? { bootstrap: { script: safeRead(script), scriptBody: safeRead(script), environment: {}, scriptFile: script } } : {}),
  };
  return { scenario: scenario.name, scenarioFile: scenario.file, spec };
}

function shellSyntax(file: string, add: Add): void {
  const r = spawnSync('sh', ['-n', file], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  if (r.status === 0) return;
  for (const raw of (r.stderr || `sh -n exited with status ${r.status}`).trim().split('\n')) {
    // dash: "file: 12: Syntax error: ..."; bash: "file: line 12: syntax error ..."
    const line = raw.startsWith(`${file}:`) ? raw.slice(file.length + 1).trim() : raw.trim();
    const m = /^(?:line\s+)?(\d+):\s*(.*)$/.exec(line);
    add({ file, ...(m ? { line: Number(m[1]) } : {}), message: m ? m[2]! : line, severity: 'error', source: 'sh' });
  }
}

function filesIn(root: string, sub: string, ext: string): string[] {
  try {
    return readdirSync(join(root, sub))
      .filter((f) => f.endsWith(ext))
      .sort()
      .map((f) => join(root, sub, f));
  } catch {
    return [];
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new NephoError('FILE_UNREADABLE', `${file}: ${messageOf(error)}`);
  }
}
