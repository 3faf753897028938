import type { ErrorCode } from '../errors.js';
import type { FormationPlan, ParameterValues } from '../formations/plan.js';
import type { JournalEntry, OperationKind, ParameterChange } from '../formations/journal.js';
import type { FormationRecord } from '../formations/records.js';
import type { NephoHome } from '../home.js';
import type {
  FormationSpec,
  PluginRegistry,
  Preflight,
  ProviderOptions,
  RenderedFile,
  ResourceChange,
  ResourceFailure,
  UpdatePreview,
} from '../providers/types.js';
import type { ParameterSpec, ParameterValue } from '../scenarios/parameters.js';
import type { FormationStore } from './store.js';

export type { OperationKind, ParameterChange } from '../formations/journal.js';

/**
 * A question the engine needs answered before it acts. Its `id` lets a host
 * answer without a person: the command line from `--yes`, the nanny from
 * what was decided before it started, a test from its script.
 */
export interface Question {
  /** `recreate`, `adopt`, `destroy`, or `overwrite` (a command's own question). */
  id: string;
  /** The question as a person reads it, ending in `?`. */
  text: string;
}

/** What an update would change, for the host to show before it asks. */
export interface UpdateSummary {
  name: string;
  provider: string;
  /** The cloudlet version deployed, and the one the update deploys. */
  version: { from: string; to: string };
  /** Parameter values that change (secrets masked). */
  parameters: ParameterChange[];
  /** Parameters the new version no longer has: dropped. */
  dropped: string[];
  /** Resource changes, when the provider lists them. */
  changes: ResourceChange[];
  /** A unified diff of the provider's files, when that is how it previews. */
  diff?: string;
  /** Nothing would change. */
  empty: boolean;
}

/** Something the engine tells its host while it works; journal entries above all. */
export type OperationMessage =
  | JournalEntry
  | { kind: 'notice'; time: string; text: string }
  /** Something wrong that does not stop the operation (a pattern that is not strict YAML). */
  | { kind: 'warning'; time: string; text: string }
  | { kind: 'preview'; time: string; summary: UpdateSummary };

/**
 * The IO port: the only way the engine reaches the outside. The command line
 * implements it on the terminal, the nanny on its journal alone, tests with a
 * recorder, and a server on its own event stream.
 */
export interface OperationIo {
  /** Something happened. Never blocks, never asks. */
  notify(message: OperationMessage): void;
  /** Yes or no. A host that cannot ask and was not told up front throws a user error saying how to answer. */
  confirm(question: Question): Promise<boolean>;
  /**
   * Values for required parameters that nothing supplied. A host that cannot
   * ask throws a user error naming every one of them.
   */
  prompt(parameters: ParameterSpec[]): Promise<Record<string, ParameterValue>>;
}

/** What the engine works with: where state lives and which providers there are. */
export interface EngineContext {
  home: NephoHome;
  store: FormationStore;
  registry: PluginRegistry;
  env: NodeJS.ProcessEnv;
  /**
   * Who starts operations in this context, as the journal's `by` records it;
   * `user@host` of this process when left out. A server names the token a
   * request came with, since its own user is the same for everyone.
   */
  actor?: string;
}

/** A request to create a formation, as the command line parses it. */
export interface CreateRequest {
  kind: 'create';
  /** `CLOUDLET[/SCENARIO]`. */
  target: string;
  name?: string;
  provider?: string;
  /** `-p KEY=VALUE`, in order. */
  params: string[];
  /** `--params-file`, in order. */
  paramsFiles: string[];
  /** Values a host holds in memory (a blueprint's entry), above the files. */
  values?: ParameterValues[];
  /** Fail naming missing parameters instead of asking for them. */
  noInput: boolean;
  options: ProviderOptions;
}

/** A request to destroy a formation. */
export interface DestroyRequest {
  kind: 'destroy';
  name: string;
  /** Where to look for a formation not recorded on this machine. */
  options: ProviderOptions;
}

/** A request to update a formation: the installed cloudlet, its recorded answers, and these changes. */
export interface UpdateRequest {
  kind: 'update';
  name: string;
  params: string[];
  paramsFiles: string[];
  /** Values a host holds in memory (a blueprint's entry), above the files. */
  values?: ParameterValues[];
  noInput: boolean;
  /** Preview only: nothing applied, nothing left behind at the provider. */
  dryRun: boolean;
  options: ProviderOptions;
}

/** A request to run a formation's bootstrap again. */
export interface ProvisionRequest {
  kind: 'provision';
  name: string;
  /** `-p` values: secrets for this run (they are never recorded). */
  params: string[];
  options: ProviderOptions;
  /** `-i`: the key for ssh, when the bootstrap runs over ssh. */
  identity?: string;
  /** `--user`: the user ssh logs in as. */
  user?: string;
}

/** What a host may ask the engine to do. */
export type OperationRequest = CreateRequest | DestroyRequest | UpdateRequest | ProvisionRequest;

/**
 * An operation planned and decided: nothing left to ask. It is what the
 * nanny (or a server worker) receives, so it is plain data; the spec carries
 * secret values, which travel in memory only.
 */
export type OperationPlan =
  | {
      kind: 'create';
      record: FormationRecord;
      spec: FormationSpec;
      /** What the provider holds under the name, and what the user agreed to do about it. */
      existing?: Preflight & { action: 'recreate' | 'adopt' };
    }
  | { kind: 'destroy'; record: FormationRecord }
  | {
      kind: 'update';
      record: FormationRecord;
      /** The record as it will be once the update succeeds: new answers, version and commit. */
      next: FormationRecord;
      spec: FormationSpec;
      preview: UpdatePreview;
      summary: UpdateSummary;
    }
  | { kind: 'provision'; record: FormationRecord; spec: FormationSpec; identityFile?: string; user?: string };

/** How a host wants an operation run. */
export interface RunMode {
  /**
   * `follow`: a background nanny carries it, this host follows until it ends
   * or `signal` aborts (detach); `detach`: the same, returning once the
   * provider accepted; `foreground`: all in this process.
   */
  mode: 'follow' | 'detach' | 'foreground';
  /** Aborting stops following; the operation goes on in the background. */
  signal?: AbortSignal;
}

/** How an operation ended, as data for the host to render; `id` is the team server's for it, when one carried it. */
export type OperationResult = { id?: string } & (
  | { outcome: 'succeeded' | 'failed'; kind: OperationKind; name: string; status: string; failures: ResourceFailure[]; took: number; exitCode?: number }
  /** An update with nothing to change (`unchanged`), or previewed only (`--dry-run`). */
  | { outcome: 'unchanged' | 'previewed'; kind: 'update'; name: string; summary: UpdateSummary }
  /** The operation could not be carried out (credentials expired, the nanny crashed). */
  | { outcome: 'errored'; kind: OperationKind; name: string; error: { code: ErrorCode; message: string; hint?: string } }
  /** The host stopped following; the operation goes on in the background (the nanny's `pid`, or at a team `server`). */
  | { outcome: 'detached'; kind: OperationKind; name: string; accepted: boolean; pid?: number; server?: string }
);

/** What `--dry-run` returns: the plan as people read it, and the files the provider would send or write. */
export interface DryRun {
  plan: FormationPlan;
  files: RenderedFile[];
  /** The checks the provider ran (a dry run runs the slower ones too). */
  checks: string[];
  /** What the provider found short of an error. */
  warnings: string[];
}
