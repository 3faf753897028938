import type { PatternParameter, Provider } from '../types.js';

// This module is imported wherever providers are listed, so it stays light:
// the template code (yaml) and the AWS SDK load only when a method runs.
const prepare = () => import('./prepare.js');
const template = () => import('./template.js');
const lint = () => import('./lint-cloudlet.js');
const aws = () => import('./provider.js');
const credentials = () => import('./register.js');
const changes = () => import('./update.js');
const drifts = () => import('./drift.js');

/**
 * The built-in AWS CloudFormation provider. Patterns are templates
 * (`patterns/aws/<pattern>.cf`, YAML with short-form tags, or JSON), sent as
 * JSON with the bootstrap as EC2 user data on the resources marked
 * `Metadata: {nepho: {bootstrap: true}}`. Stacks are made with CreateStack,
 * tagged for discovery, and followed by polling (every 2 s, or
 * NEPHO_POLL_INTERVAL_MS; backing off when throttled). Credentials, region
 * and endpoints (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) come from
 * --profile, --region and the given environment, as the AWS CLI takes them.
 * Templates over 51,200 bytes travel through the S3 bucket
 * `nepho-artifacts-<account>-<region>`, made when missing. Updates are
 * previewed as a change set (`nepho-<time>`), executed and followed like a
 * create; drift comes from CloudFormation's drift detection. `nepho register
 * --provider aws` saves a profile in the AWS CLI's own files.
 */
export const cloudformationProvider: Provider = {
  apiVersion: 1,
  name: 'cloudformation',
  description: 'AWS CloudFormation stacks',
  // People register with a cloud, not with one of its services.
  aliases: ['aws'],
  async register(request, io) {
    return (await credentials()).registerAws(request, io);
  },
  patternPath: (pattern) => `patterns/aws/${pattern}.cf`,
  settingKeys: [],
  async parameters(patternFile) {
    const { readTemplate, templateDeclarations } = await template();
    return templateDeclarations(readTemplate(patternFile)).map((d): PatternParameter => ({
      name: d.name,
      type: d.type ?? 'string',
      declaredAt: d.constraints.from,
      ...(d.default === undefined ? {} : { default: d.default }),
      ...(d.description === undefined ? {} : { description: d.description }),
      ...(d.secret ? { secret: true } : {}),
      ...(d.constraints.choices ? { choices: d.constraints.choices as (string | number)[] } : {}),
      // AllowedPattern is Java's dialect: translated where JavaScript can say the same, else left to CloudFormation.
      ...(d.constraints.pattern === undefined
        ? {}
        : {
            pattern: d.constraints.patternAsJs?.source ?? d.constraints.pattern,
            declaredPattern: d.constraints.pattern,
            ...(d.constraints.patternAsJs ? { patternFlags: d.constraints.patternAsJs.flags } : {}),
            ...(d.constraints.patternUnchecked === undefined ? {} : { patternUnchecked: d.constraints.patternUnchecked }),
          }),
      ...(d.constraints.eachListItem ? { listItems: true } : {}),
      ...(d.constraints.min === undefined ? {} : { min: d.constraints.min }),
      ...(d.constraints.max === undefined ? {} : { max: d.constraints.max }),
      ...(d.constraints.minLength === undefined ? {} : { minLength: d.constraints.minLength }),
      ...(d.constraints.maxLength === undefined ? {} : { maxLength: d.constraints.maxLength }),
    }));
  },
  async outputs(patternFile) {
    const { readTemplate } = await template();
    const outputs = readTemplate(patternFile).document.Outputs;
    return outputs !== null && typeof outputs === 'object' && !Array.isArray(outputs) ? Object.keys(outputs) : [];
  },
  async lint(input) {
    return (await lint()).lintCloudFormation(input);
  },
  async ready(options, env) {
    return (await aws()).awsReady(options, env);
  },
  async validate(spec) {
    const { prepareStack } = await prepare();
    const { findingLine } = await import('../findings.js');
    const prepared = prepareStack(spec);
    return { checks: ['template: syntax, names, dependencies, parameters, size'], warnings: prepared.warnings.map(findingLine) };
  },
  async render(spec) {
    return (await prepare()).renderStack(spec);
  },
  async plannedResources(spec) {
    const resources = (await prepare()).prepareStack(spec).document.Resources;
    return resources !== null && typeof resources === 'object' ? Object.keys(resources) : undefined;
  },
  async preflight(ref, options, env) {
    return (await aws()).preflightStack(ref, options, env);
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
  async preview(ref, spec, options, env) {
    return (await changes()).previewUpdate(ref, spec, options, env);
  },
  async update(ref, spec, preview, ctx) {
    return (await changes()).applyUpdate(ref, spec, preview, ctx);
  },
  async discard(ref, preview, options, env) {
    return (await changes()).discardPreview(ref, preview, options, env);
  },
  async drift(ref, options, env) {
    return (await drifts()).detectDrift(ref, options, env);
  },
  async discover(options, env) {
    return (await aws()).discoverStacks(options, env);
  },
};
