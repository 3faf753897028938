/**
 * The team servers this machine knows (remotes) and the one in use, kept in
 * `$NEPHO_HOME/remotes.json` with mode 0600 since it holds their tokens.
 * `NEPHO_SERVER` (with `NEPHO_TOKEN`) in the environment names a server
 * without any file, and wins over the remote in use.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError } from '../errors.js';
import { acquireLock, writeFileAtomicSync } from '../fs.js';
import type { NephoHome } from '../home.js';
import { printableUrl } from '../http.js';

/** A team server this machine knows. */
export interface Remote {
  name: string;
  /** The server's base URL (`https://nepho.example.com`), without `/v1`. */
  url: string;
  token: string;
}

/** What remotes.json holds. */
interface RemotesFile {
  /** The remote formation commands go through; none: they act on this machine. */
  current?: string;
  remotes: Record<string, { url: string; token: string }>;
}

/** The server formation commands go through, and where that choice came from. */
export interface ServerInUse {
  /** The remote's name, or `NEPHO_SERVER` when the environment named it. */
  name: string;
  url: string;
  token: string;
  from: 'environment' | 'remote';
}

/** Remote names: as registry names. */
export const REMOTE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The file the remotes are kept in. */
export function remotesFile(home: NephoHome): string {
  return join(home.root, 'remotes.json');
}

function readRemotes(home: NephoHome): RemotesFile {
  const file = remotesFile(home);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return { remotes: {} };
    throw new NephoError('CONFIG_UNREADABLE', `${file}: cannot be read (${(error as { code?: string }).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new NephoError('CONFIG_INVALID', `${file}: not valid JSON`, { hint: 'fix the file, or remove it and add the remotes again' });
  }
  const data = parsed as Partial<RemotesFile> | null;
  const bad = (field: string) =>
    new NephoError('CONFIG_INVALID', `${file}: ${field} has the wrong shape`, { hint: 'fix the file, or remove it and add the remotes again' });
  if (typeof data !== 'object' || data === null || typeof data.remotes !== 'object' || data.remotes === null) throw bad('remotes');
  for (const [name, r] of Object.entries(data.remotes)) {
    if (typeof r?.url !== 'string' || typeof r.token !== 'string') throw bad(`remotes.${name}`);
  }
  if (data.current !== undefined && typeof data.current !== 'string') throw bad('current');
  return { remotes: data.remotes, ...(data.current ? { current: data.current } : {}) };
}

/** Change remotes.json under its lock, writing it back whole, readable by its owner only. */
async function updateRemotes<T>(home: NephoHome, operation: string, change: (file: RemotesFile) => T): Promise<T> {
  const path = remotesFile(home);
  const lock = await acquireLock(`${path}.lock`, operation, 'CONFIG_BUSY', { waitMs: 10_000 });
  try {
    const file = readRemotes(home);
    const result = change(file);
    writeFileAtomicSync(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
    // An older file made with a looser mode is tightened too.
    chmodSync(path, 0o600);
    return result;
  } finally {
    await lock.release();
  }
}

/** A server URL as remotes keep it: http(s), no credentials, no trailing slash. */
export function checkServerUrl(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NephoError('BAD_URL', `${what}: '${printableUrl(url)}' is not a URL`, { hint: 'for example https://nepho.example.com or http://127.0.0.1:8340' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new NephoError('BAD_URL', `${what}: a server URL is https:// or http://, not ${parsed.protocol}`, { hint: 'for example https://nepho.example.com' });
  }
  if (parsed.username || parsed.password) {
    throw new NephoError('BAD_URL', `${what}: put no credentials in the URL; the token goes on stdin (--token-stdin)`);
  }
  return parsed.toString().replace(/\/+$/, '');
}

function checkName(name: string): void {
  if (!REMOTE_NAME.test(name)) {
    throw new NephoError('BAD_ARGUMENT', `remote name '${name}': use lowercase letters, digits, '.', '_' and '-'`);
  }
}

/** The remotes known here, by name, and which one is in use (tokens left out). */
export function listRemotes(home: NephoHome): { name: string; url: string; current: boolean }[] {
  const file = readRemotes(home);
  return Object.entries(file.remotes)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, r]) => ({ name, url: r.url, current: file.current === name }));
}

/** Add (or replace, with `replace`) a remote; the first one added is put in use. Returns whether it is in use. */
export async function addRemote(home: NephoHome, remote: Remote, replace: boolean): Promise<boolean> {
  checkName(remote.name);
  return updateRemotes(home, `adding remote ${remote.name}`, (file) => {
    if (file.remotes[remote.name] && !replace) {
      throw new NephoError('REMOTE_EXISTS', `a remote named '${remote.name}' already exists (${file.remotes[remote.name]!.url})`, {
        hint: `pass --replace to change it, or remove it first: nepho remote:remove ${remote.name}`,
      });
    }
    file.remotes[remote.name] = { url: remote.url, token: remote.token };
    if (file.current === undefined) file.current = remote.name;
    return file.current === remote.name;
  });
}

function unknownRemote(name: string, file: RemotesFile): NephoError {
  const known = Object.keys(file.remotes).sort();
  return new NephoError('REMOTE_NOT_FOUND', `no remote named '${name}'${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`, {
    hint: 'add it with nepho remote:add NAME URL --token-stdin',
  });
}

/** Put a remote in use, or none (`undefined`): formation commands then act on this machine. */
export async function useRemote(home: NephoHome, name: string | undefined): Promise<void> {
  await updateRemotes(home, 'choosing the remote in use', (file) => {
    if (name === undefined) {
      delete file.current;
      return;
    }
    if (!file.remotes[name]) throw unknownRemote(name, file);
    file.current = name;
  });
}

/** Forget a remote and its token; returns whether it was the one in use. */
export async function removeRemote(home: NephoHome, name: string): Promise<boolean> {
  return updateRemotes(home, `removing remote ${name}`, (file) => {
    if (!file.remotes[name]) throw unknownRemote(name, file);
    delete file.remotes[name];
    if (file.current !== name) return false;
    delete file.current;
    return true;
  });
}

/**
 * The server formation commands go through: `NEPHO_SERVER` (its token from
 * `NEPHO_TOKEN`, else from a remote with that URL), else the remote in use,
 * else none.
 */
export function serverInUse(home: NephoHome, env: NodeJS.ProcessEnv): ServerInUse | undefined {
  const fromEnv = env.NEPHO_SERVER?.trim();
  if (fromEnv) {
    const url = checkServerUrl(fromEnv, 'NEPHO_SERVER');
    const token = env.NEPHO_TOKEN?.trim() || Object.values(readRemotes(home).remotes).find((r) => r.url === url)?.token;
    if (!token) {
      throw new NephoError('SERVER_TOKEN_MISSING', `NEPHO_SERVER names ${url}, but NEPHO_TOKEN is not set and no remote has a token for it`, {
        hint: 'set NEPHO_TOKEN, or add the server with nepho remote:add NAME URL --token-stdin; --local ignores the server',
      });
    }
    return { name: 'NEPHO_SERVER', url, token, from: 'environment' };
  }
  const file = readRemotes(home);
  if (!file.current) return undefined;
  const remote = file.remotes[file.current];
  if (!remote) throw unknownRemote(file.current, file);
  return { name: file.current, url: remote.url, token: remote.token, from: 'remote' };
}
