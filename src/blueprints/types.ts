import type { ErrorCode } from '../errors.js';
import type { ParameterValues } from '../formations/plan.js';
import type { EngineContext, OperationMessage, ParameterChange, Question } from '../operations/types.js';
import type { ProviderOptions } from '../providers/types.js';
import type { ParameterSpec, ParameterValue } from '../scenarios/parameters.js';
import type { BlueprintStore } from './store.js';

/** What a blueprint operation works with: the engine's context and where blueprints keep their records and journals. */
export interface BlueprintContext extends EngineContext {
  blueprints: BlueprintStore;
}

/** A request to apply a cloudlet's blueprint under a name, as the command line parses it. */
export interface ApplyRequest {
  kind: 'apply';
  /** `CLOUDLET/BLUEPRINT`. */
  target: string;
  /** The name it is applied under: its formations are `NAME-ENTRY`. */
  name: string;
  /** `-p ENTRY.KEY=VALUE`, in order. */
  params: string[];
  /** Fail naming missing parameters instead of asking for them. */
  noInput: boolean;
  /** Destroy the formations of entries the blueprint no longer has. */
  prune: boolean;
  /** How many formations may be under way at once. */
  parallel: number;
}

/** A request to destroy every formation of an applied blueprint. */
export interface BlueprintDestroyRequest {
  kind: 'destroy';
  name: string;
  parallel: number;
}

/** What a step does to its formation. `recreate`: destroy what a failed create left, then create. */
export type StepAction = 'create' | 'recreate' | 'update' | 'destroy';

/** A step as the journal and the host see it: nothing secret. */
export interface StepView {
  entry: string;
  formation: string;
  action: StepAction;
  cloudlet: string;
  scenario: string;
  provider: string;
  region?: string;
  /** The entries whose steps must have succeeded first. */
  after: string[];
}

/** What is known before the start of an update step's changes. */
export interface StepPreview {
  /** Parameter values that change (secrets masked). */
  parameters: ParameterChange[];
  /** The cloudlet version deployed, and the one the update deploys, when they differ. */
  version?: { from: string; to: string };
  /** Parameters read from outputs of formations this apply changes: known only when the step's turn comes. */
  pending: string[];
}

/**
 * One step of a planned blueprint operation. It is plain data that travels
 * to the nanny; `values` may carry secret values, which travel in memory only.
 */
export interface PlannedStep extends StepView {
  options: ProviderOptions;
  /** Values given for the formation, lowest first: the blueprint's, `-p ENTRY.KEY`, answers to prompts. */
  values: ParameterValues[];
  /** Parameters whose values read other formations' outputs, filled in when the step's turn comes. */
  references: { parameter: string; text: string; from: string }[];
  /** Answers to the engine's questions, decided before the start (`recreate`, `adopt`: what the provider holds under the name). */
  answers: Record<string, boolean>;
  /** For an update: what is known now of what changes. */
  preview?: StepPreview;
}

/** One formation a blueprint record holds. */
export interface RecordedEntry {
  formation: string;
  cloudlet: string;
  scenario: string;
  provider: string;
  options: ProviderOptions;
  /** The entries it waits for (and that its destroy must wait for in reverse). */
  after: string[];
  /** No longer in the blueprint; kept because the apply had no --prune. */
  removed?: boolean;
}

/** What this machine knows of an applied blueprint: where it came from and which formations belong to it. */
export interface BlueprintRecord {
  /** The name it was applied under. */
  name: string;
  /** `owner/name` of the cloudlet, and the blueprint's name in it. */
  cloudlet: string;
  blueprint: string;
  /** The cloudlet version last applied. */
  version: string;
  entries: Record<string, RecordedEntry>;
  createdAt: string;
  updatedAt: string;
}

/** A planned blueprint operation: every question answered, ready for the nanny. */
export interface BlueprintPlan {
  kind: 'apply' | 'destroy';
  name: string;
  /** The record as it is once the operation starts. */
  record: BlueprintRecord;
  steps: PlannedStep[];
  parallel: number;
  /** Entries no longer in the blueprint whose formations are kept (no --prune). */
  kept: string[];
}

/** How one step ended. */
export type StepOutcome = 'created' | 'updated' | 'unchanged' | 'destroyed' | 'failed' | 'skipped';

/** One step's result, for the summary table. */
export interface StepResult {
  entry: string;
  formation: string;
  action: StepAction;
  outcome: StepOutcome;
  /** The formation's status as its provider last reported it. */
  status?: string;
  /** Why it failed or was skipped. */
  reason?: string;
}

/**
 * One line of a blueprint's journal (`$NEPHO_HOME/blueprints/NAME/journal.jsonl`).
 * Each operation starts with `begin` and ends with `finish` (every step
 * ended) or `abort` (the run itself broke off). Each formation's own
 * journal has its operations as well.
 */
export type BlueprintJournalEntry =
  | {
      time: string;
      kind: 'begin';
      operation: 'apply' | 'destroy';
      pid: number;
      host: string;
      by: string;
      /** `owner/name/blueprint` and its version, for an apply. */
      blueprint?: string;
      version?: string;
      steps: StepView[];
      /** Entries kept without --prune. */
      kept: string[];
    }
  | { time: string; kind: 'step-start'; entry: string; formation: string; action: StepAction }
  | ({ time: string; kind: 'step-end' } & StepResult)
  /** Something a formation's operation told its host (its own journal has it too). */
  | { time: string; kind: 'formation'; entry: string; formation: string; message: OperationMessage }
  | { time: string; kind: 'finish'; operation: 'apply' | 'destroy'; ok: boolean; steps: StepResult[]; took: number }
  | { time: string; kind: 'abort'; operation: 'apply' | 'destroy'; code: ErrorCode; message: string; hint?: string };

/** What a blueprint operation tells its host: its journal as it is written, and notices from planning. */
export type BlueprintMessage = BlueprintJournalEntry | Extract<OperationMessage, { kind: 'notice' | 'warning' }>;

/**
 * The IO port of blueprint operations: as the engine's, with the blueprint's
 * own messages. Every question is asked while planning; the run asks nothing.
 */
export interface BlueprintIo {
  notify(message: BlueprintMessage): void;
  /** Yes or no; a host that cannot ask and was not told up front throws a user error saying how to answer. */
  confirm(question: Question): Promise<boolean>;
  /** Values for required parameters nothing supplied (named `ENTRY.KEY`); a host that cannot ask throws naming them. */
  prompt(parameters: ParameterSpec[]): Promise<Record<string, ParameterValue>>;
}

/** How a blueprint operation ended, as data for the host to render. */
export type BlueprintResult =
  | { outcome: 'succeeded' | 'failed'; kind: 'apply' | 'destroy'; name: string; steps: StepResult[]; took: number }
  /** The run broke off (the process carrying it crashed). */
  | { outcome: 'errored'; kind: 'apply' | 'destroy'; name: string; error: { code: ErrorCode; message: string; hint?: string } }
  /** The host stopped following; the operation goes on in the background. */
  | { outcome: 'detached'; kind: 'apply' | 'destroy'; name: string; pid?: number };
