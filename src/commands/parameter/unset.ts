import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, NephoCommand } from '../base.js';

/** `parameter:unset KEY [--cloudlet C] [--scenario S]`. */
export class ParameterUnsetCommand extends NephoCommand {
  static override paths = [['parameter:unset'], ['parameter', 'unset']];
  static override usage = NephoCommand.Usage({
    category: Category.config,
    description: 'Remove a saved parameter value from one scope',
    examples: [
      ['Globally', '$0 parameter:unset KeyName'],
      ['From one cloudlet', '$0 parameter:unset WikiName --cloudlet mediawiki'],
    ],
  });

  key = Option.String({ name: 'key' });
  cloudlet = Option.String('--cloudlet', { description: "From this cloudlet's scope" });
  scenario = Option.String('--scenario', { description: "From this scenario's scope (with --cloudlet)" });

  async execute(): Promise<number> {
    const scenarios = await import('../../scenarios/index.js');
    const scope = scenarios.resolveScope(this.home, { cloudlet: this.cloudlet, scenario: this.scenario });
    const key = scenarios.scopeKey(scope);
    if (!(await scenarios.unsetSaved(this.home, this.key, scope))) {
      throw new NephoError('PARAMETER_NOT_SAVED', `no saved value for ${this.key} in scope ${key === '*' ? 'global' : key}`);
    }
    this.output().line(`removed ${this.key} from ${key === '*' ? 'the global scope' : key}`);
    return 0;
  }
}
