import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';

/** `server:token:list`. */
export class ServerTokenListCommand extends ListingCommand {
  static override paths = [['server:token:list'], ['server', 'token', 'list']];
  static override usage = ListingCommand.Usage({
    category: Category.server,
    description: "List the team server's tokens: names, roles, when made and revoked (never their values)",
    examples: [
      ['List', '$0 server:token:list'],
      ['As JSON', '$0 server:token:list -o json'],
    ],
  });

  database = Option.String('--database', { description: "postgres:// URL of the server's database (default: DATABASE_URL, else the embedded one)" });

  async execute(): Promise<number> {
    const out = this.output();
    const { tokenList } = await import('../../server/index.js');
    const tokens = await tokenList(this.home, this.database ?? this.env.DATABASE_URL);
    out.result(tokens, () =>
      out.table(
        ['NAME', 'ROLE', 'CREATED', 'REVOKED'],
        tokens.map((t) => [t.name, t.role, t.createdAt.replace('T', ' ').slice(0, 19), t.revokedAt ? t.revokedAt.replace('T', ' ').slice(0, 19) : '']),
        'no tokens',
      ),
    );
    return 0;
  }
}
