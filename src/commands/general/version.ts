import { VERSION } from '../../version.js';
import { Category, ListingCommand } from '../base.js';

/** `version [-o json|yaml]`: nepho's version, the Node it runs on, and the providers and provisioners it found. */
export class VersionCommand extends ListingCommand {
  static override paths = [['version']];
  static override usage = ListingCommand.Usage({
    category: Category.general,
    description: 'Show the version of nepho, of Node, and the providers and provisioners found',
    details:
      '`nepho --version` prints the version number alone. The providers and provisioners are the built-in ones and those the plugins named in config.yaml add.',
    examples: [
      ['For a bug report', '$0 version'],
      ['As JSON', '$0 version -o json'],
    ],
  });

  async execute(): Promise<number> {
    const plugins = await import('../../plugins.js');
    const out = this.output();
    const found = await plugins.pluginInventory(this.home);
    const data = { version: VERSION, node: process.version, platform: process.platform, arch: process.arch, ...found };
    const names = (list: { name: string; builtin: boolean }[]) => list.map((p) => (p.builtin ? p.name : `${p.name} (plugin)`)).join(', ') || '-';
    out.result(data, () =>
      out.fields([
        ['nepho', VERSION],
        ['Node', `${process.version} (${process.platform}-${process.arch})`],
        ['Providers', names(found.providers)],
        ['Provisioners', names(found.provisioners)],
      ]),
    );
    return 0;
  }
}
