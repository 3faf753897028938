import { Option } from 'clipanion';
import { Category, ListingCommand } from '../base.js';

/** `blueprint:status NAME`. */
export class BlueprintStatusCommand extends ListingCommand {
  static override paths = [['blueprint:status'], ['blueprint', 'status']];
  static override usage = ListingCommand.Usage({
    category: Category.blueprint,
    description: "Show an applied blueprint: its formations, each one's status and last operation, and how its latest apply or destroy went",
    details: 'Statuses are those recorded on this machine; formation:describe NAME asks the provider.',
    examples: [
      ['Where a blueprint stands', '$0 blueprint:status shop'],
      ['As JSON', '$0 blueprint:status shop -o json'],
    ],
  });

  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const bp = await import('../../blueprints/index.js');
    const out = this.output();
    const ctx = await bp.blueprintsContext(this.home, this.env);
    const s = await bp.blueprintStatus(ctx, this.name);
    out.result(s, () => {
      const last = s.last
        ? `${s.last.operation} started ${s.last.startedAt}${s.last.endedAt ? `, ended ${s.last.endedAt} ${s.last.ok ? 'ok' : 'with failures'}` : s.running ? ', under way' : ', interrupted'}`
        : undefined;
      out.fields([
        ['Name', s.name],
        ['Blueprint', `${s.cloudlet}/${s.blueprint} (${s.version})`],
        ['Last', last],
        ['Running', s.running ? `${s.running.operation} (on ${s.running.host}, since ${s.running.since}): nepho blueprint:watch ${s.name}` : undefined],
      ]);
      out.line();
      out.table(
        ['ENTRY', 'FORMATION', 'PROVIDER', 'REGION', 'STATUS', 'LAST OPERATION', 'AFTER'],
        s.entries.map((e) => [
          `${e.entry}${e.removed ? ' (removed)' : ''}`,
          e.formation,
          e.provider,
          e.options.region ?? '',
          e.status,
          e.operation ? `${e.operation.kind} ${e.operation.endedAt === undefined ? 'under way' : e.operation.ok ? 'ok' : 'failed'}` : '',
          e.after.join(', '),
        ]),
        'no formations',
      );
    });
    return 0;
  }
}
