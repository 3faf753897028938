import { Option } from 'clipanion';
import { Category, ListingCommand, localOption } from '../base.js';
import { detachOnInterrupt, renderResult } from './terminal.js';

/** `formation:watch NAME`: re-attach to a formation's operation from any terminal. */
export class FormationWatchCommand extends ListingCommand {
  static override paths = [['formation:watch'], ['formation', 'watch']];
  static override usage = ListingCommand.Usage({
    category: Category.formation,
    description: "Replay a formation's latest operation and follow it to the end",
    details: `
      The exit status says how the operation ended: 0 when it succeeded, 1 when it failed.
      When the background process carrying it has died, the operation is picked up again from the provider when it can tell how it is going,
      or reported as interrupted when the provider cannot resume it. Ctrl-C stops watching; the operation goes on.
      With -o json or yaml, stdout gets one document at the end: the operation and the formation as it left it (events go to stderr).
    `,
    examples: [
      ['Re-attach', '$0 formation:watch agmedia'],
      ['Wait for it in a script', '$0 formation:watch agmedia -o json'],
    ],
  });

  name = Option.String({ name: 'name' });
  local = localOption();

  async execute(): Promise<number> {
    const ops = await import('../../operations/index.js');
    const out = this.output();
    const ctx = await ops.engineContext(this.home, this.env, { local: this.local });
    const io = this.terminalIo(out, false);
    if (out.human) return renderResult(out, await detachOnInterrupt((signal) => ops.watchOperation(ctx, this.name, io, signal)), { watching: true });
    const { result, report } = await detachOnInterrupt((signal) => ops.watchReported(ctx, this.name, io, signal));
    return renderResult(out, result, { watching: true, report });
  }
}
