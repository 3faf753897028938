import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';

/** `cloudlet:install NAME[@RANGE] | GIT-URL[#REF] | PATH`. */
export class CloudletInstallCommand extends ListingCommand {
  static override paths = [['cloudlet:install'], ['cloudlet', 'install']];
  static override usage = ListingCommand.Usage({
    category: Category.cloudlet,
    description: 'Install a cloudlet, pinned to an exact commit',
    details: `
      From a registry (NAME or NAME@RANGE), a git repository (URL#REF) or a local directory (PATH).
      The content is checked against the registry's commit and digest before it is moved into place.
      Git URLs and paths install as local/NAME unless --as gives another owner/name.
    `,
    examples: [
      ['From the registries', '$0 cloudlet:install huit/mediawiki'],
      ['A version range', '$0 cloudlet:install huit/mediawiki@^0.7'],
      ['From git', '$0 cloudlet:install https://github.com/huit/nepho-mediawiki.git#v0.7.2'],
      ['Link a directory you are editing', '$0 cloudlet:install ./my-cloudlet --develop'],
    ],
  });

  spec = Option.String({ name: 'name[@range]|git-url[#ref]|path' });
  develop = Option.Boolean('--develop', false, { description: 'Link the local directory instead of copying it' });
  as = Option.String('--as', { description: 'Install a git URL or path under this owner/name' });
  force = Option.Boolean('--force', false, { description: 'Replace an installed copy even if its files were edited' });

  async execute(): Promise<number> {
    const cloudlets = await import('../../cloudlets/index.js');
    const out = this.output();
    const ctx = cloudlets.cloudletContext(this.home, this.env, out);
    const outcome = await out.slow(`installing ${this.spec}`, () =>
      cloudlets.installCloudlet(ctx, cloudlets.parseInstallSpec(this.spec), {
        develop: this.develop,
        force: this.force,
        ...(this.as === undefined ? {} : { as: this.as }),
      }),
    );
    const { record, dir } = outcome.cloudlet;
    if (outcome.action === 'unchanged') {
      out.notice(`${record.id} ${record.version} is already installed`);
    }
    const label = `${dir.slice(ctx.home.cloudlets.length + 1)} (v${record.version})${record.develop ? ` -> ${record.source}` : ''}`;
    // As cloudlet:list shows it, with what the install did.
    out.result({ ...cloudlets.cloudletListing(outcome.cloudlet), action: outcome.action, previous: outcome.previous ?? null }, () =>
      out.tree(ctx.home.cloudlets, [{ label }]),
    );
    if (outcome.action === 'replaced' && outcome.previous !== undefined && outcome.previous !== record.version) {
      out.notice(`replaced v${outcome.previous}`);
    }
    return 0;
  }
}
