import { Option } from 'clipanion';
import { Category, NephoCommand } from '../base.js';

/** `registry:remove NAME`. Installed cloudlets stay installed. */
export class RegistryRemoveCommand extends NephoCommand {
  static override paths = [['registry:remove'], ['registry', 'remove']];
  static override usage = NephoCommand.Usage({
    category: Category.registry,
    description: 'Remove a registry (installed cloudlets stay installed)',
    examples: [['Remove a registry', '$0 registry:remove community']],
  });

  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const registries = await import('../../registry/index.js');
    const out = this.output();
    await registries.removeRegistry(registries.cloudletContext(this.home, this.env, out), this.name);
    out.line(`removed registry '${this.name}'`);
    return 0;
  }
}
