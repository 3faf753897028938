import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { isNephoError } from '../../errors.js';
import type { PatternFinding } from '../findings.js';
import type { FormationSpec, ParameterInput, RenderedFile } from '../types.js';
import { errorExitOf, parseMachineReadable, recordsOf } from './machine-readable.js';
import { renderPattern, VAGRANTFILE } from './render.js';
import { rubyContexts } from './ruby-lexer.js';

/**
 * Checks of Vagrant patterns: placeholders that are known and stand where a
 * Ruby literal can go, Ruby that newer Vagrant releases no longer run,
 * synced folders that will not exist where the formation is made, plugins
 * this machine lacks; and, on the rendered Vagrantfile, `ruby -c` and
 * `vagrant validate -p` when they are installed. Rendering keeps line
 * numbers (nepho's provisioner block goes after the last line), so every
 * finding names the pattern's own `file:line:col`.
 */

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Plugins a Vagrantfile can use through a configuration section of their own, and the section each adds. */
const PLUGIN_SECTIONS: Record<string, string> = {
  vbguest: 'vagrant-vbguest',
  hostmanager: 'vagrant-hostmanager',
  cache: 'vagrant-cachier',
  proxy: 'vagrant-proxyconf',
  disksize: 'vagrant-disksize',
  env: 'vagrant-env',
  persistent_storage: 'vagrant-persistent-storage',
  hostsupdater: 'vagrant-hostsupdater',
  librarian_puppet: 'vagrant-librarian-puppet',
  berkshelf: 'vagrant-berkshelf',
  omnibus: 'vagrant-omnibus',
  triggers: 'vagrant-triggers',
  registration: 'vagrant-registration',
  timezone: 'vagrant-timezone',
  reload: 'vagrant-reload',
  scp: 'vagrant-scp',
};

/** Line and column (1-based) of an offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/**
 * Every placeholder of a pattern checked: known (`{{parameters.X}}` of a
 * declared, non-secret parameter, or `{{formation.name}}`), and standing where
 * a Ruby expression can go. Inside a quoted string a placeholder renders as a
 * literal within a literal (`"{{parameters.Name}}.local"` becomes
 * `"'web'.local"`), which is never what was meant.
 */
export function lintPlaceholders(patternFile: string, text: string, parameters: Record<string, ParameterInput>): PatternFinding[] {
  const findings: PatternFinding[] = [];
  const context = rubyContexts(text.replace(PLACEHOLDER, (whole) => 'x'.repeat(whole.length)));
  const lines = text.split('\n');
  let offset = 0;
  lines.forEach((line, index) => {
    try {
      renderPattern(line, { name: 'lint', parameters, patternFile } as Pick<FormationSpec, 'name' | 'parameters' | 'patternFile'>);
    } catch (error) {
      if (!isNephoError(error)) throw error;
      const col = line.search(/\{\{/) + 1 || 1;
      findings.push({ file: patternFile, line: index + 1, col, message: error.message.replace(`${patternFile}:1: `, ''), severity: 'error' });
    }
    for (const m of line.matchAll(PLACEHOLDER)) {
      if (context(offset + m.index!) !== 'string') continue;
      findings.push({
        file: patternFile,
        line: index + 1,
        col: m.index! + 1,
        severity: 'error',
        message:
          `${m[0]} is inside a quoted Ruby string, where its value (a quoted Ruby literal) would end up quoted twice, as ''value'.local'; ` +
          `use the placeholder as the whole expression (name = ${m[0]}) or set a local variable to it and interpolate that ("#{name}.local")`,
      });
    }
    offset += line.length + 1;
  });
  return findings;
}

/**
 * Lint a Vagrant pattern, and the Vagrantfile rendered from it when given
 * (`ruby -c` and `vagrant validate -p`, each when installed). `report`, when
 * given, hears which of those checks ran. Never throws for bad input.
 */
export async function lintVagrantfile(
  patternFile: string,
  renderedText: string | undefined,
  env: NodeJS.ProcessEnv,
  report?: (checks: string[]) => void,
): Promise<PatternFinding[]> {
  let text: string;
  try {
    text = await readFile(patternFile, 'utf8');
  } catch (error) {
    return [{ file: patternFile, line: 0, col: 0, message: `cannot read the pattern: ${(error as Error).message}`, severity: 'error' }];
  }
  const findings = patternFindings(patternFile, text);
  const plugins = pluginsUsed(text);
  if (plugins.size > 0) {
    const installed = await installedPlugins(env);
    for (const [plugin, offset] of plugins) {
      if (installed?.has(plugin)) continue;
      findings.push({
        file: patternFile,
        ...lineCol(text, offset),
        severity: 'warning',
        message: installed
          ? `uses the Vagrant plugin ${plugin}, which is not installed here (vagrant plugin install ${plugin})`
          : `uses the Vagrant plugin ${plugin}; vagrant is not installed here to tell whether it is`,
      });
    }
  }
  if (renderedText !== undefined) {
    const checked = await checkRendered([{ path: VAGRANTFILE, content: renderedText }], patternFile, env);
    // What Vagrant says about a folder or plugin section already warned about is the same warning again.
    const warned = new Set(findings.map((f) => f.line));
    findings.push(...checked.findings.filter((f) => !(f.severity === 'warning' && warned.has(f.line))));
    report?.(checked.checks);
  }
  return findings;
}

/** What can be told from the pattern's text alone: Ruby gone from newer Vagrant releases, synced folders that will not be there. */
function patternFindings(patternFile: string, text: string): PatternFinding[] {
  const findings: PatternFinding[] = [];
  const context = rubyContexts(text.replace(PLACEHOLDER, (whole) => 'x'.repeat(whole.length)));
  for (const m of text.matchAll(/\b(File|Dir)\.exists\?/g)) {
    if (context(m.index!) !== 'code') continue;
    findings.push({
      file: patternFile,
      ...lineCol(text, m.index!),
      severity: 'warning',
      message: `${m[1]}.exists? was removed in Ruby 3.2, which newer Vagrant releases run: use ${m[1]}.exist?`,
    });
  }
  const cloudlet = resolve(dirname(patternFile), '..', '..');
  for (const m of text.matchAll(/\.synced_folder\s*\(?\s*(["'])([^"'#]*)\1([^\n]*)/g)) {
    if (context(m.index!) !== 'code') continue;
    if (/disabled\s*(?::|=>)\s*true/.test(m[3]!)) continue;
    const host = m[2]!;
    const where = { file: patternFile, ...lineCol(text, m.index! + m[0].indexOf(m[1]!)), severity: 'warning' as const };
    if (host === '.' || host === './' || host === '') continue;
    const inside = !isAbsolute(host) && !host.startsWith('~') && !/^[A-Za-z]:[\\/]/.test(host) && !relative(cloudlet, resolve(cloudlet, host)).startsWith('..');
    findings.push({
      ...where,
      message: inside
        ? `synced_folder '${host}': Vagrant resolves it against the formation's directory, where nepho writes only the Vagrantfile and the bootstrap, so it will be missing`
        : `synced_folder '${host}' is outside the cloudlet: it exists only on machines that have it, not wherever the formation is made`,
    });
  }
  return findings;
}

/** Plugins the pattern names (`Vagrant.has_plugin?`, `config.vagrant.plugins`, a plugin's own config section), each with where it is first named. */
function pluginsUsed(text: string): Map<string, number> {
  const used = new Map<string, number>();
  const context = rubyContexts(text.replace(PLACEHOLDER, (whole) => 'x'.repeat(whole.length)));
  const add = (name: string, offset: number) => {
    if (!used.has(name)) used.set(name, offset);
  };
  for (const m of text.matchAll(/Vagrant\.has_plugin\?\s*\(?\s*["']([\w.-]+)["']/g)) if (context(m.index!) === 'code') add(m[1]!, m.index!);
  for (const m of text.matchAll(/\.vagrant\.plugins\s*=\s*([^\n]*)/g)) {
    if (context(m.index!) !== 'code') continue;
    for (const p of m[1]!.matchAll(/["']([\w.-]+)["']/g)) add(p[1]!, m.index! + m[0].indexOf(p[0]));
  }
  for (const m of text.matchAll(/\b\w+\.(\w+)\.\w+\s*=/g)) {
    const plugin = PLUGIN_SECTIONS[m[1]!];
    if (plugin && context(m.index!) === 'code') add(plugin, m.index!);
  }
  return used;
}

/** The plugins Vagrant has here, or undefined when vagrant is not installed. */
async function installedPlugins(env: NodeJS.ProcessEnv): Promise<Set<string> | undefined> {
  const run = await runTool('vagrant', ['plugin', 'list', '--machine-readable'], process.cwd(), vagrantEnv(env));
  if (run.missing) return undefined;
  const names = recordsOf(parseMachineReadable(run.stdout))
    .filter((r) => r.type === 'plugin-name')
    .map((r) => r.data[0] ?? '');
  return new Set(names);
}

/** What checking a rendered Vagrantfile found, and which checks ran (and which could not, and why). */
export interface RenderedCheck {
  findings: PatternFinding[];
  /** `ruby -c`, `vagrant validate -p`, or `ruby -c: skipped (ruby is not installed)`. */
  checks: string[];
}

/**
 * Check rendered Vagrant files (the Vagrantfile and what goes beside it) the
 * way Ruby and Vagrant will read them: `ruby -c` for syntax, then `vagrant
 * validate -p` for the configuration, in a scratch directory, each when
 * installed. Findings name the pattern file with the rendered file's line
 * (rendering keeps lines). A missing synced folder or an unknown section of
 * an uninstalled plugin are warnings (what is absent here may be present where
 * the formation is made); everything else Vagrant refuses is an error.
 */
export async function checkRendered(files: readonly RenderedFile[], patternFile: string, env: NodeJS.ProcessEnv): Promise<RenderedCheck> {
  const findings: PatternFinding[] = [];
  const checks: string[] = [];
  const vagrantfile = files.find((f) => f.path === VAGRANTFILE);
  if (!vagrantfile) return { findings, checks };
  const dir = await mkdtemp(join(tmpdir(), 'nepho-vagrant-check-'));
  try {
    for (const f of files) await writeFile(join(dir, f.path), f.content, { mode: f.mode ?? 0o644 });
    const file = join(dir, VAGRANTFILE);
    const ruby = await runTool('ruby', ['-c', file], dir, env);
    let syntaxOk = true;
    if (ruby.missing) checks.push('ruby -c: skipped (ruby is not installed)');
    else {
      checks.push('ruby -c');
      if (ruby.code !== 0) {
        syntaxOk = false;
        findings.push(await withinPattern(rubyError(patternFile, file, ruby.stderr || ruby.stdout)));
      }
    }
    if (!syntaxOk) {
      checks.push('vagrant validate -p: skipped (the Ruby does not parse)');
      return { findings, checks };
    }
    const validate = await runTool('vagrant', ['validate', '-p', '--machine-readable'], dir, { ...vagrantEnv(env), VAGRANT_CWD: dir });
    if (validate.missing) checks.push('vagrant validate -p: skipped (vagrant is not installed)');
    else {
      checks.push('vagrant validate -p');
      if (validate.code !== 0) {
        // Vagrant names files by their path in the scratch directory, which stands for the formation's.
        const output = (text: string) => text.split(`${dir}/`).join("<formation's directory>/");
        for (const f of validateFindings(patternFile, vagrantfile.content, output(validate.stdout), output(validate.stderr)))
          findings.push(await withinPattern(f));
      }
    }
    return { findings, checks };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A finding on a line past the pattern's end (Ruby reports a missing `end` at
 * the end of the file, after the block nepho appends) is placed on the
 * pattern's last line, which is where the author has to look.
 */
async function withinPattern(f: PatternFinding): Promise<PatternFinding> {
  const text = await readFile(f.file, 'utf8').catch(() => undefined);
  if (text === undefined) return f;
  const last = text.replace(/\n$/, '').split('\n').length;
  return f.line > last ? { ...f, line: last, col: 0, message: `${f.message} (at the end of the file)` } : f;
}

/** `FILE:LINE: message`, then the line and a caret under the column (when Ruby knows it). */
function rubyError(patternFile: string, file: string, output: string): PatternFinding {
  const lines = output.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`${file}:`));
  if (at < 0) return { file: patternFile, line: 0, col: 0, message: `ruby -c: ${output.trim().split('\n')[0] ?? 'syntax error'}`, severity: 'error' };
  const m = /^:(\d+): (.*)$/.exec(lines[at]!.slice(file.length))!;
  const caret = lines.slice(at + 1, at + 4).find((l) => /^\s*\^/.test(l));
  const col = caret ? caret.indexOf('^') + 1 : 0;
  return { file: patternFile, line: Number(m?.[1] ?? 0), col, message: `ruby -c: ${m?.[2] ?? lines[at]}`, severity: 'error' };
}

/** `vagrant validate` refusing the file: each `* ...` item of ConfigInvalid on its own, else Vagrant's first paragraph. */
function validateFindings(patternFile: string, rendered: string, stdout: string, stderr: string): PatternFinding[] {
  const exit = errorExitOf(recordsOf(parseMachineReadable(stdout)));
  const message = exit?.message ?? (stderr.trim() || stdout.trim());
  const syntax = /Vagrantfile:(\d+): (.*)/.exec(message);
  if (syntax) return [{ file: patternFile, line: Number(syntax[1]), col: 0, message: `vagrant validate: ${syntax[2]}`, severity: 'error' }];
  const items = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('* '))
    .map((l) => l.slice(2));
  if (items.length === 0) {
    return [
      {
        file: patternFile,
        line: 0,
        col: 0,
        message: `vagrant validate: ${message
          .trim()
          .split(/\n\s*\n/)[0]!
          .replace(/\s*\n\s*/g, ' ')}`,
        severity: 'error',
      },
    ];
  }
  return items.map((item): PatternFinding => {
    const missing = /The host path of the shared folder is missing: (.*)$/.exec(item);
    const section = /Unknown configuration section '([^']+)'/.exec(item);
    const beside = /<formation's directory>\/(\S+)$/.exec(item);
    const needle = missing ? missing[1]! : section ? `.${section[1]}.` : beside ? beside[1]! : undefined;
    const offset = needle === undefined ? -1 : rendered.indexOf(needle);
    const place = offset < 0 ? { line: 0, col: 0 } : lineCol(rendered, offset);
    const plugin = section ? PLUGIN_SECTIONS[section[1]!] : undefined;
    const warning = missing !== null || plugin !== undefined;
    return {
      file: patternFile,
      ...place,
      severity: warning ? 'warning' : 'error',
      message: `vagrant validate: ${item}${plugin ? ` (the ${plugin} plugin's section; it is not installed here)` : ''}`,
    };
  });
}

/** Vagrant run for a check: never phoning home for version news. */
function vagrantEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, VAGRANT_CHECKPOINT_DISABLE: '1' };
}

/** Run a checking tool to its end; `missing` when it is not installed. */
function runTool(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ missing: boolean; code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error: NodeJS.ErrnoException) => done({ missing: error.code === 'ENOENT', code: null, stdout, stderr: stderr || error.message }));
    child.on('close', (code) => done({ missing: false, code, stdout, stderr }));
  });
}
