import { Category, ListingCommand } from '../base.js';

/** `remote:list`. */
export class RemoteListCommand extends ListingCommand {
  static override paths = [['remote:list'], ['remote', 'list']];
  static override usage = ListingCommand.Usage({
    category: Category.server,
    description: 'List the team servers (remotes) and the one formation commands go through',
    details: 'NEPHO_SERVER, when set, is listed first and is the one in use. Tokens are never shown.',
    examples: [
      ['List', '$0 remote:list'],
      ['As JSON', '$0 remote:list -o json'],
    ],
  });

  async execute(): Promise<number> {
    const remotes = await import('../../remote/index.js');
    const out = this.output();
    const listed = remotes.remoteListing(this.home, this.env);
    out.result(listed, () =>
      out.table(
        ['NAME', 'URL', 'IN USE', 'SOURCE'],
        listed.map((r) => [r.name, r.url, r.inUse ? 'yes' : '', r.source === 'environment' ? 'NEPHO_SERVER' : 'remotes.json']),
        'no remotes: formation commands act on this machine (nepho remote:add NAME URL --token-stdin adds one)',
      ),
    );
    return 0;
  }
}
