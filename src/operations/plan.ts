import { findFormation } from './inventory.js';
import { describePlan, prepareFormation, type PreparedFormation } from '../formations/plan.js';
import { buildSpec, newRecord } from '../formations/spec.js';
import { NephoError } from '../errors.js';
import { findProvider } from '../plugins.js';
import type { FormationRecord } from '../formations/records.js';
import { applyAnswers, missingParametersError } from '../scenarios/resolve.js';
import type { CreateRequest, DestroyRequest, DryRun, EngineContext, OperationIo, OperationPlan, Question } from './types.js';

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
    throw new NephoError('FORMATION_EXISTS', `a formation named '${name}' already exists (${existing.status}, from ${existing.cloudlet}/${existing.scenario})`, {
      hint: `choose another --name, or destroy it first: nepho formation:destroy ${name}`,
    });
  }
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
async function prepareCreate(ctx: EngineContext, request: CreateRequest, io: OperationIo): Promise<{ prepared: PreparedFormation; plan: Extract<OperationPlan, { kind: 'create' }> }> {
  const prepared = await prepareFormation(ctx.home, {
    target: request.target, params: request.params, paramsFiles: request.paramsFiles,
    ...(request.name === undefined ? {} : { name: request.name }),
    ...(request.provider === undefined ? {} : { provider: request.provider }),
  }, ctx.registry);
  if (prepared.resolution.missing.length > 0) {
    if (request.noInput) throw missingParametersError(prepared.resolution.missing, '--no-input forbids prompting');
    prepared.resolution = applyAnswers(prepared.resolution, await io.prompt(prepared.resolution.missing));
  }
  const spec = await buildSpec(prepared, ctx.registry);
  await prepared.provider.validate(spec, request.options);
  return { prepared, plan: { kind: 'create', record: newRecord(prepared, spec, request.options), spec } };
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
  const found = await prepared.provider.preflight?.({ name: plan.record.name, dir: ctx.store.dir(plan.record.name), state: {}, options: request.options }, request.options, ctx.env);
  if (!found) return plan;
  if (found.action === 'refuse') throw new NephoError('FORMATION_CONFLICT', found.reason, found.hint ? { hint: found.hint } : {});
  await agree(io, found.action === 'recreate'
    ? { id: 'recreate', text: `${found.reason}. Delete it and create ${plan.record.name} again?` }
    : { id: 'adopt', text: `${found.reason}. Follow it as formation ${plan.record.name}?` });
  return { ...plan, existing: { ...found, action: found.action } };
}

/** What create would do, without doing it: the plan as people read it and the files the provider would send or write. */
export async function dryRunCreate(ctx: EngineContext, request: CreateRequest, io: OperationIo): Promise<DryRun> {
  const { prepared, plan } = await prepareCreate(ctx, request, io);
  return { plan: describePlan(prepared), files: await prepared.provider.render(plan.spec, request.options) };
}

/** Plan a destroy: the formation found (here, or at a provider by its tags) and the user's agreement. */
export async function planDestroy(ctx: EngineContext, request: DestroyRequest, io: OperationIo): Promise<OperationPlan> {
  const record: FormationRecord = await findFormation(ctx.home, ctx.registry, request.name, request.options, ctx.env);
  findProvider(ctx.registry, record.provider, `formation ${record.name}: provider`);
  await agree(io, { id: 'destroy', text: `Destroy formation ${record.name} (${record.cloudlet}, scenario ${record.scenario}, ${record.provider})? Everything in it will be deleted.` });
  return { kind: 'destroy', record };
}
