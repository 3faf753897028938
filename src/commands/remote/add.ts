import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, NephoCommand } from '../base.js';

/** `remote:add NAME URL --token-stdin`. */
export class RemoteAddCommand extends NephoCommand {
  static override paths = [['remote:add'], ['remote', 'add']];
  static override usage = NephoCommand.Usage({
    category: Category.server,
    description: 'Add a team server (a remote) with its token, read from stdin',
    details: `
      The token is read from the first line of stdin, never from the command line (where the shell history would keep it),
      and kept in $NEPHO_HOME/remotes.json, readable by you only. The server is asked who the token is first (--no-verify skips that).
      The first remote added is put in use: formation commands then go through it (--local ignores it; remote:use switches).
    `,
    examples: [
      ['Add the team server, its token kept in a file', '$0 remote:add team https://nepho.example.com --token-stdin < team.token'],
      ['Add the team server', 'printf %s "$TOKEN" | $0 remote:add team https://nepho.example.com --token-stdin'],
      ['Give it a new token', 'printf %s "$TOKEN" | $0 remote:add team https://nepho.example.com --token-stdin --replace'],
    ],
  });

  name = Option.String({ name: 'name' });
  url = Option.String({ name: 'url' });
  tokenStdin = Option.Boolean('--token-stdin', false, { description: 'Read the token from stdin (required)' });
  replace = Option.Boolean('--replace', false, { description: 'Replace a remote of the same name' });
  verify = Option.Boolean('--verify', true, { description: 'Ask the server who the token is before saving it (--no-verify skips it)' });

  async execute(): Promise<number> {
    if (!this.tokenStdin) {
      throw new NephoError('BAD_ARGUMENT', 'remote:add needs --token-stdin: the token is read from stdin, never from the command line', {
        hint: `printf %s "$TOKEN" | nepho remote:add ${this.name} ${this.url} --token-stdin`,
      });
    }
    const remotes = await import('../../remote/index.js');
    const out = this.output();
    const token = remotes.tokenFrom(await this.terminalIo(out, false).readStdin(remotes.TOKEN_MAX_BYTES));
    const added = await remotes.addRemoteChecked(this.home, { name: this.name, url: this.url, token, replace: this.replace, verify: this.verify });
    out.line(`added remote '${this.name}' (${added.url})${added.whoami ? ` as token '${added.whoami.name}' (${added.whoami.role})` : ''}`);
    if (added.inUse) {
      out.line(
        `formation commands now go through it (--local ignores it${remotes.environmentServer(this.env) ? '; NEPHO_SERVER, set now, wins over it' : ''})`,
      );
    } else {
      out.line(`use it with: nepho remote:use ${this.name}`);
    }
    return 0;
  }
}
