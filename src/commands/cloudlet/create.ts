import { Option } from 'clipanion';
import { Category, NephoCommand } from '../base.js';

/** `cloudlet:create NAME [--directory D]`: a new cloudlet from nepho's template. */
export class CloudletCreateCommand extends NephoCommand {
  static override paths = [['cloudlet:create'], ['cloudlet', 'create']];
  static override usage = NephoCommand.Usage({
    category: Category.cloudlet,
    description: 'Start a new cloudlet from a template that lints and dry-runs as it stands',
    details: `
      Writes cloudlet.yaml, scenarios/default.yaml, a pattern for each built-in provider,
      provisioners/bootstrap.sh and a README into ./NAME (or --directory), which must not
      exist or be empty, and makes it a git repository with a first commit.
    `,
    examples: [
      ['A new cloudlet in ./my-app', '$0 cloudlet:create my-app'],
      ['Somewhere else', '$0 cloudlet:create my-app --directory ~/src/nepho-my-app'],
    ],
  });

  name = Option.String({ name: 'name' });
  directory = Option.String('--directory,-d', { description: 'Where to create it (default: ./NAME); must not exist or be empty' });

  async execute(): Promise<number> {
    const cloudlets = await import('../../cloudlets/index.js');
    const out = this.output();
    const result = await cloudlets.scaffoldCloudlet(this.name, this.directory ?? this.name);
    out.tree(
      result.dir,
      result.files.map((label) => ({ label })),
    );
    out.notice(`git repository with a first commit ${result.commit.slice(0, 12)}; next: nepho cloudlet:lint ${result.dir}`);
    return 0;
  }
}
