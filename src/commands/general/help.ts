import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { commandSpec, helpWidth, renderCommandHelp, renderGeneralHelp } from '../../help.js';
import { closestMatches } from '../../suggest.js';
import { VERSION } from '../../version.js';
import { Category, NephoCommand } from '../base.js';

/** `help [COMMAND]`: the general help, or one command's (as `COMMAND --help`). */
export class HelpCommand extends NephoCommand {
  static override paths = [['help']];
  static override usage = NephoCommand.Usage({
    category: Category.general,
    description: 'Show the list of commands, or the help of one command',
    details: 'A command may be named in its colon form (`cloudlet:install`) or its space form (`cloudlet install`).',
    examples: [
      ['Every command', '$0 help'],
      ['One command', '$0 help cloudlet:install'],
    ],
  });

  words = Option.Rest({ name: 'command' });

  async execute(): Promise<number> {
    const out = this.output();
    const width = helpWidth(this.env);
    if (this.words.length === 0) {
      out.stdout.write(renderGeneralHelp(this.catalogue, 'nepho', VERSION, out.style, width));
      return 0;
    }
    const wanted = this.words.join(' ');
    const found = this.catalogue.find((c) => c.usage !== undefined && c.paths?.some((p) => p.join(' ') === wanted || p.join(':') === this.words.join(':')));
    if (!found) {
      const names = this.catalogue.filter((c) => c.usage !== undefined).map((c) => commandSpec(c).path);
      const matches = closestMatches(this.words.join(':'), names);
      throw new NephoError(
        'UNKNOWN_COMMAND',
        `unknown command '${wanted}'${matches.length > 0 ? `; did you mean ${matches.map((m) => `'${m}'`).join(', ')}?` : ''}`,
      );
    }
    out.stdout.write(renderCommandHelp(found, 'nepho', out.style, width));
    return 0;
  }
}
