import { Option } from 'clipanion';
import { Category, NephoCommand } from './base.js';

/** `register [--provider NAME] [--profile P] [--region R] [--access-key-id K] [--secret-access-key-stdin]`. */
export class RegisterCommand extends NephoCommand {
  static override paths = [['register']];
  static override usage = NephoCommand.Usage({
    category: Category.config,
    description: "Set up cloud credentials where the provider's own tools look for them",
    details: `
      On a terminal nepho asks for what the flags do not say (the region, the access key id, the secret access key, typed hidden). Without one, pass --access-key-id and pipe the secret into --secret-access-key-stdin: a secret on the command line would end up in shell history and in \`ps\`.

      The provider saves them where its own tools look, private to you (mode 0600), keeping other profiles. Replacing a profile's keys asks first (--yes skips the question). With no credentials anywhere and no terminal to ask on, the error says where to get an account and keys.

      Without --provider, nepho picks the one provider that takes credentials; providers that need none say so.
    `,
    examples: [
      ['Interactively', '$0 register'],
      ['A second profile', '$0 register --profile work --region eu-west-1'],
      ['From a script', '$0 register --access-key-id AKIAIOSFODNN7EXAMPLE --region us-east-1 --secret-access-key-stdin < secret.txt'],
    ],
  });

  provider = Option.String('--provider', { description: 'The provider to set up (default: the one that takes credentials)' });
  profile = Option.String('--profile', { description: "The profile to write (default: the provider's current one, else default)" });
  region = Option.String('--region', { description: 'Default region of the profile' });
  accessKeyId = Option.String('--access-key-id', { description: 'Access key id' });
  secretStdin = Option.Boolean('--secret-access-key-stdin', false, { description: 'Read the secret access key from stdin' });
  yes = Option.Boolean('-y,--yes', false, { description: "Replace the profile's keys without asking" });

  async execute(): Promise<number> {
    const plugins = await import('../plugins.js');
    const provider = plugins.registrarFor(await plugins.configuredPlugins(this.home), this.provider);
    const flags: Record<string, string | true> = {
      ...(this.profile === undefined ? {} : { profile: this.profile }),
      ...(this.region === undefined ? {} : { region: this.region }),
      ...(this.accessKeyId === undefined ? {} : { 'access-key-id': this.accessKeyId }),
      ...(this.secretStdin ? { 'secret-access-key-stdin': true as const } : {}),
    };
    const out = this.output();
    const result = await provider.register({ flags, env: this.env }, this.terminalIo(out, this.yes));
    out.line(result.summary);
    if (result.notice !== undefined) out.notice(result.notice);
    return 0;
  }
}
