import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';

/** `blueprint:list CLOUDLET`. */
export class BlueprintListCommand extends ListingCommand {
  static override paths = [['blueprint:list'], ['blueprint', 'list']];
  static override usage = ListingCommand.Usage({
    category: Category.blueprint,
    description: "List a cloudlet's blueprints (several formations applied together) with their summaries",
    details: 'A blueprint is a file blueprints/NAME.yaml in a cloudlet. A file that does not read says why in place of its summary.',
    examples: [
      ['The blueprints of a cloudlet', '$0 blueprint:list mediawiki'],
      ['As JSON', '$0 blueprint:list huit/mediawiki -o json'],
    ],
  });

  cloudlet = Option.String({ name: 'cloudlet' });

  async execute(): Promise<number> {
    const { cloudletBlueprints } = await import('../../blueprints/index.js');
    const out = this.output();
    const blueprints = cloudletBlueprints(this.home, this.cloudlet);
    out.result(blueprints, () => {
      if (blueprints.length === 0) out.notice(`${this.cloudlet} has no blueprints`);
      const width = Math.max(0, ...blueprints.map((b) => b.name.length));
      for (const b of blueprints) out.line(`${out.style.bold(b.name.padEnd(width))}  ${b.summary}`);
    });
    return 0;
  }
}
