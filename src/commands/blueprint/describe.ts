import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';
import { printPlanView } from './terminal.js';

/** `blueprint:describe CLOUDLET/BLUEPRINT`. */
export class BlueprintDescribeCommand extends ListingCommand {
  static override paths = [['blueprint:describe'], ['blueprint', 'describe']];
  static override usage = ListingCommand.Usage({
    category: Category.blueprint,
    description: 'Show a blueprint: its entries in dependency order, their parameters, and what is still to be answered',
    details: `
      The blueprint is checked whole, as blueprint:apply checks it before anything is created: its format, the entries it names,
      cycles, the scenarios, providers and parameters of each entry, and the outputs one entry reads of another. No provider is called.
      Parameters still to be answered are the required ones no value is found for: blueprint:apply asks for them, or takes -p ENTRY.KEY=VALUE.
    `,
    examples: [
      ['Describe a blueprint', '$0 blueprint:describe mediawiki/wiki-and-twin'],
      ['As JSON', '$0 blueprint:describe huit/mediawiki/wiki-and-twin -o json'],
    ],
  });

  target = Option.String({ name: 'cloudlet/blueprint' });

  async execute(): Promise<number> {
    const bp = await import('../../blueprints/index.js');
    const out = this.output();
    const ctx = await bp.blueprintsContext(this.home, this.env);
    const view = await bp.describeBlueprint(ctx, this.target);
    const { name: _unnamed, kept: _none, ...shown } = view;
    out.result(shown, () => printPlanView(out, view, true));
    return 0;
  }
}
