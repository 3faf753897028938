import { Option } from 'clipanion';
import { Category, NephoCommand } from '../base.js';

/** `remote:remove NAME`. */
export class RemoteRemoveCommand extends NephoCommand {
  static override paths = [['remote:remove'], ['remote', 'remove']];
  static override usage = NephoCommand.Usage({
    category: Category.server,
    description: 'Forget a team server and its token (the server and its formations are untouched)',
    examples: [['Remove', '$0 remote:remove team']],
  });

  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const remotes = await import('../../remote/index.js');
    const out = this.output();
    const wasInUse = await remotes.removeRemote(this.home, this.name);
    out.line(`removed remote '${this.name}'${wasInUse ? '; formation commands act on this machine again' : ''}`);
    return 0;
  }
}
