/**
 * Planning a blueprint operation: the whole graph is read and checked, every
 * missing answer asked for at once, and what the providers already hold
 * looked at, before anything is created. The result is plain data the
 * runner (here, in the nanny, or on a server) carries out without asking
 * anything.
 */
import { findInstalled, resolveInstalled } from '../cloudlets/installed.js';
import { CLOUDLET_ID } from '../cloudlets/names.js';
import { NephoError, excerpt } from '../errors.js';
import type { NephoHome } from '../home.js';
import { prepareFormation, type ParameterValues, type PreparedFormation } from '../formations/plan.js';
import { FORMATION_NAME, refOf, type FormationRecord } from '../formations/records.js';
import { buildSpec } from '../formations/spec.js';
import type { ParameterChange, Question } from '../operations/types.js';
import { findProvider } from '../plugins.js';
import type { ProviderOptions } from '../providers/types.js';
import { MASK, type ParameterSpec, type ParameterValue } from '../scenarios/parameters.js';
import { missingParametersError } from '../scenarios/resolve.js';
import { checkOutputs, entryCloudlet, entryTarget, parameterPlace, type CloudletSource, type EntryTarget } from './check.js';
import {
  fillReferences,
  loadBlueprint,
  listBlueprints,
  problemError,
  referencesIn,
  type Blueprint,
  type BlueprintEntry,
  type OutputReference,
} from './format.js';
import type {
  ApplyRequest,
  BlueprintContext,
  BlueprintDestroyRequest,
  BlueprintIo,
  BlueprintPlan,
  BlueprintRecord,
  PlannedStep,
  RecordedEntry,
  StepPreview,
} from './types.js';

/** One parameter of a planned step as people read it: secrets masked, references as written. */
export interface PlannedParameter {
  name: string;
  value: ParameterValue | null;
  /** Where it comes from: `FILE:LINE`, `-p ENTRY.KEY`, `prompt`, a default ... */
  source: string;
  /** The outputs it reads, as written (`{{formations.net.outputs.VpcId}}`). */
  reads?: string;
}

/** A planned blueprint operation as `--dry-run` and `blueprint:describe` show it: nothing secret in it. */
export interface BlueprintPlanView {
  name: string;
  /** `owner/name/blueprint`. */
  blueprint: string;
  version: string;
  file: string;
  summary?: string;
  /** Entries in dependency order, as waves. */
  waves: string[][];
  steps: {
    entry: string;
    formation: string;
    action: PlannedStep['action'] | 'unchanged';
    cloudlet: string;
    scenario: string;
    provider: string;
    region?: string;
    after: string[];
    parameters: PlannedParameter[];
    preview?: StepPreview;
  }[];
  /** Required parameters no value was found for, as `ENTRY.KEY` (what apply asks for). */
  missing: string[];
  kept: string[];
}

/** `-p ENTRY.KEY=VALUE`, split at the first `=` (the value may hold more) and the first `.`. */
export function parseEntryFlag(text: string): { entry: string; key: string; value: string } {
  const eq = text.indexOf('=');
  const dot = text.indexOf('.');
  if (eq <= 0 || dot <= 0 || dot > eq - 2) {
    throw new NephoError('BAD_ARGUMENT', `-p '${excerpt(text, 80)}' is not ENTRY.KEY=VALUE`, {
      hint: 'name the blueprint entry the value is for: -p web.InstanceType=t3.small',
    });
  }
  return { entry: text.slice(0, dot), key: text.slice(dot + 1, eq), value: text.slice(eq + 1) };
}

/** `CLOUDLET/BLUEPRINT` (the cloudlet as `name` or `owner/name`) as an installed cloudlet and a blueprint name. */
export function resolveBlueprintTarget(home: NephoHome, target: string): { cloudlet: CloudletSource; blueprint: string } {
  const parts = target.split('/');
  const named = (id: string) => {
    const installed = resolveInstalled(home, id);
    return { dir: installed.dir, id: installed.record.id };
  };
  if (parts.length === 3) return { cloudlet: named(`${parts[0]}/${parts[1]}`), blueprint: parts[2]! };
  if (parts.length === 2 && !(CLOUDLET_ID.test(target) && findInstalled(home, target))) return { cloudlet: named(parts[0]!), blueprint: parts[1]! };
  const cloudlet = parts.length <= 2 ? (findInstalled(home, target) ?? undefined) : undefined;
  const known = cloudlet ? listBlueprints(cloudlet.dir).map((b) => b.name) : [];
  throw new NephoError('BAD_ARGUMENT', `'${excerpt(target, 80)}' is not CLOUDLET/BLUEPRINT`, {
    hint: known.length > 0 ? `blueprints of ${target}: ${known.join(', ')}` : 'for example mediawiki/wiki-and-twin; nepho blueprint:list CLOUDLET lists them',
  });
}

/** The formation an entry makes when the blueprint is applied under `name`. */
export function formationName(name: string, entry: string): string {
  return `${name}-${entry}`;
}

/** One entry with what it resolves to before any provider is asked anything. */
interface PreparedEntry {
  entry: BlueprintEntry;
  formation: string;
  target: EntryTarget;
  prepared: PreparedFormation;
  /** Plain values given for it, lowest first. */
  values: ParameterValues[];
  references: PlannedStep['references'];
  /** Required parameters without a value (references and kept secrets aside). */
  missing: ParameterSpec[];
  /** Its formation as recorded here, when there is one. */
  existing?: FormationRecord;
}

/**
 * Every entry of a blueprint resolved as far as it goes without a provider:
 * cloudlet, scenario, provider, declared outputs and parameters (from the
 * blueprint, saved values, `-p ENTRY.KEY` flags and, for formations that
 * exist, their deployed answers). Throws the first problem, one line naming
 * where it is.
 */
async function prepareEntries(
  ctx: BlueprintContext,
  blueprint: Blueprint,
  own: CloudletSource,
  name: string | undefined,
  flags: { entry: string; key: string; value: string }[],
): Promise<PreparedEntry[]> {
  const entryNames = blueprint.entries.map((e) => e.name);
  for (const f of flags) {
    if (!entryNames.includes(f.entry)) {
      throw new NephoError(
        'BAD_ARGUMENT',
        `-p ${excerpt(f.entry, 80)}.${excerpt(f.key, 80)}: '${excerpt(f.entry, 80)}' is not an entry of blueprint ${blueprint.name} (entries: ${entryNames.join(', ')})`,
      );
    }
  }
  // Without a name (describing the blueprint), formations are named by their entries and nothing deployed is looked at.
  const formationOf = (entry: string) => (name === undefined ? entry : formationName(name, entry));
  const targets = new Map<string, EntryTarget>();
  for (const entry of blueprint.entries) {
    const formation = formationOf(entry.name);
    if (!FORMATION_NAME.test(formation)) {
      throw new NephoError(
        'BAD_BLUEPRINT_NAME',
        `--name '${excerpt(name ?? '', 80)}': its formation ${excerpt(formation, 80)} would not be a formation name (at most 63 lowercase letters, digits and '-')`,
        {
          hint: 'choose a shorter --name',
        },
      );
    }
    targets.set(entry.name, entryTarget(blueprint, entry, entryCloudlet(ctx.home, blueprint, entry, own), ctx.registry));
  }
  await checkOutputs(blueprint, targets);

  const out: PreparedEntry[] = [];
  for (const entry of blueprint.entries) {
    const target = targets.get(entry.name)!;
    const formation = formationOf(entry.name);
    const mine = flags.filter((f) => f.entry === entry.name);
    const overridden = new Set(mine.map((f) => f.key));
    const plain = entry.parameters.filter((p) => p.references.length === 0 && !overridden.has(p.name));
    const values: ParameterValues[] = [
      ...plain.map((p) => ({ path: parameterPlace(blueprint, p), values: { [p.name]: p.value } })),
      ...mine.map((f) => ({ path: `-p ${entry.name}.${f.key}`, values: { [f.key]: f.value } })),
    ];
    const references = entry.parameters
      .filter((p) => p.references.length > 0 && !overridden.has(p.name))
      .map((p) => ({ parameter: p.name, text: String(p.value), from: parameterPlace(blueprint, p) }));
    const existing = name === undefined ? undefined : ctx.store.read(formation);
    const prepared = await prepareFormation(
      ctx.home,
      {
        target: `${target.cloudlet.id}/${entry.scenario}`,
        name: formation,
        provider: target.provider.name,
        params: [],
        paramsFiles: [],
        values,
        ...(existing ? { deployed: existing.parameters } : {}),
      },
      ctx.registry,
    );
    const declared = new Set(prepared.resolution.parameters.map((p) => p.spec.name));
    for (const r of references) {
      if (declared.has(r.parameter)) continue;
      const p = entry.parameters.find((x) => x.name === r.parameter)!;
      throw problemError(blueprint.file, {
        code: 'UNKNOWN_PARAMETER',
        line: p.line,
        field: `formations.${entry.name}.parameters.${p.name}`,
        message: `is not a parameter of ${target.cloudlet.id}/${entry.scenario} with ${target.provider.name} (known: ${[...declared].join(', ') || 'none'})`,
      });
    }
    // A secret the formation was deployed with is kept by its provider when not given again.
    const satisfied = new Set([...references.map((r) => r.parameter), ...(existing?.secrets ?? [])]);
    const missing = prepared.resolution.missing.filter((s) => !satisfied.has(s.name));
    out.push({ entry, formation, target, prepared, values, references, missing, ...(existing ? { existing } : {}) });
  }
  return out;
}

/** Ask once, for every entry, what is still missing; the answers join each entry's values. */
async function askMissing(entries: PreparedEntry[], io: BlueprintIo, noInput: boolean): Promise<void> {
  const qualified = entries.flatMap((e) =>
    e.missing.map((spec) => ({
      ...spec,
      name: `${e.entry.name}.${spec.name}`,
      description: `${e.formation}${spec.description ? `: ${spec.description}` : ''}`,
    })),
  );
  if (qualified.length === 0) return;
  if (noInput) throw missingParametersError(qualified, '--no-input forbids prompting', 'supply them with -p ENTRY.KEY=VALUE');
  const answers = await io.prompt(qualified);
  for (const e of entries) {
    const mine = Object.fromEntries(
      e.missing.filter((s) => answers[`${e.entry.name}.${s.name}`] !== undefined).map((s) => [s.name, answers[`${e.entry.name}.${s.name}`]!]),
    );
    if (Object.keys(mine).length > 0) e.values.push({ path: 'prompt', values: mine });
  }
}

/** What a planned step's parameters are, for people: given values first (secrets masked), then references, then the rest. */
function shownParameters(e: PreparedEntry): PlannedParameter[] {
  const given = new Map<string, string>();
  for (const v of e.values) for (const k of Object.keys(v.values)) given.set(k, v.path);
  return e.prepared.resolution.parameters.map((p): PlannedParameter => {
    const name = p.spec.name;
    const reference = e.references.find((r) => r.parameter === name);
    if (reference) return { name, value: null, source: reference.from, reads: reference.text };
    const value = p.value === undefined ? null : p.spec.secret ? MASK : p.value;
    return { name, value, source: given.get(name) ?? (p.value === undefined ? 'unset' : p.origin === 'deployed' ? 'deployed' : 'default') };
  });
}

/** The parameters an update would change on a recorded formation, and whether its cloudlet version moves. */
export async function changesOf(ctx: BlueprintContext, record: FormationRecord, values: ParameterValues[]): Promise<Omit<StepPreview, 'pending'>> {
  const prepared = await prepareFormation(
    ctx.home,
    {
      target: `${record.cloudlet}/${record.scenario}`,
      name: record.name,
      provider: record.provider,
      params: [],
      paramsFiles: [],
      values,
      deployed: record.parameters,
    },
    ctx.registry,
  );
  const parameters: ParameterChange[] = [];
  for (const p of prepared.resolution.parameters) {
    if (p.origin !== 'file' || p.value === undefined) continue;
    const before = record.parameters[p.spec.name];
    if (p.spec.secret) parameters.push({ name: p.spec.name, from: record.secrets.includes(p.spec.name) ? MASK : null, to: MASK, secret: true });
    else if (before !== p.value) parameters.push({ name: p.spec.name, from: before ?? null, to: p.value, secret: false });
  }
  const commit = prepared.cloudlet.record.commit;
  const moved = prepared.manifest.version !== record.version || (commit !== undefined && record.commit !== undefined && commit !== record.commit);
  return { parameters, ...(moved ? { version: { from: record.version, to: prepared.manifest.version } } : {}) };
}

/**
 * The outputs of a formation now, as its provider describes it: what the
 * entries that read them are given.
 */
export async function formationOutputs(ctx: BlueprintContext, formation: string): Promise<Record<string, string>> {
  const record = ctx.store.read(formation);
  if (!record) throw new NephoError('BLUEPRINT_OUTPUT_MISSING', `formation ${formation} does not exist, so it has no outputs to read`);
  const provider = findProvider(ctx.registry, record.provider, `formation ${formation}: provider`);
  return (await provider.describe(refOf(record, ctx.store.dir(formation)), record.options, ctx.env)).outputs;
}

/** A reference's value from the outputs of the formations it reads; a missing output is BLUEPRINT_OUTPUT_MISSING naming both. */
export function fillReference(text: string, from: string, name: string, outputs: (entry: string) => Record<string, string>): string {
  return fillReferences(text, (ref: OutputReference) => {
    const value = outputs(ref.entry)[ref.output];
    if (value === undefined) {
      const has = Object.keys(outputs(ref.entry));
      throw new NephoError(
        'BLUEPRINT_OUTPUT_MISSING',
        `${from}: formation ${formationName(name, ref.entry)} has no output ${ref.output} (its outputs: ${has.join(', ') || 'none'})`,
      );
    }
    return value;
  });
}

/** A formation whose last create, or last destroy, failed: what is left of it goes before it is created again. */
function isLeftOver(record: FormationRecord): boolean {
  const op = record.operation;
  return op !== undefined && op.endedAt !== undefined && op.ok === false && (op.kind === 'create' || op.kind === 'destroy');
}

/** Refuse an entry whose formation runs something else than the entry now says: a formation cannot move. */
function assertSameFormation(e: PreparedEntry, record: FormationRecord, options: ProviderOptions): void {
  const differs = [
    record.cloudlet !== e.target.cloudlet.id ? `cloudlet ${record.cloudlet}, not ${e.target.cloudlet.id}` : '',
    record.scenario !== e.entry.scenario ? `scenario ${record.scenario}, not ${e.entry.scenario}` : '',
    record.provider !== e.target.provider.name ? `provider ${record.provider}, not ${e.target.provider.name}` : '',
    (record.options.region ?? '') !== (options.region ?? '') ? `region ${record.options.region ?? '(default)'}, not ${options.region ?? '(default)'}` : '',
    (record.options.profile ?? '') !== (options.profile ?? '') ? `profile ${record.options.profile ?? '(default)'}, not ${options.profile ?? '(default)'}` : '',
  ].filter((d) => d !== '');
  if (differs.length > 0) {
    throw new NephoError('BLUEPRINT_CHANGED', `formations.${e.entry.name}: formation ${record.name} runs ${differs.join('; ')}`, {
      hint: `a formation cannot move: nepho formation:destroy ${record.name} first, or rename the entry and apply with --prune`,
    });
  }
}

/** A formation with an operation under way (or one whose process died) is left alone. */
async function assertIdle(ctx: BlueprintContext, formation: string, record: FormationRecord | undefined): Promise<void> {
  const busy = await ctx.store.busy(formation);
  if (busy) throw busy;
  if (record?.operation && record.operation.endedAt === undefined) {
    throw new NephoError('FORMATION_BUSY', `formation ${formation}: its ${record.operation.kind} has not ended (${record.status})`, {
      hint: `follow it to its end first: nepho formation:watch ${formation}`,
    });
  }
}

const entryOptions = (entry: BlueprintEntry): ProviderOptions => ({
  ...(entry.profile ? { profile: entry.profile } : {}),
  ...(entry.region ? { region: entry.region } : {}),
});

/**
 * Plan an apply: the blueprint read and checked whole (cycles, unknown
 * entries, outputs, scenarios, providers, parameters), what is missing asked
 * for once, each entry's formation looked at (create what is new, update
 * what exists, destroy and create again what a failed create left), what
 * providers hold under new names turned into questions, entries no longer
 * in the blueprint destroyed with `prune` (else kept), and, when anything
 * but creates is to happen, one question to agree to it all. `dryRun`
 * stops before that question. Nothing is written.
 */
export async function planApply(
  ctx: BlueprintContext,
  request: ApplyRequest,
  io: BlueprintIo,
  how: { dryRun?: boolean } = {},
): Promise<{ plan: BlueprintPlan; view: BlueprintPlanView }> {
  const flags = request.params.map(parseEntryFlag);
  if (!FORMATION_NAME.test(request.name)) {
    throw new NephoError('BAD_BLUEPRINT_NAME', `--name '${excerpt(request.name, 80)}' must start with a letter and use lowercase letters, digits and '-'`);
  }
  const { cloudlet, blueprint: blueprintName } = resolveBlueprintTarget(ctx.home, request.target);
  const blueprint = loadBlueprint(cloudlet.dir, blueprintName);
  const entries = await prepareEntries(ctx, blueprint, cloudlet, request.name, flags);
  const manifestVersion = entries[0]?.prepared.manifest.version ?? '';

  const previous = ctx.blueprints.read(request.name);
  if (previous && (previous.cloudlet !== cloudlet.id || previous.blueprint !== blueprintName)) {
    throw new NephoError('BLUEPRINT_EXISTS', `--name ${request.name}: blueprint ${previous.cloudlet}/${previous.blueprint} is applied under that name`, {
      hint: `choose another --name, or destroy it first: nepho blueprint:destroy ${request.name}`,
    });
  }
  const holder = await ctx.blueprints.holder(request.name);
  if (holder) {
    throw new NephoError('BLUEPRINT_BUSY', `${holder.operation} is already under way (on ${holder.host}, since ${holder.since})`, {
      hint: `follow it: nepho blueprint:watch ${request.name}`,
    });
  }

  const steps = new Map<string, PlannedStep>();
  for (const e of entries) {
    const options = entryOptions(e.entry);
    const record = e.existing;
    await assertIdle(ctx, e.formation, record);
    if (record && !previous?.entries[e.entry.name]) {
      throw new NephoError(
        'BLUEPRINT_EXISTS',
        `formations.${e.entry.name}: a formation named ${e.formation} already exists and is not part of blueprint ${request.name}`,
        {
          hint: `choose another --name, or destroy it first: nepho formation:destroy ${e.formation}`,
        },
      );
    }
    if (record) assertSameFormation(e, record, options);
    steps.set(e.entry.name, {
      entry: e.entry.name,
      formation: e.formation,
      action: !record ? 'create' : isLeftOver(record) ? 'recreate' : 'update',
      cloudlet: e.target.cloudlet.id,
      scenario: e.entry.scenario,
      provider: e.target.provider.name,
      ...(options.region ? { region: options.region } : {}),
      after: e.entry.after,
      options,
      values: e.values,
      references: e.references,
      answers: {},
    });
  }
  await askMissing(entries, io, request.noInput);

  // What can be checked without the providers' side: the provider's checks of every formation whose values are all known.
  for (const e of entries) {
    const step = steps.get(e.entry.name)!;
    const provider = e.target.provider;
    await provider.ready?.(step.options, ctx.env, e.target.scenario.providers[provider.name]);
    if (step.action === 'update' || e.references.length > 0) continue;
    const again = await prepareFormation(
      ctx.home,
      {
        target: `${step.cloudlet}/${step.scenario}`,
        name: step.formation,
        provider: provider.name,
        params: [],
        paramsFiles: [],
        values: step.values,
      },
      ctx.registry,
    );
    const report = await provider.validate(await buildSpec(again, ctx.registry), step.options);
    for (const text of report?.warnings ?? []) io.notify({ kind: 'notice', time: new Date().toISOString(), text: `${step.formation}: ${text}` });
  }

  // Updates: what changes is known now, except where a value reads a formation this apply changes.
  const unchanged = new Set<string>();
  const outputs = new Map<string, Record<string, string>>();
  for (const wave of blueprint.waves) {
    for (const name of wave) {
      const step = steps.get(name)!;
      const e = entries.find((x) => x.entry.name === name)!;
      if (step.action !== 'update') continue;
      const resolved: ParameterValues[] = [];
      const pending: string[] = [];
      for (const r of step.references) {
        const read = referencesIn(r.text).map((ref) => ref.entry);
        if (!read.every((x) => unchanged.has(x))) {
          pending.push(r.parameter);
          continue;
        }
        for (const x of read) if (!outputs.has(x)) outputs.set(x, await formationOutputs(ctx, formationName(request.name, x)));
        resolved.push({ path: r.from, values: { [r.parameter]: fillReference(r.text, r.from, request.name, (x) => outputs.get(x)!) } });
      }
      const changes = await changesOf(ctx, e.existing!, [...step.values, ...resolved]);
      step.preview = { ...changes, pending };
      if (changes.parameters.length === 0 && !changes.version && pending.length === 0) unchanged.add(name);
    }
  }

  // Names the providers already hold (an earlier attempt's stack): one question each, now.
  for (const step of steps.values()) {
    if (step.action !== 'create') continue;
    const provider = findProvider(ctx.registry, step.provider, `formation ${step.formation}: provider`);
    const found = await provider.preflight?.(
      { name: step.formation, dir: ctx.store.dir(step.formation), state: {}, options: step.options },
      step.options,
      ctx.env,
    );
    if (!found || how.dryRun) continue;
    if (found.action === 'refuse') throw new NephoError('FORMATION_CONFLICT', `${step.formation}: ${found.reason}`, found.hint ? { hint: found.hint } : {});
    const question: Question =
      found.action === 'recreate'
        ? { id: 'recreate', text: `${found.reason}. Delete it and create ${step.formation} again?` }
        : { id: 'adopt', text: `${found.reason}. Follow it as formation ${step.formation}?` };
    if (!(await io.confirm(question))) throw new NephoError('CANCELLED', 'cancelled; nothing was changed');
    step.answers[found.action] = true;
  }

  // Entries the blueprint no longer has.
  const now = new Date().toISOString();
  const recorded: Record<string, RecordedEntry> = {};
  const kept: string[] = [];
  const pruned: PlannedStep[] = [];
  for (const [name, old] of Object.entries(previous?.entries ?? {})) {
    if (steps.has(name)) continue;
    const record = ctx.store.read(old.formation);
    if (!record) continue;
    if (!request.prune) {
      kept.push(name);
      recorded[name] = { ...old, removed: true };
      continue;
    }
    await assertIdle(ctx, old.formation, record);
    await findProvider(ctx.registry, record.provider, `formation ${old.formation}: provider`).ready?.(record.options, ctx.env);
    recorded[name] = old;
    pruned.push({
      entry: name,
      formation: old.formation,
      action: 'destroy',
      cloudlet: record.cloudlet,
      scenario: record.scenario,
      provider: record.provider,
      ...(record.options.region ? { region: record.options.region } : {}),
      after: [],
      options: record.options,
      values: [],
      references: [],
      answers: {},
    });
  }
  reverseOrder(pruned, previous?.entries ?? {});
  for (const step of steps.values()) {
    recorded[step.entry] = {
      formation: step.formation,
      cloudlet: step.cloudlet,
      scenario: step.scenario,
      provider: step.provider,
      options: step.options,
      after: step.after,
    };
  }

  const all = [...steps.values(), ...pruned];
  const record: BlueprintRecord = {
    name: request.name,
    cloudlet: cloudlet.id,
    blueprint: blueprintName,
    version: manifestVersion,
    entries: recorded,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  };
  const plan: BlueprintPlan = { kind: 'apply', name: request.name, record, steps: all, parallel: request.parallel, kept };
  const view = planView(blueprint, cloudlet, manifestVersion, request.name, entries, all, unchanged, kept);
  for (const name of kept) {
    io.notify({
      kind: 'notice',
      time: now,
      text: `${formationName(request.name, name)}: entry ${name} is no longer in the blueprint; its formation is kept (apply with --prune to destroy it)`,
    });
  }
  if (!how.dryRun) await agreeToApply(io, plan, unchanged);
  return { plan, view };
}

/** The one question of an apply that changes or destroys what exists; an apply that only creates asks nothing, as create does. */
async function agreeToApply(io: BlueprintIo, plan: BlueprintPlan, unchanged: ReadonlySet<string>): Promise<void> {
  const list = (action: PlannedStep['action']) => plan.steps.filter((s) => s.action === action && !unchanged.has(s.entry)).map((s) => s.formation);
  const parts = [
    list('update').length > 0 ? `update ${list('update').join(', ')} where their values changed` : '',
    list('recreate').length > 0 ? `delete what failed creates left of ${list('recreate').join(', ')} and create them again` : '',
    list('destroy').length > 0 ? `destroy ${list('destroy').join(', ')} (no longer in the blueprint; everything in them will be deleted)` : '',
  ].filter((p) => p !== '');
  if (parts.length === 0) return;
  const creates = list('create');
  const text = `Apply blueprint ${plan.record.cloudlet}/${plan.record.blueprint} as ${plan.name}: ${[...(creates.length > 0 ? [`create ${creates.join(', ')}`] : []), ...parts].join('; ')}?`;
  if (!(await io.confirm({ id: 'apply', text }))) throw new NephoError('CANCELLED', 'cancelled; nothing was changed');
}

/** Destroy steps in reverse: each waits for the steps of the entries that waited for it. */
function reverseOrder(steps: PlannedStep[], recorded: Record<string, RecordedEntry>): void {
  const names = new Set(steps.map((s) => s.entry));
  for (const step of steps) {
    step.after = Object.entries(recorded)
      .filter(([other, e]) => names.has(other) && e.after.includes(step.entry))
      .map(([other]) => other);
  }
}

function planView(
  blueprint: Blueprint,
  cloudlet: CloudletSource,
  version: string,
  name: string,
  entries: PreparedEntry[],
  steps: PlannedStep[],
  unchanged: ReadonlySet<string>,
  kept: string[],
): BlueprintPlanView {
  return {
    name,
    blueprint: `${cloudlet.id}/${blueprint.name}`,
    version,
    file: blueprint.file,
    ...(blueprint.summary ? { summary: blueprint.summary } : {}),
    waves: blueprint.waves,
    steps: steps.map((s) => {
      const e = entries.find((x) => x.entry.name === s.entry);
      return {
        entry: s.entry,
        formation: s.formation,
        action: unchanged.has(s.entry) ? ('unchanged' as const) : s.action,
        cloudlet: s.cloudlet,
        scenario: s.scenario,
        provider: s.provider,
        ...(s.region ? { region: s.region } : {}),
        after: s.after,
        parameters: e ? shownParameters(e) : [],
        ...(s.preview ? { preview: s.preview } : {}),
      };
    }),
    missing: entries.flatMap((e) => e.missing.map((s) => `${e.entry.name}.${s.name}`)),
    kept,
  };
}

/**
 * A blueprint as `blueprint:describe` shows it: its entries in dependency
 * order with what each is made from and its parameters, and the required
 * parameters no value is found for (what apply would ask). Asks nothing,
 * and no provider is called.
 */
export async function describeBlueprint(ctx: BlueprintContext, target: string): Promise<BlueprintPlanView> {
  const { cloudlet, blueprint: blueprintName } = resolveBlueprintTarget(ctx.home, target);
  const blueprint = loadBlueprint(cloudlet.dir, blueprintName);
  const entries = await prepareEntries(ctx, blueprint, cloudlet, undefined, []);
  const steps: PlannedStep[] = entries.map((e) => ({
    entry: e.entry.name,
    formation: e.entry.name,
    action: 'create',
    cloudlet: e.target.cloudlet.id,
    scenario: e.entry.scenario,
    provider: e.target.provider.name,
    ...(e.entry.region ? { region: e.entry.region } : {}),
    after: e.entry.after,
    options: entryOptions(e.entry),
    values: e.values,
    references: e.references,
    answers: {},
  }));
  return planView(blueprint, cloudlet, entries[0]?.prepared.manifest.version ?? '', '', entries, steps, new Set(), []);
}

/**
 * Plan the destroy of an applied blueprint: every formation of it that
 * exists here, each after those that depend on it (reverse dependency
 * order, in parallel where independent), agreed to with one question.
 */
export async function planBlueprintDestroy(ctx: BlueprintContext, request: BlueprintDestroyRequest, io: BlueprintIo): Promise<BlueprintPlan> {
  const record = requireBlueprint(ctx, request.name);
  const holder = await ctx.blueprints.holder(request.name);
  if (holder) {
    throw new NephoError('BLUEPRINT_BUSY', `${holder.operation} is already under way (on ${holder.host}, since ${holder.since})`, {
      hint: `follow it: nepho blueprint:watch ${request.name}`,
    });
  }
  const steps: PlannedStep[] = [];
  for (const [entry, e] of Object.entries(record.entries)) {
    const formation = ctx.store.read(e.formation);
    if (!formation) {
      io.notify({ kind: 'notice', time: new Date().toISOString(), text: `${e.formation}: not here (never created, or already destroyed)` });
      continue;
    }
    await assertIdle(ctx, e.formation, formation);
    await findProvider(ctx.registry, formation.provider, `formation ${e.formation}: provider`).ready?.(formation.options, ctx.env);
    steps.push({
      entry,
      formation: e.formation,
      action: 'destroy',
      cloudlet: formation.cloudlet,
      scenario: formation.scenario,
      provider: formation.provider,
      ...(formation.options.region ? { region: formation.options.region } : {}),
      after: [],
      options: formation.options,
      values: [],
      references: [],
      answers: {},
    });
  }
  reverseOrder(steps, record.entries);
  if (steps.length > 0) {
    const text = `Destroy blueprint ${request.name} (${record.cloudlet}/${record.blueprint}): formations ${steps.map((s) => s.formation).join(', ')}? Everything in them will be deleted.`;
    if (!(await io.confirm({ id: 'destroy', text }))) throw new NephoError('CANCELLED', 'cancelled; nothing was changed');
  }
  return { kind: 'destroy', name: request.name, record, steps, parallel: request.parallel, kept: [] };
}

/** The record of the blueprint applied under `name`, or BLUEPRINT_NOT_APPLIED. */
export function requireBlueprint(ctx: BlueprintContext, name: string): BlueprintRecord {
  const record = ctx.blueprints.read(name);
  if (!record) throw new NephoError('BLUEPRINT_NOT_APPLIED', `no blueprint is applied under the name '${name}' on this machine`);
  return record;
}
