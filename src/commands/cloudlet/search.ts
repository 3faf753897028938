import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, ListingCommand } from '../base.js';

/** `cloudlet:search [TERMS...]`: ranked search across every registry. */
export class CloudletSearchCommand extends ListingCommand {
  static override paths = [['cloudlet:search'], ['cloudlet', 'search']];
  static override usage = ListingCommand.Usage({
    category: Category.cloudlet,
    description: 'Search the registries for cloudlets',
    details: 'Every term must match. Matches in the name rank first, then keywords, then summary and description. With no terms, lists everything.',
    examples: [
      ['Find wiki cloudlets', '$0 cloudlet:search wiki'],
      ['As JSON', '$0 cloudlet:search mediawiki -o json'],
    ],
  });

  terms = Option.Rest({ name: 'terms' });
  limit = Option.String('--limit', { description: 'Show at most this many results' });

  async execute(): Promise<number> {
    const registries = await import('../../registry/index.js');
    const out = this.output();
    const ctx = registries.cloudletContext(this.home, this.env, out);
    const states = await registries.syncAll(ctx);
    // A registry with neither a reachable index nor a cached copy would otherwise just be missing from the results.
    for (const state of states) {
      if (state.state === 'unavailable') out.warn(`${state.error?.message ?? `registry '${state.source.name}' is unavailable`}; its cloudlets are left out`);
    }
    for (const warning of registries.expiryWarnings(
      ctx.home,
      states.map((s) => s.source),
    ))
      out.warn(warning);
    const limit = this.limit === undefined ? Infinity : Number(this.limit);
    if ((!Number.isInteger(limit) && limit !== Infinity) || limit < 1) {
      throw new NephoError('BAD_ARGUMENT', `--limit '${this.limit}' is not a whole number of at least 1`);
    }
    const hits = await registries.search(ctx, states, this.terms, limit);
    const rows = () =>
      Array.from({ length: hits.length }, (_, i) => {
        const { id, latest, summary, registry } = hits.hit(i);
        return { name: id, version: latest, summary, registry };
      });
    out.result(out.format === 'table' ? [] : rows(), () => {
      if (hits.length === 0) out.notice(`no cloudlets match ${this.terms.join(' ')}`);
      const width = hits.idWidth();
      if (!out.colors) {
        // Written as bytes, through one buffer: a broad search prints a hundred thousand lines.
        hits.writeTable(width, (chunk) => out.writeReused(chunk));
        return;
      }
      for (let from = 0; from < hits.length; from += 4096) {
        const lines: string[] = [];
        for (let i = from; i < Math.min(from + 4096, hits.length); i++) {
          const hit = hits.hit(i);
          lines.push(`${out.style.bold(hit.id.padEnd(width))} - ${hit.summary}${hit.latest ? out.style.dim(` (v${hit.latest})`) : ''}\n`);
        }
        out.stdout.write(lines.join(''));
      }
    });
    hits.close();
    return 0;
  }
}
