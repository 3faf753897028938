import type { RenderedBootstrap } from '../provisioners/types.js';
import type { ProviderInfo } from './catalog.js';

/**
 * The provider interface: every way nepho can create formations (AWS
 * CloudFormation, Vagrant, third-party plugins) implements it, so commands and
 * the nanny never know which one they drive.
 */

/** A parameter value as providers see it. */
export interface ParameterInput {
  value: string | number | boolean;
  /** Secret values must not be logged, written to disk or put into user data. */
  secret: boolean;
}

/** Everything a provider needs to create one formation: resolved, validated, no prompts left. */
export interface FormationSpec {
  name: string;
  cloudlet: { id: string; version: string; dir: string };
  scenario: string;
  /** The provider's settings from the scenario (`pattern`, ...). */
  settings: Record<string, unknown>;
  /** The pattern file on this machine. */
  patternFile: string;
  parameters: Record<string, ParameterInput>;
  /** The rendered bootstrap, when the scenario has a provisioner. */
  bootstrap?: RenderedBootstrap;
  /** Tags every provider resource should carry, when it can (`nepho:formation`, ...). */
  tags: Record<string, string>;
}

/** Options from the command line that providers may use (`--profile`, `--region`). */
export interface ProviderOptions {
  profile?: string;
  region?: string;
}

/** One thing that happened during an operation, as the journal and the terminal show it. */
export interface FormationEvent {
  /** ISO time. */
  time: string;
  /** The resource it is about (a logical id), or the formation itself. */
  resource: string;
  /** The resource's type, when known (`AWS::EC2::Instance`). */
  type?: string;
  /** A provider status word (`CREATE_IN_PROGRESS`, `running`). */
  status: string;
  /** Why, when the provider says (failure reasons above all). */
  reason?: string;
  /** A provider-unique id, so an event is shown once. */
  id?: string;
}

/** What the running operation is given by whoever drives it (a command, or the nanny). */
export interface OperationContext {
  /** `$NEPHO_HOME/formations/<name>`: the provider may keep files here (never secrets). */
  dir: string;
  options: ProviderOptions;
  env: NodeJS.ProcessEnv;
  /** Report an event as it happens. */
  emit(event: FormationEvent): void;
  /**
   * Called once, when the provider has accepted the operation (a stack id
   * exists; `vagrant up` has started). `state` is saved in the formation's
   * record so that others can describe, follow and destroy it.
   */
  accepted(state: Record<string, unknown>): void;
  /** Aborts following (not the operation itself) when the user detaches. */
  signal?: AbortSignal;
}

/** How an operation ended. */
export interface Outcome {
  ok: boolean;
  /** The provider's final status word (`CREATE_COMPLETE`, `ROLLBACK_COMPLETE`, `running`). */
  status: string;
  /** Resources that failed, with the provider's reasons. */
  failures: { resource: string; type?: string; status: string; reason: string }[];
  /** Provider state to keep in the record (updated stack id, and so on). */
  state?: Record<string, unknown>;
}

/** A formation's recorded facts, as providers need them to find it again. */
export interface FormationRef {
  name: string;
  /** What the provider saved through `accepted()` and `Outcome.state`. */
  state: Record<string, unknown>;
  options: ProviderOptions;
}

/** What a formation looks like now, according to its provider. */
export interface FormationState {
  /** False when the provider has no such formation any more (the stack was deleted elsewhere). */
  exists: boolean;
  status: string;
  /** True while an operation is still under way at the provider. */
  inProgress: boolean;
  outputs: Record<string, string>;
  resources: { id: string; type: string; status: string; physicalId?: string; reason?: string }[];
}

/** A formation the provider knows of, found without a local record (made on another machine). */
export interface DiscoveredFormation {
  name: string;
  status: string;
  cloudlet?: string;
  scenario?: string;
  version?: string;
  createdAt?: string;
  state: Record<string, unknown>;
}

/** Files a provider would write or send, for `--dry-run --out DIR`. */
export interface RenderedFile {
  /** A relative path under the output directory. */
  path: string;
  content: string;
  /** Unix mode, 0o644 by default. */
  mode?: number;
}

/** Where to ssh, when the provider knows better than the scenario's `access.ssh` (Vagrant's ssh-config). */
export interface SshEndpoint {
  host: string;
  port: number;
  user?: string;
  identityFile?: string;
  bastion?: { host: string; port: number; user?: string };
}

/** How thoroughly `validate()` checks: `--dry-run` asks for the slower checks too (external tools such as `vagrant validate`). */
export interface ValidateOptions {
  /** Run every check there is, including external programs, since nothing else will before the user reads the plan. */
  thorough?: boolean;
}

/** What `validate()` found short of an error, for the command to show. */
export interface ValidationReport {
  /** The checks that ran, as people know them (`ruby -c`, `vagrant validate -p`), and those skipped with why. */
  checks: string[];
  /** Problems that do not stop the operation, one line each naming `file:line:col`. */
  warnings: string[];
}

/** A provider plugin. Built-in ones load their heavy parts (the AWS SDK) only when a method runs. */
export interface Provider extends ProviderInfo {
  /**
   * Check everything that can be checked before anything is created:
   * the pattern parses, the bootstrap fits, parameters suit the pattern.
   * Throws a NephoError naming the file and field at fault; may report
   * the checks that ran and warnings (a provider that reports nothing returns void).
   */
  validate(spec: FormationSpec, options: ProviderOptions, how?: ValidateOptions): Promise<ValidationReport | void>;
  /** What create would send or write, rendered (templates, user data, Vagrantfiles). No side effects. */
  render(spec: FormationSpec, options: ProviderOptions): Promise<RenderedFile[]>;
  /** Create the formation and follow it to the end, reporting events as they happen. */
  create(spec: FormationSpec, ctx: OperationContext): Promise<Outcome>;
  /** Destroy the formation and follow it to the end. */
  destroy(ref: FormationRef, ctx: OperationContext): Promise<Outcome>;
  /**
   * Follow an operation that someone else started (a nanny that died, another
   * terminal), when the provider can tell from its side how it is going.
   * Providers whose work happens on this machine leave it out.
   */
  follow?(ref: FormationRef, ctx: OperationContext): Promise<Outcome>;
  /** Status, outputs and resources now. */
  describe(ref: FormationRef, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<FormationState>;
  /** Formations the provider holds, found by nepho's tags, for `formation:list` across machines. */
  discover?(options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<DiscoveredFormation[]>;
  /** The ssh endpoint, when the provider knows it better than the scenario's `access.ssh`. */
  sshEndpoint?(ref: FormationRef, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<SshEndpoint | undefined>;
}

/** What a plugin package exports (as its default export or as `plugin`). */
export interface NephoPlugin {
  providers?: Provider[];
  provisioners?: import('../provisioners/types.js').Provisioner[];
}
