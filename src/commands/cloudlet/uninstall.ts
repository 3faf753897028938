import { Option } from 'clipanion';
import { Category, NephoCommand } from '../base.js';

/** `cloudlet:uninstall NAME`. */
export class CloudletUninstallCommand extends NephoCommand {
  static override paths = [['cloudlet:uninstall'], ['cloudlet', 'uninstall']];
  static override usage = NephoCommand.Usage({
    category: Category.cloudlet,
    description: 'Remove an installed cloudlet',
    details: 'Refuses while formations created from it exist, or when its files were edited, unless --force is given.',
    examples: [['Remove MediaWiki', '$0 cloudlet:uninstall mediawiki --yes']],
  });

  name = Option.String({ name: 'name' });
  yes = Option.Boolean('-y,--yes', false, { description: 'Do not ask for confirmation' });
  force = Option.Boolean('--force', false, { description: 'Remove even if formations use it or files were edited' });

  async execute(): Promise<number> {
    const cloudlets = await import('../../cloudlets/index.js');
    const out = this.output();
    const ctx = cloudlets.cloudletContext(this.home, this.env, out);
    const damaged = this.name.includes('/') ? cloudlets.findDamaged(ctx.home, this.name) : undefined;
    if (damaged) {
      await cloudlets.uninstallDamaged(ctx, damaged, this.force, () =>
        this.confirm(`Uninstall ${damaged.id} from ${damaged.dir} (its install record is damaged)?`, this.yes),
      );
      out.line(`uninstalled ${damaged.id} (its install record was damaged)`);
      return 0;
    }
    const cloudlet = cloudlets.resolveInstalled(ctx.home, this.name);
    await cloudlets.uninstallCloudlet(ctx, cloudlet, this.force, () =>
      this.confirm(`Uninstall ${cloudlet.record.id} ${cloudlet.record.version} from ${cloudlet.dir}?`, this.yes),
    );
    out.line(`uninstalled ${cloudlet.record.id} ${cloudlet.record.version}`);
    return 0;
  }
}
