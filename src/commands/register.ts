import { Option } from 'clipanion';
import { streamOf } from '../stdio.js';
import { Category, NephoCommand } from './base.js';

/** Largest secret read from stdin: a secret access key is 40 bytes; anything this big is a mistake. */
const MAX_STDIN = 4096;

/** `register [--provider aws] [--profile P] [--region R] [--access-key-id K] [--secret-access-key-stdin]`. */
export class RegisterCommand extends NephoCommand {
  static override paths = [['register']];
  static override usage = NephoCommand.Usage({
    category: Category.config,
    description: 'Set up cloud credentials (an AWS profile in the shared credentials and config files)',
    details: `
      On a terminal nepho asks for the region, the access key id and the secret access key (typed hidden). Without one, pass --access-key-id and pipe the secret into --secret-access-key-stdin: a secret on the command line would end up in shell history and in \`ps\`.

      The keys go to the AWS shared credentials file ($AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials) and the region to the config file ($AWS_CONFIG_FILE, else ~/.aws/config), both mode 0600; other profiles in them are kept. Replacing a profile's keys asks first (--yes skips the question).

      No AWS account yet? Sign up at https://portal.aws.amazon.com/billing/signup, then make an access key on https://console.aws.amazon.com/iam/home#/security_credentials.
    `,
    examples: [
      ['Interactively', '$0 register'],
      ['A second profile', '$0 register --profile work --region eu-west-1'],
      ['From a script', '$0 register --access-key-id AKIAIOSFODNN7EXAMPLE --region us-east-1 --secret-access-key-stdin < secret.txt'],
    ],
  });

  provider = Option.String('--provider', 'aws', { description: 'The cloud to register with (aws)' });
  profile = Option.String('--profile', { description: 'The profile to write (default: $AWS_PROFILE, else default)' });
  region = Option.String('--region', { description: 'Default region of the profile' });
  accessKeyId = Option.String('--access-key-id', { description: 'Access key id' });
  secretStdin = Option.Boolean('--secret-access-key-stdin', false, { description: 'Read the secret access key from stdin' });
  yes = Option.Boolean('-y,--yes', false, { description: "Replace the profile's keys without asking" });

  async execute(): Promise<number> {
    const { NephoError } = await import('../errors.js');
    const aws = await import('../providers/cloudformation/aws-config.js');
    const out = this.output();
    if (this.provider !== 'aws') {
      throw new NephoError('BAD_ARGUMENT', `--provider '${this.provider}': only aws needs credentials`, { hint: 'vagrant runs on this machine and needs none' });
    }
    const profile = this.profile !== undefined ? aws.checkProfileName(this.profile)
      : this.env.AWS_PROFILE ? aws.checkProfileName(this.env.AWS_PROFILE, 'AWS_PROFILE') : 'default';
    if (this.accessKeyId !== undefined) aws.checkAccessKeyId(this.accessKeyId);
    if (this.region !== undefined) aws.checkRegion(this.region);
    const files = aws.awsFiles(this.env);
    const complete = this.accessKeyId !== undefined && this.secretStdin;
    const stdinIsTerminal = (this.context.stdin as { isTTY?: boolean }).isTTY === true;

    if (!complete && !this.canPrompt) {
      const found = aws.findAwsCredentials(this.env, files);
      const script = 'nepho register --access-key-id KEY --region REGION --secret-access-key-stdin < secret.txt';
      if (!found) {
        throw new NephoError('NO_CREDENTIALS', `no AWS credentials found (AWS_ACCESS_KEY_ID, ${files.credentials}, ${files.config}) and no terminal to ask for them on`, {
          hint: `no AWS account yet? sign up at ${aws.AWS_SIGNUP_URL}, make an access key at ${aws.AWS_ACCESS_KEYS_URL}, then run: ${script}`,
        });
      }
      const missing = [this.accessKeyId === undefined ? '--access-key-id' : '', this.secretStdin ? '' : '--secret-access-key-stdin'].filter(Boolean);
      throw new NephoError('BAD_ARGUMENT', `no terminal to ask on: pass ${missing.join(' and ')}`, { hint: `credentials already exist (${found}); to write profile ${profile}: ${script}` });
    }
    if (this.secretStdin && stdinIsTerminal) {
      throw new NephoError('BAD_ARGUMENT', '--secret-access-key-stdin: stdin is a terminal, where the secret would show as it is typed', {
        hint: 'pipe the secret in, or leave the flag out to be asked for it (typed hidden)',
      });
    }
    if (aws.profileHasKeys(files, profile)) {
      await this.confirm(`Replace the access key of profile ${profile} in ${files.credentials}?`, this.yes);
    }

    let region = this.region;
    let accessKeyId = this.accessKeyId;
    let secret: string;
    // Prompting means stdin is a terminal, so --secret-access-key-stdin was refused above: the secret is asked for.
    if (complete) {
      region ??= aws.currentRegion(this.env, files, profile);
      secret = aws.checkSecretAccessKey(await this.readSecret(), '--secret-access-key-stdin');
    } else {
      const { input, password } = await (await import('../prompts.js')).promptLibrary();
      const io = { input: streamOf(this.context.stdin), output: streamOf(this.context.stderr) as NodeJS.WritableStream };
      const valid = (check: (v: string) => unknown) => (v: string): string | true => {
        try {
          check(v.trim());
          return true;
        } catch (error) {
          return (error as Error).message;
        }
      };
      try {
        region ??= (await input({ message: 'AWS region', default: aws.currentRegion(this.env, files, profile), validate: valid((v) => aws.checkRegion(v, 'region')) }, io)).trim();
        accessKeyId ??= (await input({ message: 'AWS access key id', validate: valid((v) => aws.checkAccessKeyId(v, 'access key id')) }, io)).trim();
        // Masked, and without the prompt's ctrl+t key that would show it.
        secret = (await password({ message: 'AWS secret access key', mask: '*', toggleMask: false, validate: valid((v) => aws.checkSecretAccessKey(v, 'secret access key')) }, io)).trim();
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'ExitPromptError' || name === 'AbortPromptError') throw new NephoError('CANCELLED', 'cancelled at the prompt; nothing was written');
        throw error;
      }
    }

    aws.writeAwsProfile(files, { profile, accessKeyId: accessKeyId!, secretAccessKey: secret, region });
    out.line(`saved profile ${profile}: keys in ${files.credentials}, region ${region} in ${files.config}`);
    if (profile !== 'default') out.notice(`use it with --profile ${profile}, or AWS_PROFILE=${profile}`);
    return 0;
  }

  /** The secret piped into stdin, without the line break that usually ends it. */
  private async readSecret(): Promise<string> {
    const { NephoError } = await import('../errors.js');
    let text = '';
    for await (const chunk of streamOf(this.context.stdin) as AsyncIterable<Buffer | string>) {
      text += chunk.toString();
      if (text.length > MAX_STDIN) throw new NephoError('BAD_ARGUMENT', `--secret-access-key-stdin: more than ${MAX_STDIN} bytes on stdin; expected one secret access key`);
    }
    const secret = text.trim();
    if (secret === '') throw new NephoError('BAD_ARGUMENT', '--secret-access-key-stdin: nothing on stdin', { hint: 'pipe the secret in: nepho register ... --secret-access-key-stdin < secret.txt' });
    return secret;
  }
}
