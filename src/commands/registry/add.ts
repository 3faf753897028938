import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';

/** `registry:add NAME URL`. */
export class RegistryAddCommand extends ListingCommand {
  static override paths = [['registry:add'], ['registry', 'add']];
  static override usage = ListingCommand.Usage({
    category: Category.registry,
    description: 'Add a registry (its index is fetched and checked first)',
    details: `
      With --key, the registry is signed: every index nepho fetches from it must verify with that key (its \`index.json.sig\`), must not be older than the last one verified, and past its \`expires\` date no longer serves installs. A refused index leaves the last good copy in use.

      Without --key the registry is unsigned, and nepho warns once; --allow-unsigned says that is intended.
    `,
    examples: [
      ['A signed registry, with the key its publisher gave', '$0 registry:add acme https://acme.example/nepho/index.json --key ed25519:...'],
      ['The key from a file', '$0 registry:add acme https://acme.example/nepho/index.json --key ./registry.pub'],
      ['A registry on the web', '$0 registry:add community https://example.org/nepho/index.json'],
      ['A registry built with registry:build', '$0 registry:add mine file:///srv/registry/index.json'],
    ],
  });

  name = Option.String({ name: 'name' });
  url = Option.String({ name: 'url' });
  key = Option.String('--key', { description: "The registry's public key (ed25519:...) or a file holding it" });
  allowUnsigned = Option.Boolean('--allow-unsigned', false, { description: 'Add an unsigned registry without the warning' });

  async execute(): Promise<number> {
    const registries = await import('../../registry/index.js');
    const out = this.output();
    const key = this.key === undefined ? undefined : registries.readKeyArgument(this.key);
    const state = await registries.addRegistry(registries.cloudletContext(this.home, this.env, out), this.name, this.url, {
      ...(key === undefined ? {} : { key }),
      allowUnsigned: this.allowUnsigned,
    });
    // The registry as registry:list shows it.
    const added = registries.listRegistries(this.home).find((r) => r.name === this.name);
    out.result(added, () => out.line(`added registry '${this.name}' with ${state.count ?? 0} cloudlet(s)${key === undefined ? '' : `, signed with ${key}`}`));
    return 0;
  }
}
