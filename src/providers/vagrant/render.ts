import { readFile } from 'node:fs/promises';
import { NephoError } from '../../errors.js';
import type { FormationSpec, RenderedBootstrap, RenderedFile } from '../types.js';

/** The rendered Vagrantfile's name in the formation's directory. */
export const VAGRANTFILE = 'Vagrantfile';
/** The bootstrap copy beside it, which the shell provisioner uploads. */
export const BOOTSTRAP_FILE = 'nepho-bootstrap.sh';
/** The script `formation:provision` runs through Vagrant: the bootstrap again, its output shown, its exit status reported. */
export const PROVISION_FILE = 'nepho-provision.sh';
/** The provisioner names nepho adds to the Vagrantfile. */
export const BOOTSTRAP_PROVISIONER = 'nepho-bootstrap';
/** The provisioner that runs only when named (`vagrant provision --provision-with nepho-provision`). */
export const PROVISION_PROVISIONER = 'nepho-provision';
/**
 * What the provisioning script prints last: Vagrant reports only that a
 * provisioner failed, never its exit status, so the script says it itself.
 */
export const EXIT_STATUS_MARKER = 'nepho-provision-exit-status:';

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * A value as a Ruby literal that can only ever be that value: numbers as
 * numbers, booleans as `true`/`false`, strings single-quoted (Ruby expands
 * nothing inside single quotes, so `#{...}` stays text) with only `\` and `'`
 * escaped. Newlines and control characters are plain text inside them,
 * except carriage returns (see below).
 */
export function rubyLiteral(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value); // 42, -1.5, 1e+21: all Ruby numeric literals as JavaScript writes them
  }
  const quoted = (part: string) => `'${part.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  // Ruby reads a CR before a newline in its source as nothing: a CR travels
  // as "\r" in double quotes, joined to its neighbours as adjacent literals are.
  return value.includes('\r') ? `(${value.split('\r').map(quoted).join(' "\\r" ')})` : quoted(value);
}

/**
 * Replace `{{parameters.X}}` and `{{formation.name}}` in a Vagrantfile
 * pattern by Ruby literals. Anything else in double braces is an error naming
 * the file and line, and so is a secret parameter: secrets never reach the
 * Vagrantfile (it lives in the formation's directory, in plain text).
 */
export function renderPattern(text: string, spec: Pick<FormationSpec, 'name' | 'parameters' | 'patternFile'>): string {
  const lines = text.split('\n');
  return lines.map((line, index) => line.replace(PLACEHOLDER, (whole, expr: string) => {
    const where = `${spec.patternFile}:${index + 1}`;
    if (expr === 'formation.name') return rubyLiteral(spec.name);
    const m = /^parameters\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr);
    if (!m) {
      throw new NephoError('PATTERN_INVALID', `${where}: unknown placeholder ${whole}`, {
        hint: 'a Vagrant pattern may use {{parameters.NAME}} and {{formation.name}}',
      });
    }
    const parameter = spec.parameters[m[1]!];
    if (!parameter) {
      throw new NephoError('PATTERN_INVALID', `${where}: unknown parameter '${m[1]}' in ${whole}`, {
        hint: `the scenario declares: ${Object.keys(spec.parameters).join(', ') || 'no parameters'}`,
      });
    }
    if (parameter.secret) {
      throw new NephoError('PATTERN_INVALID', `${where}: parameter '${m[1]}' is secret and cannot be written into the Vagrantfile`, {
        hint: 'pass secrets to the machine another way (a vault, a file the bootstrap fetches); nepho keeps them out of the formation\'s directory',
      });
    }
    return rubyLiteral(parameter.value);
  })).join('\n');
}

/**
 * The block nepho appends to every Vagrantfile: the scenario's bootstrap as a
 * shell provisioner, uploaded from the copy beside the Vagrantfile and run as
 * root. The environment (NEPHO_FORMATION, NEPHO_CLOUDLET, NEPHO_SCENARIO,
 * NEPHO_<Name>) and the log (/var/log/nepho-bootstrap.log) come from the
 * shell provisioner's wrapper, which quotes every value for the shell; Vagrant's
 * own `env:` option is not used because Vagrant 2.3.4 puts the values in
 * double quotes, where the guest's shell would expand `$(...)` and backticks.
 *
 * A second provisioner, `run: "never"`, is the bootstrap run again by
 * `formation:provision`: `vagrant up`, `reload --provision` and plain
 * `vagrant provision` leave it out; only naming it runs it.
 */
export function provisionerBlock(spec: Pick<FormationSpec, 'name'>): string {
  return [
    '',
    `# Added by nepho: the scenario's bootstrap for formation ${spec.name.replace(/[\r\n]/g, ' ')}, run as root`,
    '# on first `vagrant up`, logging to /var/log/nepho-bootstrap.log; `nepho formation:provision`',
    `# runs it again through ${PROVISION_PROVISIONER}, which runs only when named.`,
    'Vagrant.configure("2") do |config|',
    `  config.vm.provision "${BOOTSTRAP_PROVISIONER}", type: "shell", privileged: true, path: ${rubyLiteral(BOOTSTRAP_FILE)}`,
    `  config.vm.provision "${PROVISION_PROVISIONER}", type: "shell", privileged: true, path: ${rubyLiteral(PROVISION_FILE)}, run: "never"`,
    'end',
    '',
  ].join('\n');
}

/**
 * The script `formation:provision` has Vagrant run: the bootstrap's rerun
 * (or the bootstrap itself) written to a temporary file and run, then its
 * exit status printed as the last line (`EXIT_STATUS_MARKER`), since Vagrant
 * itself only says that the provisioner failed. The script travels in a
 * quoted here-document, so nothing in it is expanded on the way.
 */
export function provisionScript(bootstrap: RenderedBootstrap): string {
  const body = bootstrap.rerun ?? bootstrap.script;
  const lines = body.split('\n');
  let delimiter = 'NEPHO_PROVISION_EOF';
  for (let n = 1; lines.includes(delimiter); n++) delimiter = `NEPHO_PROVISION_EOF_${n}`;
  return [
    '#!/bin/sh',
    '# Added by nepho: the bootstrap run again (nepho formation:provision), reporting its exit status.',
    'script=$(mktemp) || exit 1',
    `cat >"$script" <<'${delimiter}'`,
    body.endsWith('\n') ? body.slice(0, -1) : body,
    delimiter,
    'chmod 700 "$script"',
    '"$script"',
    'status=$?',
    'rm -f "$script"',
    `echo "${EXIT_STATUS_MARKER} $status"`,
    'exit "$status"',
    '',
  ].join('\n');
}

/** The Vagrantfile and the files beside it that `vagrant up` uses. No side effects. */
export async function renderVagrant(spec: FormationSpec): Promise<RenderedFile[]> {
  let text: string;
  try {
    text = await readFile(spec.patternFile, 'utf8');
  } catch (error) {
    throw new NephoError('PATTERN_MISSING', `${spec.patternFile}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'pattern not found' : (error as Error).message}`);
  }
  let vagrantfile = renderPattern(text, spec);
  if (!vagrantfile.endsWith('\n')) vagrantfile += '\n';
  const files: RenderedFile[] = [];
  if (spec.bootstrap) {
    vagrantfile += provisionerBlock(spec);
    files.push({ path: BOOTSTRAP_FILE, content: spec.bootstrap.script, mode: 0o755 });
    files.push({ path: PROVISION_FILE, content: provisionScript(spec.bootstrap), mode: 0o755 });
  }
  return [{ path: VAGRANTFILE, content: vagrantfile }, ...files];
}
