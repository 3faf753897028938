import { Option } from 'clipanion';
import { Category, ListingCommand, localOption } from '../base.js';

/** `formation:drift NAME`: exit 0 in sync, 2 drifted, 1 on error. */
export class FormationDriftCommand extends ListingCommand {
  static override paths = [['formation:drift'], ['formation', 'drift']];
  static override usage = ListingCommand.Usage({
    category: Category.formation,
    description: 'Check whether a formation still is what it was deployed as',
    details: `
      The provider compares the formation with what it deployed: resource by resource, with each property's expected and actual value where
      it can tell, or the machines that are missing or stopped. Exit status: 0 in sync, 2 drifted, 1 when it could not be checked.
    `,
    examples: [
      ['Check', '$0 formation:drift agmedia'],
      ['In a script', '$0 formation:drift agmedia -o json || echo "drifted or unknown"'],
    ],
  });

  name = Option.String({ name: 'name' });
  local = localOption();

  async execute(): Promise<number> {
    const ops = await import('../../operations/index.js');
    const out = this.output();
    const drift = await ops.driftOf(await ops.engineContext(this.home, this.env, { local: this.local }), this.name);
    out.result(drift, () => {
      if (!drift.drifted) {
        out.line(`${drift.name}: in sync`);
        return;
      }
      out.line(`${drift.name}: drifted`);
      out.line();
      out.table(
        ['RESOURCE', 'TYPE', 'STATUS', 'PROPERTY', 'EXPECTED', 'ACTUAL'],
        drift.resources.flatMap((r) =>
          r.differences.length === 0
            ? [[r.resource, r.type ?? '', r.status, '', '', '']]
            : r.differences.map((d) => [r.resource, r.type ?? '', r.status, d.path, d.expected ?? '', d.actual ?? '']),
        ),
      );
    });
    return drift.drifted ? 2 : 0;
  }
}
