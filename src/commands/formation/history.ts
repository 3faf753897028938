import { Option } from 'clipanion';
import { Category, ListingCommand, localOption } from '../base.js';

/** `formation:history NAME`: every operation, newest first. */
export class FormationHistoryCommand extends ListingCommand {
  static override paths = [['formation:history'], ['formation', 'history']];
  static override usage = ListingCommand.Usage({
    category: Category.formation,
    description: 'List every operation on a formation, newest first: who, when, which version, what changed, how it ended',
    details: "Read from the formation's journal, which stays after the formation is destroyed.",
    examples: [
      ['History', '$0 formation:history agmedia'],
      ['As JSON', '$0 formation:history agmedia -o json'],
    ],
  });

  name = Option.String({ name: 'name' });
  local = localOption();

  async execute(): Promise<number> {
    const ops = await import('../../operations/index.js');
    const out = this.output();
    const history = await ops.formationHistory(await ops.engineContext(this.home, this.env, { local: this.local }), this.name);
    out.result(history, () =>
      out.table(
        ['WHEN', 'OPERATION', 'BY', 'VERSION', 'CHANGES', 'RESULT'],
        history.map((h) => [
          h.startedAt.replace('T', ' ').slice(0, 19),
          h.operation,
          h.by,
          h.version ?? '',
          h.changes.map((c) => `${c.name}: ${c.from ?? '(none)'} → ${c.to ?? '(none)'}`).join(', '),
          `${h.result}${h.status ? ` (${h.status})` : ''}`,
        ]),
        'no operations',
      ),
    );
    return 0;
  }
}
