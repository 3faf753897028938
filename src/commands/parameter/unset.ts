import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, NephoCommand } from '../base.js';

/** `parameter:unset KEY [--cloudlet C] [--scenario S]`. */
export class ParameterUnsetCommand extends NephoCommand {
  static override paths = [['parameter:unset'], ['parameter', 'unset']];
  static override usage = NephoCommand.Usage({
    category: Category.config,
    description: 'Remove a saved parameter value from one scope',
    examples: [['Globally', '$0 parameter:unset KeyName'], ['From one cloudlet', '$0 parameter:unset WikiName --cloudlet mediawiki']],
  });

  key = Option.String({ name: 'key' });
  cloudlet = Option.String('--cloudlet', { description: 'From this cloudlet\'s scope' });
  scenario = Option.String('--scenario', { description: 'From this scenario\'s scope (with --cloudlet)' });

  async execute(): Promise<number> {
    const { resolveScope } = await import('../../scenarios/saved-checks.js');
    const { scopeKey, unsetSaved } = await import('../../scenarios/saved.js');
    const scope = resolveScope(this.home, { cloudlet: this.cloudlet, scenario: this.scenario });
    if (!(await unsetSaved(this.home, this.key, scope))) {
      throw new NephoError('PARAMETER_NOT_SAVED', `no saved value for ${this.key} in scope ${scopeKey(scope) === '*' ? 'global' : scopeKey(scope)}`);
    }
    this.output().line(`removed ${this.key} from ${scopeKey(scope) === '*' ? 'the global scope' : scopeKey(scope)}`);
    return 0;
  }
}
