import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, normalize } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Node, type Pair } from 'yaml';
import type { LintFinding, PluginRegistry } from '../providers/types.js';
import { DECLARATION_KEYS } from '../scenarios/parameters.js';
import { SCENARIO_KEYS, SSH_KEYS } from '../scenarios/scenario.js';
import { readSmallFile } from '../fs.js';
import { MANIFEST_KEYS } from './manifest.js';

/**
 * The checks of a cloudlet's YAML that need its text, not its values: keys
 * nobody reads (a typo such as `sumary`, with the closest known key) and
 * names that point nowhere (a scenario's pattern, provisioner script or
 * `extends` target), each at its file and line. The loaders stop at the
 * first problem and know no lines; this pass finds them all.
 */
export function structureFindings(root: string, registry: PluginRegistry): LintFinding[] {
  const findings: LintFinding[] = [];
  const manifest = yamlAt(join(root, 'cloudlet.yaml'));
  if (manifest) {
    const at = locator(manifest, join(root, 'cloudlet.yaml'), findings);
    at.keys(manifest.contents, MANIFEST_KEYS, '', 'cloudlet.yaml key');
    declarations(at, child(manifest.contents, 'parameters'), 'parameters');
  }
  const scenarioNames = yamlFiles(join(root, 'scenarios'));
  for (const name of scenarioNames) {
    const file = join(root, 'scenarios', `${name}.yaml`);
    const doc = yamlAt(file);
    if (!doc) continue;
    const at = locator(doc, file, findings);
    at.keys(doc.contents, SCENARIO_KEYS, '', 'scenario key');
    const base = child(doc.contents, 'extends');
    if (isScalar(base) && typeof base.value === 'string' && !scenarioNames.includes(base.value)) {
      at.missing(
        base,
        'extends',
        `'${base.value}': scenarios/${base.value}.yaml does not exist`,
        base.value,
        scenarioNames.filter((n) => n !== name),
      );
    }
    const providers = child(doc.contents, 'providers');
    if (isMap(providers)) {
      for (const pair of providers.items) {
        const provider = registry.providers.find((p) => p.name === keyOf(pair));
        if (!provider || !isMap(pair.value)) continue; // the loader says which providers exist
        const field = `providers.${provider.name}`;
        if (provider.settingKeys) at.keys(pair.value, new Set(['pattern', ...provider.settingKeys]), `${field}.`, `${provider.name} setting`);
        const pattern = child(pair.value, 'pattern');
        if (isScalar(pattern) && typeof pattern.value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(pattern.value)) {
          const path = provider.patternPath(pattern.value);
          if (!existsSync(join(root, path))) {
            const ext = extname(path);
            const known = filesWith(join(root, dirname(path)), ext).map((f) => basename(f, ext));
            at.missing(pattern, `${field}.pattern`, `'${pattern.value}': ${path} does not exist`, pattern.value, known);
          }
        }
      }
    }
    const provisioner = child(doc.contents, 'provisioner');
    at.keys(provisioner, new Set(['type', 'script']), 'provisioner.', 'provisioner key');
    const script = child(provisioner, 'script');
    if (isScalar(script) && typeof script.value === 'string' && script.value !== '' && !isAbsolute(script.value) && !normalize(script.value).startsWith('..')) {
      if (!existsSync(join(root, script.value))) {
        const folder = dirname(script.value);
        const known = filesWith(join(root, folder), '').map((f) => join(folder, f));
        at.missing(script, 'provisioner.script', `${script.value} does not exist`, script.value, known);
      }
    }
    declarations(at, child(doc.contents, 'parameters'), 'parameters');
    const access = child(doc.contents, 'access');
    at.keys(access, new Set(['url', 'ssh']), 'access.', 'access key');
    at.keys(child(access, 'ssh'), SSH_KEYS, 'access.ssh.', 'ssh key');
  }
  return findings;
}

/** Every parameter declaration's keys, in cloudlet.yaml or a scenario. */
function declarations(at: Locator, parameters: Node | null | undefined, field: string): void {
  if (!isMap(parameters)) return;
  for (const pair of parameters.items) at.keys(pair.value as Node, DECLARATION_KEYS, `${field}.${keyOf(pair)}.`, 'parameter key');
}

/** What a file's checks report through: unknown keys and missing targets, each at its line. */
interface Locator {
  keys(node: Node | null | undefined, known: Set<string>, prefix: string, what: string): void;
  missing(node: Node, field: string, message: string, name: string, candidates: string[]): void;
}

function locator(doc: ParsedYaml, file: string, findings: LintFinding[]): Locator {
  const at = (node: Node | null | undefined) => {
    const offset = node?.range?.[0];
    if (offset === undefined) return {};
    const { line, col } = doc.lines.linePos(offset);
    return { line, column: col };
  };
  const add = (node: Node | null | undefined, field: string, message: string) =>
    findings.push({ file, field, ...at(node), message: `${field}: ${message}`, severity: 'error', source: 'nepho' });
  return {
    keys(node, known, prefix, what) {
      if (!isMap(node)) return;
      for (const pair of node.items) {
        const key = keyOf(pair);
        if (key === undefined || known.has(key)) continue;
        const near = closest(key, [...known]);
        add(pair.key as Node, `${prefix}${key}`, `unknown ${what} '${key}'${near ? ` (did you mean '${near}'?)` : ` (known: ${[...known].join(', ')})`}`);
      }
    },
    missing(node, field, message, name, candidates) {
      const near = closest(name, candidates);
      add(node, field, `${message}${near ? ` (did you mean '${near}'?)` : ''}`);
    },
  };
}

/**
 * The candidate nearest to `word` by edit distance (a swapped pair of letters
 * counting once), when near enough to be a typo of it: at most a third of the
 * word's length, and at least 1 or 2 edits away for short words.
 */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) && bestDistance < word.length ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

interface ParsedYaml {
  contents: Node | null;
  lines: LineCounter;
}

/** The file as a YAML document with positions, or undefined when it cannot be read or parsed (the loaders report that). */
function yamlAt(file: string): ParsedYaml | undefined {
  let text: string;
  try {
    text = readSmallFile(file, 4 * 1024 * 1024).toString('utf8');
  } catch {
    return undefined;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) return undefined;
  return { contents: doc.contents as Node | null, lines };
}

function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function child(node: Node | null | undefined, key: string): Node | null | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((pair) => keyOf(pair) === key)?.value as Node | null | undefined;
}

/** The scenario names in a directory (`*.yaml` without the extension). */
function yamlFiles(dir: string): string[] {
  return filesWith(dir, '.yaml').map((f) => f.slice(0, -'.yaml'.length));
}

function filesWith(dir: string, ext: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(ext))
      .sort();
  } catch {
    return [];
  }
}
