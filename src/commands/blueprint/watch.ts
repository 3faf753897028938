import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';
import { detachOnInterrupt } from '../formation/terminal.js';
import { blueprintIo, renderBlueprintResult } from './terminal.js';

/** `blueprint:watch NAME`: re-attach to a blueprint's apply or destroy from any terminal. */
export class BlueprintWatchCommand extends ListingCommand {
  static override paths = [['blueprint:watch'], ['blueprint', 'watch']];
  static override usage = ListingCommand.Usage({
    category: Category.blueprint,
    description: "Replay a blueprint's latest apply or destroy and follow it to the end",
    details: `
      The exit status says how it ended: 0 when every formation succeeded, 1 when any failed or was skipped. Ctrl-C stops watching;
      the operation goes on. When the process carrying it has died, nepho says so: formation:watch picks up a formation's own operation.
    `,
    examples: [['Re-attach', '$0 blueprint:watch shop']],
  });

  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const bp = await import('../../blueprints/index.js');
    const out = this.output();
    const ctx = await bp.blueprintsContext(this.home, this.env);
    const io = blueprintIo(out, this.terminalIo(out, false));
    return renderBlueprintResult(out, await detachOnInterrupt((signal) => bp.watchBlueprint(ctx, this.name, io, signal)), true);
  }
}
