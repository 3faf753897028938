import { Option } from 'clipanion';
import { Category, NephoCommand, providerOptions } from '../base.js';

/** `formation:destroy NAME` (and the shortcut `destroy`). */
export class FormationDestroyCommand extends NephoCommand {
  static override paths = [['formation:destroy'], ['formation', 'destroy']];
  static override usage = NephoCommand.Usage({
    category: Category.formation,
    description: 'Destroy a formation and follow it to the end',
    details: 'On a terminal nepho asks first; elsewhere pass --yes. When resources cannot be deleted, they are listed with the reasons.',
    examples: [['Destroy', '$0 formation:destroy agmedia'], ['Without asking', '$0 destroy agmedia --yes']],
  });

  name = Option.String({ name: 'name' });
  yes = Option.Boolean('-y,--yes', false, { description: 'Do not ask for confirmation' });
  profile = Option.String('--profile', { description: 'AWS profile (for a formation not recorded here)' });
  region = Option.String('--region', { description: 'AWS region (for a formation not recorded here)' });
  detach = Option.Boolean('--detach', false, { description: 'Return once the provider has accepted; the nanny carries on' });
  foreground = Option.Boolean('--foreground', false, { description: 'Run in this process, without a background nanny' });

  async execute(): Promise<number> {
    const { findFormation } = await import('../../formations/inventory.js');
    const { readRecord, writeRecord } = await import('../../formations/records.js');
    const { operate } = await import('./progress.js');
    const { NephoError } = await import('../../errors.js');
    if (this.detach && this.foreground) throw new NephoError('BAD_ARGUMENT', '--detach and --foreground cannot go together');
    const out = this.output();
    const home = this.home;
    const registry = await this.plugins();
    const options = providerOptions(this.profile, this.region);
    const record = await findFormation(home, registry, this.name, options, this.env);
    await this.confirm(`Destroy formation ${record.name} (${record.cloudlet}, scenario ${record.scenario}, ${record.provider})? Everything in it will be deleted.`, this.yes);
    // A formation found only at the provider gets a local record for the operation.
    if (!readRecord(home, record.name)) writeRecord(home, record);
    return operate(this, out, { kind: 'destroy', home, record }, {
      detach: this.detach, foreground: this.foreground, env: this.env,
    }, this.yes);
  }
}
