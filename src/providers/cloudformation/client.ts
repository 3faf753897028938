import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { NephoError } from '../../errors.js';
import { proxyAgents } from '../../http.js';
import type { ProviderOptions } from '../types.js';
import { resolveAwsSettings, type AwsService, type AwsSettings } from './aws-config.js';

// The SDK warns on stderr, once per process, that its releases from 2027 on
// need Node 22. nepho pins its SDK and supports Node 20; the notice is not
// for nepho's users, and domain code never writes to the terminal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The SDK logs nothing to the terminal (it would otherwise console.warn about mixed credential sources). */
const QUIET = { debug() {}, info() {}, warn() {}, error() {} };

/** The clients one operation uses, all for the same region and identity. */
export interface AwsClients {
  settings: AwsSettings;
  /** For calls that change things and one-off reads: the SDK's standard retries. */
  cfn: CloudFormationClient;
  /**
   * For the follow loop: one attempt per call, so throttling reaches the loop,
   * which backs off by whole poll intervals (the SDK would retry within one).
   */
  poll: CloudFormationClient;
  /** The config every client shares, for S3 and STS (loaded only when a template goes through S3). */
  config(service: AwsService, extra?: Record<string, unknown>): Record<string, unknown>;
}

/** Make the clients for `options` and `env` (region, profile, keys and endpoints from there, not from process.env). */
export function awsClients(options: ProviderOptions, env: NodeJS.ProcessEnv): AwsClients {
  const settings = resolveAwsSettings(options, env);
  const config = (service: AwsService, extra: Record<string, unknown> = {}) => ({
    region: settings.region,
    logger: QUIET,
    ...proxied(service, settings, env),
    ...(settings.profile !== undefined ? { profile: settings.profile } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    ...(settings.endpoints[service] ? { endpoint: settings.endpoints[service] } : {}),
    ...extra,
  });
  return {
    settings,
    cfn: new CloudFormationClient(config('cloudformation')),
    poll: new CloudFormationClient(config('cloudformation', { maxAttempts: 1 })),
    config,
  };
}

/**
 * The SDK's request handler going through the proxy the environment names
 * for the service's endpoint (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, as for
 * downloads), or nothing: the SDK itself reads none of these variables.
 */
function proxied(service: AwsService, settings: AwsSettings, env: NodeJS.ProcessEnv): { requestHandler?: { httpAgent: unknown; httpsAgent: unknown } } {
  const endpoint = settings.endpoints[service] ?? `https://${service}.${settings.region}.amazonaws.com`;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return {};
  }
  const agents = proxyAgents(url, env);
  return agents ? { requestHandler: { httpAgent: agents.http, httpsAgent: agents.https } } : {};
}

/** AWS's error codes for a request refused for its rate. */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);

/** True for throttling ("Rate exceeded"), however the service spells it. */
export function isThrottling(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e || typeof e !== 'object') return false;
  return THROTTLING.has(e.name ?? '') || THROTTLING.has(e.Code ?? '') || e.$metadata?.httpStatusCode === 429 || /rate exceeded/i.test(e.message ?? '');
}

/** True for failures worth another try a little later: the network, a 5xx. */
export function isTransient(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $fault?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.$fault === 'server' || (e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND'].includes(e.code ?? '') || e.name === 'TimeoutError';
}

/** True when DescribeStacks says the stack does not exist (a ValidationError, not a 404). */
export function isNoSuchStack(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | undefined;
  return !!e && e.name === 'ValidationError' && /does not exist/i.test(e.message ?? '');
}

/** AWS's and emulators' error codes for an action the endpoint does not offer. */
const UNSUPPORTED = new Set([
  'InvalidAction',
  'UnknownOperationException',
  'NotImplemented',
  'NotImplementedException',
  'UnsupportedOperation',
  'UnsupportedOperationException',
]);

/**
 * True when the endpoint does not offer the action called: an error code
 * saying so, HTTP 501, or an answer that is no AWS error document at all (an
 * emulator's HTML error page). Only meaningful for an endpoint that has just
 * answered other calls of the same service properly.
 */
export function isUnsupportedAction(error: unknown): boolean {
  const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e || typeof e !== 'object') return false;
  const status = e.$metadata?.httpStatusCode;
  if (status === 501 || UNSUPPORTED.has(e.name ?? '') || UNSUPPORTED.has(e.Code ?? '')) return true;
  return status !== undefined && status >= 400 && /Deserialization error|XML parse error/.test(e.message ?? '');
}

/** The CloudFormation endpoint in use, as people know it: the URL set in the environment, else AWS's in the region. */
export function cloudformationEndpoint(settings: AwsSettings): string {
  return settings.endpoints.cloudformation ?? `AWS CloudFormation in ${settings.region}`;
}

const REJECTED_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'AuthFailure',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
]);

/**
 * Turn what the SDK threw into a NephoError a user can act on: no
 * credentials, credentials refused, access denied, an endpoint that cannot be
 * reached, or AWS's own message for a request it refused. `what` names the
 * operation (`creating stack wiki`); `scrub` takes secret values out of AWS's
 * messages. Anything that is not an AWS or network failure is a bug and is
 * returned as it is.
 */
export function awsError(error: unknown, what: string, settings: AwsSettings, scrub: (text: string) => string = (s) => s): unknown {
  if (error instanceof NephoError) return error;
  const e = error as { name?: string; message?: string; code?: string; $metadata?: unknown; $fault?: string };
  if (!e || typeof e !== 'object') return error;
  const message = scrub((e.message ?? String(error)).split('\n')[0]!);
  const profile = settings.profile !== undefined ? `profile ${settings.profile}` : undefined;
  if (e.name === 'CredentialsProviderError' || /could not load credentials|profile .* could not be found/i.test(e.message ?? '')) {
    return new NephoError('NO_CREDENTIALS', `${what}: no AWS credentials found${profile ? ` for ${profile}` : ''} (${message})`, {
      hint: 'run `nepho register` to set them up, or pass --profile; with SSO (IAM Identity Center): `aws configure sso`, then --profile',
      cause: error,
    });
  }
  if (REJECTED_CREDENTIALS.has(e.name ?? '')) {
    return new NephoError('CREDENTIALS_REJECTED', `${what}: AWS refused the credentials${profile ? ` of ${profile}` : ''} (${e.name}: ${message})`, {
      hint: 'check or renew them with `nepho register`',
      cause: error,
    });
  }
  if (/^AccessDenied/.test(e.name ?? '') || e.name === 'UnauthorizedOperation') {
    return new NephoError('AWS_ACCESS_DENIED', `${what}: access denied (${message})`, {
      hint: 'the credentials in use lack a permission; see the message for which',
      cause: error,
    });
  }
  if (isThrottling(error)) {
    return new NephoError('AWS_THROTTLED', `${what}: AWS is throttling requests (${message})`, { hint: 'try again in a minute', cause: error });
  }
  const httpStatus = (e.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode;
  if (httpStatus === undefined && (isTransient(error) || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|socket hang up|connect/i.test(e.message ?? ''))) {
    const endpoint = Object.values(settings.endpoints)[0];
    return new NephoError(
      'AWS_UNREACHABLE',
      `${what}: cannot reach AWS${endpoint ? ` at ${endpoint} (AWS_ENDPOINT_URL)` : ` in ${settings.region}`}: ${message}`,
      {
        hint: endpoint ? 'is the endpoint running?' : 'check the network connection',
        cause: error,
      },
    );
  }
  if (httpStatus !== undefined && /Deserialization error|XML parse error/.test(e.message ?? '')) {
    // Not an AWS error document (an HTML error page from a proxy or an emulator).
    return new NephoError('AWS_ERROR', `${what}: the endpoint answered HTTP ${httpStatus} without an AWS error`, { cause: error });
  }
  if (e.$metadata !== undefined || e.$fault !== undefined) {
    return new NephoError('AWS_ERROR', `${what}: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${message}`, { cause: error });
  }
  return error;
}
