/**
 * Remotes (team servers) as the remote:* commands use them: one facade the
 * commands load when they run.
 */
import { NephoError } from '../errors.js';
import type { NephoHome } from '../home.js';
import { ServerClient } from './client.js';
import { addRemote, checkServerUrl, listRemotes, serverInUse, type ServerInUse } from './config.js';

export { removeRemote, useRemote } from './config.js';

/** The most a token read from stdin may weigh. */
export const TOKEN_MAX_BYTES = 4096;

/** A token as read from stdin: its first line, trimmed; empty or multi-word is refused. */
export function tokenFrom(text: string | undefined): string {
  if (text === undefined) throw new NephoError('BAD_ARGUMENT', `--token-stdin: more than ${TOKEN_MAX_BYTES} bytes on stdin; a token is one line`);
  const token = text.split('\n')[0]!.trim();
  if (token === '')
    throw new NephoError('BAD_ARGUMENT', '--token-stdin: nothing on stdin', {
      hint: 'for example: printf %s "$TOKEN" | nepho remote:add team https://nepho.example.com --token-stdin',
    });
  if (/\s/.test(token)) throw new NephoError('BAD_ARGUMENT', '--token-stdin: the first line of stdin is not one token (it has spaces)');
  return token;
}

/** Who a token is on a server (`GET /v1/whoami`). */
export interface Whoami {
  name: string;
  role: string;
}

/**
 * Add a remote. Unless `verify` is false, the server is asked who the token
 * is first, so a wrong URL or token is found now rather than at the first
 * create. Returns whether it is now in use, and who the token is.
 */
export async function addRemoteChecked(
  home: NephoHome,
  options: { name: string; url: string; token: string; replace: boolean; verify: boolean },
): Promise<{ inUse: boolean; whoami?: Whoami; url: string }> {
  const url = checkServerUrl(options.url, 'URL');
  let whoami: Whoami | undefined;
  if (options.verify) {
    const client = new ServerClient({ name: options.name, url, token: options.token, from: 'remote' });
    whoami = await client.get<Whoami>('/v1/whoami');
  }
  const inUse = await addRemote(home, { name: options.name, url, token: options.token }, options.replace);
  return { inUse, url, ...(whoami ? { whoami } : {}) };
}

/** One line of remote:list (never a token). */
export interface RemoteListing {
  name: string;
  url: string;
  /** Formation commands go through it now. */
  inUse: boolean;
  /** `remote` (remotes.json) or `environment` (NEPHO_SERVER). */
  source: 'remote' | 'environment';
}

/** The remotes, and the server in use, NEPHO_SERVER included. */
export function remoteListing(home: NephoHome, env: NodeJS.ProcessEnv): RemoteListing[] {
  let current: ServerInUse | undefined;
  try {
    current = serverInUse(home, env);
  } catch (error) {
    // NEPHO_SERVER without a token still shows in the list; the error is for the commands that would use it.
    if (!(error instanceof NephoError) || error.code !== 'SERVER_TOKEN_MISSING') throw error;
    current = { name: 'NEPHO_SERVER', url: checkServerUrl(env.NEPHO_SERVER!.trim(), 'NEPHO_SERVER'), token: '', from: 'environment' };
  }
  const listed: RemoteListing[] = listRemotes(home).map((r) => ({
    name: r.name,
    url: r.url,
    inUse: current?.from === 'remote' && r.current,
    source: 'remote',
  }));
  if (current?.from === 'environment') listed.unshift({ name: 'NEPHO_SERVER', url: current.url, inUse: true, source: 'environment' });
  return listed;
}

/** Whether NEPHO_SERVER overrides the remote chosen with remote:use. */
export function environmentServer(env: NodeJS.ProcessEnv): string | undefined {
  return env.NEPHO_SERVER?.trim() || undefined;
}
