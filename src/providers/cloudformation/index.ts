import { BUILTIN_PROVIDERS } from '../catalog.js';
import type { FormationRef, OperationContext, Outcome, Provider } from '../types.js';

// This module is imported wherever providers are listed, so it stays light:
// the template code (yaml) and the AWS SDK load only when a method runs.
const prepare = () => import('./prepare.js');
const aws = () => import('./provider.js');

const info = BUILTIN_PROVIDERS.find((p) => p.name === 'cloudformation')!;

/**
 * The built-in AWS CloudFormation provider. Patterns are templates
 * (`patterns/aws/<pattern>.cf`, YAML with short-form tags, or JSON), sent as
 * JSON with the bootstrap as EC2 user data on the resources marked
 * `Metadata: {nepho: {bootstrap: true}}`. Stacks are made with CreateStack,
 * tagged for discovery, and followed by polling (every 2 s, or
 * NEPHO_POLL_INTERVAL_MS; backing off when throttled). Credentials, region
 * and endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) come from
 * --profile, --region and the given environment, as the AWS CLI takes them.
 *
 * Following stops at once when `ctx.signal` aborts (the user detached): the
 * Outcome is then `ok: false` with the last status seen (still
 * `*_IN_PROGRESS`), and the stack carries on; `follow()` picks it up again.
 * Templates over 51,200 bytes travel through the S3 bucket
 * `nepho-artifacts-<account>-<region>`, made when missing.
 */
export const cloudformationProvider: Provider = {
  name: info.name,
  description: info.description,
  patternPath: info.patternPath,
  async validate(spec) {
    const { prepareStack } = await prepare();
    const { findingLine } = await import('../findings.js');
    const prepared = prepareStack(spec);
    return { checks: ['template: syntax, names, dependencies, parameters, size'], warnings: prepared.warnings.map(findingLine) };
  },
  async render(spec) {
    return (await prepare()).renderStack(spec);
  },
  async create(spec, ctx) {
    return (await aws()).createStack(spec, ctx);
  },
  async destroy(ref, ctx) {
    return (await aws()).destroyStack(ref, ctx);
  },
  async follow(ref, ctx) {
    return (await aws()).followExisting(ref, ctx);
  },
  async describe(ref, options, env) {
    return (await aws()).describeStack(ref, options, env);
  },
  async discover(options, env) {
    return (await aws()).discoverStacks(options, env);
  },
};

/**
 * Delete a stack and follow it to the end: destroy() under the name the
 * command layer uses after STACK_ROLLBACK_COMPLETE ("delete and create
 * again"). Without a recorded stack id, the stack named `ref.name` is deleted.
 */
export async function deleteStack(ref: FormationRef, ctx: OperationContext): Promise<Outcome> {
  return (await aws()).destroyStack(ref, ctx);
}
