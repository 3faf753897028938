import { Option } from 'clipanion';
import { Category, ListingCommand, providerOptions, localOption } from '../base.js';

/** `formation:list`: this machine's formations and those found at the providers. */
export class FormationListCommand extends ListingCommand {
  static override paths = [['formation:list'], ['formation', 'list']];
  static override usage = ListingCommand.Usage({
    category: Category.formation,
    description: 'List formations: recorded here, and found at the providers by their tags',
    details: 'Formations a teammate created show up with source "remote"; a record whose provider no longer has it shows GONE.',
    examples: [
      ['Everything', '$0 formation:list'],
      ['In another region', '$0 formation:list --region eu-west-1 -o json'],
    ],
  });

  profile = Option.String('--profile', { description: 'Credentials profile to look in (as nepho register saved it)' });
  region = Option.String('--region', { description: 'Region to look in' });
  local = localOption();

  async execute(): Promise<number> {
    const ops = await import('../../operations/index.js');
    const out = this.output();
    const ctx = await ops.engineContext(this.home, this.env, { local: this.local });
    const { formations, problems } = await ops.listFormations(ctx, providerOptions(this.profile, this.region));
    for (const p of problems) out.warn(`${p.provider}: not checked: ${p.message}`);
    if (out.human) {
      for (const f of formations) if (f.failed) out.warn(`${f.name}: ${f.failed.operation} failed: ${f.failed.reason}; next: ${f.failed.next}`);
    }
    out.result(formations, () =>
      out.table(
        ['NAME', 'CLOUDLET', 'VERSION', 'SCENARIO', 'PROVIDER', 'STATUS', 'OPERATION', 'SOURCE'],
        formations.map((f) => [
          f.name,
          f.cloudlet,
          `${f.version ?? ''}${f.installed.newer ? ' (newer installed)' : ''}`,
          f.scenario,
          f.provider,
          f.status,
          operationText(f.operation),
          f.source,
        ]),
        'no formations',
      ),
    );
    return 0;
  }
}

function operationText(op: { kind: string; since: string; pid: number; by?: string; state: 'running' | 'interrupted' } | undefined): string {
  if (!op) return '';
  return op.state === 'running'
    ? `${op.kind} running since ${op.since.slice(11, 19)}${op.by ? ` by ${op.by}` : ''} (follow: formation:watch)`
    : `${op.kind} interrupted: run formation:watch`;
}
