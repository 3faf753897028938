import { Option } from 'clipanion';
import { Category, NephoCommand } from '../base.js';

/** `registry:add NAME URL`. */
export class RegistryAddCommand extends NephoCommand {
  static override paths = [['registry:add'], ['registry', 'add']];
  static override usage = NephoCommand.Usage({
    category: Category.registry,
    description: 'Add a registry (its index is fetched and checked first)',
    examples: [
      ['A registry on the web', '$0 registry:add community https://example.org/nepho/index.json'],
      ['A registry built with registry:build', '$0 registry:add mine file:///srv/registry/index.json'],
    ],
  });

  name = Option.String({ name: 'name' });
  url = Option.String({ name: 'url' });

  async execute(): Promise<number> {
    const registries = await import('../../registry/index.js');
    const out = this.output();
    const state = await registries.addRegistry(registries.cloudletContext(this.home, this.env, out), this.name, this.url);
    out.line(`added registry '${this.name}' with ${state.count ?? 0} cloudlet(s)`);
    return 0;
  }
}
