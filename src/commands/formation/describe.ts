import { Option } from 'clipanion';
import { Category, ListingCommand, providerOptions } from '../base.js';

/** `formation:describe NAME`. */
export class FormationDescribeCommand extends ListingCommand {
  static override paths = [['formation:describe'], ['formation', 'describe']];
  static override usage = ListingCommand.Usage({
    category: Category.formation,
    description: 'Show a formation: status, cloudlet, scenario, parameters, outputs, resources, URL and ssh target',
    examples: [['Describe', '$0 formation:describe agmedia'], ['As YAML', '$0 formation:describe agmedia -o yaml']],
  });

  name = Option.String({ name: 'name' });
  profile = Option.String('--profile', { description: 'AWS profile (for a formation not recorded here)' });
  region = Option.String('--region', { description: 'AWS region (for a formation not recorded here)' });

  async execute(): Promise<number> {
    const { findProvider } = await import('../../plugins.js');
    const { findFormation } = await import('../../formations/inventory.js');
    const { refOf } = await import('../../formations/operations.js');
    const { formationUrl, sshEndpointFromAccess } = await import('../../formations/access.js');
    const { MASK } = await import('../../scenarios/parameters.js');
    const out = this.output();
    const home = this.home;
    const registry = await this.plugins();
    const options = providerOptions(this.profile, this.region);
    const record = await findFormation(home, registry, this.name, options, this.env);
    const provider = findProvider(registry, record.provider, `formation ${record.name}: provider`);
    const state = await provider.describe(refOf(record), record.options, this.env);
    let ssh: string | undefined;
    try {
      const endpoint = provider.sshEndpoint ? await provider.sshEndpoint(refOf(record), record.options, this.env) : undefined;
      const e = endpoint ?? (record.access.ssh ? sshEndpointFromAccess(record, state.outputs) : undefined);
      if (e) ssh = `${e.user ? `${e.user}@` : ''}${e.host}:${e.port}${e.bastion ? ` via ${e.bastion.user ? `${e.bastion.user}@` : ''}${e.bastion.host}:${e.bastion.port}` : ''}`;
    } catch {
      ssh = undefined; // not reachable yet: describe still shows everything else
    }
    const parameters = { ...record.parameters, ...Object.fromEntries(record.secrets.map((s) => [s, MASK])) };
    const data = {
      name: record.name, status: state.exists ? state.status : 'GONE', inProgress: state.inProgress,
      cloudlet: record.cloudlet, version: record.version, scenario: record.scenario, provider: record.provider,
      createdAt: record.createdAt, url: formationUrl(record, state.outputs) ?? null, ssh: ssh ?? null,
      parameters, outputs: state.outputs, resources: state.resources,
    };
    out.result(data, () => {
      out.fields([
        ['Name', data.name], ['Status', data.status], ['Cloudlet', `${data.cloudlet} ${data.version}`], ['Scenario', data.scenario],
        ['Provider', data.provider], ['Created', data.createdAt], ['URL', data.url ?? undefined], ['SSH', data.ssh ?? undefined],
      ]);
      out.line();
      out.table(['PARAMETER', 'VALUE'], Object.entries(parameters).map(([k, v]) => [k, String(v)]), 'no parameters');
      out.line();
      out.table(['OUTPUT', 'VALUE'], Object.entries(state.outputs).map(([k, v]) => [k, v]), 'no outputs');
      out.line();
      out.table(['RESOURCE', 'TYPE', 'STATUS', 'PHYSICAL ID'], state.resources.map((r) => [r.id, r.type, r.status, r.physicalId ?? '']), 'no resources');
    });
    return 0;
  }
}
