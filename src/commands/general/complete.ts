import { Option } from 'clipanion';
import { commandSpec } from '../../help.js';
import { nephoHome } from '../../home.js';
import { NephoCommand } from '../base.js';

/** `__complete SHELL WORD...`: the candidates for the last word, one a line (what the completion scripts call). */
export class CompleteCommand extends NephoCommand {
  static override paths = [['__complete']];

  shell = Option.String();
  words = Option.Proxy();

  async execute(): Promise<number> {
    const completion = await import('../../completion.js');
    // The home as it is: completing never creates it.
    const specs = this.catalogue.map(commandSpec);
    const words = this.words.length === 0 ? [''] : this.words;
    const candidates = await completion.completeWords(this.shell, words, specs, nephoHome(this.env));
    this.output().stdout.write(candidates.map((c) => `${c}\n`).join(''));
    return 0;
  }
}
