import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, NephoCommand } from '../base.js';

/** `remote:use NAME` (or `--none`). */
export class RemoteUseCommand extends NephoCommand {
  static override paths = [['remote:use'], ['remote', 'use']];
  static override usage = NephoCommand.Usage({
    category: Category.server,
    description: 'Choose the team server formation commands go through, or none',
    details: 'NEPHO_SERVER, when set, wins over the remote chosen here; --local on a formation command ignores both.',
    examples: [
      ['Use the team server', '$0 remote:use team'],
      ['Act on this machine again', '$0 remote:use --none'],
    ],
  });

  name = Option.String({ name: 'name', required: false });
  none = Option.Boolean('--none', false, { description: 'Use no server: formation commands act on this machine' });

  async execute(): Promise<number> {
    if ((this.name === undefined) === !this.none) throw new NephoError('BAD_ARGUMENT', 'name a remote, or pass --none (not both)');
    const remotes = await import('../../remote/index.js');
    const out = this.output();
    await remotes.useRemote(this.home, this.name);
    out.line(this.name === undefined ? 'no remote in use: formation commands act on this machine' : `formation commands now go through remote '${this.name}'`);
    if (remotes.environmentServer(this.env)) out.warn('NEPHO_SERVER is set and wins over the remote in use');
    return 0;
  }
}
