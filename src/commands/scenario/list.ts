import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';

/** `scenario:list CLOUDLET`. */
export class ScenarioListCommand extends ListingCommand {
  static override paths = [['scenario:list'], ['scenario', 'list']];
  static override usage = ListingCommand.Usage({
    category: Category.scenario,
    description: "List a cloudlet's scenarios with their summaries",
    examples: [['MediaWiki scenarios', '$0 scenario:list mediawiki']],
  });

  cloudlet = Option.String({ name: 'cloudlet' });

  async execute(): Promise<number> {
    const { resolveInstalled } = await import('../../cloudlets/installed.js');
    const { listScenarios } = await import('../../scenarios/scenario.js');
    const out = this.output();
    const scenarios = listScenarios(resolveInstalled(this.home, this.cloudlet).dir);
    out.result(scenarios, () => {
      const width = Math.max(0, ...scenarios.map((s) => s.name.length));
      for (const s of scenarios) out.line(`${out.style.bold(s.name.padEnd(width))}  ${s.summary}`);
    });
    return 0;
  }
}
