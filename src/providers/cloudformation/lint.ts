import { isNephoError } from '../../errors.js';
import { sortFindings, type PatternFinding } from '../findings.js';
import { translateJavaPattern } from './java-regex.js';
import type { NodePath } from './source-map.js';
import { readPatternText, readTemplateText, templateDeclarations, type Template } from './template.js';

/**
 * CloudFormation's own checks on a template, done before anything is sent:
 * every `Ref`, `Fn::GetAtt`, `Fn::Sub` variable, `DependsOn` and condition
 * name must exist, and resources must not depend on each other in a circle
 * (through DependsOn, Ref, GetAtt or Sub, as CloudFormation counts them).
 * Each finding names `file:line:col`. Templates with a transform (SAM,
 * AWS::LanguageExtensions, AWS::Include, macros) are expanded by
 * CloudFormation before it resolves names, so their names are not checked here.
 */

/** CloudFormation's pseudo parameters: `Ref` may name them without declaring them. */
const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

/** Intrinsics whose arguments are conditions (`{Condition: X}` there names one). */
const CONDITION_FUNCTIONS = new Set(['Fn::And', 'Fn::Or', 'Fn::Not', 'Fn::If', 'Fn::Equals']);

/**
 * Lint one CloudFormation pattern file: reading problems (syntax, duplicate
 * keys, unknown tags, nesting), text that is not strict YAML (a warning), the
 * template's parameters, names that do not resolve, circular dependencies, and
 * AllowedPatterns nepho cannot check (a warning), in the order of the file.
 * Never throws for bad input.
 */
export function lintTemplate(file: string): PatternFinding[] {
  let text: string;
  try {
    text = readPatternText(file);
  } catch (error) {
    if (!isNephoError(error)) throw error;
    return [{ file, line: 0, col: 0, message: error.message.replace(`${file}: `, ''), severity: 'error' }];
  }
  const { template, findings } = readTemplateText(text, file);
  return sortFindings(template ? [...findings, ...templateFindings(template)] : findings);
}

/**
 * The checks that need a readable template: resource shapes, names, cycles,
 * parameter declarations and AllowedPatterns. `formation:create` stops on the
 * first error; `cloudlet:lint` lists them all.
 */
export function templateFindings(template: Template): PatternFinding[] {
  const findings: PatternFinding[] = [];
  const { file, map } = template;
  const add = (path: NodePath, message: string, options: { key?: boolean; severity?: PatternFinding['severity']; hint?: string } = {}) => {
    const pos = options.key ? map.keyAt(path) : map.at(path);
    findings.push({ file, line: pos.line, col: pos.col, message, severity: options.severity ?? 'error', ...(options.hint ? { hint: options.hint } : {}) });
  };
  const doc = template.document;
  const resources = doc.Resources as Record<string, unknown>;
  for (const [id, resource] of Object.entries(resources)) {
    if (id.startsWith('Fn::ForEach::')) continue;
    if (!isMapping(resource)) add(['Resources', id], `Resources.${id} must be a mapping with a Type`, { key: true });
    else if (typeof resource.Type !== 'string') add(['Resources', id], `Resources.${id}.Type is required`, { key: true });
  }
  parameterFindings(template, findings);
  if (!transformed(doc)) new NameCheck(template, add).run();
  return findings;
}

/** Parameter declarations as nepho reads them, and AllowedPatterns it can only leave to CloudFormation. */
function parameterFindings(template: Template, findings: PatternFinding[]): void {
  try {
    templateDeclarations(template);
  } catch (error) {
    if (!isNephoError(error)) throw error;
    const m = /^(.*?):(\d+):(\d+): (.*)$/s.exec(error.message);
    findings.push(
      m
        ? { file: template.file, line: Number(m[2]), col: Number(m[3]), message: m[4]!, severity: 'error' }
        : { file: template.file, line: 0, col: 0, message: error.message, severity: 'error' },
    );
    return;
  }
  for (const [name, raw] of Object.entries((template.document.Parameters ?? {}) as Record<string, Record<string, unknown>>)) {
    const pattern = raw.AllowedPattern;
    if (typeof pattern !== 'string') continue;
    const translated = translateJavaPattern(pattern);
    if (translated.ok) continue;
    const pos = template.map.at(['Parameters', name, 'AllowedPattern']);
    findings.push({ file: template.file, ...pos, severity: 'warning', message: uncheckedPatternMessage(name, translated.reason) });
  }
}

/** The one line said about a parameter whose AllowedPattern nepho leaves to CloudFormation. */
export function uncheckedPatternMessage(name: string, reason: string): string {
  return `Parameters.${name}.AllowedPattern is not checked by nepho (${reason}); CloudFormation will check values of ${name}`;
}

/** A transform or macro rewrites the template before CloudFormation resolves any name in it. */
function transformed(doc: Record<string, unknown>): boolean {
  if (doc.Transform !== undefined) return true;
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (isMapping(node)) {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'Fn::Transform' || k.startsWith('Fn::ForEach')) return true;
        stack.push(v);
      }
    }
  }
  return false;
}

type Add = (path: NodePath, message: string, options?: { key?: boolean; severity?: PatternFinding['severity']; hint?: string }) => void;

/** Resolves every name a template uses, and records resource dependencies to find circles. */
class NameCheck {
  private readonly parameters: Set<string>;
  private readonly resources: Set<string>;
  private readonly conditions: Set<string>;
  /** from -> to -> where the dependency is written. */
  private readonly edges = new Map<string, Map<string, NodePath>>();

  constructor(
    private readonly template: Template,
    private readonly add: Add,
  ) {
    const doc = template.document;
    this.parameters = new Set(keysOf(doc.Parameters));
    this.resources = new Set(keysOf(doc.Resources));
    this.conditions = new Set(keysOf(doc.Conditions));
  }

  run(): void {
    const doc = this.template.document;
    for (const [id, resource] of Object.entries(doc.Resources as Record<string, unknown>)) {
      if (!isMapping(resource)) continue;
      const path = ['Resources', id];
      this.edges.set(id, new Map());
      if (typeof resource.Condition === 'string') this.condition(resource.Condition, [...path, 'Condition']);
      this.dependsOn(id, resource.DependsOn, [...path, 'DependsOn']);
      for (const [k, v] of Object.entries(resource)) {
        if (k !== 'Type' && k !== 'Condition' && k !== 'DependsOn') this.walk(v, [...path, k], id, false);
      }
    }
    for (const [id, output] of Object.entries(isMapping(doc.Outputs) ? doc.Outputs : {})) {
      if (isMapping(output) && typeof output.Condition === 'string') this.condition(output.Condition, ['Outputs', id, 'Condition']);
      this.walk(output, ['Outputs', id], undefined, false);
    }
    for (const [id, condition] of Object.entries(isMapping(doc.Conditions) ? doc.Conditions : {})) {
      this.walk(condition, ['Conditions', id], undefined, true);
    }
    if (isMapping(doc.Rules)) this.walk(doc.Rules, ['Rules'], undefined, false);
    this.cycles();
  }

  private dependsOn(id: string, value: unknown, path: NodePath): void {
    if (value === undefined) return;
    const list = typeof value === 'string' ? [[value, path] as const] : Array.isArray(value) ? value.map((v, i) => [v, [...path, i]] as const) : [];
    for (const [target, where] of list) {
      if (typeof target !== 'string') continue;
      if (this.resources.has(target)) this.edge(id, target, where);
      else this.add(where, `DependsOn '${target}': no resource has that name`, { hint: this.closest(target, this.resources) });
    }
  }

  private condition(name: string, path: NodePath): void {
    if (!this.conditions.has(name)) this.add(path, `condition '${name}' is not defined in Conditions`, { hint: this.closest(name, this.conditions) });
  }

  private edge(from: string | undefined, to: string, path: NodePath): void {
    if (from === undefined) return;
    const out = this.edges.get(from)!;
    if (!out.has(to)) out.set(to, path);
  }

  private walk(node: unknown, path: NodePath, resource: string | undefined, inCondition: boolean): void {
    if (Array.isArray(node)) {
      node.forEach((item, i) => this.walk(item, [...path, i], resource, inCondition));
      return;
    }
    if (!isMapping(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const key = keys[0]!;
      const value = node[key];
      const at = [...path, key];
      if (key === 'Ref' && typeof value === 'string') {
        this.ref(value, at, resource, path[0] === 'Conditions');
        return;
      }
      if (key === 'Fn::GetAtt') {
        const target = Array.isArray(value) ? value[0] : typeof value === 'string' ? value.split('.')[0] : undefined;
        if (typeof target === 'string') this.getAtt(target, at, resource);
        if (Array.isArray(value)) value.slice(1).forEach((v, i) => this.walk(v, [...at, i + 1], resource, inCondition));
        return;
      }
      if (key === 'Fn::Sub') {
        this.sub(value, at, resource, inCondition);
        return;
      }
      if (key === 'Condition' && typeof value === 'string' && inCondition) {
        this.condition(value, at);
        return;
      }
      if (key === 'Fn::If' && Array.isArray(value) && typeof value[0] === 'string') {
        this.condition(value[0], [...at, 0]);
        value.slice(1).forEach((v, i) => this.walk(v, [...at, i + 1], resource, inCondition));
        return;
      }
      if (CONDITION_FUNCTIONS.has(key)) {
        this.walk(value, at, resource, true);
        return;
      }
    }
    for (const [k, v] of Object.entries(node)) this.walk(v, [...path, k], resource, inCondition);
  }

  private ref(name: string, path: NodePath, resource: string | undefined, inConditions: boolean): void {
    if (PSEUDO_PARAMETERS.has(name) || this.parameters.has(name)) return;
    if (this.resources.has(name)) {
      if (inConditions) this.add(path, `Ref '${name}' in Conditions: conditions can only use parameters, and ${name} is a resource`);
      else this.edge(resource, name, path);
      return;
    }
    this.add(path, `Ref '${name}': no parameter, resource or pseudo parameter has that name`, {
      hint: this.closest(name, new Set([...this.parameters, ...this.resources, ...PSEUDO_PARAMETERS])),
    });
  }

  private getAtt(target: string, path: NodePath, resource: string | undefined): void {
    if (this.resources.has(target)) {
      this.edge(resource, target, path);
      return;
    }
    const what = this.parameters.has(target) ? `${target} is a parameter, and Fn::GetAtt takes a resource` : 'no resource has that name';
    this.add(path, `Fn::GetAtt on '${target}': ${what}`, { hint: this.closest(target, this.resources) });
  }

  /** `${Name}` and `${Resource.Attribute}` in a Fn::Sub string; `${!Literal}` is text. */
  private sub(value: unknown, path: NodePath, resource: string | undefined, inCondition: boolean): void {
    const text = typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
    const variables = Array.isArray(value) && isMapping(value[1]) ? new Set(Object.keys(value[1])) : new Set<string>();
    if (Array.isArray(value)) value.slice(1).forEach((v, i) => this.walk(v, [...path, i + 1], resource, inCondition));
    if (text === undefined) return;
    const textPath = typeof value === 'string' ? path : [...path, 0];
    for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
      const name = m[1]!.trim();
      if (name.startsWith('!') || variables.has(name)) continue;
      if (PSEUDO_PARAMETERS.has(name) || this.parameters.has(name)) continue;
      if (this.resources.has(name)) {
        this.edge(resource, name, textPath);
        continue;
      }
      const dot = name.indexOf('.');
      if (dot > 0 && this.resources.has(name.slice(0, dot))) {
        this.edge(resource, name.slice(0, dot), textPath);
        continue;
      }
      this.add(textPath, `Fn::Sub uses \${${name}}: no parameter, resource, pseudo parameter or Sub variable has that name`, {
        hint: this.closest(dot > 0 ? name.slice(0, dot) : name, new Set([...this.parameters, ...this.resources, ...variables])),
      });
    }
  }

  /** Every circle of dependencies, once each, named from the resource written first. */
  private cycles(): void {
    const order = [...this.edges.keys()];
    const rank = new Map(order.map((id, i) => [id, i]));
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const seen = new Set<string>();
    const visit = (start: string) => {
      // Iterative depth-first search: a long chain of resources must not exhaust the call stack.
      const frames: { id: string; next: Iterator<string> }[] = [{ id: start, next: this.edges.get(start)!.keys() }];
      state.set(start, 'open');
      stack.push(start);
      while (frames.length > 0) {
        const frame = frames.at(-1)!;
        const step = frame.next.next();
        if (step.done) {
          state.set(frame.id, 'done');
          stack.pop();
          frames.pop();
          continue;
        }
        const to = step.value;
        if (state.get(to) === 'open') {
          const circle = stack.slice(stack.indexOf(to));
          const first = circle.reduce((a, b) => (rank.get(b)! < rank.get(a)! ? b : a));
          const rotated = [...circle.slice(circle.indexOf(first)), ...circle.slice(0, circle.indexOf(first))];
          const id = [...rotated].sort().join('\u0000');
          if (!seen.has(id)) {
            seen.add(id);
            const next = rotated[1] ?? rotated[0]!;
            this.add(this.edges.get(first)!.get(next)!, `circular dependency: ${[...rotated, first].join(' → ')}`, {
              hint: 'CloudFormation cannot create resources that wait for each other; remove one DependsOn, Ref, Fn::GetAtt or Fn::Sub in the circle',
            });
          }
        } else if (state.get(to) === undefined) {
          state.set(to, 'open');
          stack.push(to);
          frames.push({ id: to, next: this.edges.get(to)!.keys() });
        }
      }
    };
    for (const id of order) if (state.get(id) === undefined) visit(id);
  }

  /** "did you mean" for a misspelt name, when one is close. */
  private closest(name: string, candidates: Set<string>): string | undefined {
    let best: string | undefined;
    let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
    for (const c of candidates) {
      const d = distance(name.toLowerCase(), c.toLowerCase());
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best === undefined ? undefined : `did you mean '${best}'?`;
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function keysOf(value: unknown): string[] {
  return isMapping(value) ? Object.keys(value) : [];
}

/** Edit distance, for suggestions. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}
