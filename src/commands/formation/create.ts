import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, ListingCommand, providerOptions } from '../base.js';
import { OperationCommand } from './operation.js';

/** `formation:create CLOUDLET[/SCENARIO]` (and the shortcut `create`). */
export class FormationCreateCommand extends OperationCommand {
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
      With -o json or yaml, stdout gets one document once the create ends (with --detach, once it is accepted): the operation and the formation
      as it left it, its outputs and URL; the progress goes to stderr. Update, provision, destroy and watch print the same document.
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
  profile = Option.String('--profile', { description: 'Credentials profile, for providers that take credentials' });
  region = Option.String('--region', { description: 'Region, for providers that have regions' });
  yes = Option.Boolean('-y,--yes', false, { description: 'Answer yes to questions (re-create what a failed earlier attempt left behind)' });

  async execute(): Promise<number> {
    if (this.out !== undefined && !this.dryRun) throw new NephoError('BAD_ARGUMENT', '--out goes with --dry-run');
    const out = this.output();
    const request = {
      kind: 'create' as const,
      target: this.target,
      params: this.params ?? [],
      paramsFiles: this.paramsFiles ?? [],
      noInput: this.noInput,
      options: providerOptions(this.profile, this.region),
      ...(this.name === undefined ? {} : { name: this.name }),
      ...(this.provider === undefined ? {} : { provider: this.provider }),
    };

    if (!this.dryRun) return this.operate(out, request, this.yes);

    const ops = await import('../../operations/index.js');
    const ctx = await ops.engineContext(this.home, this.env);
    const io = this.terminalIo(out, this.yes);
    const { plan: described, files, checks, warnings } = await ops.dryRunCreate(ctx, request, io);
    const written = this.out === undefined ? [] : await ops.writeRendered(this.out, files);
    const plan = { ...described, files: files.map((f) => f.path), checks, warnings, ...(this.out === undefined ? {} : { out: this.out }) };
    out.result(plan, () => {
      out.fields([
        ['Formation', plan.name],
        ['Cloudlet', `${plan.cloudlet.name} ${plan.cloudlet.version} (${plan.cloudlet.path})`],
        ['Scenario', `${plan.scenario.name} (${plan.scenario.file})`],
        ['Provider', plan.provider],
        ['Pattern', plan.pattern],
        written.length > 0 ? ['Written', written.join(', ')] : ['Rendered', `${files.map((f) => f.path).join(', ')} (not written; --out DIR writes them)`],
        ['Checked', plan.checks.join('; ') || '-'],
      ]);
      out.line();
      out.table(
        ['PARAMETER', 'VALUE', 'SOURCE'],
        plan.parameters.map((p) => [p.name, p.value === null ? '' : String(p.value), p.source]),
        'no parameters',
      );
      out.line();
      out.line('Dry run: nothing was created.');
    });
    return 0;
  }
}
