import { Category, ListingCommand } from '../base.js';

/** `registry:list`: configured registries and what is cached of each. */
export class RegistryListCommand extends ListingCommand {
  static override paths = [['registry:list'], ['registry', 'list']];
  static override usage = ListingCommand.Usage({
    category: Category.registry,
    description: 'List the registries nepho searches, in order',
    details:
      'The built-in registry ships with nepho and comes first; the first registry that lists a name is the one installs use. SIGNED shows the key each signed registry is verified with, and when its newest verified index expires.',
    examples: [['List registries', '$0 registry:list']],
  });

  async execute(): Promise<number> {
    const registries = await import('../../registry/index.js');
    const out = this.output();
    const rows = registries.listRegistries(this.home);
    out.result(rows, () =>
      out.table(
        ['NAME', 'URL', 'CLOUDLETS', 'CHECKED', 'SIGNED'],
        rows.map((r) => [
          r.name,
          r.url,
          r.count === undefined ? '-' : String(r.count),
          r.checkedAt ?? 'never',
          r.signed
            ? `yes${r.key ? ` (${registries.shortKey(r.key)})` : ''}${r.expires ? `, expires ${r.expires}` : ''}`
            : r.allowUnsigned
              ? 'no (allowed)'
              : 'no',
        ]),
      ),
    );
    return 0;
  }
}
