import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { NephoError, isNephoError, messageOf } from '../errors.js';
import type { ProviderInfo } from '../providers/catalog.js';
import { lintTemplate } from '../providers/cloudformation/lint.js';
import { prepareStack } from '../providers/cloudformation/prepare.js';
import type { LintFinding } from '../providers/findings.js';
import type { FormationSpec, ParameterInput } from '../providers/types.js';
import { lintPlaceholders, lintVagrantfile } from '../providers/vagrant/lint.js';
import { renderVagrant } from '../providers/vagrant/render.js';
import { declarationLayers } from '../scenarios/describe.js';
import type { Declaration } from '../scenarios/parameters.js';
import { collectSpecs } from '../scenarios/resolve.js';
import { listScenarios, loadScenario, type Scenario } from '../scenarios/scenario.js';
import { readCloudletManifest, type CloudletManifest } from './manifest.js';

/**
 * One finding of `cloudlet:lint`. Errors make the cloudlet unfit to publish;
 * warnings do not (a template parameter that ends up with no default only
 * means `formation:create` will ask for it).
 */
export interface LintProblem {
  /** The file at fault, relative to the cloudlet. */
  file: string;
  /** The field, key or line within it (`version`, `providers.vagrant.pattern`, `line 12`), or `-`. */
  field: string;
  /** 1-based line and column, when the check knows them. */
  line?: number;
  col?: number;
  message: string;
  severity: 'error' | 'warning';
  /** Where it comes from: nepho's own checks, `sh -n` or `cfn-lint`. */
  source: 'nepho' | 'sh' | 'cfn-lint';
}

/** What `lintCloudlet` needs from the plugin registry. */
export interface LintOptions {
  providers: readonly ProviderInfo[];
  provisioners: readonly string[];
  /** Run `cfn-lint` on CloudFormation patterns when it is on PATH (default true). */
  cfnLint?: boolean;
  /** Check rendered Vagrantfiles with `ruby -c` and `vagrant validate -p` when they are on PATH (default true). */
  vagrantChecks?: boolean;
  /** Environment for the tools lint runs (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Hears which checks ran on each rendered Vagrantfile (relative file, checks). */
  onChecks?: (file: string, checks: string[]) => void;
}

/** The first word of a message that names a field, as nepho's own errors put it. */
const FIELD = /^((?:name|version|summary|description|author|license|source|project_page|keywords|nepho|parameters|providers|provisioner|access|extends|Resources|Parameters|Outputs|Conditions)(?:\.[A-Za-z0-9_-]+)*)\s+(.*)$/s;

/**
 * Check a cloudlet directory the way install, `formation:create` and the
 * registry would, and return every problem found (not only the first):
 * cloudlet.yaml; every scenario after `extends`; every pattern file (templates
 * parse, Vagrant placeholders are known); parameter declarations against the
 * template; the bootstrap script (`sh -n`); the resources marked for the
 * bootstrap; and `cfn-lint`'s findings when it is installed.
 */
export async function lintCloudlet(dir: string, options: LintOptions): Promise<LintProblem[]> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new NephoError('CLOUDLET_NOT_FOUND', `${root}: no such directory`);
  const problems: LintProblem[] = [];
  const seen = new Set<string>();
  const add = (p: LintProblem) => {
    const key = `${p.file}\0${p.field}\0${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(p);
    }
  };
  const report = (fallbackFile: string, error: unknown, severity: LintProblem['severity'] = 'error') => {
    if (!isNephoError(error)) throw error;
    add(fromError(root, fallbackFile, error, severity));
  };

  let manifest: CloudletManifest | undefined;
  try {
    manifest = readCloudletManifest(root);
  } catch (error) {
    report(join(root, 'cloudlet.yaml'), error);
  }
  const shared = manifest ?? { name: '', version: '0.0.0', keywords: [], parameters: {} };

  // Pattern files on their own, so a broken one is reported even when no scenario loads.
  const cfn = options.providers.find((p) => p.name === 'cloudformation');
  const templates = filesIn(root, 'patterns/aws', '.cf');
  for (const file of templates) for (const f of lintTemplate(file)) add(fromFinding(root, f));
  for (const file of filesIn(root, 'provisioners', '.sh')) shellSyntax(root, file, add);

  // Scenarios often share a Vagrant pattern: Ruby and Vagrant check each rendering once.
  const vagrantChecked = new Map<string, Promise<LintFinding[]>>();
  const scenarios = listScenarios(root);
  if (scenarios.length === 0) add({ file: 'scenarios/default.yaml', field: '-', message: 'no scenarios: every cloudlet needs scenarios/default.yaml', severity: 'error', source: 'nepho' });
  for (const { name, file } of scenarios) {
    let scenario: Scenario;
    try {
      scenario = loadScenario(root, name, options.providers, options.provisioners);
    } catch (error) {
      report(file, error);
      continue;
    }
    await lintScenario(root, shared, scenario, options, add, report, vagrantChecked);
  }

  if (cfn && options.cfnLint !== false) for (const file of templates) cfnLint(root, file, add);
  return problems;
}

type Add = (p: LintProblem) => void;
type Report = (file: string, error: unknown, severity?: LintProblem['severity']) => void;

async function lintScenario(
  root: string, manifest: CloudletManifest, scenario: Scenario, options: LintOptions, add: Add, report: Report, vagrantChecked: Map<string, Promise<LintFinding[]>>,
): Promise<void> {
  const providers = options.providers;
  let layers: Declaration[][];
  try {
    layers = declarationLayers(root, manifest, scenario, providers);
  } catch (error) {
    report(scenario.file, error);
    return;
  }
  // Values that stand in for what formation:create would resolve: defaults, else a dummy of the right type.
  const parameters: Record<string, ParameterInput> = {};
  const dummy = (type: string | undefined) => (type === 'number' ? 1 : type === 'boolean' ? true : 'x');
  try {
    const declaredBeyondTemplate = new Set(layers.slice(1).flat().map((d) => d.name));
    for (const spec of collectSpecs(layers)) {
      parameters[spec.name] = { value: spec.default ?? dummy(spec.type), secret: spec.secret };
      // A template parameter nobody gives a default: formation:create will have to ask for it.
      if (spec.default !== undefined || declaredBeyondTemplate.has(spec.name)) continue;
      const info = providers.find((p) => p.name === 'cloudformation')!;
      add({
        file: rel(root, join(root, info.patternPath(scenario.providers.cloudformation!.pattern))), field: `Parameters.${spec.name}`, severity: 'warning', source: 'nepho',
        message: `has no Default and scenario '${scenario.name}' does not declare it with a default: every formation:create must pass -p ${spec.name}=VALUE`,
      });
    }
  } catch (error) {
    // Declarations that do not agree: reported, and the patterns are still checked with what each layer says.
    report(scenario.file, error);
    for (const d of layers.flat()) parameters[d.name] = { value: d.default ?? dummy(d.type), secret: d.secret ?? false };
  }
  const script = scenario.provisioner ? join(root, scenario.provisioner.script) : undefined;
  for (const [provider, settings] of Object.entries(scenario.providers)) {
    const info = providers.find((p) => p.name === provider)!;
    const patternFile = join(root, info.patternPath(settings.pattern));
    if (provider === 'cloudformation') {
      const spec = {
        name: 'lint', cloudlet: { id: `local/${manifest.name}`, version: manifest.version, dir: root }, scenario: scenario.name,
        settings, patternFile, parameters, tags: {},
        ...(script ? { bootstrap: { script: safeRead(script), scriptBody: safeRead(script), environment: {}, scriptFile: script } } : {}),
      } as unknown as FormationSpec;
      try {
        prepareStack(spec);
      } catch (error) {
        report(patternFile, error);
      }
    } else if (provider === 'vagrant') {
      await vagrantPattern(root, patternFile, parameters, options, add, vagrantChecked);
    }
  }
}

/** A Vagrant pattern: its placeholders, then (when they all render) the Vagrantfile itself, checked by Ruby and Vagrant. */
async function vagrantPattern(
  root: string, file: string, parameters: Record<string, ParameterInput>, options: LintOptions, add: Add, checked: Map<string, Promise<LintFinding[]>>,
): Promise<void> {
  const placeholders = lintPlaceholders(file, safeRead(file), parameters);
  for (const f of placeholders) add(fromFinding(root, f));
  let rendered: string | undefined;
  if (options.vagrantChecks !== false && !placeholders.some((f) => f.severity === 'error')) {
    const files = await renderVagrant({ name: 'lint', parameters, patternFile: file } as unknown as FormationSpec);
    rendered = files[0]!.content;
  }
  const key = `${file}\0${rendered ?? ''}`;
  if (!checked.has(key)) checked.set(key, lintVagrantfile(file, rendered, options.env ?? process.env, (checks) => options.onChecks?.(rel(root, file), checks)));
  for (const f of await checked.get(key)!) add(fromFinding(root, f));
}

function shellSyntax(root: string, file: string, add: Add): void {
  const r = spawnSync('sh', ['-n', file], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  if (r.status === 0) return;
  for (const raw of (r.stderr || `sh -n exited with status ${r.status}`).trim().split('\n')) {
    // dash: "file: 12: Syntax error: ..."; bash: "file: line 12: syntax error ..."
    const line = raw.startsWith(`${file}:`) ? raw.slice(file.length + 1).trim() : raw.trim();
    const m = /^(?:line\s+)?(\d+):\s*(.*)$/.exec(line);
    add({ file: rel(root, file), field: m ? `line ${m[1]}` : '-', message: m ? m[2]! : line, severity: 'error', source: 'sh' });
  }
}

/** `cfn-lint`'s findings, when it is on PATH; nothing otherwise. */
function cfnLint(root: string, file: string, add: Add): void {
  const r = spawnSync('cfn-lint', ['--format', 'parseable', '--', file], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return;
  for (const line of r.stdout.split('\n')) {
    // FILE:LINE:COL:ENDLINE:ENDCOL:RULE:MESSAGE
    const m = /^(.*?):(\d+):(\d+):\d+:\d+:([EWI]\d+):(.*)$/.exec(line.trim());
    if (!m) continue;
    const rule = m[4]!;
    if (rule.startsWith('I')) continue;
    add({ file: rel(root, file), field: `line ${m[2]}`, message: `${rule} ${m[5]!.trim()}`, severity: rule.startsWith('E') ? 'error' : 'warning', source: 'cfn-lint' });
  }
}

/** A provider's finding as a problem; one that `fromError` also makes from the same error is the same problem. */
function fromFinding(root: string, f: LintFinding): LintProblem {
  const place = f.line > 0 ? { field: `line ${f.line}${f.col > 0 ? `:${f.col}` : ''}`, line: f.line, ...(f.col > 0 ? { col: f.col } : {}) } : { field: '-' };
  return { file: rel(root, f.file), ...place, message: f.message, severity: f.severity, source: 'nepho' };
}

/** A NephoError as a problem: its message starts with the file (and maybe a line and column), then the field. */
function fromError(root: string, fallbackFile: string, error: NephoError, severity: LintProblem['severity']): LintProblem {
  let text = error.message;
  let file = fallbackFile;
  const m = /^(\/[^:\s]*?)(?::(\d+)(?::(\d+))?)?(?: \(with [^)]*\))?: (.*)$/s.exec(text);
  let field = '-';
  let place: { line?: number; col?: number } = {};
  if (m) {
    file = m[1]!;
    if (m[2]) {
      field = `line ${m[2]}${m[3] ? `:${m[3]}` : ''}`;
      place = { line: Number(m[2]), ...(m[3] ? { col: Number(m[3]) } : {}) };
    }
    text = m[4]!;
  }
  const f = FIELD.exec(text);
  if (f && field === '-') {
    field = f[1]!;
    text = f[2]!;
  }
  return { file: rel(root, file), field, ...place, message: text.trim(), severity, source: 'nepho' };
}

function rel(root: string, file: string): string {
  const r = relative(root, file);
  return r === '' || r.startsWith('..') ? file : r;
}

function filesIn(root: string, sub: string, ext: string): string[] {
  try {
    return readdirSync(join(root, sub)).filter((f) => f.endsWith(ext)).sort().map((f) => join(root, sub, f));
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
