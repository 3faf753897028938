import { Option } from 'clipanion';
import { Category, NephoCommand } from '../base.js';

/** `server:token:create NAME --role ROLE`: prints the token, once. */
export class ServerTokenCreateCommand extends NephoCommand {
  static override paths = [['server:token:create'], ['server', 'token', 'create']];
  static override usage = NephoCommand.Usage({
    category: Category.server,
    description: 'Make a token for the team server and print it (the only time it is shown)',
    details:
      'Roles: `viewer` reads, `operator` also runs operations, `admin` also manages tokens. Acts on the same database as `nepho server` (`--database`, DATABASE_URL, or the embedded one, which the server must not have open).',
    examples: [
      ['The first admin', '$0 server:token:create alice --role admin'],
      ['A read-only token for a dashboard', '$0 server:token:create wallboard --role viewer --database postgres://nepho@db/nepho'],
    ],
  });

  role = Option.String('--role', { required: true, description: 'viewer, operator or admin' });
  database = Option.String('--database', { description: "postgres:// URL of the server's database (default: DATABASE_URL, else the embedded one)" });
  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const { tokenCreate } = await import('../../server/index.js');
    const made = await tokenCreate(this.home, this.database ?? this.env.DATABASE_URL, this.name, this.role);
    const out = this.output();
    out.line(made.token);
    out.notice(`token '${made.info.name}' (${made.info.role}) made; it is not shown again`);
    return 0;
  }
}
