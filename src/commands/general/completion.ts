import { Option } from 'clipanion';
import { Category, NephoCommand } from '../base.js';

/** `completion bash|zsh|fish`: the script that makes the shell complete nepho's command lines. */
export class CompletionCommand extends NephoCommand {
  static override paths = [['completion']];
  static override usage = NephoCommand.Usage({
    category: Category.general,
    description: 'Print the shell completion script for bash, zsh or fish',
    details: `
      The script completes commands, options, installed cloudlets, \`cloudlet/scenario\` pairs, formation names and registry names.
      It asks \`nepho\` itself for them, which reads only what is on this machine: nothing is fetched while you press Tab.
    `,
    examples: [
      ['bash: add to ~/.bashrc', 'eval "$($0 completion bash)"'],
      ['zsh: add to ~/.zshrc, after compinit', 'eval "$($0 completion zsh)"'],
      ['fish', '$0 completion fish > ~/.config/fish/completions/nepho.fish'],
    ],
  });

  shell = Option.String({ name: 'shell' });

  async execute(): Promise<number> {
    const completion = await import('../../completion.js');
    this.output().stdout.write(completion.completionScript(this.shell));
    return 0;
  }
}
