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
    const scenarios = await import('../../scenarios/index.js');
    const out = this.output();
    const listed = scenarios.listScenarios(scenarios.resolveInstalled(this.home, this.cloudlet).dir);
    out.result(listed, () => {
      const width = Math.max(0, ...listed.map((s) => s.name.length));
      for (const s of listed) out.line(`${out.style.bold(s.name.padEnd(width))}  ${s.summary}`);
    });
    return 0;
  }
}
