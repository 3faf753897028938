// Imported statically, not on demand: a few hundred lines of fs reads that
// keep `cloudlet:list` off Node's ES module loader (see scripts/bundle.js).
import { cloudletListing, repairCommand, scanInstalled } from '../../cloudlets/installed.js';
import { NephoError } from '../../errors.js';
import { Category, ListingCommand } from '../base.js';

/** `cloudlet:list`: installed cloudlets as a tree. */
export class CloudletListCommand extends ListingCommand {
  static override paths = [['cloudlet:list'], ['cloudlet', 'list']];
  static override usage = ListingCommand.Usage({
    category: Category.cloudlet,
    description: 'List installed cloudlets',
    details: 'A cloudlet whose install record is damaged is listed as such, with the file, and the command exits with status 1.',
    examples: [
      ['As a tree', '$0 cloudlet:list'],
      ['As JSON', '$0 cloudlet:list -o json'],
    ],
  });

  async execute(): Promise<number> {
    const out = this.output();
    const home = this.home;
    const { installed, damaged } = scanInstalled(home);
    const entry = (dir: string) => dir.slice(home.cloudlets.length + 1);
    const data = [
      ...installed.map(cloudletListing),
      ...damaged.map((d) => ({
        name: d.id,
        version: null,
        path: d.dir,
        source: d.linkTarget ?? null,
        ref: null,
        commit: null,
        range: null,
        registry: null,
        develop: d.linkTarget !== undefined,
        damaged: `${d.file}: ${d.problem}`,
      })),
    ];
    out.result(data, () =>
      out.tree(
        home.cloudlets,
        [
          ...installed.map(({ record, dir }) => ({
            label: `${entry(dir)} (v${record.version})${record.develop ? out.style.dim(` -> ${record.source}`) : ''}`,
          })),
          ...damaged.map((d) => ({ label: `${entry(d.dir)} ${out.style.red(`(damaged: ${d.file}: ${d.problem})`)}` })),
        ].sort((a, b) => (a.label < b.label ? -1 : 1)),
      ),
    );
    if (damaged.length > 0) {
      // Listed above, never hidden; the exit status says something needs repair.
      throw new NephoError(
        'CLOUDLET_DAMAGED',
        `${damaged.length} installed cloudlet(s) with a damaged install record: ${damaged.map((d) => `${d.file} (${d.problem})`).join('; ')}`,
        {
          hint: damaged.map(repairCommand).join('; '),
        },
      );
    }
    return 0;
  }
}
