/**
 * Carrying out a planned blueprint operation: each formation's operation as
 * soon as the formations it waits for have succeeded, up to `parallel` at
 * once, through the operation engine's own plan, claim and carry (so each
 * formation has its journal and lock as when it is created alone). A failed
 * step skips the steps that wait for it; the others go on.
 */
import { hostname, userInfo } from 'node:os';
import { NephoError } from '../errors.js';
import type { Lock } from '../fs.js';
import type { ParameterValues } from '../formations/plan.js';
import { errorEntry, abandonPlan, carryOperation, claimOperation } from '../operations/execute.js';
import { planCreate, planDestroy, planUpdate } from '../operations/plan.js';
import type { OperationIo, OperationPlan, OperationResult } from '../operations/types.js';
import { missingParametersError } from '../scenarios/resolve.js';
import { referencesIn } from './format.js';
import { changesOf, fillReference, formationOutputs } from './plan.js';
import type { BlueprintContext, BlueprintIo, BlueprintJournalEntry, BlueprintPlan, BlueprintResult, PlannedStep, StepResult, StepView } from './types.js';
import type { WithoutTime } from '../formations/journal.js';

/** Take the blueprint's operation lock for a planned operation: one apply or destroy of it at a time. */
export async function claimBlueprint(ctx: BlueprintContext, plan: BlueprintPlan): Promise<Lock> {
  return ctx.blueprints.lock(plan.name, `${plan.kind === 'apply' ? 'applying' : 'destroying'} blueprint ${plan.name}`);
}

/** A step as the journal shows it. */
export function stepView(step: PlannedStep): StepView {
  return {
    entry: step.entry,
    formation: step.formation,
    action: step.action,
    cloudlet: step.cloudlet,
    scenario: step.scenario,
    provider: step.provider,
    ...(step.region ? { region: step.region } : {}),
    after: step.after,
  };
}

function userName(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.LOGNAME ?? 'unknown';
  }
}

/** Run a planned operation of the engine on one formation: claimed (a refused claim drops what planning left), carried, released. */
async function carry(ctx: BlueprintContext, plan: OperationPlan, io: OperationIo): Promise<OperationResult> {
  const lock = await claimOperation(ctx, plan).catch(async (error: unknown) => {
    await abandonPlan(ctx, plan);
    throw error;
  });
  try {
    return await carryOperation(ctx, plan, io);
  } finally {
    await lock.release();
  }
}

const DONE = { create: 'created', recreate: 'created', update: 'updated', destroy: 'destroyed' } as const;

/** How one engine operation ended, as the step's result. */
function stepResult(step: PlannedStep, result: OperationResult): StepResult {
  const base = { entry: step.entry, formation: step.formation, action: step.action };
  switch (result.outcome) {
    case 'succeeded':
      return { ...base, outcome: DONE[step.action], status: result.status };
    case 'unchanged':
      return { ...base, outcome: 'unchanged' };
    case 'failed':
      return { ...base, outcome: 'failed', status: result.status, reason: result.failures[0]?.reason ?? `${result.kind} ended in ${result.status}` };
    case 'errored':
      return { ...base, outcome: 'failed', reason: `${result.error.message} [${result.error.code}]` };
    default:
      return { ...base, outcome: 'failed', reason: `the ${result.kind} did not end here` };
  }
}

/**
 * Carry a claimed blueprint operation to its end, journaling it in the
 * blueprint's journal and telling the host as it goes. Never throws: a step
 * that fails is a failed step; a run that breaks off ends the journal with
 * `abort` and comes back as data.
 */
export async function carryBlueprint(ctx: BlueprintContext, plan: BlueprintPlan, io: BlueprintIo): Promise<BlueprintResult> {
  const say = (entry: WithoutTime<BlueprintJournalEntry>) => {
    const full = ctx.blueprints.append(plan.name, entry);
    io.notify(full);
    return full;
  };
  const started = Date.now();
  try {
    ctx.blueprints.write(plan.record);
    say({
      kind: 'begin',
      operation: plan.kind,
      pid: process.pid,
      host: hostname(),
      by: `${userName(ctx.env)}@${hostname()}`,
      ...(plan.kind === 'apply' ? { blueprint: `${plan.record.cloudlet}/${plan.record.blueprint}`, version: plan.record.version } : {}),
      steps: plan.steps.map(stepView),
      kept: plan.kept,
    });
    const results = await schedule(plan, (step) => runStep(ctx, plan, step, say), say);
    const ok = results.every((r) => r.outcome !== 'failed' && r.outcome !== 'skipped');
    const left = ctx.blueprints.read(plan.name);
    if (plan.kind === 'destroy' && left && Object.keys(left.entries).length === 0) await ctx.blueprints.remove(plan.name);
    // One reading of the clock: what a watcher rebuilds from the journal is exactly what this returns.
    const took = Date.now() - started;
    say({ kind: 'finish', operation: plan.kind, ok, steps: results, took });
    return { outcome: ok ? 'succeeded' : 'failed', kind: plan.kind, name: plan.name, steps: results, took };
  } catch (error) {
    const e = errorEntry(error);
    try {
      say({ kind: 'abort', operation: plan.kind, ...e });
    } catch {
      /* the journal itself cannot be written: the result still says why */
    }
    return { outcome: 'errored', kind: plan.kind, name: plan.name, error: e };
  }
}

/**
 * Start each step once every step it waits for has succeeded, keeping at
 * most `parallel` under way; a step waiting for one that failed or was
 * skipped is skipped, saying which. Results come back in the plan's order.
 */
async function schedule(
  plan: BlueprintPlan,
  run: (step: PlannedStep) => Promise<StepResult>,
  say: (entry: WithoutTime<BlueprintJournalEntry>) => unknown,
): Promise<StepResult[]> {
  const results = new Map<string, StepResult>();
  const running = new Map<string, Promise<void>>();
  let waiting = [...plan.steps];
  const planned = new Set(plan.steps.map((s) => s.entry));
  for (;;) {
    for (const step of [...waiting]) {
      const blocked = step.after
        .filter((d) => planned.has(d))
        .map((d) => results.get(d))
        .find((r) => r && (r.outcome === 'failed' || r.outcome === 'skipped'));
      if (blocked) {
        const result: StepResult = {
          entry: step.entry,
          formation: step.formation,
          action: step.action,
          outcome: 'skipped',
          reason: `${blocked.formation} ${blocked.outcome === 'failed' ? 'failed' : 'was skipped'}`,
        };
        results.set(step.entry, result);
        say({ kind: 'step-end', ...result });
        waiting = waiting.filter((s) => s !== step);
        continue;
      }
      const ready = step.after.every((d) => !planned.has(d) || results.has(d));
      if (!ready || running.size >= Math.max(1, plan.parallel)) continue;
      waiting = waiting.filter((s) => s !== step);
      running.set(
        step.entry,
        run(step).then((result) => {
          results.set(step.entry, result);
          running.delete(step.entry);
        }),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  return plan.steps.map((s) => results.get(s.entry)!);
}

/** One step, from its start to its result in the journal; a refusal on the way (the engine's, a reference's) is a failed step. */
async function runStep(
  ctx: BlueprintContext,
  plan: BlueprintPlan,
  step: PlannedStep,
  say: (entry: WithoutTime<BlueprintJournalEntry>) => unknown,
): Promise<StepResult> {
  say({ kind: 'step-start', entry: step.entry, formation: step.formation, action: step.action });
  const io = stepIo(step, say);
  let result: StepResult;
  try {
    result = await carryStep(ctx, plan, step, io);
  } catch (error) {
    const e = errorEntry(error);
    result = { entry: step.entry, formation: step.formation, action: step.action, outcome: 'failed', reason: `${e.message} [${e.code}]` };
  }
  if (step.action === 'destroy' && result.outcome === 'destroyed') {
    const record = ctx.blueprints.read(plan.name);
    if (record) {
      delete record.entries[step.entry];
      ctx.blueprints.write(record);
    }
  }
  say({ kind: 'step-end', ...result });
  return result;
}

/**
 * The engine's IO port for one step: what the formation's operation tells
 * goes to the blueprint's journal; questions are answered from what was
 * decided before the start (a step planned as an update, destroy or
 * re-create was agreed to); nothing can be asked.
 */
function stepIo(step: PlannedStep, say: (entry: WithoutTime<BlueprintJournalEntry>) => unknown): OperationIo {
  const agreed: Record<string, boolean> = { update: step.action === 'update', destroy: step.action === 'destroy' || step.action === 'recreate' };
  return {
    notify: (message) => void say({ kind: 'formation', entry: step.entry, formation: step.formation, message }),
    async confirm(question) {
      const answer = step.answers[question.id] ?? agreed[question.id];
      if (answer !== undefined) return answer;
      throw new NephoError('CONFIRMATION_REQUIRED', `${step.formation}: ${question.text} It came up after the blueprint started, so nobody was asked`, {
        hint: 'apply the blueprint again: it asks before it starts',
      });
    },
    async prompt(parameters) {
      throw missingParametersError(parameters, 'a blueprint asks for every value before it starts');
    },
  };
}

/** Read the outputs a step's references need (each formation described once per run) and add the values they make. */
async function resolvedValues(ctx: BlueprintContext, plan: BlueprintPlan, step: PlannedStep): Promise<ParameterValues[]> {
  const outputs = new Map<string, Record<string, string>>();
  const resolved: ParameterValues[] = [];
  for (const r of step.references) {
    for (const { entry } of referencesIn(r.text)) {
      if (!outputs.has(entry)) outputs.set(entry, await formationOutputs(ctx, plan.record.entries[entry]?.formation ?? `${plan.name}-${entry}`));
    }
    resolved.push({ path: `${r.from} (${r.text})`, values: { [r.parameter]: fillReference(r.text, r.from, plan.name, (entry) => outputs.get(entry)!) } });
  }
  return [...step.values, ...resolved];
}

/** What a step does, through the engine: plan, claim, carry. */
async function carryStep(ctx: BlueprintContext, plan: BlueprintPlan, step: PlannedStep, io: OperationIo): Promise<StepResult> {
  const { formation } = step;
  if (step.action === 'destroy') {
    return stepResult(step, await carry(ctx, await planDestroy(ctx, { kind: 'destroy', name: formation, options: step.options }, io), io));
  }
  const values = await resolvedValues(ctx, plan, step);
  if (step.action === 'update') {
    const record = ctx.store.read(formation);
    if (!record)
      throw new NephoError('FORMATION_NOT_FOUND', `formation ${formation} is no longer recorded here`, { hint: 'apply the blueprint again to create it' });
    const changes = await changesOf(ctx, record, values);
    if (changes.parameters.length === 0 && !changes.version)
      return { entry: step.entry, formation, action: step.action, outcome: 'unchanged', status: record.status };
    // The engine's preview decides in the end: values that differ may still change nothing at the provider.
    const { plan: update } = await planUpdate(
      ctx,
      { kind: 'update', name: formation, params: [], paramsFiles: [], values, noInput: true, dryRun: false, options: {} },
      io,
    );
    if (!update) return { entry: step.entry, formation, action: step.action, outcome: 'unchanged', status: record.status };
    return stepResult(step, await carry(ctx, update, io));
  }
  if (step.action === 'recreate' && ctx.store.read(formation)) {
    const cleared = await carry(ctx, await planDestroy(ctx, { kind: 'destroy', name: formation, options: step.options }, io), io);
    if (cleared.outcome !== 'succeeded')
      return { ...stepResult(step, cleared), reason: `deleting what the failed create left: ${stepResult(step, cleared).reason ?? cleared.outcome}` };
  }
  const create = await planCreate(
    ctx,
    {
      kind: 'create',
      target: `${step.cloudlet}/${step.scenario}`,
      name: formation,
      provider: step.provider,
      params: [],
      paramsFiles: [],
      values,
      noInput: true,
      options: step.options,
    },
    io,
  );
  return stepResult(step, await carry(ctx, create, io));
}
