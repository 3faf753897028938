import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NephoError } from '../../errors.js';
import { findExecutable } from '../../fs.js';
import type { DriftReport, FormationEvent, FormationRef, FormationSpec, FormationState, OperationContext, Outcome, SshEndpoint } from '../types.js';
import { errorExitOf, LineSplitter, sshConfigsOf, statesOf, type VagrantLine, type VagrantRecord } from './machine-readable.js';
import { BOOTSTRAP_FILE, renderVagrant, secretVariable, VAGRANTFILE } from './render.js';

/** What one run of `vagrant` printed and how it ended. */
export interface VagrantRun {
  code: number | null;
  records: VagrantRecord[];
  /** Plain (non machine-readable) stdout lines and stderr, for messages. */
  raw: string[];
  stderr: string;
}

/** Where a plain line `vagrant` printed came from: stdout between the records, or stderr. */
export type VagrantStream = 'stdout' | 'stderr';

/**
 * The environment of a `vagrant` run that provisions `spec`'s machines: `env`,
 * with each secret parameter given for this run added base64-encoded
 * (`NEPHO_SECRET_<Name>`), where the rendered Vagrantfile reads it, and any
 * such variable inherited from elsewhere taken out. Secrets reach the machine
 * this way only: never the formation's directory.
 */
export function vagrantEnvironment(env: NodeJS.ProcessEnv, spec: Pick<FormationSpec, 'parameters'>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (!key.startsWith(secretVariable(''))) out[key] = value;
  for (const [name, p] of Object.entries(spec.parameters)) {
    if (p.secret && !p.previous) out[secretVariable(name)] = Buffer.from(String(p.value), 'utf8').toString('base64');
  }
  return out;
}

/**
 * Run `vagrant ARGS --machine-readable` in a formation's directory
 * (cwd and VAGRANT_CWD), reporting each record as it arrives, and each plain
 * line (stdout outside the records, stderr) to `onPlain`.
 * A missing `vagrant` binary is a NephoError with an install hint.
 */
export function runVagrant(
  args: string[],
  dir: string,
  env: NodeJS.ProcessEnv,
  onRecord?: (record: VagrantRecord) => void,
  onPlain?: (stream: VagrantStream, line: string) => void,
): Promise<VagrantRun> {
  return new Promise((resolvePromise, reject) => {
    const records: VagrantRecord[] = [];
    const raw: string[] = [];
    let stderr = '';
    let stderrRest = '';
    const splitter = new LineSplitter((line: VagrantLine) => {
      if ('record' in line) {
        records.push(line.record);
        onRecord?.(line.record);
      } else {
        raw.push(line.raw);
        onPlain?.('stdout', line.raw);
      }
    });
    const stderrLines = (text: string, end: boolean) => {
      const parts = (stderrRest + text).split('\n');
      stderrRest = end ? '' : parts.pop()!;
      for (const part of parts) if (part.trim() !== '') onPlain?.('stderr', part);
    };
    const child = spawn('vagrant', [...args, '--machine-readable'], {
      cwd: dir,
      env: { ...env, VAGRANT_CWD: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => splitter.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      stderrLines(d, false);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        reject(vagrantNotFound());
      } else reject(new NephoError('VAGRANT_FAILED', `vagrant ${args[0]}: could not run: ${error.message}`));
    });
    child.on('close', (code) => {
      splitter.end();
      stderrLines('', true);
      resolvePromise({ code, records, raw, stderr });
    });
  });
}

/** Vagrant providers that ship with Vagrant; any other is a plugin (`vagrant-<name>`). */
const BUILTIN_VAGRANT_PROVIDERS = new Set(['virtualbox', 'hyperv', 'docker']);

/**
 * Whether this machine can run the formation's machines: `vagrant` on PATH,
 * and the plugin of the Vagrant provider the scenario names (`provider:
 * libvirt` needs vagrant-libvirt). Whether the hypervisor itself works is
 * only known when `vagrant up` tries it.
 */
export async function vagrantReady(env: NodeJS.ProcessEnv, settings: Record<string, unknown> = {}): Promise<void> {
  if (!findExecutable('vagrant', env)) throw vagrantNotFound();
  const wanted = typeof settings.provider === 'string' ? settings.provider : undefined;
  if (!wanted || BUILTIN_VAGRANT_PROVIDERS.has(wanted)) return;
  const run = await runVagrant(['plugin', 'list'], tmpdir(), env);
  const plugins = run.records.filter((r) => r.type === 'plugin-name').map((r) => r.data[0]);
  if (run.code === 0 && !plugins.includes(`vagrant-${wanted}`)) {
    throw new NephoError('VAGRANT_PLUGIN_MISSING', `the scenario asks for the Vagrant provider '${wanted}', whose plugin vagrant-${wanted} is not installed`, {
      hint: `vagrant plugin install vagrant-${wanted}`,
    });
  }
}

function vagrantNotFound(): NephoError {
  return new NephoError('VAGRANT_NOT_FOUND', 'vagrant: command not found on PATH', {
    hint: 'install Vagrant (https://developer.hashicorp.com/vagrant/install; on Debian: apt-get install vagrant) and a provider such as VirtualBox',
  });
}

/** The first paragraph of a Vagrant message, on one line. */
function firstParagraph(message: string): string {
  return message
    .trim()
    .split(/\n\s*\n/)[0]!
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** Provider-specific advice for `ProviderNotUsable`. */
function providerHint(provider: string): string {
  switch (provider) {
    case 'virtualbox':
      return 'install VirtualBox (https://www.virtualbox.org/) and make sure VBoxManage is on PATH, or choose another provider with VAGRANT_DEFAULT_PROVIDER';
    case 'libvirt':
      return 'install libvirt and the vagrant-libvirt plugin (vagrant plugin install vagrant-libvirt), and make sure libvirtd runs';
    case 'docker':
      return 'install Docker and start its daemon, and make sure this user may use it';
    case 'hyperv':
      return 'enable Hyper-V and run as an administrator';
    default:
      return `make the '${provider}' provider usable, or choose another with VAGRANT_DEFAULT_PROVIDER`;
  }
}

/**
 * A failed `vagrant` run as a NephoError: the known failures (no provider,
 * provider not usable, box missing, invalid Vagrantfile) with what to do;
 * anything else with Vagrant's own first paragraph.
 */
export function vagrantError(command: string, run: VagrantRun, vagrantfile: string, boxUrl?: string): NephoError {
  const exit = errorExitOf(run.records);
  const message = exit?.message ?? (run.stderr.trim() || run.raw.join('\n').trim() || `exit status ${run.code}`);
  const errorClass = exit?.errorClass ?? '';
  const short = errorClass.replace(/^Vagrant::Errors::/, '');
  if (short === 'NoDefaultProvider') {
    return new NephoError(
      'VAGRANT_NO_PROVIDER',
      `vagrant ${command}: no usable Vagrant provider on this machine (VirtualBox, libvirt, VMware, Hyper-V, Docker)`,
      {
        hint: 'install VirtualBox (https://www.virtualbox.org/), or another provider and set VAGRANT_DEFAULT_PROVIDER to it',
      },
    );
  }
  if (short === 'ProviderNotUsable') {
    const provider = /The provider '([^']+)'/.exec(message)?.[1] ?? 'unknown';
    const reason = message.split(/reason is shown below:\s*\n/)[1];
    const why = reason ? firstParagraph(reason).split(/(?<=[.!?])\s/)[0] : undefined;
    return new NephoError('VAGRANT_PROVIDER_UNUSABLE', `vagrant ${command}: the '${provider}' provider is not usable on this machine${why ? `: ${why}` : ''}`, {
      hint: providerHint(provider),
    });
  }
  if (/^Box(NotFound|NotFoundWithProvider|AddShortNotFound|AddNoMatchingProvider|NotFoundWithProviderArchitecture)$/.test(short)) {
    const box = /The box '([^']+)'/.exec(message)?.[1] ?? '(unknown)';
    return new NephoError('VAGRANT_BOX_MISSING', `vagrant ${command}: box '${box}' is not installed and could not be fetched`, {
      hint: boxUrl
        ? `nepho tried: vagrant box add --name ${box} ${boxUrl}; check that URL`
        : `add it with: vagrant box add --name ${box} <url or path>, or give box_url in the scenario's providers.vagrant settings`,
    });
  }
  if (short === 'ConfigInvalid' || short === 'VagrantfileSyntaxError' || short === 'VagrantfileLoadError' || (command === 'validate' && !exit)) {
    const lines = message
      .trim()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    // Ruby's own `FILE:LINE: message` for a syntax error; the `* ...` list for invalid settings.
    const details =
      lines.find((l) => /Vagrantfile:\d+:/.test(l)) ??
      lines
        .filter((l) => l.startsWith('* '))
        .map((l) => l.slice(2))
        .join('; ');
    return new NephoError('VAGRANTFILE_INVALID', `${vagrantfile}: vagrant ${command} failed: ${details || firstParagraph(message)}`, {
      hint: 'fix the pattern the Vagrantfile was rendered from; the rendered file is kept to look at',
    });
  }
  return new NephoError('VAGRANT_FAILED', `vagrant ${command}${short ? ` (${short})` : ''}: ${firstParagraph(message)}`);
}

/** A machine-readable `ui` or `state` record as a formation event, or nothing. */
export function eventOf(record: VagrantRecord, name: string): FormationEvent | undefined {
  const time = new Date(record.timestamp > 0 ? record.timestamp * 1000 : Date.now()).toISOString();
  const resource = record.target || name;
  if (record.type === 'ui') {
    const text = record.data
      .slice(1)
      .join(',')
      .replace(/\s*\n\s*/g, ' ')
      .trim();
    if (!text) return undefined;
    return { time, resource, type: 'vagrant', status: record.data[0] ?? 'info', reason: text };
  }
  if (record.type === 'state' && record.data[0]) return { time, resource, type: 'vagrant', status: record.data[0] };
  if (record.type === 'action' && record.data.length >= 2) return { time, resource, type: 'vagrant', status: `${record.data[0]}:${record.data[1]}` };
  return undefined;
}

/** The directory of a recorded formation: what create saved while it exists (NEPHO_HOME may have moved), else the formation's own. */
export function dirOf(ref: FormationRef): string {
  if (typeof ref.state.dir === 'string' && ref.state.dir !== '' && existsSync(ref.state.dir)) return ref.state.dir;
  return ref.dir;
}

/** Write the rendered files into the formation's directory (never secrets: they are rendered by name only). */
export async function writeVagrantFiles(spec: FormationSpec, dir: string): Promise<void> {
  const files = await renderVagrant(spec);
  await mkdir(dir, { recursive: true });
  for (const f of files) {
    await writeFile(join(dir, f.path), f.content, { mode: f.mode ?? 0o644 });
    await chmod(join(dir, f.path), f.mode ?? 0o644);
  }
}

/**
 * Create: render into `ctx.dir`, `vagrant validate`, then `vagrant up`
 * (adding the box from the scenario's `box_url` and trying once more when the
 * box is missing), and report the machine's state.
 */
export async function createMachine(spec: FormationSpec, ctx: OperationContext): Promise<Outcome> {
  const dir = ctx.dir;
  const vagrantfile = join(dir, VAGRANTFILE);
  await writeVagrantFiles(spec, dir);
  const emit = (r: VagrantRecord) => {
    const event = eventOf(r, spec.name);
    if (event) ctx.emit(event);
  };
  const validated = await runVagrant(['validate'], dir, ctx.env);
  if (validated.code !== 0) throw vagrantError('validate', validated, vagrantfile);

  const upArgs = ['up', ...(typeof spec.settings.provider === 'string' ? [`--provider=${spec.settings.provider}`] : [])];
  ctx.accepted({ dir });
  const provisioning = vagrantEnvironment(ctx.env, spec);
  let up = await runVagrant(upArgs, dir, provisioning, emit);
  const boxUrl = typeof spec.settings.box_url === 'string' ? spec.settings.box_url : undefined;
  if (up.code !== 0 && boxUrl) {
    const error = vagrantError('up', up, vagrantfile, boxUrl);
    const box = /box '([^']+)'/.exec(error.message)?.[1];
    if (error.code === 'VAGRANT_BOX_MISSING' && box) {
      ctx.emit({ time: new Date().toISOString(), resource: spec.name, type: 'vagrant', status: 'box-add', reason: `adding box ${box} from ${boxUrl}` });
      const added = await runVagrant(['box', 'add', '--name', box, boxUrl], dir, ctx.env, emit);
      if (added.code !== 0) throw vagrantError('box add', added, vagrantfile, boxUrl);
      up = await runVagrant(upArgs, dir, provisioning, emit);
    }
  }
  if (up.code !== 0) throw vagrantError('up', up, vagrantfile, boxUrl);

  return machinesOutcome(dir, ctx.env, 'vagrant up');
}

/**
 * How an operation that should leave every machine running ended, by
 * `vagrant status`: ok when all are running; the others are failures,
 * `after` saying what they were meant to come out of (`vagrant up`).
 */
export async function machinesOutcome(dir: string, env: NodeJS.ProcessEnv, after: string): Promise<Outcome> {
  const status = await runVagrant(['status'], dir, env);
  const byMachine = statesOf(status.records);
  const states = Object.values(byMachine);
  const ok = states.length > 0 && states.every((s) => s === 'running');
  return {
    ok,
    status: statusOf(byMachine),
    failures: ok
      ? []
      : Object.entries(byMachine)
          .filter(([, s]) => s !== 'running')
          .map(([machine, s]) => ({ resource: machine, type: 'vagrant', status: s, reason: `machine is ${s} after ${after}` })),
    state: { dir },
  };
}

/** One status for all the machines: their state when they agree (`running`), else each one's (`web:running,db:poweroff`). */
export function statusOf(states: Record<string, string>): string {
  const values = Object.values(states);
  if (values.length === 0) return 'unknown';
  return values.every((s) => s === values[0])
    ? values[0]!
    : Object.entries(states)
        .map(([m, s]) => `${m}:${s}`)
        .join(',');
}

/** `vagrant status`: the machines' states; not_created everywhere means the formation does not exist. */
export async function describeMachine(ref: FormationRef, _options: unknown, env: NodeJS.ProcessEnv): Promise<FormationState> {
  const dir = dirOf(ref);
  if (!existsSync(join(dir, VAGRANTFILE))) return { exists: false, status: 'not_created', inProgress: false, outputs: {}, resources: [] };
  const run = await runVagrant(['status'], dir, env);
  if (run.code !== 0) throw vagrantError('status', run, join(dir, VAGRANTFILE));
  const states = statesOf(run.records);
  const values = Object.values(states);
  const status = statusOf(states);
  const outputs: Record<string, string> = {};
  if (values.includes('running')) {
    const ssh = await runVagrant(['ssh-config'], dir, env);
    const config = ssh.code === 0 ? sshConfigsOf(ssh.records)[0] : undefined;
    if (config?.hostName) outputs.SshHost = config.hostName;
    if (config?.port) outputs.SshPort = String(config.port);
    if (config?.user) outputs.SshUser = config.user;
  }
  return {
    exists: values.some((s) => s !== 'not_created'),
    status,
    inProgress: false,
    outputs,
    resources: Object.entries(states).map(([machine, s]) => ({ id: machine, type: 'vagrant machine', status: s })),
  };
}

/**
 * Drift: every machine should be running, as create and update leave them.
 * A machine `vagrant status` reports otherwise (not_created, poweroff,
 * aborted, saved ...) has drifted; so has the whole formation when its
 * Vagrantfile is gone, since vagrant no longer knows its machines.
 */
export async function machinesDrift(ref: FormationRef, _options: unknown, env: NodeJS.ProcessEnv): Promise<DriftReport> {
  const dir = dirOf(ref);
  const vagrantfile = join(dir, VAGRANTFILE);
  if (!existsSync(vagrantfile)) {
    return {
      drifted: true,
      resources: [
        { resource: ref.name, type: 'vagrant formation', status: 'DELETED', differences: [{ path: vagrantfile, expected: 'present', actual: 'missing' }] },
      ],
    };
  }
  const run = await runVagrant(['status'], dir, env);
  if (run.code !== 0) throw vagrantError('status', run, vagrantfile);
  const resources = Object.entries(statesOf(run.records))
    .filter(([, state]) => state !== 'running')
    .map(([machine, state]) => ({
      resource: machine,
      type: 'vagrant machine',
      status: state,
      differences: [{ path: 'state', expected: 'running', actual: state }],
    }));
  return { drifted: resources.length > 0, resources };
}

/** The first machine's endpoint from `vagrant ssh-config`, for formation:ssh's system ssh. */
export async function machineSshEndpoint(ref: FormationRef, _options: unknown, env: NodeJS.ProcessEnv): Promise<SshEndpoint | undefined> {
  const dir = dirOf(ref);
  if (!existsSync(join(dir, VAGRANTFILE))) return undefined;
  const run = await runVagrant(['ssh-config'], dir, env);
  if (run.code !== 0) throw vagrantError('ssh-config', run, join(dir, VAGRANTFILE));
  const config = sshConfigsOf(run.records)[0];
  if (!config?.hostName) return undefined;
  return {
    host: config.hostName,
    port: config.port ?? 22,
    ...(config.user ? { user: config.user } : {}),
    ...(config.identityFile ? { identityFile: config.identityFile } : {}),
  };
}

/** The machines Vagrant made in `dir` (`.vagrant/machines/<name>/<provider>/id`). */
function machineIds(dir: string): string[] {
  const machines = join(dir, '.vagrant', 'machines');
  try {
    return readdirSync(machines).flatMap((m) =>
      readdirSync(join(machines, m))
        .filter((p) => existsSync(join(machines, m, p, 'id')))
        .map((p) => `${m}/${p}`),
    );
  } catch {
    return [];
  }
}

/** `vagrant destroy -f`, then the rendered files go (the journal and record are nepho's to remove). */
export async function destroyMachine(ref: FormationRef, ctx: OperationContext): Promise<Outcome> {
  const dir = typeof ref.state.dir === 'string' && ref.state.dir !== '' ? ref.state.dir : ref.dir;
  const vagrantfile = join(dir, VAGRANTFILE);
  if (existsSync(vagrantfile)) {
    ctx.accepted({ dir });
    const run = await runVagrant(['destroy', '-f'], dir, ctx.env, (r) => {
      const event = eventOf(r, ref.name);
      if (event) ctx.emit(event);
    });
    // A machine Vagrant never made (up failed: no provider, no box) has no id
    // under .vagrant/machines; then there is nothing to destroy, whatever
    // vagrant says, and the formation must still be removable.
    if (run.code !== 0 && machineIds(dir).length > 0) throw vagrantError('destroy', run, vagrantfile);
  }
  await rm(vagrantfile, { force: true });
  await rm(join(dir, BOOTSTRAP_FILE), { force: true });
  await rm(join(dir, '.vagrant'), { recursive: true, force: true });
  return { ok: true, status: 'not_created', failures: [] };
}
