import { Option } from 'clipanion';
import { commandSpec } from '../../help.js';
import { nephoHome } from '../../home.js';
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

/** `__complete SHELL WORD...`: the candidates for the last word, one a line (what the completion scripts call). */
export class CompleteCommand extends NephoCommand {
  static override paths = [['__complete']];

  shell = Option.String();
  words = Option.Proxy();

  async execute(): Promise<number> {
    const completion = await import('../../completion.js');
    // The home as it is: completing never creates it.
    const specs = this.catalogue.map(commandSpec);
    const words = this.words.length === 0 ? [''] : this.words;
    const candidates = completion.completeWords(this.shell, words, specs, nephoHome(this.env));
    this.output().stdout.write(candidates.map((c) => `${c}\n`).join(''));
    return 0;
  }
}
