// Imported statically, not on demand: a few hundred lines of fs reads that
// keep `cloudlet:list` off Node's ES module loader (see scripts/bundle.js).
import { listInstalled } from '../../cloudlets/installed.js';
import { redactUrl } from '../../output.js';
import { Category, ListingCommand } from '../base.js';

/** `cloudlet:list`: installed cloudlets as a tree. */
export class CloudletListCommand extends ListingCommand {
  static override paths = [['cloudlet:list'], ['cloudlet', 'list']];
  static override usage = ListingCommand.Usage({
    category: Category.cloudlet,
    description: 'List installed cloudlets',
    examples: [['As a tree', '$0 cloudlet:list'], ['As JSON', '$0 cloudlet:list -o json']],
  });

  async execute(): Promise<number> {
    const out = this.output();
    const home = this.home;
    const installed = listInstalled(home);
    const data = installed.map(({ record, dir }) => ({
      name: record.id, version: record.version, path: dir, source: redactUrl(record.source),
      ref: record.ref ?? null, commit: record.commit ?? null, range: record.range ?? null,
      registry: record.registry ?? null, develop: record.develop ?? false,
    }));
    out.result(data, () =>
      out.tree(home.cloudlets, installed.map(({ record, dir }) => ({
        label: `${dir.slice(home.cloudlets.length + 1)} (v${record.version})${record.develop ? out.style.dim(` -> ${record.source}`) : ''}`,
      }))),
    );
    return 0;
  }
}
