import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { streamOf } from '../../stdio.js';
import { Category, ListingCommand, providerOptions } from '../base.js';

/** `formation:create CLOUDLET[/SCENARIO]` (and the shortcut `create`). */
export class FormationCreateCommand extends ListingCommand {
  static override paths = [['formation:create'], ['formation', 'create']];
  static override usage = ListingCommand.Usage({
    category: Category.formation,
    description: 'Create a formation from a cloudlet scenario',
    details: `
      SCENARIO defaults to \`default\`, the provider to the first one the scenario names.
      Parameters come from defaults, saved values (parameter:set), --params-file files and -p flags, in that order;
      required ones still missing are asked for on a terminal, or named in one error with --no-input.
      The operation runs in a background nanny that the terminal follows: Ctrl-C detaches without cancelling
      (re-attach with formation:watch), --detach returns once the provider has accepted, --foreground runs it all here.
      --dry-run resolves, renders and validates everything (template, user data) and prints the plan without touching a provider;
      with --out DIR it also writes the rendered files there.
    `,
    examples: [
      ['Create the default scenario', '$0 formation:create mediawiki'],
      ['A named formation with parameters', '$0 formation:create mediawiki/multi-tenant --name agmedia -p Replicas=3 --params-file prod.yaml'],
      ['See what would be sent', '$0 formation:create mediawiki --dry-run --out ./rendered'],
    ],
  });

  target = Option.String({ name: 'cloudlet[/scenario]' });
  name = Option.String('--name', { description: 'Formation name (default: <cloudlet>-<scenario>)' });
  provider = Option.String('--provider', { description: 'Provider to use (default: the first the scenario names)' });
  params = Option.Array('-p,--param', [], { description: 'KEY=VALUE, repeatable; the value may contain =' });
  paramsFiles = Option.Array('--params-file', [], { description: 'YAML or JSON file of parameters, repeatable' });
  noInput = Option.Boolean('--no-input', false, { description: 'Never prompt; fail naming every missing parameter' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'Resolve, render and validate everything, print the plan, create nothing' });
  out = Option.String('--out', { description: 'With --dry-run: write the rendered files into this directory' });
  profile = Option.String('--profile', { description: 'AWS profile (cloudformation)' });
  region = Option.String('--region', { description: 'AWS region (cloudformation)' });
  yes = Option.Boolean('-y,--yes', false, { description: 'Answer yes to questions (re-create a stack left in ROLLBACK_COMPLETE)' });
  detach = Option.Boolean('--detach', false, { description: 'Return once the provider has accepted; the nanny carries on' });
  foreground = Option.Boolean('--foreground', false, { description: 'Run in this process, without a background nanny' });

  async execute(): Promise<number> {
    const { findProvider } = await import('../../plugins.js');
    const { prepareFormation, describePlan } = await import('../../formations/plan.js');
    const { applyAnswers, missingParametersError } = await import('../../scenarios/resolve.js');
    const { buildSpec, newRecord } = await import('../../formations/operations.js');
    const out = this.output();
    if (this.out !== undefined && !this.dryRun) throw new NephoError('BAD_ARGUMENT', '--out goes with --dry-run');
    const home = this.home;
    const registry = await this.plugins();
    const prepared = prepareFormation(home, {
      target: this.target, params: this.params ?? [], paramsFiles: this.paramsFiles ?? [],
      ...(this.name === undefined ? {} : { name: this.name }),
      ...(this.provider === undefined ? {} : { provider: this.provider }),
    }, registry.providers, registry.provisioners.map((p) => p.type));
    if (prepared.resolution.missing.length > 0) {
      if (this.noInput) throw missingParametersError(prepared.resolution.missing, '--no-input forbids prompting');
      if (!this.canPrompt) throw missingParametersError(prepared.resolution.missing, 'there is no terminal to ask on');
      const { askForParameters } = await import('../../prompts.js');
      const answers = await askForParameters(prepared.resolution.missing, { input: streamOf(this.context.stdin), output: streamOf(this.context.stderr) });
      prepared.resolution = applyAnswers(prepared.resolution, answers);
    }
    const options = providerOptions(this.profile, this.region);
    const provider = findProvider(registry, prepared.provider.name);
    const spec = await buildSpec(prepared, registry);
    const report = (await provider.validate(spec, options, { thorough: this.dryRun })) ?? { checks: [], warnings: [] };
    for (const warning of report.warnings) out.warn(warning);

    if (this.dryRun) {
      const files = await provider.render(spec, options);
      const written = this.out === undefined ? [] : await (await import('../../formations/render.js')).writeRendered(this.out, files);
      const plan = { ...describePlan(prepared), files: files.map((f) => f.path), checks: report.checks, warnings: report.warnings, ...(this.out === undefined ? {} : { out: this.out }) };
      out.result(plan, () => {
        out.fields([
          ['Formation', plan.name],
          ['Cloudlet', `${plan.cloudlet.name} ${plan.cloudlet.version} (${plan.cloudlet.path})`],
          ['Scenario', `${plan.scenario.name} (${plan.scenario.file})`],
          ['Provider', plan.provider],
          ['Pattern', plan.pattern],
          ['Rendered', written.length > 0 ? written.join(', ') : files.map((f) => f.path).join(', ')],
          ['Checked', plan.checks.join('; ') || '-'],
        ]);
        out.line();
        out.table(['PARAMETER', 'VALUE', 'SOURCE'], plan.parameters.map((p) => [p.name, p.value === null ? '' : String(p.value), p.source]), 'no parameters');
        out.line();
        out.line('Dry run: nothing was created.');
      });
      return 0;
    }

    if (this.detach && this.foreground) throw new NephoError('BAD_ARGUMENT', '--detach and --foreground cannot go together');
    const { operate } = await import('./progress.js');
    return operate(this, out, { kind: 'create', home, record: newRecord(prepared, spec, options), spec }, {
      detach: this.detach, foreground: this.foreground, env: this.env,
    }, this.yes);
  }
}
