import { findInstalled } from '../cloudlets/installed.js';
import { NephoError } from '../errors.js';
import { describePlan, prepareFormation, type FormationRequest, type PreparedFormation } from '../formations/plan.js';
import { formationNotFound, refOf, type FormationRecord } from '../formations/records.js';
import { buildSpec, newRecord } from '../formations/spec.js';
import { checkIdentityFile, checkSshUser } from '../formations/ssh.js';
import { findProvider } from '../plugins.js';
import type { FormationSpec, Provider, ProviderOptions, ValidationReport } from '../providers/types.js';
import { MASK, type ParameterValue } from '../scenarios/parameters.js';
import { applyAnswers, missingParametersError } from '../scenarios/resolve.js';
import { findFormation } from './inventory.js';
import type {
  CreateRequest,
  DestroyRequest,
  DryRun,
  EngineContext,
  OperationIo,
  OperationPlan,
  ParameterChange,
  ProvisionRequest,
  Question,
  UpdateRequest,
  UpdateSummary,
} from './types.js';

/**
 * A formation name already taken on this machine: checked before asking
 * anything (saying what runs on it, when something does) and again under the lock.
 */
export async function assertNameAvailable(ctx: EngineContext, name: string): Promise<void> {
  const busy = await ctx.store.busy(name);
  if (busy) throw busy;
  assertNameFree(ctx, name);
}

/** A formation name already taken on this machine. */
export function assertNameFree(ctx: EngineContext, name: string): void {
  const existing = ctx.store.read(name);
  if (existing) {
    throw new NephoError(
      'FORMATION_EXISTS',
      `a formation named '${name}' already exists (${existing.status}, from ${existing.cloudlet}/${existing.scenario})`,
      {
        hint: `choose another --name, or destroy it first: nepho formation:destroy ${name}`,
      },
    );
  }
}

/** The provider's checks of a spec; what they warn of is told to the host. */
async function validated(provider: Provider, spec: FormationSpec, options: ProviderOptions, io: OperationIo, thorough = false): Promise<ValidationReport> {
  const report = (await provider.validate(spec, options, { thorough })) ?? { checks: [], warnings: [] };
  for (const text of report.warnings) io.notify({ kind: 'warning', time: new Date().toISOString(), text });
  return report;
}

/** Ask, and end the operation when the answer is no. */
async function agree(io: OperationIo, question: Question): Promise<void> {
  if (!(await io.confirm(question))) throw new NephoError('CANCELLED', 'cancelled; nothing was changed');
}

/**
 * Resolve a create request as far as the provider's checks: parameters from
 * every source, then the ones still missing from the host (`prompt`); the
 * spec and bootstrap rendered; the provider's `validate`. Nothing is written.
 */
export async function prepareCreate(
  ctx: EngineContext,
  request: CreateRequest,
  io: OperationIo,
  thorough = false,
): Promise<{ prepared: PreparedFormation; plan: Extract<OperationPlan, { kind: 'create' }>; report: ValidationReport }> {
  const prepared = await prepareFormation(
    ctx.home,
    {
      target: request.target,
      params: request.params,
      paramsFiles: request.paramsFiles,
      ...(request.values === undefined ? {} : { values: request.values }),
      ...(request.name === undefined ? {} : { name: request.name }),
      ...(request.provider === undefined ? {} : { provider: request.provider }),
    },
    ctx.registry,
  );
  if (prepared.resolution.missing.length > 0) {
    if (request.noInput) throw missingParametersError(prepared.resolution.missing, '--no-input forbids prompting');
    prepared.resolution = applyAnswers(prepared.resolution, await io.prompt(prepared.resolution.missing));
  }
  const spec = await buildSpec(prepared, ctx.registry);
  const report = await validated(prepared.provider, spec, request.options, io, thorough);
  return { prepared, plan: { kind: 'create', record: newRecord(prepared, spec, request.options), spec }, report };
}

/**
 * Plan a create to the end: prepared and validated, the name free here, and
 * what the provider already holds under it (`preflight`) turned into one
 * question, or an error when nothing can be done about it.
 */
export async function planCreate(ctx: EngineContext, request: CreateRequest, io: OperationIo): Promise<OperationPlan> {
  if (request.name !== undefined) await assertNameAvailable(ctx, request.name);
  const { prepared, plan } = await prepareCreate(ctx, request, io);
  await assertNameAvailable(ctx, plan.record.name);
  await prepared.provider.ready?.(request.options, ctx.env, plan.spec.settings);
  const found = await prepared.provider.preflight?.(
    { name: plan.record.name, dir: ctx.store.dir(plan.record.name), state: {}, options: request.options },
    request.options,
    ctx.env,
  );
  if (!found) return plan;
  if (found.action === 'refuse') throw new NephoError('FORMATION_CONFLICT', found.reason, found.hint ? { hint: found.hint } : {});
  await agree(
    io,
    found.action === 'recreate'
      ? { id: 'recreate', text: `${found.reason}. Delete it and create ${plan.record.name} again?` }
      : { id: 'adopt', text: `${found.reason}. Follow it as formation ${plan.record.name}?` },
  );
  return { ...plan, existing: { ...found, action: found.action } };
}

/** What create would do, without doing it: the plan as people read it and the files the provider would send or write. */
export async function dryRunCreate(ctx: EngineContext, request: CreateRequest, io: OperationIo): Promise<DryRun> {
  const { prepared, plan, report } = await prepareCreate(ctx, request, io, true);
  return { plan: describePlan(prepared), files: await prepared.provider.render(plan.spec, request.options), checks: report.checks, warnings: report.warnings };
}

/** Plan a destroy: the formation found (here, or at a provider by its tags) and the user's agreement. */
export async function planDestroy(ctx: EngineContext, request: DestroyRequest, io: OperationIo): Promise<OperationPlan> {
  const record: FormationRecord = await findFormation(ctx, request.name, request.options);
  // Refused before anything is asked or said: another operation holds the formation.
  const busy = await ctx.store.busy(record.name);
  if (busy) throw busy;
  const provider = findProvider(ctx.registry, record.provider, `formation ${record.name}: provider`);
  await provider.ready?.(record.options, ctx.env);
  // A formation that never came up (its create failed before the provider made anything) is said to be one.
  const state = await provider.describe(refOf(record, ctx.store.dir(record.name)), record.options, ctx.env).catch(() => undefined);
  const absent = state !== undefined && !state.exists;
  const text = absent
    ? `Formation ${record.name} (${record.cloudlet}, scenario ${record.scenario}) never came up, or is already gone at ${record.provider}. Remove what is left of it?`
    : `Destroy formation ${record.name} (${record.cloudlet}, scenario ${record.scenario}, ${record.provider})? Everything in it will be deleted.`;
  await agree(io, { id: 'destroy', text });
  if (absent)
    io.notify({
      kind: 'notice',
      time: new Date().toISOString(),
      text: `${record.provider} has nothing of ${record.name} (${state.status}): removing what nepho kept of it`,
    });
  return { kind: 'destroy', record };
}

/** Whether a value was given for this operation (a file, a flag, a prompt) rather than found (a default, a saved or deployed value). */
export const given = (origin: string | undefined) => origin === 'file' || origin === 'flag' || origin === 'prompt';

/** The formation to change: recorded here, idle, its provider known. */
async function recordToChange(ctx: EngineContext, name: string): Promise<{ record: FormationRecord; provider: Provider }> {
  ctx.store.dir(name); // checks the name
  const record = ctx.store.read(name);
  if (!record) throw formationNotFound(name, 'on this machine');
  const busy = await ctx.store.busy(name);
  if (busy) throw busy;
  if (record.operation && record.operation.endedAt === undefined) {
    throw new NephoError('FORMATION_BUSY', `formation ${name}: its ${record.operation.kind} has not ended (${record.status})`, {
      hint: `follow it to its end first: nepho formation:watch ${name}`,
    });
  }
  const provider = findProvider(ctx.registry, record.provider, `formation ${name}: provider`);
  await provider.ready?.(record.options, ctx.env);
  return { record, provider };
}

/** What an update's parameters are resolved from: the formation as it was deployed. */
export type Deployed = Pick<FormationRecord, 'name' | 'cloudlet' | 'scenario' | 'provider' | 'parameters' | 'secrets'>;

/**
 * An update's parameters, resolved against the cloudlet installed here:
 * the deployed answers overridden by the request's values; a secret
 * deployed before and not given again is `kept` (the provider keeps its
 * value, even where a default would apply); a parameter the new version
 * adds is asked for through `io.prompt` (refused with --no-input).
 * `declared`: every parameter the new version has.
 */
export async function resolveUpdate(
  ctx: EngineContext,
  record: Deployed,
  request: UpdateRequest,
  io: OperationIo,
): Promise<{ prepared: PreparedFormation; kept: Set<string>; declared: Set<string> }> {
  const prepared = await prepareDeployed(ctx, record, request);
  const declared = new Set(prepared.resolution.parameters.map((p) => p.spec.name));
  // A secret deployed before and not given again keeps its value at the provider, even where a default would apply.
  const kept = new Set(
    prepared.resolution.parameters.filter((p) => p.spec.secret && record.secrets.includes(p.spec.name) && !given(p.origin)).map((p) => p.spec.name),
  );
  const missing = prepared.resolution.missing.filter((s) => !kept.has(s.name));
  if (missing.length > 0) {
    if (request.noInput) throw missingParametersError(missing, '--no-input forbids prompting');
    prepared.resolution = applyAnswers(prepared.resolution, await io.prompt(missing));
  }
  return { prepared, kept, declared };
}

const shownValue = (value: ParameterValue | undefined, secret: boolean): ParameterValue | null => (value === undefined ? null : secret ? MASK : value);

/**
 * Plan an update: the installed cloudlet rendered again with the answers
 * the formation was deployed with, overridden by the request's values; a
 * parameter the new version adds is asked for, one it removes is dropped,
 * a secret not given again is kept by the provider. The provider previews
 * it; the host is shown the preview and asked (unless it is empty or a dry
 * run, when the preview is discarded at once and no plan is returned).
 */
export async function planUpdate(ctx: EngineContext, request: UpdateRequest, io: OperationIo): Promise<{ plan?: OperationPlan; summary: UpdateSummary }> {
  const { record, provider } = await recordToChange(ctx, request.name);
  if (!provider.preview || !provider.update) {
    throw new NephoError('UPDATE_UNSUPPORTED', `formation ${record.name}: provider ${provider.name} cannot update formations`, {
      hint: `destroy it and create it again: nepho formation:destroy ${record.name}`,
    });
  }
  if (!findInstalled(ctx.home, record.cloudlet)) {
    throw new NephoError('CLOUDLET_NOT_INSTALLED', `formation ${record.name}: its cloudlet ${record.cloudlet} is no longer installed`, {
      hint: `install it again: nepho cloudlet:install ${record.cloudlet}`,
    });
  }
  const { prepared, kept, declared } = await resolveUpdate(ctx, record, request, io);
  const spec = await buildSpec(prepared, ctx.registry, kept);
  await validated(provider, spec, record.options, io);

  const next = newRecord(prepared, spec, record.options);
  const dropped = [...Object.keys(record.parameters), ...record.secrets].filter((name) => !declared.has(name));
  for (const name of dropped)
    io.notify({ kind: 'notice', time: new Date().toISOString(), text: `${name}: the cloudlet's ${next.version} no longer has this parameter; it is dropped` });
  const parameters: ParameterChange[] = [];
  for (const p of prepared.resolution.parameters) {
    const name = p.spec.name;
    const secret = p.spec.secret;
    const before = secret ? (record.secrets.includes(name) ? MASK : undefined) : record.parameters[name];
    if (kept.has(name) || (!secret && before === p.value) || (secret && p.value === undefined)) continue;
    parameters.push({ name, from: shownValue(before, false), to: shownValue(p.value, secret), secret });
  }
  const ref = refOf(record, ctx.store.dir(record.name));
  const preview = await provider.preview(ref, spec, record.options, ctx.env);
  const summary: UpdateSummary = {
    name: record.name,
    provider: provider.name,
    version: { from: record.version, to: next.version },
    parameters,
    dropped,
    changes: preview.changes,
    ...(preview.diff ? { diff: preview.diff } : {}),
    empty: preview.empty,
  };
  io.notify({ kind: 'preview', time: new Date().toISOString(), summary });
  const discard = () => provider.discard?.(ref, preview, record.options, ctx.env);
  if (preview.empty || request.dryRun) {
    await discard();
    return { summary };
  }
  try {
    await agree(io, { id: 'update', text: `Apply these changes to formation ${record.name}?` });
  } catch (error) {
    await discard();
    throw error;
  }
  return { plan: { kind: 'update', record, next, spec, preview, summary }, summary };
}

/**
 * A deployed formation's cloudlet and scenario prepared again as installed
 * now, its recorded values below what is given this time (update, provision).
 */
function prepareDeployed(ctx: EngineContext, record: Deployed, given: Pick<FormationRequest, 'params' | 'paramsFiles' | 'values'>): Promise<PreparedFormation> {
  return prepareFormation(
    ctx.home,
    {
      target: `${record.cloudlet}/${record.scenario}`,
      name: record.name,
      provider: record.provider,
      params: given.params,
      paramsFiles: given.paramsFiles,
      deployed: record.parameters,
      ...(given.values === undefined ? {} : { values: given.values }),
    },
    ctx.registry,
  );
}

/**
 * Plan a provisioning run: the scenario's bootstrap rendered again from the
 * installed cloudlet with the formation's recorded values. Secret values are
 * never recorded: only those given with `-p` reach this run.
 */
export async function planProvision(ctx: EngineContext, request: ProvisionRequest, io: OperationIo): Promise<OperationPlan> {
  const { record } = await recordToChange(ctx, request.name);
  const prepared = await prepareDeployed(ctx, record, { params: request.params, paramsFiles: [] });
  if (!prepared.scenario.provisioner) {
    throw new NephoError('NO_PROVISIONER', `formation ${record.name}: scenario ${record.scenario} of ${record.cloudlet} has no provisioner to run`);
  }
  // Secrets are never kept: a run has only those given now, whatever a default says.
  const missingSecrets = prepared.resolution.parameters.filter((p) => p.spec.secret && !given(p.origin)).map((p) => p.spec.name);
  if (missingSecrets.length > 0) {
    io.notify({
      kind: 'notice',
      time: new Date().toISOString(),
      text: `secret parameters are not kept, so this run goes without ${missingSecrets.join(', ')} (give them with -p NAME=VALUE)`,
    });
  }
  const identityFile = request.identity === undefined ? undefined : checkIdentityFile(request.identity);
  const user = request.user === undefined ? undefined : checkSshUser(record.name, '--user', request.user);
  const spec = await buildSpec({ ...prepared, resolution: { ...prepared.resolution, missing: [] } }, ctx.registry, new Set(missingSecrets));
  return { kind: 'provision', record, spec, ...(identityFile ? { identityFile } : {}), ...(user ? { user } : {}) };
}
