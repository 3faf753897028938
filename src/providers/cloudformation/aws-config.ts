import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { NephoError, messageOf } from '../../errors.js';
import { writeFileAtomicSync } from '../../fs.js';
import type { ProviderOptions } from '../types.js';

/*
 * Everything nepho knows of AWS's own settings: the shared credentials and
 * config files, read and written the way the AWS CLI and SDKs expect them
 * (`[name]` sections in the credentials file, `[default]` and
 * `[profile name]` in the config file), and where and as whom the provider
 * talks to AWS. Settings come from the environment nepho was given (not
 * `process.env`: the nanny and the tests pass their own). A profile is
 * updated in place, so everything else in the files (other profiles,
 * comments, nested `s3 =` blocks) is kept as it was. Nothing here loads the
 * AWS SDK, and nothing puts a secret into an error message.
 */

/** Where the two files are. */
export interface AwsFiles {
  /** `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`: access keys. */
  credentials: string;
  /** `AWS_CONFIG_FILE`, else `~/.aws/config`: region and other settings. */
  config: string;
}

/** The files as the AWS SDK finds them in `env` (`HOME` from `env` too, so tests and `sudo -E` agree). */
export function awsFiles(env: NodeJS.ProcessEnv): AwsFiles {
  const home = nonEmpty(env.HOME) ?? homedir();
  return {
    credentials: nonEmpty(env.AWS_SHARED_CREDENTIALS_FILE) ?? join(home, '.aws', 'credentials'),
    config: nonEmpty(env.AWS_CONFIG_FILE) ?? join(home, '.aws', 'config'),
  };
}

/** Profile names nepho writes: nothing that could close a `[section]` header or start a new line. */
export const PROFILE_NAME = /^[A-Za-z0-9_.@+-]{1,64}$/;
/** Access key ids, loosely: AWS's are 20 upper-case letters and digits (`AKIA...`, `ASIA...`). */
export const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
/** Secret access keys, loosely: AWS's are 40 characters of base64. */
export const SECRET_ACCESS_KEY = /^[A-Za-z0-9/+=]{16,128}$/;
/** AWS region names (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `cn-north-1`). */
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** The region nepho offers when nothing else says one. */
export const FALLBACK_REGION = 'us-east-1';

/** A profile's name checked (`--profile`). */
export function checkProfileName(profile: string, field = '--profile'): string {
  if (!PROFILE_NAME.test(profile)) {
    throw new NephoError('BAD_ARGUMENT', `${field} '${profile}' is not a profile name (letters, digits, '.', '_', '-', '+', '@')`);
  }
  return profile;
}

/** An access key id checked (`--access-key-id`). An id is not a secret, but it is not echoed back either. */
export function checkAccessKeyId(id: string, field = '--access-key-id'): string {
  if (!ACCESS_KEY_ID.test(id)) {
    throw new NephoError('BAD_ARGUMENT', `${field}: not an access key id (16 or more upper-case letters and digits, like AKIAIOSFODNN7EXAMPLE)`);
  }
  return id;
}

/** A region checked (`--region`). */
export function checkRegion(region: string, field = '--region'): string {
  if (!REGION.test(region)) throw new NephoError('BAD_ARGUMENT', `${field} '${region}' is not an AWS region (like us-east-1)`);
  return region;
}

/** A secret access key checked; the message says where it came from, never what it is. */
export function checkSecretAccessKey(secret: string, from: string): string {
  if (!SECRET_ACCESS_KEY.test(secret)) {
    throw new NephoError('BAD_ARGUMENT', `${from}: not a secret access key (40 characters of letters, digits, '/' and '+')`);
  }
  return secret;
}

/** One `[section]` of an INI file with its top-level keys (lower-cased, as the AWS CLI reads them). */
export interface IniSection {
  name: string;
  values: Record<string, string>;
}

/** A header line's section name, blanks collapsed (`[ profile  dev ]` is `profile dev`). */
function headerName(line: string): string | undefined {
  const m = /^\s*\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(line);
  return m ? m[1]!.trim().split(/\s+/).join(' ') : undefined;
}

/** A top-level `key = value` line's key, lower-cased. Indented lines continue a nested value (`s3 =`) and are not keys. */
function keyOf(line: string): string | undefined {
  const m = /^([^\s=#;[][^=]*?)\s*=/.exec(line);
  return m ? m[1]!.toLowerCase() : undefined;
}

/**
 * The sections of an INI text, with their top-level keys. Lenient: what it
 * cannot read it skips. A `#` or `;` after a blank starts a comment, in
 * values too (`region = eu-west-3  # Paris`), as the SDK reads them.
 */
export function parseIni(text: string): IniSection[] {
  const sections: IniSection[] = [];
  let current: IniSection | undefined;
  for (const line of text.split(/\r?\n/)) {
    const name = headerName(line);
    if (name !== undefined) {
      current = { name, values: {} };
      sections.push(current);
      continue;
    }
    const key = keyOf(line);
    if (key !== undefined && current)
      current.values[key] = line
        .slice(line.indexOf('=') + 1)
        .replace(/\s[#;].*$/, '')
        .trim();
  }
  return sections;
}

/**
 * Set `values` in `section` of an INI text and return the new text. Keys
 * already there are changed in place (a repeated key keeps only its first
 * line); new keys go after the section's last setting; a missing section is
 * added at the end. Every other line stays as it was, line endings included.
 */
export function setIniValues(text: string, section: string, values: Record<string, string>): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const wanted = section.split(/\s+/).join(' ');
  // Each section's lines: from its header to the next header.
  const ranges: { name: string; start: number; end: number }[] = [];
  lines.forEach((line, i) => {
    const name = headerName(line);
    if (name === undefined) return;
    if (ranges.length > 0) ranges[ranges.length - 1]!.end = i;
    ranges.push({ name, start: i, end: lines.length });
  });
  const matching = ranges.filter((r) => r.name === wanted);
  const pending = new Map(Object.entries(values).map(([k, v]) => [k.toLowerCase(), `${k} = ${v}`]));
  const drop = new Set<number>();
  const set = new Set<string>();
  for (const range of matching) {
    for (let i = range.start + 1; i < range.end; i++) {
      const key = keyOf(lines[i]!);
      const line = key === undefined ? undefined : pending.get(key);
      if (line === undefined) continue;
      if (set.has(key!)) drop.add(i);
      else {
        lines[i] = line;
        set.add(key!);
      }
    }
  }
  const added = [...pending.entries()].filter(([k]) => !set.has(k)).map(([, line]) => line);
  if (added.length > 0) {
    const first = matching[0];
    if (first) {
      // After the section's last setting (a key or a nested line), not after comments that introduce the next section.
      let at = first.start + 1;
      for (let i = first.start + 1; i < first.end; i++) if (keyOf(lines[i]!) !== undefined || /^\s+\S/.test(lines[i]!)) at = i + 1;
      lines.splice(at, 0, ...added);
      const shifted = [...drop].map((i) => (i >= at ? i + added.length : i));
      drop.clear();
      for (const i of shifted) drop.add(i);
    } else {
      if (lines.length > 0 && lines[lines.length - 1]!.trim() !== '') lines.push('');
      lines.push(`[${wanted}]`, ...added);
    }
  }
  const out = lines.filter((_, i) => !drop.has(i));
  return out.length === 0 ? '' : `${out.join(eol)}${eol}`;
}

/** The config file's section for a profile: `[default]`, or `[profile NAME]`. */
export function configSection(profile: string): string {
  return profile === 'default' ? 'default' : `profile ${profile}`;
}

/**
 * A profile's settings in the config file's text: its sections merged in
 * file order, the later key winning. The SDK takes `[profile default]` for
 * the default profile too, over `[default]`.
 */
export function profileSettings(configText: string, profile: string): Record<string, string> {
  const names = profile === 'default' ? ['default', 'profile default'] : [configSection(profile)];
  const sections = parseIni(configText);
  return Object.assign({}, ...names.flatMap((name) => sections.filter((s) => s.name === name).map((s) => s.values))) as Record<string, string>;
}

/**
 * A file's text, or '' when it does not exist. `lenient`: '' also when it
 * cannot be read, as the SDK takes it (for settings merely looked up).
 */
export function readAwsFile(path: string, lenient = false): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (lenient || (error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new NephoError('AWS_FILE_UNREADABLE', `${path}: ${messageOf(error)}`);
  }
}

/** Write one of the files atomically, mode 0600, through a symbolic link if it is one; a new `~/.aws` is made 0700. */
function writeAwsFile(path: string, text: string): void {
  let target = path;
  try {
    target = realpathSync(path);
  } catch {
    /* a new file */
  }
  try {
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writeFileAtomicSync(target, text, 0o600);
  } catch (error) {
    throw new NephoError('AWS_FILE_UNWRITABLE', `${path}: ${messageOf(error)}`);
  }
}

/** One profile as `register` saves it. */
export interface AwsProfile {
  profile: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/**
 * Save a profile: its keys into the credentials file, its region into the
 * config file, each updated in place and written with mode 0600.
 */
export function writeAwsProfile(files: AwsFiles, p: AwsProfile): void {
  writeAwsFile(
    files.credentials,
    setIniValues(readAwsFile(files.credentials), p.profile, {
      aws_access_key_id: p.accessKeyId,
      aws_secret_access_key: p.secretAccessKey,
    }),
  );
  writeAwsFile(files.config, setIniValues(readAwsFile(files.config), configSection(p.profile), { region: p.region }));
}

/** Whether the credentials file already holds an access key for `profile`. */
export function profileHasKeys(files: AwsFiles, profile: string): boolean {
  return parseIni(readAwsFile(files.credentials)).some((s) => s.name === profile && s.values.aws_access_key_id !== undefined);
}

/**
 * The region a profile uses now, to offer it: `AWS_REGION`,
 * `AWS_DEFAULT_REGION`, the profile's in the config file, the first of them
 * that is a region; else us-east-1.
 */
export function currentRegion(env: NodeJS.ProcessEnv, files: AwsFiles, profile: string): string {
  const candidates = [nonEmpty(env.AWS_REGION), nonEmpty(env.AWS_DEFAULT_REGION), profileSettings(readAwsFile(files.config), profile).region];
  return candidates.find((region) => region !== undefined && REGION.test(region)) ?? FALLBACK_REGION;
}

/** Environment variables that give the AWS SDK credentials by themselves. */
const CREDENTIAL_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI'];
/** Keys that make a credentials-file profile usable. */
const CREDENTIAL_KEYS = ['aws_access_key_id', 'credential_process'];
/** Keys that make a config-file profile usable (keys, a process, SSO, an assumed role). */
const CONFIG_CREDENTIAL_KEYS = [...CREDENTIAL_KEYS, 'sso_session', 'sso_start_url', 'role_arn', 'web_identity_token_file'];

/**
 * Where credentials the AWS SDK would use are found on this machine (an
 * environment variable's name, or a file and section), or undefined when
 * there are none. Instance roles are not looked for: asking the metadata
 * service would stall on every other machine.
 */
export function findAwsCredentials(env: NodeJS.ProcessEnv, files: AwsFiles): string | undefined {
  const variable = CREDENTIAL_ENV.find((name) => env[name] !== undefined && env[name] !== '');
  if (variable) return variable;
  for (const [file, keys] of [
    [files.credentials, CREDENTIAL_KEYS],
    [files.config, CONFIG_CREDENTIAL_KEYS],
  ] as const) {
    const section = parseIni(readAwsFile(file)).find((s) => keys.some((k) => s.values[k] !== undefined && s.values[k] !== ''));
    if (section) return `${file} [${section.name}]`;
  }
  return undefined;
}

/** Where to get an account and keys, for the message shown when there are none. */
export const AWS_SIGNUP_URL = 'https://portal.aws.amazon.com/billing/signup';
/** The IAM page where access keys are made. */
export const AWS_ACCESS_KEYS_URL = 'https://console.aws.amazon.com/iam/home#/security_credentials';

/** Where and as whom nepho talks to AWS, decided from the command line and the environment. */
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

/**
 * Resolve region, profile, credentials and endpoints. The region comes from
 * `--region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's
 * `region` in the shared config file; none at all is an error naming --region.
 */
export function resolveAwsSettings(options: ProviderOptions, env: NodeJS.ProcessEnv): AwsSettings {
  const profile = options.profile ?? nonEmpty(env.AWS_PROFILE);
  // A config file that cannot be read is no region, as the SDK takes it; the error then names --region.
  const fromConfig = () => profileSettings(readAwsFile(awsFiles(env).config, true), profile ?? 'default').region;
  const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? nonEmpty(fromConfig());
  if (region === undefined) {
    throw new NephoError('NO_REGION', 'no AWS region: pass --region, or set AWS_REGION', {
      hint: `for example --region us-east-1; \`nepho register\` saves one in ${profile ? `profile ${profile}` : 'your AWS config'}`,
    });
  }
  if (!REGION.test(region)) {
    const from =
      options.region !== undefined
        ? '--region'
        : env.AWS_REGION
          ? 'AWS_REGION'
          : env.AWS_DEFAULT_REGION
            ? 'AWS_DEFAULT_REGION'
            : `region of profile ${profile ?? 'default'}`;
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
