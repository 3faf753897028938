import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NephoError } from '../../errors.js';
import type { ProviderOptions } from '../types.js';

/**
 * Where and as whom nepho talks to AWS, decided from the command line and the
 * environment nepho was given (not `process.env`: the nanny and the tests pass
 * their own). Nothing here loads the AWS SDK.
 */
export interface AwsSettings {
  region: string;
  /** `--profile`, else `AWS_PROFILE` from the environment; undefined for the default chain. */
  profile?: string;
  /**
   * Keys from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
   * `AWS_SESSION_TOKEN`), used when no profile was named. Otherwise the SDK's
   * standard chain finds credentials (shared files, SSO, process, IMDS).
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Endpoint overrides by service: `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`. */
  endpoints: Partial<Record<AwsService, string>>;
}

/** The services the provider talks to. */
export type AwsService = 'cloudformation' | 's3' | 'sts';

/** AWS region names (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `cn-north-1`). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * Resolve region, profile, credentials and endpoints. The region comes from
 * `--region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's
 * `region` in the shared config file; none at all is an error naming --region.
 */
export function resolveAwsSettings(options: ProviderOptions, env: NodeJS.ProcessEnv): AwsSettings {
  const profile = options.profile ?? nonEmpty(env.AWS_PROFILE);
  const fromConfig = () => profileRegion(env, profile ?? 'default');
  const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? fromConfig();
  if (region === undefined) {
    throw new NephoError('NO_REGION', 'no AWS region: pass --region, or set AWS_REGION', {
      hint: `for example --region us-east-1; \`nepho register\` saves one in ${profile ? `profile ${profile}` : 'your AWS config'}`,
    });
  }
  if (!REGION.test(region)) {
    const from = options.region !== undefined ? '--region' : env.AWS_REGION ? 'AWS_REGION' : env.AWS_DEFAULT_REGION ? 'AWS_DEFAULT_REGION' : `region of profile ${profile ?? 'default'}`;
    throw new NephoError('BAD_REGION', `${from} '${region}' is not an AWS region`, { hint: 'for example us-east-1 or eu-west-3' });
  }

  const settings: AwsSettings = { region, endpoints: {} };
  if (profile !== undefined) settings.profile = profile;
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  // As with the AWS CLI, an explicit --profile wins over keys in the environment.
  if (options.profile === undefined && accessKeyId && secretAccessKey) {
    const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
    settings.credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS !== 'true') {
    for (const service of ['cloudformation', 's3', 'sts'] as const) {
      const specific = `AWS_ENDPOINT_URL_${service.toUpperCase()}`;
      const variable = nonEmpty(env[specific]) !== undefined ? specific : nonEmpty(env.AWS_ENDPOINT_URL) !== undefined ? 'AWS_ENDPOINT_URL' : undefined;
      if (variable) settings.endpoints[service] = checkEndpoint(variable, env[variable]!);
    }
  }
  return settings;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function checkEndpoint(variable: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new NephoError('BAD_ENDPOINT', `${variable} '${value}' is not a URL`, { hint: 'for example http://127.0.0.1:5000' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NephoError('BAD_ENDPOINT', `${variable} '${value}' must be an http:// or https:// URL`, { hint: 'for example http://127.0.0.1:5000' });
  }
  return value.trim();
}

/** The `region` of a profile in the shared config file (`AWS_CONFIG_FILE`, default ~/.aws/config). */
export function profileRegion(env: NodeJS.ProcessEnv, profile: string): string | undefined {
  const file = nonEmpty(env.AWS_CONFIG_FILE) ?? join(nonEmpty(env.HOME) ?? homedir(), '.aws', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*([^\]]*?)\s*\]/.exec(line);
    if (section) {
      inSection = wanted.includes(section[1]!.replace(/\s+/g, ' '));
      continue;
    }
    // Indented lines continue a nested setting (`s3 =` sub-keys): not ours.
    if (!inSection || raw !== line) continue;
    const setting = /^region\s*=\s*(\S+)/.exec(line);
    if (setting) return setting[1];
  }
  return undefined;
}

/**
 * The base poll interval of followed operations in ms: 2000, or
 * `NEPHO_POLL_INTERVAL_MS` (10 to 60000; tests make it small).
 */
export function pollInterval(env: NodeJS.ProcessEnv): number {
  const raw = nonEmpty(env.NEPHO_POLL_INTERVAL_MS);
  if (raw === undefined) return DEFAULT_POLL_INTERVAL_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 10 || ms > 60_000) {
    throw new NephoError('BAD_ENVIRONMENT', `NEPHO_POLL_INTERVAL_MS '${raw}' must be a whole number of milliseconds from 10 to 60000`);
  }
  return ms;
}

/** CloudFormation's events arrive every few seconds at best; 2 s shows them promptly and stays far under the API's rate limits. */
export const DEFAULT_POLL_INTERVAL_MS = 2000;
