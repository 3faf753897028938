import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, ListingCommand } from '../base.js';

/** `formation:create CLOUDLET[/SCENARIO]`. */
export class FormationCreateCommand extends ListingCommand {
  static override paths = [['formation:create'], ['formation', 'create']];
  static override usage = ListingCommand.Usage({
    category: Category.formation,
    description: 'Create a formation from a cloudlet scenario',
    details: `
      SCENARIO defaults to \`default\`, the provider to the first one the scenario names.
      Parameters come from defaults, saved values (parameter:set), --params-file files and -p flags, in that order;
      required ones still missing are asked for on a terminal, or named in one error with --no-input.
      --dry-run resolves everything and prints the plan without touching a provider.
    `,
    examples: [
      ['Plan the default scenario', '$0 formation:create mediawiki --dry-run'],
      ['With parameters', '$0 formation:create mediawiki/multi-tenant --name agmedia -p Replicas=3 --params-file prod.yaml --dry-run'],
    ],
  });

  target = Option.String({ name: 'cloudlet[/scenario]' });
  name = Option.String('--name', { description: 'Formation name (default: <cloudlet>-<scenario>)' });
  provider = Option.String('--provider', { description: 'Provider to use (default: the first the scenario names)' });
  params = Option.Array('-p,--param', [], { description: 'KEY=VALUE, repeatable; the value may contain =' });
  paramsFiles = Option.Array('--params-file', [], { description: 'YAML or JSON file of parameters, repeatable' });
  noInput = Option.Boolean('--no-input', false, { description: 'Never prompt; fail naming every missing parameter' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'Resolve and validate everything, print the plan, create nothing' });

  async execute(): Promise<number> {
    const { prepareFormation, describePlan } = await import('../../formations/plan.js');
    const { applyAnswers, missingParametersError } = await import('../../scenarios/resolve.js');
    const out = this.output();
    const prepared = prepareFormation(this.home, {
      target: this.target, params: this.params ?? [], paramsFiles: this.paramsFiles ?? [],
      ...(this.name === undefined ? {} : { name: this.name }),
      ...(this.provider === undefined ? {} : { provider: this.provider }),
    });
    if (prepared.resolution.missing.length > 0) {
      if (this.noInput) throw missingParametersError(prepared.resolution.missing, '--no-input forbids prompting');
      if (!this.canPrompt) throw missingParametersError(prepared.resolution.missing, 'there is no terminal to ask on');
      const { askForParameters } = await import('../../prompts.js');
      const answers = await askForParameters(prepared.resolution.missing, { input: this.context.stdin, output: this.context.stderr });
      prepared.resolution = applyAnswers(prepared.resolution, answers);
    }
    if (!this.dryRun) {
      throw new NephoError('NOT_AVAILABLE', 'creating formations is not available in this version of nepho yet; --dry-run shows the plan', {
        hint: `nepho formation:create ${this.target} --dry-run`,
      });
    }
    const plan = describePlan(prepared);
    out.result(plan, () => {
      out.fields([
        ['Formation', plan.name],
        ['Cloudlet', `${plan.cloudlet.name} ${plan.cloudlet.version} (${plan.cloudlet.path})`],
        ['Scenario', `${plan.scenario.name} (${plan.scenario.file})`],
        ['Provider', plan.provider],
        ['Pattern', plan.pattern],
      ]);
      out.line();
      out.table(['PARAMETER', 'VALUE', 'SOURCE'], plan.parameters.map((p) => [p.name, p.value === null ? '' : String(p.value), p.source]), 'no parameters');
      out.line();
      out.line('Dry run: nothing was created.');
    });
    return 0;
  }
}
