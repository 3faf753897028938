import { Category, ListingCommand } from '../base.js';

/** `parameter:list`: every saved value with its scope. */
export class ParameterListCommand extends ListingCommand {
  static override paths = [['parameter:list'], ['parameter', 'list']];
  static override usage = ListingCommand.Usage({
    category: Category.config,
    description: 'List saved parameter values and their scopes',
    examples: [['Everything saved', '$0 parameter:list']],
  });

  async execute(): Promise<number> {
    const scenarios = await import('../../scenarios/index.js');
    const out = this.output();
    const saved = scenarios.listSaved(this.home);
    out.result(saved, () =>
      out.table(
        ['KEY', 'VALUE', 'SCOPE'],
        saved.map((s) => [s.key, String(s.value), s.scope === '*' ? 'global' : s.scope]),
        'no saved parameters',
      ),
    );
    return 0;
  }
}
