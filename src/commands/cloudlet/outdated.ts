import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';

/** `cloudlet:outdated [NAME...]`. */
export class CloudletOutdatedCommand extends ListingCommand {
  static override paths = [['cloudlet:outdated'], ['cloudlet', 'outdated']];
  static override usage = ListingCommand.Usage({
    category: Category.cloudlet,
    description: 'List installed cloudlets that have newer versions',
    details: 'WANTED is the newest version the recorded range allows (what cloudlet:update installs); LATEST is the newest there is.',
    examples: [['Check everything', '$0 cloudlet:outdated']],
  });

  names = Option.Rest({ name: 'names' });

  async execute(): Promise<number> {
    const cloudlets = await import('../../cloudlets/index.js');
    const out = this.output();
    const rows = await cloudlets.outdatedCloudlets(cloudlets.cloudletContext(this.home, this.env, out), this.names);
    // The cloudlet is `name` in every listing, as cloudlet:list and cloudlet:describe say it.
    out.result(cloudlets.named(rows), () =>
      out.table(
        ['CLOUDLET', 'CURRENT', 'WANTED', 'LATEST', 'REGISTRY'],
        rows.map((r) => [r.id, r.current, r.wanted, r.latest, r.registry]),
        'all cloudlets are up to date',
      ),
    );
    return 0;
  }
}
