import { NephoError } from '../../errors.js';
import type { RegisterIo, RegisterRequest, RegisterResult } from '../types.js';
import {
  AWS_ACCESS_KEYS_URL,
  AWS_SIGNUP_URL,
  awsFiles,
  checkAccessKeyId,
  checkProfileName,
  checkRegion,
  checkSecretAccessKey,
  currentRegion,
  findAwsCredentials,
  profileHasKeys,
  writeAwsProfile,
} from './aws-config.js';

/** Largest secret read from stdin: a secret access key is 40 bytes; anything this big is a mistake. */
const MAX_STDIN = 4096;

/** How to register without a terminal, for the messages that say so. */
const SCRIPTED = 'nepho register --access-key-id KEY --region REGION --secret-access-key-stdin < secret.txt';

/** For people whose organisation signs them in through IAM Identity Center: no keys to paste. */
const SSO = 'signing in with SSO (IAM Identity Center)? run `aws configure sso` instead and pass its profile with --profile';

/** A string flag's value, or undefined when not given. */
function stringFlag(request: RegisterRequest, name: string): string | undefined {
  const value = request.flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** A check turned into a question's validator: its message when it throws. */
function refusal(check: (answer: string) => unknown): (answer: string) => string | undefined {
  return (answer) => {
    try {
      check(answer);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
}

/**
 * `nepho register` for AWS: an access key and a region saved as a profile
 * in the shared credentials and config files. Everything the flags give is
 * checked before anything is asked or read, everything is asked before
 * anything is written, and without a terminal the message says where to get
 * keys or which flags are missing.
 */
export async function registerAws(request: RegisterRequest, io: RegisterIo): Promise<RegisterResult> {
  const { env } = request;
  const flagProfile = stringFlag(request, 'profile');
  const profile = flagProfile !== undefined ? checkProfileName(flagProfile) : env.AWS_PROFILE ? checkProfileName(env.AWS_PROFILE, 'AWS_PROFILE') : 'default';
  let accessKeyId = stringFlag(request, 'access-key-id');
  let region = stringFlag(request, 'region');
  const secretStdin = request.flags['secret-access-key-stdin'] === true;
  if (accessKeyId !== undefined) checkAccessKeyId(accessKeyId);
  if (region !== undefined) checkRegion(region);
  const files = awsFiles(env);
  const complete = accessKeyId !== undefined && secretStdin;

  if (!complete && !io.canAsk) {
    const found = findAwsCredentials(env, files);
    if (!found) {
      throw new NephoError(
        'NO_CREDENTIALS',
        `no AWS credentials found (AWS_ACCESS_KEY_ID, ${files.credentials}, ${files.config}) and no terminal to ask for them on`,
        {
          hint: `no AWS account yet? sign up at ${AWS_SIGNUP_URL}, make an access key at ${AWS_ACCESS_KEYS_URL}, then run: ${SCRIPTED}; ${SSO}`,
        },
      );
    }
    const missing = [accessKeyId === undefined ? '--access-key-id' : '', secretStdin ? '' : '--secret-access-key-stdin'].filter(Boolean);
    throw new NephoError('BAD_ARGUMENT', `no terminal to ask on: pass ${missing.join(' and ')}`, {
      hint: `credentials already exist (${found}); to write profile ${profile}: ${SCRIPTED}`,
    });
  }
  if (secretStdin && io.stdinIsTerminal) {
    throw new NephoError('BAD_ARGUMENT', '--secret-access-key-stdin: stdin is a terminal, where the secret would show as it is typed', {
      hint: 'pipe the secret in, or leave the flag out to be asked for it (typed hidden)',
    });
  }
  if (!complete && findAwsCredentials(env, files) === undefined) {
    io.tell?.(`no AWS credentials yet. No account? Sign up at ${AWS_SIGNUP_URL}; then make an access key at ${AWS_ACCESS_KEYS_URL}.`);
    io.tell?.(`Signing in with SSO (IAM Identity Center)? Press Ctrl-C, run \`aws configure sso\`, and pass its profile with --profile.`);
  }
  if (profileHasKeys(files, profile)) {
    const agreed = await io.confirm({ id: 'overwrite', text: `Replace the access key of profile ${profile} in ${files.credentials}?` });
    if (!agreed) throw new NephoError('CANCELLED', 'cancelled; nothing was changed');
  }

  let secret: string;
  // Asking means stdin is a terminal, so --secret-access-key-stdin was refused above: the secret is asked for.
  if (complete) {
    region ??= currentRegion(env, files, profile);
    secret = checkSecretAccessKey(await readSecret(io), '--secret-access-key-stdin');
  } else {
    region ??= await io.ask({
      id: 'region',
      message: 'AWS region',
      default: currentRegion(env, files, profile),
      validate: refusal((v) => checkRegion(v, 'region')),
    });
    accessKeyId ??= await io.ask({ id: 'access-key-id', message: 'AWS access key id', validate: refusal((v) => checkAccessKeyId(v, 'access key id')) });
    secret = await io.ask({
      id: 'secret-access-key',
      message: 'AWS secret access key',
      secret: true,
      validate: refusal((v) => checkSecretAccessKey(v, 'secret access key')),
    });
  }

  writeAwsProfile(files, { profile, accessKeyId: accessKeyId!, secretAccessKey: secret, region });
  return {
    summary: `saved profile ${profile}: keys in ${files.credentials}, region ${region} in ${files.config}`,
    ...(profile === 'default' ? {} : { notice: `use it with --profile ${profile}, or AWS_PROFILE=${profile}` }),
  };
}

/** The secret piped into stdin, without the line break that usually ends it. */
async function readSecret(io: RegisterIo): Promise<string> {
  const text = await io.readStdin(MAX_STDIN);
  if (text === undefined)
    throw new NephoError('BAD_ARGUMENT', `--secret-access-key-stdin: more than ${MAX_STDIN} bytes on stdin; expected one secret access key`);
  const secret = text.trim();
  if (secret === '')
    throw new NephoError('BAD_ARGUMENT', '--secret-access-key-stdin: nothing on stdin', {
      hint: 'pipe the secret in: nepho register ... --secret-access-key-stdin < secret.txt',
    });
  return secret;
}
