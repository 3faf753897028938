import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';
import { OperationCommand } from './operation.js';

/** `formation:update NAME`: the installed cloudlet and the recorded answers, with changes, previewed then applied. */
export class FormationUpdateCommand extends OperationCommand {
  static override paths = [['formation:update'], ['formation', 'update']];
  static override usage = ListingCommand.Usage({
    category: Category.formation,
    description: 'Update a formation to the installed cloudlet and new parameter values, after a preview',
    details: `
      The formation is rendered again from the installed cloudlet (after cloudlet:update, its new version) with the values it was deployed with,
      overridden by -p and --params-file. A parameter the new version adds is asked for (or named, with --no-input); one it removes is dropped.
      Secrets you do not give again are kept by the provider; nepho never stores them.

      The preview comes first: the resources that would be added, modified or removed (and whether they are replaced), or the diff of the
      provider's files, with the parameter and version changes. --dry-run stops there and leaves nothing behind. Otherwise nepho asks on a
      terminal (-y skips it), then applies the update and follows it like create: Ctrl-C detaches, formation:watch re-attaches.
      Nothing to change prints \`no changes\` and exits 0. A failed update keeps the record's answers as they are really deployed.
    `,
    examples: [
      ['Change a parameter', '$0 formation:update agmedia -p InstanceType=t3.medium'],
      ['See what moving to the installed version would do', '$0 formation:update agmedia --dry-run'],
      ['Apply without asking', '$0 formation:update agmedia -y'],
    ],
  });

  name = Option.String({ name: 'name' });
  params = Option.Array('-p,--param', [], { description: 'KEY=VALUE, repeatable; overrides the deployed value' });
  paramsFiles = Option.Array('--params-file', [], { description: 'YAML or JSON file of parameters, repeatable' });
  noInput = Option.Boolean('--no-input', false, { description: 'Never prompt; fail naming every missing parameter' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'Show the preview and change nothing' });
  yes = Option.Boolean('-y,--yes', false, { description: 'Apply without asking' });

  async execute(): Promise<number> {
    return this.operate(
      this.output(),
      {
        kind: 'update',
        name: this.name,
        params: this.params ?? [],
        paramsFiles: this.paramsFiles ?? [],
        noInput: this.noInput,
        dryRun: this.dryRun,
        options: {},
      },
      this.yes,
    );
  }
}
