import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, ListingCommand } from '../base.js';

/** `parameter:get KEY [--cloudlet C] [--scenario S]`: the saved value that applies there. */
export class ParameterGetCommand extends ListingCommand {
  static override paths = [['parameter:get'], ['parameter', 'get']];
  static override usage = ListingCommand.Usage({
    category: Category.config,
    description: 'Print the saved value that applies to a scope (the narrowest one that has it)',
    examples: [
      ['Globally', '$0 parameter:get KeyName'],
      ['For a scenario', '$0 parameter:get Replicas --cloudlet mediawiki --scenario multi-tenant'],
    ],
  });

  key = Option.String({ name: 'key' });
  cloudlet = Option.String('--cloudlet', { description: 'As seen by this cloudlet' });
  scenario = Option.String('--scenario', { description: 'As seen by this scenario of --cloudlet' });

  async execute(): Promise<number> {
    const scenarios = await import('../../scenarios/index.js');
    const scope = scenarios.resolveScope(this.home, { cloudlet: this.cloudlet, scenario: this.scenario });
    const wanted = scenarios.scopeKey(scope);
    const applies = (s: string) => s === '*' || wanted === s || wanted.startsWith(`${s}/`);
    const found = scenarios
      .listSaved(this.home)
      .filter((v) => v.key === this.key && applies(v.scope))
      .at(-1);
    if (!found) throw new NephoError('PARAMETER_NOT_SAVED', `no saved value for ${this.key}${wanted === '*' ? '' : ` that applies to ${wanted}`}`);
    const out = this.output();
    // The value alone for people and scripts that read a line; the saved value as parameter:list shows it with -o json|yaml.
    out.result(found, () => out.line(String(found.value)));
    return 0;
  }
}
