import { NephoError } from '../../errors.js';
import { Category, ListingCommand } from '../base.js';

/** `registry:update`: fetch every registry's index now, ignoring the cache's age. */
export class RegistryUpdateCommand extends ListingCommand {
  static override paths = [['registry:update'], ['registry', 'update']];
  static override usage = ListingCommand.Usage({
    category: Category.registry,
    description: 'Refresh every registry index now',
    details: 'Exits with status 1 when a registry could not be refreshed; its previous copy, if any, stays in use.',
    examples: [['Refresh', '$0 registry:update']],
  });

  async execute(): Promise<number> {
    const registries = await import('../../registry/index.js');
    const out = this.output();
    const states = await out.slow('updating registries', () => registries.syncAll(registries.cloudletContext(this.home, this.env, out), true));
    const rows = states.map((s) => ({
      name: s.source.name,
      url: registries.shownUrl(s.source),
      state: s.error ? (s.state === 'offline' ? 'kept previous copy' : 'unavailable') : s.state,
      cloudlets: s.count ?? null,
      error: s.error?.message ?? null,
    }));
    out.result(rows, () =>
      out.table(
        ['NAME', 'STATE', 'CLOUDLETS'],
        rows.map((r) => [r.name, r.state, r.cloudlets === null ? '-' : String(r.cloudlets)]),
      ),
    );
    const failed = states.filter((s) => s.error);
    if (failed.length > 0) {
      const why = failed.map((s) => (s.state === 'offline' ? `${s.error!.message} (the previous copy is kept)` : s.error!.message));
      throw new NephoError('REGISTRY_UPDATE_FAILED', why.join('; '));
    }
    return 0;
  }
}
