import { Option } from 'clipanion';
import { Category, NephoCommand } from '../base.js';

/** `parameter:set KEY VALUE [--cloudlet C] [--scenario S]`. */
export class ParameterSetCommand extends NephoCommand {
  static override paths = [['parameter:set'], ['parameter', 'set']];
  static override usage = NephoCommand.Usage({
    category: Category.config,
    description: 'Save a parameter value for every cloudlet, one cloudlet, or one scenario',
    details: 'The narrower scope wins. Secret parameters are never saved.',
    examples: [
      ['For everything', '$0 parameter:set KeyName my-key'],
      ['For one scenario', '$0 parameter:set Replicas 4 --cloudlet mediawiki --scenario multi-tenant'],
    ],
  });

  key = Option.String({ name: 'key' });
  value = Option.String({ name: 'value' });
  cloudlet = Option.String('--cloudlet', { description: 'Only for this cloudlet' });
  scenario = Option.String('--scenario', { description: 'Only for this scenario of --cloudlet' });

  async execute(): Promise<number> {
    const scenarios = await import('../../scenarios/index.js');
    const out = this.output();
    const registry = await scenarios.configuredPlugins(this.home);
    const scope = await scenarios.saveParameter(this.home, this.key, this.value, { cloudlet: this.cloudlet, scenario: this.scenario }, registry);
    out.line(`saved ${this.key} for ${scope === '*' ? 'every cloudlet' : scope}`);
    return 0;
  }
}
