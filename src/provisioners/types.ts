/**
 * A provisioner turns a scenario's bootstrap into what a provider hands the
 * machine on first boot. Providers decide how it travels (EC2 user data, a
 * Vagrant shell provisioner); provisioners decide what it is.
 */

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

/** The bootstrap as the machine receives it. */
export interface RenderedBootstrap {
  /** A complete shell script, run as root on first boot. */
  script: string;
  /** The environment the scenario's script sees, for providers that pass it separately (Vagrant). */
  environment: Record<string, string>;
  /** The scenario's own script, unchanged, for providers that run it themselves. */
  scriptBody: string;
  /** Where the script came from, for error messages. */
  scriptFile: string;
}

/** A provisioner plugin. */
export interface Provisioner {
  /** The `provisioner.type` scenarios use (`shell`). */
  readonly type: string;
  /** One line for help and errors. */
  readonly description: string;
  /** Render the bootstrap; throws a NephoError naming the script when it cannot. */
  render(input: BootstrapInput): Promise<RenderedBootstrap>;
}
