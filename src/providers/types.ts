/**
 * The provider contract: every way nepho can create formations (AWS
 * CloudFormation, Vagrant, third-party plugins) implements `Provider`, so the
 * operation engine, lint and scenario tools never know which one they drive.
 *
 * This module is the plugin API. It is published as the type declarations of
 * `nepho/plugin` and versioned by `PROVIDER_API_VERSION`: a provider says which
 * version it implements in `apiVersion`, and nepho refuses one it does not
 * speak. It imports nothing, so its declarations stand alone.
 */

/** The version of this contract. Bumped only for changes that break existing providers. */
export const PROVIDER_API_VERSION = 1;

/** A parameter value as providers see it. */
export interface ParameterInput {
  value: string | number | boolean;
  /** Secret values must not be logged, written to disk or put into user data. */
  secret: boolean;
  /**
   * Keep the value the formation already has (an update of a secret the user
   * did not give again: nepho never stores secrets, so it cannot send it);
   * `value` is then empty. Providers that cannot keep a value refuse it.
   */
  previous?: boolean;
}

/** The bootstrap a provisioner rendered, as providers hand it to the machine. */
export interface RenderedBootstrap {
  /** A complete shell script, run as root on first boot. */
  script: string;
  /** The environment the scenario's script sees, for providers that pass it separately (Vagrant). */
  environment: Record<string, string>;
  /** The scenario's own script, unchanged, for providers that run it themselves. */
  scriptBody: string;
  /** Where the script came from, for error messages. */
  scriptFile: string;
  /**
   * The script to run again on a live machine (`formation:provision`): as
   * root, with the same environment, its output on stdout as well as in the
   * log, exiting with the scenario script's status. Without it, `script` runs.
   */
  rerun?: string;
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

/** What the running operation is given by the engine. */
export interface OperationContext {
  /** The formation's own directory on this machine: the provider may keep files here (never secrets). */
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
  /**
   * Report what a command on the formation's machines printed (a provisioning
   * run), line by line; providers that cannot tell the streams apart report
   * everything as stdout.
   */
  output(stream: 'stdout' | 'stderr', line: string): void;
}

/** A resource that failed, with the provider's reason. */
export interface ResourceFailure {
  resource: string;
  type?: string;
  status: string;
  reason: string;
}

/** How an operation ended. */
export interface Outcome {
  ok: boolean;
  /** The provider's final status word (`CREATE_COMPLETE`, `ROLLBACK_COMPLETE`, `running`). */
  status: string;
  /** Resources that failed, with the provider's reasons. */
  failures: ResourceFailure[];
  /** Provider state to keep in the record (updated stack id, and so on). */
  state?: Record<string, unknown>;
  /** The exit status of a command run on the machines (provision), passed through to the user. */
  exitCode?: number;
}

/** A formation's recorded facts, as providers need them to find it again. */
export interface FormationRef {
  name: string;
  /** The formation's own directory on this machine, as `OperationContext.dir` (it may not exist). */
  dir: string;
  /** What the provider saved through `accepted()` and `Outcome.state`; empty for a formation known only by name. */
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

/**
 * What `discover` found: the formations, or why it could not look because
 * the provider is not set up on this machine (no region, no credentials).
 * Other failures are thrown.
 */
export type Discovery = { formations: DiscoveredFormation[] } | { unconfigured: string };

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

/**
 * A parameter a pattern declares itself (a CloudFormation template's
 * `Parameters`), so users are asked for it and its constraints are checked
 * before anything is created.
 */
export interface PatternParameter {
  name: string;
  type: 'string' | 'number' | 'boolean';
  default?: string | number | boolean;
  description?: string;
  /** Never printed, saved or put into user data. */
  secret?: boolean;
  choices?: (string | number)[];
  /** A regular expression the whole value must match, in JavaScript's syntax (see `patternFlags`). */
  pattern?: string;
  /** Flags for `pattern` (`u` when absent). */
  patternFlags?: string;
  /** The pattern as the pattern file writes it, when `pattern` is a translation from another dialect; shown in messages. */
  declaredPattern?: string;
  /** Why nepho cannot check the declared pattern itself (no JavaScript equivalent): the provider judges the value. */
  patternUnchecked?: string;
  /** The value is a comma-separated list: `choices` and `pattern` apply to each item. */
  listItems?: boolean;
  /** Where the pattern declares it (`file:line:col`), for messages; the pattern file when absent. */
  declaredAt?: string;
  min?: number;
  max?: number;
  minLength?: number;
  maxLength?: number;
}

/**
 * What stands in the way of creating a formation under its name at the
 * provider (a stack an earlier attempt left behind). The engine turns it into
 * one question for the user (`recreate`, `adopt`) or an error (`refuse`).
 */
export interface Preflight {
  /**
   * `recreate`: delete what is there, then create (a stack in ROLLBACK_COMPLETE);
   * `adopt`: follow what is already under way instead of creating;
   * `refuse`: nothing can be done from here.
   */
  action: 'recreate' | 'adopt' | 'refuse';
  /** One line saying what is there and why (`stack web is left in ROLLBACK_COMPLETE by an earlier attempt`). */
  reason: string;
  /** For `refuse`: what the user can do. */
  hint?: string;
}

/** One resource an update would change. */
export interface ResourceChange {
  action: 'Add' | 'Modify' | 'Remove' | 'Import' | 'Dynamic';
  /** The logical id. */
  resource: string;
  type?: string;
  /** Whether the resource is replaced; undefined when the provider does not say. */
  replacement?: 'True' | 'False' | 'Conditional';
}

/** What an update would do, as the provider previews it without changing anything. */
export interface UpdatePreview {
  /** Nothing would change. */
  empty: boolean;
  /** Resource changes, when the provider lists them (a CloudFormation change set). */
  changes: ResourceChange[];
  /** A unified diff of what the provider would write, when that is how it previews (Vagrant's files). */
  diff?: string;
  /** What the provider needs to apply exactly this preview (a change set id). */
  state: Record<string, unknown>;
}

/** How a formation differs from what it should be, resource by resource. */
export interface DriftReport {
  drifted: boolean;
  resources: {
    resource: string;
    type?: string;
    /** `MODIFIED`, `DELETED`, `NOT_CREATED`, `stopped` ... */
    status: string;
    /** Property by property, when the provider can tell (expected → actual). */
    differences: { path: string; expected?: string; actual?: string; kind?: string }[];
  }[];
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

/** One problem `cloudlet:lint` reports. */
export interface LintFinding {
  /** The file at fault (absolute, or relative to the cloudlet). */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  /** The field or key at fault (`Resources.Web.Properties`), when there is no line. */
  field?: string;
  message: string;
  /** Errors make the cloudlet unfit to publish; warnings do not. */
  severity: 'error' | 'warning';
  /** Which check found it: `nepho`, or an external tool (`cfn-lint`, `ruby -c`). */
  source: string;
}

/** One scenario's use of a provider's pattern, with stand-in parameter values. */
export interface PatternUse {
  scenario: string;
  /** The scenario file. */
  scenarioFile: string;
  /** A spec as create would build it: parameters are defaults, or stand-ins of the right type. */
  spec: FormationSpec;
}

/** What a provider is asked to lint. */
export interface LintInput {
  /** The cloudlet's directory. */
  root: string;
  /** Every scenario that names this provider. */
  uses: PatternUse[];
  env: NodeJS.ProcessEnv;
  /** Whether external checkers (cfn-lint, ruby, vagrant) may run; false in quick checks such as `registry:build`. */
  external: boolean;
  /** Told which checks ran on a file (`ruby -c`, `vagrant validate -p`), so that lint can say so. */
  checked?(file: string, checks: string[]): void;
}

/**
 * What `nepho register` was told on its command line. A provider uses the
 * flags it understands and names them in its errors (`--access-key-id: ...`).
 */
export interface RegisterRequest {
  /**
   * The flags given, by long name without dashes; flags not given are absent.
   * `profile`, `region` and `access-key-id` are strings;
   * `secret-access-key-stdin` is `true` when the secret is to be read from
   * stdin (`RegisterIo.readStdin`) rather than asked for.
   */
  flags: Record<string, string | true>;
  env: NodeJS.ProcessEnv;
}

/** One question of a register dialogue, answered with a line of text. */
export interface RegisterQuestion {
  /** A stable name for the answer (`region`), so a host can answer without a person. */
  id: string;
  /** The prompt as a person reads it (`AWS region`). */
  message: string;
  /** Offered, and taken when the answer is left empty. */
  default?: string;
  /** Typed hidden: the terminal shows `*` for each character and nothing reveals it. */
  secret?: boolean;
  /** Why an answer is refused (one line, never repeating a secret), or undefined to accept it; refused answers are asked again. */
  validate?(answer: string): string | undefined;
}

/**
 * How a provider's register dialogue reaches the person (the command line
 * implements it on the terminal; a test with a script). Answers such as
 * `--yes` are given to the host up front.
 */
export interface RegisterIo {
  /** Whether questions can be asked (a person is at a terminal). */
  readonly canAsk: boolean;
  /** Whether stdin is a terminal: a secret read from it would show as it is typed. */
  readonly stdinIsTerminal: boolean;
  /**
   * Ask one question; the answer comes back trimmed. Throws a user error when
   * the person cancels, so providers ask everything before they write.
   */
  ask(question: RegisterQuestion): Promise<string>;
  /**
   * Yes or no, before replacing something (`id: 'overwrite'`, text ending in
   * `?`). A host that cannot ask and was not told up front throws a user
   * error saying how to answer.
   */
  confirm(question: { id: string; text: string }): Promise<boolean>;
  /** Something for the person before the questions (where to get keys); a host without a person may drop it. */
  tell?(text: string): void;
  /** All of stdin as text, or undefined when more than `limit` bytes arrive (reading stops there). */
  readStdin(limit: number): Promise<string | undefined>;
}

/** What `register` saved, for the person who ran it (never a secret). */
export interface RegisterResult {
  /** One line: what was saved, and where (`saved profile default: keys in ~/.aws/credentials, ...`). */
  summary: string;
  /** How to use it, when it is not used by default (`use it with --profile work`). */
  notice?: string;
}

/**
 * A provider plugin. Built-in ones load their heavy parts (the AWS SDK) only
 * when a method runs; so should plugins, since every nepho command that
 * lists providers loads them.
 *
 * Errors a user can fix (a bad pattern, missing credentials) are thrown as
 * errors whose `[Symbol.for('nepho.NephoError')]` is `true`, with a `code`
 * (UPPER_SNAKE) and an optional one-line `hint`: nepho prints them as one line.
 * Anything else is reported as a bug in the provider, with its stack.
 */
export interface Provider {
  /** The contract version this provider implements (`PROVIDER_API_VERSION`). */
  readonly apiVersion: 1;
  /** The key scenarios use under `providers:` (`cloudformation`). */
  readonly name: string;
  /** One line for help and errors. */
  readonly description: string;
  /**
   * Other names `--provider` takes for this provider where the user names
   * one (`nepho register --provider aws`); the first is what such commands
   * call it. Scenarios and formation records use `name` only.
   */
  readonly aliases?: readonly string[];
  /**
   * Set up this provider's credentials on this machine (`nepho register`):
   * take what the flags say, ask through `io` for the rest, check it all,
   * then save it where the provider's tools look, readable by the user
   * only, keeping whatever else is saved there. Refuses with a user error
   * naming the flag at fault; a secret never appears in a message.
   * Providers that need no credentials leave it out and say why in
   * `noCredentials`.
   */
  register?(request: RegisterRequest, io: RegisterIo): Promise<RegisterResult>;
  /** For providers without `register`: one line saying why none are needed (`vagrant runs on this machine and needs none`). */
  readonly noCredentials?: string;
  /** The pattern file for a pattern name, relative to the cloudlet (`patterns/aws/<pattern>.cf`). */
  patternPath(pattern: string): string;
  /**
   * The keys a scenario's `providers.NAME` may have besides `pattern`
   * (vagrant: `provider`, `box_url`). When given, `cloudlet:lint` reports any
   * other key with the closest of these; when left out, it checks none.
   */
  readonly settingKeys?: readonly string[];
  /** Parameters the pattern declares itself. Throws naming the file when it cannot be read. */
  parameters?(patternFile: string): Promise<PatternParameter[]>;
  /**
   * The names of the outputs a formation made from this pattern will have
   * (what `describe` reports in `outputs`), so that references to them (a
   * blueprint's `{{formations.X.outputs.Y}}`) are checked before anything is
   * created. Throws naming the file when it cannot be read. Without it,
   * such references are checked only once the formation exists.
   */
  outputs?(patternFile: string): Promise<string[]>;
  /** Every problem of the cloudlet's patterns for this provider, at once (for `cloudlet:lint`). */
  lint?(input: LintInput): Promise<LintFinding[]>;
  /**
   * Check everything that can be checked before anything is created:
   * the pattern parses, the bootstrap fits, parameters suit the pattern.
   * Throws a user error naming the file and field at fault; may report the
   * checks that ran and warnings (a provider that reports nothing returns
   * nothing). `how.thorough`: a dry run asks for the slower checks too.
   */
  validate(spec: FormationSpec, options: ProviderOptions, how?: ValidateOptions): Promise<ValidationReport | void>;
  /**
   * Check that this machine can use the provider now (its program is
   * installed, a region and credentials are set up): the engine asks before
   * any operation starts or writes anything, so that what is missing is one
   * line, not a half-begun operation. Throws a user error saying what to do.
   * `settings` are the scenario's for this provider, when there is a spec.
   */
  ready?(options: ProviderOptions, env: NodeJS.ProcessEnv, settings?: Record<string, unknown>): Promise<void>;
  /** What create would send or write, rendered (templates, user data, Vagrantfiles). No side effects. */
  render(spec: FormationSpec, options: ProviderOptions): Promise<RenderedFile[]>;
  /**
   * The resources `spec` declares, by the ids the provider's events name
   * them with (CloudFormation: the rendered template's Resources, a nested
   * stack counting as one; Vagrant: the machines), so that progress can say
   * how many of all are done. Undefined, or left out, when the provider
   * cannot tell before it runs: progress then counts the resources seen.
   */
  plannedResources?(spec: FormationSpec, options: ProviderOptions): Promise<string[] | undefined>;
  /**
   * What the provider already holds under the formation's name, before a
   * create: undefined when the name is free. Read-only.
   */
  preflight?(ref: FormationRef, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<Preflight | undefined>;
  /** Create the formation and follow it to the end, reporting events as they happen. */
  create(spec: FormationSpec, ctx: OperationContext): Promise<Outcome>;
  /** Destroy the formation and follow it to the end. A formation already gone is success. */
  destroy(ref: FormationRef, ctx: OperationContext): Promise<Outcome>;
  /**
   * Follow an operation that someone else started (a nanny that died,
   * another terminal, an earlier attempt), when the provider can tell from
   * its side how it is going. Providers whose work happens on this machine
   * leave it out.
   */
  follow?(ref: FormationRef, ctx: OperationContext): Promise<Outcome>;
  /** Status, outputs and resources now. */
  describe(ref: FormationRef, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<FormationState>;
  /**
   * Preview an update of a formation to `spec` (a new cloudlet version, new
   * parameter values) without changing it. A provider without it cannot
   * update formations.
   */
  preview?(ref: FormationRef, spec: FormationSpec, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<UpdatePreview>;
  /** Apply what `preview` returned and follow it to the end. */
  update?(ref: FormationRef, spec: FormationSpec, preview: UpdatePreview, ctx: OperationContext): Promise<Outcome>;
  /** Drop a preview that will not be applied (delete a change set). */
  discard?(ref: FormationRef, preview: UpdatePreview, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<void>;
  /**
   * Run the bootstrap again on the formation's machines, reporting their
   * output through `ctx.output` and the script's exit status as
   * `Outcome.exitCode`. Without it, nepho runs the bootstrap over ssh, as
   * `formation:ssh` connects.
   */
  provision?(ref: FormationRef, spec: FormationSpec, ctx: OperationContext): Promise<Outcome>;
  /** How the formation differs from what it should be (CloudFormation's drift detection). */
  drift?(ref: FormationRef, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<DriftReport>;
  /** Formations the provider holds, found by nepho's tags, for `formation:list` across machines. */
  discover?(options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<Discovery>;
  /** The ssh endpoint, when the provider knows it better than the scenario's `access.ssh`. */
  sshEndpoint?(ref: FormationRef, options: ProviderOptions, env: NodeJS.ProcessEnv): Promise<SshEndpoint | undefined>;
}

/** What a provisioner needs to render the bootstrap of one formation. */
export interface BootstrapInput {
  /** The formation's name (`NEPHO_FORMATION`). */
  formation: string;
  /** `owner/name` of the cloudlet (`NEPHO_CLOUDLET`). */
  cloudlet: string;
  /** The scenario's name (`NEPHO_SCENARIO`). */
  scenario: string;
  /** The script named by the scenario's `provisioner.script`, as a path on this machine. */
  scriptFile: string;
  /**
   * Non-secret parameter values, by their declared names (`AppPort` becomes
   * `NEPHO_AppPort`). Secrets must never be passed here.
   */
  parameters: Record<string, string | number | boolean>;
}

/**
 * A provisioner plugin: it turns a scenario's bootstrap into what a provider
 * hands the machine on first boot. Providers decide how it travels (EC2 user
 * data, a Vagrant shell provisioner); provisioners decide what it is.
 */
export interface Provisioner {
  /** The contract version this provisioner implements (`PROVIDER_API_VERSION`). */
  readonly apiVersion: 1;
  /** The `provisioner.type` scenarios use (`shell`). */
  readonly type: string;
  /** One line for help and errors. */
  readonly description: string;
  /** Render the bootstrap; throws a user error naming the script when it cannot. */
  render(input: BootstrapInput): Promise<RenderedBootstrap>;
}

/** What a plugin package exports (as its default export or as `plugin`). */
export interface NephoPlugin {
  providers?: Provider[];
  provisioners?: Provisioner[];
}

/** The providers and provisioners nepho can use: the built-in ones and those plugins add. */
export interface PluginRegistry {
  readonly providers: readonly Provider[];
  readonly provisioners: readonly Provisioner[];
}
