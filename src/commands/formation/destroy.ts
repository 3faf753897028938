import { Option } from 'clipanion';
import { Category, NephoCommand, providerOptions } from '../base.js';
import { OperationCommand } from './operation.js';

/** `formation:destroy NAME` (and the shortcut `destroy`). */
export class FormationDestroyCommand extends OperationCommand {
  static override paths = [['formation:destroy'], ['formation', 'destroy']];
  static override usage = NephoCommand.Usage({
    category: Category.formation,
    description: 'Destroy a formation and follow it to the end',
    details: 'On a terminal nepho asks first; elsewhere pass --yes. When resources cannot be deleted, they are listed with the reasons.',
    examples: [
      ['Destroy', '$0 formation:destroy agmedia'],
      ['Without asking', '$0 destroy agmedia --yes'],
    ],
  });

  name = Option.String({ name: 'name' });
  yes = Option.Boolean('-y,--yes', false, { description: 'Do not ask for confirmation' });
  profile = Option.String('--profile', { description: 'Credentials profile (for a formation not recorded here)' });
  region = Option.String('--region', { description: 'Region (for a formation not recorded here)' });

  async execute(): Promise<number> {
    return this.operate(this.output(), { kind: 'destroy', name: this.name, options: providerOptions(this.profile, this.region) }, this.yes);
  }
}
