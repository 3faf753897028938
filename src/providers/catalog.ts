/**
 * What nepho must know about a provider to read scenarios: its name and where
 * its patterns live in a cloudlet. The providers themselves are loaded only
 * when a formation is created.
 */
export interface ProviderInfo {
  /** The key scenarios use under `providers:`. */
  name: string;
  /** One line for help and errors. */
  description: string;
  /** The pattern file for a pattern name, relative to the cloudlet. */
  patternPath(pattern: string): string;
}

/** The providers that ship with nepho. */
export const BUILTIN_PROVIDERS: readonly ProviderInfo[] = [
  { name: 'cloudformation', description: 'AWS CloudFormation stacks', patternPath: (p) => `patterns/aws/${p}.cf` },
  { name: 'vagrant', description: 'local machines through Vagrant', patternPath: (p) => `patterns/vagrant/${p}.rb` },
];
