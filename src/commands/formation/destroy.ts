import { Option } from 'clipanion';
import { Category, NephoCommand, providerOptions } from '../base.js';
import { inMode, renderResult, runModeOf } from './terminal.js';

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
  profile = Option.String('--profile', { description: 'Credentials profile (for a formation not recorded here)' });
  region = Option.String('--region', { description: 'Region (for a formation not recorded here)' });
  detach = Option.Boolean('--detach', false, { description: 'Return once the provider has accepted; the nanny carries on' });
  foreground = Option.Boolean('--foreground', false, { description: 'Run in this process, without a background nanny' });

  async execute(): Promise<number> {
    const ops = await import('../../operations/index.js');
    const out = this.output();
    const ctx = await ops.engineContext(this.home, this.env);
    const request = { kind: 'destroy' as const, name: this.name, options: providerOptions(this.profile, this.region) };
    const io = this.terminalIo(out, this.yes);
    const result = await inMode(runModeOf(this.detach, this.foreground), (run) => ops.runOperation(ctx, request, io, run));
    return renderResult(out, result);
  }
}
