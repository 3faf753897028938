import { Option } from 'clipanion';
import { resolve } from 'node:path';
import { Category, NephoCommand } from '../base.js';
import { OperationCommand } from './operation.js';

/** `formation:provision NAME`: run the scenario's bootstrap again on the formation's hosts. */
export class FormationProvisionCommand extends OperationCommand {
  static override paths = [['formation:provision'], ['formation', 'provision']];
  static override usage = NephoCommand.Usage({
    category: Category.formation,
    description: "Run the scenario's bootstrap again on a formation's hosts",
    details: `
      The bootstrap is rendered again from the installed cloudlet with the values the formation was deployed with, and the same NEPHO_*
      environment as on first boot. Providers that can provision do it their own way (a local machine's own provisioning); otherwise nepho runs it as root
      over ssh, connecting as formation:ssh does (through the bastion, with -i and --user). Its output streams here and into the journal, and
      its exit status is nepho's. Secret parameters are never kept, so a run has only those you give again with -p.
    `,
    examples: [
      ['Run the bootstrap again', '$0 formation:provision agmedia'],
      ['With a key and a secret for this run', '$0 formation:provision agmedia -i ~/.ssh/agmedia.pem -p AdminPassword=...'],
    ],
  });

  name = Option.String({ name: 'name' });
  params = Option.Array('-p,--param', [], { description: 'KEY=VALUE for this run only (secrets), repeatable' });
  identity = Option.String('-i', { description: 'Private key file for ssh, for the host and the bastion' });
  user = Option.String('--user', { description: 'Log in to the host as this user' });
  override detach = Option.Boolean('--detach', false, { description: 'Return once the run has started; the nanny carries on' });

  async execute(): Promise<number> {
    return this.operate(
      this.output(),
      {
        kind: 'provision',
        name: this.name,
        params: this.params ?? [],
        options: {},
        ...(this.identity === undefined ? {} : { identity: resolve(this.identity) }),
        ...(this.user === undefined ? {} : { user: this.user }),
      },
      false,
    );
  }
}
