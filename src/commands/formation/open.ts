import { Option } from 'clipanion';
import { Category, NephoCommand, localOption } from '../base.js';

/** `formation:open NAME [--print]` (and the shortcut `open`). */
export class FormationOpenCommand extends NephoCommand {
  static override paths = [['formation:open'], ['formation', 'open']];
  static override usage = NephoCommand.Usage({
    category: Category.formation,
    description: "Open a formation's URL in a browser, and print it",
    details: `
      The URL is the scenario's access.url, filled from the formation's outputs and parameters. Only http and https URLs are opened.
      When no browser can be started (a server without a desktop), the URL is printed all the same.
    `,
    examples: [
      ['Open', '$0 formation:open agmedia'],
      ['Only print the URL', '$0 open agmedia --print'],
    ],
  });

  name = Option.String({ name: 'name' });
  print = Option.Boolean('--print', false, { description: 'Only print the URL' });
  local = localOption();

  async execute(): Promise<number> {
    const ops = await import('../../operations/index.js');
    const out = this.output();
    const ctx = await ops.engineContext(this.home, this.env, { local: this.local });
    const url = await ops.formationUrlOf(ctx, this.name);
    out.line(url);
    if (this.print) return 0;
    const failure = await ops.openInBrowser(url);
    if (failure) out.notice(`could not start a browser here (${failure}); open the URL above yourself`);
    return 0;
  }
}
