import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';

/** `registry:build SOURCE... --out DIR`. */
export class RegistryBuildCommand extends ListingCommand {
  static override paths = [['registry:build'], ['registry', 'build']];
  static override usage = ListingCommand.Usage({
    category: Category.registry,
    description: 'Build a registry (index.json and a web listing) from cloudlet git repositories',
    details: `
      Every tag of a SOURCE that is a semver version (\`v1.2.0\` or \`1.2.0\`) becomes a version, pinned to its commit and to the digest of its tree that \`cloudlet:install\` verifies. Tags whose content fails the checks are left out with a warning naming them.

      With --sign KEYFILE the index gets \`generated\` and \`expires\` (--expires-in days, 30 by default) and a detached signature, \`index.json.sig\`, over its exact bytes. To change keys, announce the next one with --next-key; once signing with it, --previous-key OLDKEYFILE lets users who missed the announcement follow too.

      A cloudlet's id is OWNER/NAME: NAME from its cloudlet.yaml, OWNER from \`--owner\`, or else the name of the directory holding the repository in its URL, lowercased (\`https://github.com/huit/nepho-mediawiki.git\` gives \`huit\`).
    `,
    examples: [
      ['Build from a repository on the web', '$0 registry:build https://github.com/huit/nepho-mediawiki.git --out public'],
      ['Build from local repositories under one owner', '$0 registry:build ./wiki ./blog --owner acme --out /srv/registry'],
      ['Build and sign (keys from registry:keygen)', '$0 registry:build ./wiki --out public --sign keys/registry.key'],
      ['Announce the key that signs next', '$0 registry:build ./wiki --out public --sign keys/registry.key --next-key keys-2027/registry.pub'],
    ],
  });

  out = Option.String('--out', { required: true, description: 'Directory to write index.json and index.html into' });
  owner = Option.String('--owner', { description: 'Owner of every cloudlet built (default: from each source URL)' });
  sign = Option.String('--sign', { description: 'Sign the index with this private key file (from registry:keygen)' });
  expiresIn = Option.String('--expires-in', { description: 'With --sign: days until the index expires (default 30)' });
  nextKey = Option.String('--next-key', { description: 'With --sign: the public key (text or file) that signs next' });
  previousKey = Option.String('--previous-key', { description: 'With --sign: the private key file that signed before this one' });
  sources = Option.Rest({ required: 1, name: 'source' });

  async execute(): Promise<number> {
    const registries = await import('../../registry/index.js');
    const out = this.output();
    const result = await registries.buildRegistry({
      sources: this.sources,
      out: this.out,
      ...(this.owner !== undefined ? { owner: this.owner } : {}),
      ...(this.sign !== undefined ? { sign: this.sign } : {}),
      ...(this.expiresIn !== undefined ? { expiresInDays: Number(this.expiresIn) } : {}),
      ...(this.nextKey !== undefined ? { nextKey: this.nextKey } : {}),
      ...(this.previousKey !== undefined ? { previousKey: this.previousKey } : {}),
      warn: (m) => out.warn(m),
      notice: (m) => out.notice(m),
    });
    const built = {
      cloudlets: Object.entries(result.index.cloudlets).map(([id, c]) => ({ name: id, versions: c.versions.map((v) => v.version) })),
      indexFile: result.indexFile,
      htmlFile: result.htmlFile,
      signatureFile: result.signatureFile ?? null,
      signedBy: result.signedBy ?? null,
      skipped: result.skipped,
    };
    out.result(built, () => {
      for (const c of built.cloudlets) out.line(`${c.name}: ${c.versions.join(', ')}`);
      out.line(`wrote ${result.indexFile}${result.signatureFile ? `, ${result.signatureFile} (signed with ${result.signedBy})` : ''} and ${result.htmlFile}`);
    });
    return 0;
  }
}
