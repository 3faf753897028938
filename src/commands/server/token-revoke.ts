import { Option } from 'clipanion';
import { Category, NephoCommand } from '../base.js';

/** `server:token:revoke NAME`. */
export class ServerTokenRevokeCommand extends NephoCommand {
  static override paths = [['server:token:revoke'], ['server', 'token', 'revoke']];
  static override usage = NephoCommand.Usage({
    category: Category.server,
    description: 'Revoke a team server token: every replica refuses it from now on',
    examples: [['Revoke', '$0 server:token:revoke wallboard']],
  });

  database = Option.String('--database', { description: "postgres:// URL of the server's database (default: DATABASE_URL, else the embedded one)" });
  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const { tokenRevoke } = await import('../../server/index.js');
    const revoked = await tokenRevoke(this.home, this.database ?? this.env.DATABASE_URL, this.name);
    this.output().notice(`token '${revoked.name}' revoked`);
    return 0;
  }
}
