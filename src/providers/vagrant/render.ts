import { readFile } from 'node:fs/promises';
import { NephoError } from '../../errors.js';
import { exportSecret, splitShebang } from '../../provisioners/shell.js';
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
  return lines
    .map((line, index) =>
      line.replace(PLACEHOLDER, (whole, expr: string) => {
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
            hint: `the bootstrap gets it as NEPHO_${m[1]} in its environment; nepho keeps secrets out of the formation's directory`,
          });
        }
        return rubyLiteral(parameter.value);
      }),
    )
    .join('\n');
}

/**
 * The variable that carries secret parameter `name`, base64-encoded, in the
 * environment of the `vagrant` process and, passed on by the Vagrantfile, of
 * the bootstrap on the machine.
 */
export function secretVariable(name: string): string {
  return `NEPHO_SECRET_${name}`;
}

/**
 * The secret parameters the bootstrap receives: every one the formation has,
 * given for this run or kept from before (`previous`), so that the rendered
 * files are the same either way.
 */
export function secretNames(spec: Pick<FormationSpec, 'parameters'>): string[] {
  return Object.entries(spec.parameters)
    .filter(([, p]) => p.secret)
    .map(([name]) => name)
    .sort();
}

/**
 * `script` with lines before it (after its `#!`) that turn each secret
 * parameter Vagrant passed in its environment into `NEPHO_<Name>`, decoded,
 * as the scenario's script gets every other parameter. A secret not given
 * for this run stays unset. Base64 because Vagrant 2.3.4 writes each `env:`
 * value into the guest's command line in double quotes, where the guest's
 * shell would run `$(...)` and backticks in it; the base64 alphabet has
 * nothing a shell expands there.
 */
export function withSecrets(script: string, names: readonly string[]): string {
  if (names.length === 0) return script;
  const { shebang, rest } = splitShebang(script);
  const lines = [
    '# Added by nepho: secret parameters, which nepho gives the vagrant process in its environment',
    '# (never in a file) and vagrant this script, base64-encoded, become NEPHO_<Name> like the others.',
    ...names.flatMap((name) => {
      const variable = secretVariable(name);
      return [
        `if [ -n "\${${variable}:-}" ]; then`,
        ...exportSecret(name, `printf '%s' "$${variable}" | base64 -d`, `nepho: secret parameter ${name} did not arrive intact`).map((l) => `  ${l}`),
        'fi',
        `unset ${variable}`,
      ];
    }),
  ];
  return `${shebang}${lines.join('\n')}\n${rest}`;
}

/**
 * The block nepho appends to every Vagrantfile: the scenario's bootstrap as a
 * shell provisioner, uploaded from the copy beside the Vagrantfile and run as
 * root. The environment (NEPHO_FORMATION, NEPHO_CLOUDLET, NEPHO_SCENARIO,
 * NEPHO_<Name>) and the log (/var/log/nepho-bootstrap.log) come from the
 * shell provisioner's wrapper, which quotes every value for the shell;
 * Vagrant's own `env:` option would not do, because Vagrant 2.3.4 puts the
 * values in double quotes, where the guest's shell would expand `$(...)` and
 * backticks.
 *
 * Secret parameters cannot be in the wrapper, which is a file. For them
 * `env:` is used, with values nothing expands: each provisioner passes on
 * from the environment of the `vagrant` process (`ENV`, where nepho puts them
 * for the runs that provision) the secrets base64-encoded, marked
 * `sensitive` so that Vagrant masks them in its output, and the bootstrap
 * decodes them (`withSecrets`). The file holds only their names.
 *
 * A second provisioner, `run: "never"`, is the bootstrap run again by
 * `formation:provision`: `vagrant up`, `reload --provision` and plain
 * `vagrant provision` leave it out; only naming it runs it.
 */
export function provisionerBlock(spec: Pick<FormationSpec, 'name' | 'parameters'>): string {
  const secrets = secretNames(spec);
  const env = secrets.length > 0 ? ', env: nepho_secrets, sensitive: true' : '';
  return [
    '',
    `# Added by nepho: the scenario's bootstrap for formation ${spec.name.replace(/[\r\n]/g, ' ')}, run as root`,
    '# on first `vagrant up`, logging to /var/log/nepho-bootstrap.log; `nepho formation:provision`',
    `# runs it again through ${PROVISION_PROVISIONER}, which runs only when named.`,
    'Vagrant.configure("2") do |config|',
    ...(secrets.length > 0
      ? [
          '  # Secret parameters come from nepho through the environment of vagrant, never through this file.',
          `  nepho_secrets = { ${secrets.map((name) => `${rubyLiteral(secretVariable(name))} => ENV.fetch(${rubyLiteral(secretVariable(name))}, '')`).join(', ')} }`,
        ]
      : []),
    `  config.vm.provision "${BOOTSTRAP_PROVISIONER}", type: "shell", privileged: true, path: ${rubyLiteral(BOOTSTRAP_FILE)}${env}`,
    `  config.vm.provision "${PROVISION_PROVISIONER}", type: "shell", privileged: true, path: ${rubyLiteral(PROVISION_FILE)}, run: "never"${env}`,
    'end',
    '',
  ].join('\n');
}

/**
 * The script `formation:provision` has Vagrant run: the bootstrap's rerun
 * (or the bootstrap itself) written to a temporary file and run, then its
 * exit status printed as the last line (`EXIT_STATUS_MARKER`), since Vagrant
 * itself only says that the provisioner failed. The script travels in a
 * quoted here-document, so nothing in it is expanded on the way; `secrets`
 * are decoded there as in the bootstrap (`withSecrets`).
 */
export function provisionScript(bootstrap: RenderedBootstrap, secrets: readonly string[] = []): string {
  const body = withSecrets(bootstrap.rerun ?? bootstrap.script, secrets);
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
    throw new NephoError(
      'PATTERN_MISSING',
      `${spec.patternFile}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'pattern not found' : (error as Error).message}`,
    );
  }
  let vagrantfile = renderPattern(text, spec);
  if (!vagrantfile.endsWith('\n')) vagrantfile += '\n';
  const files: RenderedFile[] = [];
  if (spec.bootstrap) {
    const secrets = secretNames(spec);
    vagrantfile += provisionerBlock(spec);
    files.push({ path: BOOTSTRAP_FILE, content: withSecrets(spec.bootstrap.script, secrets), mode: 0o755 });
    files.push({ path: PROVISION_FILE, content: provisionScript(spec.bootstrap, secrets), mode: 0o755 });
  }
  return [{ path: VAGRANTFILE, content: vagrantfile }, ...files];
}

/**
 * The machines a Vagrantfile defines, by name (`config.vm.define "web"`;
 * `default` when it defines none). Undefined when a name is not a plain
 * literal (`"node#{i}"` in a loop): Ruby decides those only when it runs.
 */
export function machineNames(vagrantfile: string): string[] | undefined {
  const defines = [...vagrantfile.matchAll(/^[^#\n]*\.vm\.define\b\s*\(?\s*([^\s,)]+)/gm)].map((m) => m[1]!);
  if (defines.length === 0) return ['default'];
  const names = defines.map((d) => /^(?:"([\w.-]+)"|'([\w.-]+)'|:([\w]+))$/.exec(d)).map((m) => m?.[1] ?? m?.[2] ?? m?.[3]);
  return names.every((n) => n !== undefined) ? [...new Set(names as string[])] : undefined;
}
