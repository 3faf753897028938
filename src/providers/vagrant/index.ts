import type { Provider } from '../types.js';

// This module is imported wherever providers are listed, so it stays light:
// rendering and driving the `vagrant` binary load only when a method runs.
const render = () => import('./render.js');
const lintCloudlet = () => import('./lint-cloudlet.js');
const machine = () => import('./provider.js');
const lint = () => import('./lint.js');
const update = () => import('./update.js');
const provisioning = () => import('./provision.js');

/**
 * The built-in Vagrant provider. Patterns are Vagrantfiles
 * (`patterns/vagrant/<pattern>.rb`) whose `{{parameters.X}}` and
 * `{{formation.name}}` become Ruby literals; nepho appends the bootstrap as a
 * root shell provisioner (a copy of the script beside the Vagrantfile).
 * Everything is written into the formation's own directory
 * (`$NEPHO_HOME/formations/<name>/`), and `vagrant validate`, `up`,
 * `status`, `ssh-config`, `reload`, `provision` and `destroy -f` run there
 * with `--machine-readable`. Secret parameters reach the bootstrap through the
 * environment of the runs that provision (`up`, `reload --provision`,
 * `provision`), base64-encoded, never through the formation's directory.
 * An update previews as a diff of those files and
 * applies with `reload --provision` (or only the bootstrap provisioner when
 * only the bootstrap changed); drift is a machine that is not running. The
 * work happens in the process running vagrant, so there is no `follow()`.
 */
export const vagrantProvider: Provider = {
  apiVersion: 1,
  name: 'vagrant',
  description: 'local machines through Vagrant',
  noCredentials: 'vagrant runs on this machine and needs none',
  patternPath: (pattern) => `patterns/vagrant/${pattern}.rb`,
  settingKeys: ['provider', 'box_url'],
  // What describe reads from `vagrant ssh-config` of a running machine, whatever the Vagrantfile says.
  async outputs() {
    return ['SshHost', 'SshPort', 'SshUser'];
  },
  async lint(input) {
    return (await lintCloudlet()).lintVagrant(input);
  },
  async ready(_options, env, settings) {
    return (await machine()).vagrantReady(env, settings);
  },
  async validate(spec, _options, how) {
    const files = await (await render()).renderVagrant(spec);
    if (!how?.thorough) return { checks: ['placeholders'], warnings: [] };
    const { checkRendered } = await lint();
    const { findingError, findingLine } = await import('../findings.js');
    const { findings, checks } = await checkRendered(files, spec.patternFile, process.env);
    const error = findings.find((f) => f.severity === 'error');
    if (error) throw findingError(error, 'VAGRANTFILE_INVALID');
    return { checks: ['placeholders', ...checks], warnings: findings.map(findingLine) };
  },
  async render(spec) {
    return (await render()).renderVagrant(spec);
  },
  async plannedResources(spec) {
    const { renderVagrant, machineNames } = await render();
    return machineNames((await renderVagrant(spec))[0]!.content);
  },
  async create(spec, ctx) {
    return (await machine()).createMachine(spec, ctx);
  },
  async destroy(ref, ctx) {
    return (await machine()).destroyMachine(ref, ctx);
  },
  async describe(ref, options, env) {
    return (await machine()).describeMachine(ref, options, env);
  },
  async sshEndpoint(ref, options, env) {
    return (await machine()).machineSshEndpoint(ref, options, env);
  },
  async preview(ref, spec) {
    return (await update()).previewUpdate(ref, spec);
  },
  async update(ref, spec, preview, ctx) {
    return (await update()).applyUpdate(ref, spec, preview, ctx);
  },
  async provision(ref, spec, ctx) {
    return (await provisioning()).provisionMachines(ref, spec, ctx);
  },
  async drift(ref, options, env) {
    return (await machine()).machinesDrift(ref, options, env);
  },
};
