import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, ListingCommand } from '../base.js';

/** `cloudlet:describe NAME[@RANGE]`: what the registry knows of a cloudlet. */
export class CloudletDescribeCommand extends ListingCommand {
  static override paths = [['cloudlet:describe'], ['cloudlet', 'describe']];
  static override usage = ListingCommand.Usage({
    category: Category.cloudlet,
    description: 'Show what the registries know about a cloudlet',
    examples: [
      ['Describe MediaWiki', '$0 cloudlet:describe huit/mediawiki'],
      ['Versions in a range', '$0 cloudlet:describe huit/mediawiki@^0.7 -o yaml'],
    ],
  });

  name = Option.String({ name: 'name[@range]' });

  async execute(): Promise<number> {
    const cloudlets = await import('../../cloudlets/index.js');
    const out = this.output();
    const spec = cloudlets.parseInstallSpec(this.name);
    if (spec.kind !== 'registry') throw new NephoError('BAD_CLOUDLET_NAME', `'${this.name}' is not a registry name (owner/name[@range])`);
    const found = await cloudlets.findInRegistries(cloudlets.cloudletContext(this.home, this.env, out), spec.name);
    const { cloudlet, registry } = found;
    const versions = cloudlets.versionsInRange(found, spec.range);
    // A relative source inherits the registry URL's credentials: never print them.
    const source = cloudlets.printableUrl(cloudlet.source);
    // The registry's own format is snake_case (a contract); nepho's output is camelCase, and has every key, null when unknown.
    const data = {
      name: cloudlet.id,
      registry: registry.name,
      summary: cloudlet.summary ?? null,
      description: cloudlet.description ?? null,
      author: cloudlet.author ?? null,
      license: cloudlet.license ?? null,
      keywords: cloudlet.keywords,
      projectPage: cloudlet.project_page ?? null,
      source,
      versions: versions.map((v) => ({ version: v.version, ref: v.ref, commit: v.commit, digest: v.digest ?? null })),
    };
    out.result(data, () => {
      out.fields([
        ['Name', cloudlet.id],
        ['Summary', cloudlet.summary],
        ['Description', cloudlet.description?.trim()],
        ['Author', cloudlet.author],
        ['License', cloudlet.license],
        ['Keywords', cloudlet.keywords.join(', ')],
        ['Project URL', cloudlet.project_page],
        ['Repository', source],
        ['Registry', registry.name],
        ['Versions', versions.map((v) => v.version).join(', ') || `none in range ${spec.range}`],
      ]);
    });
    return 0;
  }
}
