import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';

/** `scenario:describe CLOUDLET/SCENARIO`. */
export class ScenarioDescribeCommand extends ListingCommand {
  static override paths = [['scenario:describe'], ['scenario', 'describe']];
  static override usage = ListingCommand.Usage({
    category: Category.scenario,
    description: 'Show a scenario: its merged configuration, its parameters, and how to give them values',
    examples: [
      ['Describe a scenario', '$0 scenario:describe mediawiki/multi-tenant'],
      ['As JSON', '$0 scenario:describe mediawiki -o json'],
    ],
  });

  target = Option.String({ name: 'cloudlet/scenario' });

  async execute(): Promise<number> {
    const scenarios = await import('../../scenarios/index.js');
    const out = this.output();
    const registry = await scenarios.configuredPlugins(this.home);
    const d = await scenarios.describeScenario(this.home, this.target, registry);
    // People read the configuration as they write it; data gets nepho's camelCase keys.
    out.result({ ...d, configuration: scenarios.camelConfiguration(d.configuration) }, () => {
      const rule = '-'.repeat(48);
      out.fields([
        ['Name', d.name],
        ['Cloudlet', `${d.cloudlet} ${d.version}`],
        ['Summary', d.summary],
        ['Description', d.description?.trim()],
      ]);
      out.line(rule);
      out.line('Scenario Configuration:');
      out.line(rule);
      out.yaml(d.configuration);
      out.line(rule);
      out.line('Parameters:');
      out.line(rule);
      out.table(
        ['NAME', 'TYPE', 'DEFAULT', 'CONSTRAINTS', 'FROM', 'DESCRIPTION'],
        d.parameters.map((p) => [
          `${p.name}${p.required ? '*' : ''}`,
          p.secret ? `${p.type}, secret` : p.type,
          p.default === undefined ? '' : String(p.default),
          p.constraints.join('; '),
          p.declaredIn.join(', '),
          p.description ?? '',
        ]),
        'no parameters',
      );
      out.line(rule);
      // Installed files are the cloudlet's own (cloudlet:verify reports edits): values go elsewhere.
      const [first] = d.parameters;
      const example = first ? `${first.name}=VALUE` : 'NAME=VALUE';
      out.line('Give values without editing the cloudlet:');
      out.line(`  for one formation:     nepho formation:create ${d.cloudlet}/${d.name} -p ${example} (or --params-file FILE)`);
      out.line(`  for every formation:   nepho parameter:set ${example.replace('=', ' ')} --cloudlet ${d.cloudlet} --scenario ${d.name}`);
      out.line(`To change the scenario itself, work on your own copy: nepho cloudlet:install DIR --develop (scenario file: ${d.file})`);
    });
    return 0;
  }
}
