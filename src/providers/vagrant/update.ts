import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { NephoError } from '../../errors.js';
import { writeFileAtomicSync } from '../../fs.js';
import type { FormationRef, FormationSpec, OperationContext, Outcome, RenderedFile, UpdatePreview } from '../types.js';
import { statesOf } from './machine-readable.js';
import { dirOf, eventOf, machinesOutcome, runVagrant, statusOf, vagrantEnvironment, vagrantError } from './provider.js';
import { BOOTSTRAP_FILE, BOOTSTRAP_PROVISIONER, PROVISION_FILE, renderVagrant, VAGRANTFILE } from './render.js';

/**
 * The files an update compares: what the machines run. The provisioning
 * script is left out: `formation:provision` writes it afresh each time it
 * runs it, and nothing else runs it.
 */
const DEPLOYED = [VAGRANTFILE, BOOTSTRAP_FILE] as const;
/** Every file nepho writes beside the Vagrantfile, so an update can remove those it no longer renders. */
const NEPHO_FILES = [VAGRANTFILE, BOOTSTRAP_FILE, PROVISION_FILE] as const;

/** A file as the formation's directory holds it and as the update would write it (undefined: absent). */
interface FileChange {
  path: string;
  before: string | undefined;
  after: string | undefined;
}

/** What `preview` hands `update`, as plain data (it travels to the background process with the plan). */
interface PreviewState {
  dir: string;
  /** The files that change, in order. */
  changed: string[];
  /** Each compared file's content hash now and after the update (null: absent), so the update applies exactly what was previewed. */
  files: Record<string, { before: string | null; after: string | null }>;
}

const digest = (text: string | undefined): string | null => (text === undefined ? null : createHash('sha256').update(text).digest('hex'));

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The directory of a formation whose Vagrantfile must be there to change it. */
function formationDir(ref: FormationRef): string {
  const dir = dirOf(ref);
  if (!existsSync(join(dir, VAGRANTFILE))) {
    throw new NephoError('VAGRANTFILE_MISSING', `formation ${ref.name}: ${join(dir, VAGRANTFILE)} is missing, so there is nothing to change`, {
      hint: `destroy it and create it again: nepho formation:destroy ${ref.name}`,
    });
  }
  return dir;
}

/** The compared files, now and as `rendered` would make them. */
function compare(dir: string, rendered: RenderedFile[]): FileChange[] {
  return DEPLOYED.map((path) => ({ path, before: readIfThere(join(dir, path)), after: rendered.find((f) => f.path === path)?.content }));
}

/** A unified diff of one file, `/dev/null` standing for an absent side as git writes it. */
function unifiedDiff(change: FileChange): string {
  return createTwoFilesPatch(
    change.before === undefined ? '/dev/null' : `a/${change.path}`,
    change.after === undefined ? '/dev/null' : `b/${change.path}`,
    change.before ?? '',
    change.after ?? '',
    undefined,
    undefined,
    { headerOptions: { includeIndex: false, includeUnderline: false, includeFileHeaders: true } },
  );
}

/**
 * Preview an update: render the Vagrantfile and the bootstrap as create
 * would, and diff them against the formation's directory. Nothing is written
 * and vagrant does not run.
 */
export async function previewUpdate(ref: FormationRef, spec: FormationSpec): Promise<UpdatePreview> {
  const dir = formationDir(ref);
  const changes = compare(dir, await renderVagrant(spec));
  const changed = changes.filter((c) => c.before !== c.after);
  const state: PreviewState = {
    dir,
    changed: changed.map((c) => c.path),
    files: Object.fromEntries(changes.map((c) => [c.path, { before: digest(c.before), after: digest(c.after) }])),
  };
  return {
    empty: changed.length === 0,
    changes: [],
    ...(changed.length > 0 ? { diff: changed.map(unifiedDiff).join('') } : {}),
    state: { ...state },
  };
}

/** The preview's state, checked to be one this provider made. */
function previewState(preview: UpdatePreview): PreviewState {
  const state = preview.state as Partial<PreviewState>;
  if (typeof state.dir !== 'string' || !Array.isArray(state.changed) || typeof state.files !== 'object' || state.files === null) {
    throw new Error('vagrant update: the preview was not made by the vagrant provider');
  }
  return state as PreviewState;
}

/** Put nepho's files in `dir` back as they were (`saved`: content by name, undefined for a file that was absent). */
function restore(dir: string, saved: Map<string, string | undefined>): void {
  for (const [path, content] of saved) {
    if (content === undefined) rmSync(join(dir, path), { force: true });
    else writeFileAtomicSync(join(dir, path), content, path === VAGRANTFILE ? 0o644 : 0o755);
  }
}

/**
 * Apply a preview: check the directory and the rendering are still what was
 * previewed, write the new files (each atomically) and have the real
 * `vagrant validate` check them, then `vagrant reload --provision` when the
 * Vagrantfile changed, or run only the bootstrap provisioner when only the
 * bootstrap did; finally the machines' state, as create reports it. When
 * validation or vagrant fails, the old files are put back, so the directory
 * keeps matching the answers the record keeps.
 */
export async function applyUpdate(ref: FormationRef, spec: FormationSpec, preview: UpdatePreview, ctx: OperationContext): Promise<Outcome> {
  const planned = previewState(preview);
  const dir = formationDir(ref);
  const vagrantfile = join(dir, VAGRANTFILE);
  const rendered = await renderVagrant(spec);
  for (const change of compare(dir, rendered)) {
    const expected = planned.files[change.path];
    const moved =
      digest(change.before) !== expected?.before
        ? `${join(dir, change.path)} changed since the preview`
        : digest(change.after) !== expected.after
          ? `the cloudlet now renders ${change.path} differently from the preview`
          : undefined;
    if (moved) {
      return failedUpdate(
        ref,
        dir,
        new NephoError('FORMATION_CHANGED', `formation ${ref.name}: ${moved}; nothing was applied`, {
          hint: `preview it again: nepho formation:update ${ref.name}`,
        }),
        ctx.env,
      );
    }
  }
  if (planned.changed.length === 0) return machinesOutcome(dir, ctx.env, 'the update');

  const saved = new Map(NEPHO_FILES.map((path) => [path, readIfThere(join(dir, path))] as const));
  try {
    for (const path of NEPHO_FILES) {
      const file = rendered.find((f) => f.path === path);
      if (file) writeFileAtomicSync(join(dir, path), file.content, file.mode ?? 0o644);
      else rmSync(join(dir, path), { force: true });
    }
  } catch (error) {
    restore(dir, saved);
    throw new NephoError(
      'FORMATION_WRITE_FAILED',
      `formation ${ref.name}: could not write the new files into ${dir}: ${(error as Error).message}; nothing was applied`,
    );
  }
  const validated = await runVagrant(['validate'], dir, ctx.env);
  if (validated.code !== 0) return failedUpdate(ref, dir, vagrantError('validate', validated, vagrantfile), ctx.env, saved);

  const reload = planned.changed.includes(VAGRANTFILE);
  const args = reload ? ['reload', '--provision'] : ['provision', '--provision-with', BOOTSTRAP_PROVISIONER];
  const command = reload ? 'reload --provision' : 'provision';
  const kept = Object.entries(spec.parameters)
    .filter(([, p]) => p.previous)
    .map(([name]) => name);
  if (kept.length > 0) {
    ctx.emit({
      time: new Date().toISOString(),
      resource: ref.name,
      type: 'vagrant',
      status: 'notice',
      reason: `${kept.join(', ')}: not given again, and nepho keeps no secrets, so the bootstrap runs without ${kept.length > 1 ? 'them' : 'it'} this time (give ${kept.length > 1 ? 'them' : 'it'} with -p NAME=VALUE)`,
    });
  }
  ctx.accepted({ dir });
  const run = await runVagrant(args, dir, vagrantEnvironment(ctx.env, spec), (record) => {
    const event = eventOf(record, ref.name);
    if (event) ctx.emit(event);
  });
  if (run.code !== 0) return failedUpdate(ref, dir, vagrantError(command, run, vagrantfile), ctx.env, saved);
  return machinesOutcome(dir, ctx.env, `vagrant ${command}`);
}

/**
 * An update that failed: the old files go back (`saved`, when new ones were
 * written), and `vagrant status` tells a failed update (the machines are
 * there; the record keeps its answers) from one that could not be carried
 * out at all (`error` is thrown).
 */
async function failedUpdate(
  ref: FormationRef,
  dir: string,
  error: NephoError,
  env: NodeJS.ProcessEnv,
  saved?: Map<string, string | undefined>,
): Promise<Outcome> {
  if (saved) restore(dir, saved);
  const status = await runVagrant(['status'], dir, env);
  const states = statesOf(status.records);
  if (status.code !== 0 || Object.keys(states).length === 0) throw error;
  const reason = saved ? `${error.message.replace(/\.$/, '')}; the previous files are back in ${dir}` : error.message;
  return { ok: false, status: statusOf(states), failures: [{ resource: ref.name, type: 'vagrant', status: 'UPDATE_FAILED', reason }], state: { dir } };
}
