import { Option } from 'clipanion';
import { Category, ListingCommand, providerOptions, localOption } from '../base.js';

/** `formation:describe NAME`. */
export class FormationDescribeCommand extends ListingCommand {
  static override paths = [['formation:describe'], ['formation', 'describe']];
  static override usage = ListingCommand.Usage({
    category: Category.formation,
    description: 'Show a formation: status, cloudlet, scenario, parameters, outputs, resources, URL and ssh target',
    examples: [
      ['Describe', '$0 formation:describe agmedia'],
      ['As YAML', '$0 formation:describe agmedia -o yaml'],
    ],
  });

  name = Option.String({ name: 'name' });
  local = localOption();
  profile = Option.String('--profile', { description: 'Credentials profile (for a formation not recorded here)' });
  region = Option.String('--region', { description: 'Region (for a formation not recorded here)' });

  async execute(): Promise<number> {
    const ops = await import('../../operations/index.js');
    const out = this.output();
    const ctx = await ops.engineContext(this.home, this.env, { local: this.local });
    const data = await ops.describeFormation(ctx, this.name, providerOptions(this.profile, this.region));
    out.result(data, () => {
      out.fields([
        ['Name', data.name],
        ['Status', data.status],
        [
          'Cloudlet',
          `${data.cloudlet} ${data.version}${data.commit ? ` (${data.commit.slice(0, 12)})` : ''}${data.installed.newer ? `; ${data.installed.version} is installed: nepho formation:update ${data.name}` : ''}`,
        ],
        ['Scenario', data.scenario],
        ['Provider', data.provider],
        ['Created', data.createdAt],
        ['URL', data.url ?? undefined],
        ['SSH', data.ssh ?? undefined],
      ]);
      out.line();
      out.table(
        ['PARAMETER', 'VALUE'],
        Object.entries(data.parameters).map(([k, v]) => [k, String(v)]),
        'no parameters',
      );
      out.line();
      out.table(
        ['OUTPUT', 'VALUE'],
        Object.entries(data.outputs).map(([k, v]) => [k, v]),
        'no outputs',
      );
      out.line();
      out.table(
        ['RESOURCE', 'TYPE', 'STATUS', 'PHYSICAL ID'],
        data.resources.map((r) => [r.id, r.type, r.status, r.physicalId ?? '']),
        'no resources',
      );
    });
    return 0;
  }
}
