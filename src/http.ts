import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readFileSync, readSync, stat, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpSettings } from './config.js';
import { NephoError, messageOf } from './errors.js';
import { SmallFileError, readSmallFile } from './fs.js';
import { printableUrl } from './output.js';

/** A conditional GET's answer, the body as bytes. */
export type FetchBytesResult = { status: 'fresh'; body: Buffer; etag?: string } | { status: 'not-modified' };

/**
 * A conditional GET's answer, the body written to a file: `path`, its size
 * and sha256 (hex). For a `file://` URL, `path` is the file itself.
 */
export type FetchFileResult = { status: 'fresh'; path: string; size: number; sha256: string; etag?: string } | { status: 'not-modified' };

/** A conditional GET's answer. */
export type FetchResult = { status: 'fresh'; body: string; etag?: string } | { status: 'not-modified' };

/** What to fetch and how hard to try. */
export interface FetchOptions extends HttpSettings {
  /** Names the thing being fetched in errors: `registry 'community'`. */
  what: string;
  /** The ETag of the copy we hold; a 304 answer then means it is still current. */
  etag?: string;
}

// Kept with redactUrl, so that code printing or storing a URL needs no HTTP client.
export { printableUrl, withoutCredentials } from './output.js';

/**
 * Fetch a text document from `https://`, `http://` or `file://`: see
 * `fetchBytes`; the body is decoded as UTF-8.
 */
export async function fetchText(url: string, options: FetchOptions): Promise<FetchResult> {
  const result = await fetchBytes(url, options);
  if (result.status === 'not-modified') return result;
  return { status: 'fresh', body: result.body.toString('utf8'), ...(result.etag ? { etag: result.etag } : {}) };
}

/** Status codes worth another try: the server is busy or briefly failing. */
const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504, 521, 522, 524]);
/** Network errors worth another try (as got's own list). */
const RETRY_CODES = new Set(['ETIMEDOUT', 'ECONNRESET', 'EADDRINUSE', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'ENETUNREACH', 'EAI_AGAIN']);

/** Where a try's body goes, chunk by chunk; `reset` starts it afresh for the next try. */
interface BodySink {
  reset(): void;
  write(chunk: Buffer): void;
}

/** How one try ended. `url` is where it ended, after any redirects. */
type Attempt =
  | { kind: 'fresh'; url: string; etag?: string }
  | { kind: 'not-modified'; url: string }
  | { kind: 'status'; url: string; status: number }
  | { kind: 'timeout'; url: string }
  | { kind: 'too-large'; url: string }
  | { kind: 'network'; url: string; code: string };

/**
 * Fetch a document from `https://`, `http://` or `file://`. All of nepho's
 * network access goes through here, so timeouts, bounded retries with
 * backoff, the size cap and the wording of failures are decided once:
 *
 * - each try gets `timeout` seconds, and all tries together twice that (one
 *   minute by default), whatever `retries` allows;
 * - the body is counted as it arrives, after decompression, and the download
 *   stops as soon as it passes `maxBytes`: a compressed bomb is never expanded;
 * - a 304 is "not modified" only when an ETag was sent;
 * - credentials in the URL are used for this request and never printed;
 *   without them, those of `~/.netrc` (or `$NETRC`) for the host are sent.
 *
 * Every failure is a NephoError naming `options.what` and the URL (credentials
 * removed), the URL it was redirected to, and how many tries over how long.
 */
export async function fetchBytes(url: string, options: FetchOptions): Promise<FetchBytesResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  const sink: BodySink = {
    reset: () => {
      chunks.length = 0;
      size = 0;
    },
    write: (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
    },
  };
  const result = await fetchInto(url, options, sink, (path, shown) => fetchFile(path, shown, options));
  if (result.status === 'not-modified' || 'body' in result) return result;
  const body = Buffer.concat(chunks, size);
  chunks.length = 0;
  return { status: 'fresh', body, ...(result.etag ? { etag: result.etag } : {}) };
}

/**
 * Fetch a document as `fetchBytes` does, writing the body to a file as it
 * arrives (emptied again for each try) instead of holding it, and hashing it
 * on the way: memory stays flat whatever its size. `path` names the file; it
 * is asked for only when a body comes (a 304 writes nothing). A `file://` URL
 * is not copied: the result names the file itself (read once, to hash it,
 * under the same checks as `fetchBytes`).
 */
export async function fetchToFile(url: string, path: () => string, options: FetchOptions): Promise<FetchFileResult> {
  let fd: number | undefined;
  let hash = createHash('sha256');
  let size = 0;
  const sink: BodySink = {
    reset: () => {
      if (fd !== undefined) ftruncateSync(fd, 0);
      hash = createHash('sha256');
      size = 0;
    },
    write: (chunk) => {
      fd ??= openSync(path(), 'w', 0o600);
      let at = 0;
      while (at < chunk.length) at += writeSync(fd!, chunk, at, chunk.length - at, size + at);
      hash.update(chunk);
      size += chunk.length;
    },
  };
  try {
    const result = await fetchInto(url, options, sink, (file, shown) => hashFile(file, shown, options));
    if (result.status === 'not-modified' || 'path' in result) return result;
    // An empty body still makes a file.
    fd ??= openSync(path(), 'w', 0o600);
    return { status: 'fresh', path: path(), size, sha256: hash.digest('hex'), ...(result.etag ? { etag: result.etag } : {}) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The body of a fresh answer went to the sink; a `file://` URL is answered by
 * `local` instead. Every failure is thrown as fetchBytes describes.
 */
async function fetchInto<T extends FetchBytesResult | FetchFileResult>(
  url: string,
  options: FetchOptions,
  sink: BodySink,
  local: (path: string, shown: string) => T | Promise<T>,
): Promise<T | { status: 'fresh'; etag?: string } | { status: 'not-modified' }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NephoError('BAD_URL', `${options.what}: '${printableUrl(url)}' is not a URL`, { hint: 'use https://, http:// or file://' });
  }
  const shown = printableUrl(url);
  if (parsed.protocol === 'file:') return local(fileURLToPath(parsed), shown);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new NephoError('BAD_URL', `${options.what}: unsupported URL scheme '${parsed.protocol}' in ${shown}`, {
      hint: 'use https://, http:// or file://',
    });
  }

  const { default: got } = await import('got');
  const headers: Record<string, string> = {
    'user-agent': 'nepho',
    accept: 'application/json',
    ...(options.etag ? { 'if-none-match': options.etag } : {}),
  };
  const login = credentialsFor(parsed);
  if (login) headers.authorization = `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}`;
  // Sent as a header rather than in the URL: got would send them still percent-encoded.
  parsed.username = '';
  parsed.password = '';

  const perTry = options.timeout * 1000;
  const started = performance.now();
  const deadline = started + 2 * perTry;
  let tries = 0;
  for (;;) {
    tries++;
    sink.reset();
    const attempt = await tryOnce(got, parsed, headers, Math.max(1, Math.min(perTry, deadline - performance.now())), options.maxBytes, sink);
    if (attempt.kind === 'fresh') return { status: 'fresh', ...(attempt.etag ? { etag: attempt.etag } : {}) };
    if (attempt.kind === 'not-modified' && options.etag) return { status: 'not-modified' };
    const retryable =
      attempt.kind === 'timeout' ||
      (attempt.kind === 'status' && RETRY_STATUS.has(attempt.status)) ||
      (attempt.kind === 'network' && RETRY_CODES.has(attempt.code));
    // 1 s, 2 s, 4 s at the default 30 s per try; proportionally less when tries are shorter.
    const wait = Math.min(1000, perTry / 30) * 2 ** Math.min(tries - 1, 2);
    if (!retryable || tries > options.retries || performance.now() + wait >= deadline) {
      throw failure(attempt, { url, shown, what: options.what, maxBytes: options.maxBytes, perTry, tries, spent: performance.now() - started });
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * The proxy for `url` from the environment, as curl and git read it:
 * `https_proxy`/`HTTPS_PROXY` for https, `http_proxy`/`HTTP_PROXY` for http
 * (lower case first), unless `no_proxy`/`NO_PROXY` lists the host: `*`, a
 * host name, a domain (`example.com` or `.example.com`, subdomains
 * included), an address, each optionally with `:port`.
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv): string | undefined {
  const variable = url.protocol === 'https:' ? 'https_proxy' : url.protocol === 'http:' ? 'http_proxy' : undefined;
  if (!variable) return undefined;
  const proxy = env[variable] || env[variable.toUpperCase()];
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of (env.no_proxy || env.NO_PROXY || '').split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return undefined;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[|\](?=:\d+$|$)/g, ''))!;
    const name = m[1]!.replace(/^\*?\./, '');
    if (m[2] !== undefined && m[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return undefined;
  }
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

/** Agents by proxy URL: one pool per proxy for the process. */
const agents = new Map<string, { http: import('node:http').Agent; https: import('node:https').Agent }>();

/**
 * got's agents for reaching `url` through the proxy the environment names
 * (absolute-URI requests for http, as proxies that allow CONNECT only to
 * port 443 still serve; CONNECT tunnels for https), or undefined to connect
 * directly. The agent modules load only when a proxy is set.
 */
export function proxyAgents(url: URL, env: NodeJS.ProcessEnv): { http: import('node:http').Agent; https: import('node:https').Agent } | undefined {
  const proxy = proxyFor(url, env);
  if (!proxy) return undefined;
  let pair = agents.get(proxy);
  if (!pair) {
    const load = createRequire(import.meta.url);
    const { HttpProxyAgent } = load('http-proxy-agent') as typeof import('http-proxy-agent');
    const { HttpsProxyAgent } = load('https-proxy-agent') as typeof import('https-proxy-agent');
    pair = { http: new HttpProxyAgent(proxy), https: new HttpsProxyAgent(proxy) };
    agents.set(proxy, pair);
  }
  return pair;
}

/** One GET, ended by its answer, an error, the size cap or `budget` milliseconds, whichever comes first. */
function tryOnce(
  got: typeof import('got').default,
  url: URL,
  headers: Record<string, string>,
  budget: number,
  maxBytes: number,
  sink: BodySink,
): Promise<Attempt> {
  return new Promise((resolvePromise) => {
    const agent = proxyAgents(url, process.env);
    const stream = got.stream(url, {
      headers,
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: true,
      decompress: true,
      ...(agent ? { agent } : {}),
    });
    let at = url.toString();
    let etag: string | undefined;
    let size = 0;
    let done = false;
    const finish = (attempt: Attempt) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.destroy();
      resolvePromise(attempt);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', url: at }), budget);
    stream.on('redirect', (next: { url: URL | string }) => {
      at = next.url.toString();
    });
    stream.on('response', (response: { statusCode: number; url: string; headers: Record<string, string | string[] | undefined> }) => {
      at = response.url;
      if (response.statusCode === 304) return finish({ kind: 'not-modified', url: at });
      if (response.statusCode < 200 || response.statusCode > 299) return finish({ kind: 'status', url: at, status: response.statusCode });
      // Compressed or not, a body larger than the cap on the wire is refused before it is read.
      if (Number(response.headers['content-length'] ?? 0) > maxBytes) return finish({ kind: 'too-large', url: at });
      const tag = response.headers.etag;
      if (typeof tag === 'string') etag = tag;
    });
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      // Counted after decompression, chunk by chunk: a bomb stops at the cap.
      size += chunk.length;
      if (size > maxBytes) return finish({ kind: 'too-large', url: at });
      try {
        sink.write(chunk);
      } catch (error) {
        finish({ kind: 'network', url: at, code: (error as { code?: string }).code ?? messageOf(error) });
      }
    });
    stream.on('end', () => finish({ kind: 'fresh', url: at, ...(etag ? { etag } : {}) }));
    stream.on('error', (error: Error) => finish({ kind: 'network', url: at, code: (error as { code?: string }).code ?? messageOf(error) }));
  });
}

/** The NephoError for a fetch that did not succeed. */
function failure(
  attempt: Exclude<Attempt, { kind: 'fresh' }>,
  c: { url: string; shown: string; what: string; maxBytes: number; perTry: number; tries: number; spent: number },
): NephoError {
  // Where it went wrong: the URL it was redirected to, when it was.
  const where = sameUrl(attempt.url, c.url) ? c.shown : `${printableUrl(attempt.url)} (redirected from ${c.shown})`;
  const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))}s`;
  const spent = `${c.tries} ${c.tries === 1 ? 'try' : 'tries'} in ${seconds(c.spent)}`;
  switch (attempt.kind) {
    case 'timeout':
      return new NephoError('HTTP_TIMEOUT', `${c.what}: ${where} did not answer within ${seconds(c.perTry)} (gave up after ${spent})`, {
        hint: 'check the network, or raise http.timeout in config.yaml',
      });
    case 'too-large':
      return new NephoError('HTTP_TOO_LARGE', `${c.what}: ${where} is larger than the ${c.maxBytes}-byte limit`, {
        hint: 'raise http.max_bytes in config.yaml if this is expected',
      });
    case 'not-modified':
      return new NephoError('HTTP_STATUS', `${c.what}: ${where} answered 304 Not Modified to a request that named no copy (no If-None-Match)`, {
        hint: 'the server is misbehaving; tell its maintainers',
      });
    case 'status': {
      const auth = attempt.status === 401 || attempt.status === 403;
      return new NephoError('HTTP_STATUS', `${c.what}: ${where} answered HTTP ${attempt.status}${c.tries > 1 ? ` (${spent})` : ''}`, {
        hint: auth
          ? `it wants credentials: put them in ~/.netrc (machine ${hostOf(attempt.url)} login USER password PASSWORD)`
          : attempt.status === 404
            ? 'check the URL'
            : 'the server is failing; try again later',
      });
    }
    case 'network':
      return new NephoError('HTTP_FAILED', `${c.what}: could not fetch ${where} (${attempt.code}${c.tries > 1 ? `; ${spent}` : ''})`, {
        hint: 'check the network and the URL',
      });
  }
}

function sameUrl(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    x.username = x.password = y.username = y.password = '';
    return x.toString() === y.toString();
  } catch {
    return a === b;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return 'HOST';
  }
}

/**
 * The user and password to send: those in the URL (decoded), else the
 * `~/.netrc` entry (`$NETRC` names another file) for its host, else none.
 */
function credentialsFor(url: URL): { user: string; password: string } | undefined {
  if (url.username !== '' || url.password !== '') {
    // A stray '%' (not a valid escape) is sent as written rather than refused.
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        return text;
      }
    };
    return { user: decode(url.username), password: decode(url.password) };
  }
  let text: string;
  try {
    text = readFileSync(process.env.NETRC || join(process.env.HOME || homedir(), '.netrc'), 'utf8');
  } catch {
    return undefined;
  }
  return netrcEntry(text, url.hostname);
}

/** The login and password a netrc text gives `host` (its `machine` entry, else `default`). */
export function netrcEntry(text: string, host: string): { user: string; password: string } | undefined {
  const tokens = text.split(/\s+/).filter((t) => t !== '');
  let current: { machine?: string; user?: string; password?: string } | undefined;
  let fallback: typeof current;
  const found = (entry: typeof current) =>
    entry && (entry.user !== undefined || entry.password !== undefined) ? { user: entry.user ?? '', password: entry.password ?? '' } : undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === 'machine' || token === 'default') {
      if (current?.machine === host) return found(current);
      current = token === 'machine' ? { machine: tokens[++i] ?? '' } : {};
      if (token === 'default') fallback = current;
    } else if (token === 'login' && current) current.user = tokens[++i];
    else if (token === 'password' && current) current.password = tokens[++i];
    else if (token === 'account') i++;
    else if (token === 'macdef') break; // macros run in ftp; nothing after them is read
  }
  return current?.machine === host ? found(current) : found(fallback);
}

/** A file's ETag: its size and modification time, as web servers do; undefined when it is not a regular file. */
async function fileEtag(path: string): Promise<string | undefined> {
  const stats = await new Promise<import('node:fs').Stats | undefined>((r) => stat(path, (error, s) => r(error ? undefined : s)));
  return stats?.isFile() ? `"${stats.size.toString(16)}-${stats.mtimeMs.toString(16)}"` : undefined;
}

/** The NephoError for a `file://` document that cannot be read as one. */
function fileFailure(error: unknown, shown: string, options: FetchOptions): NephoError {
  if (!(error instanceof SmallFileError)) throw error;
  if (error.reason === 'too-large') return new NephoError('HTTP_TOO_LARGE', `${options.what}: ${shown} is larger than the ${options.maxBytes}-byte limit`);
  return new NephoError('HTTP_FAILED', `${options.what}: cannot read ${shown}${error.reason === 'missing' ? ' (ENOENT)' : `: ${error.message}`}`, {
    hint: error.reason === 'not-regular' ? 'point the URL at an index.json file' : 'check the path',
  });
}

async function fetchFile(path: string, shown: string, options: FetchOptions): Promise<FetchBytesResult> {
  const etag = await fileEtag(path);
  if (etag !== undefined && options.etag === etag) return { status: 'not-modified' };
  try {
    // A device or a FIFO reports size 0 and may never end (file:///dev/zero): only regular files are read.
    return { status: 'fresh', body: readSmallFile(path, options.maxBytes), ...(etag ? { etag } : {}) };
  } catch (error) {
    throw fileFailure(error, shown, options);
  }
}

/** fetchFile without holding the file: it is read once, in pieces, to hash it. */
async function hashFile(path: string, shown: string, options: FetchOptions): Promise<FetchFileResult> {
  const etag = await fileEtag(path);
  if (etag !== undefined && options.etag === etag) return { status: 'not-modified' };
  let fd: number;
  try {
    // As readSmallFile: judged before it is opened (without blocking) and again once open.
    regularWithin(statSync(path), options.maxBytes);
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fileFailure(error instanceof SmallFileError ? error : smallFileError(error), shown, options);
  }
  try {
    regularWithin(fstatSync(fd), options.maxBytes);
    const hash = createHash('sha256');
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    let size = 0;
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      size += n;
      if (size > options.maxBytes) throw fileFailure(new SmallFileError('too-large', ''), shown, options);
      hash.update(chunk.subarray(0, n));
    }
    return { status: 'fresh', path, size, sha256: hash.digest('hex'), ...(etag ? { etag } : {}) };
  } catch (error) {
    throw error instanceof NephoError ? error : fileFailure(error instanceof SmallFileError ? error : smallFileError(error), shown, options);
  } finally {
    closeSync(fd);
  }
}

/** readSmallFile's checks of a file before it is read: a regular file, within the limit. */
function regularWithin(stats: import('node:fs').Stats, maxBytes: number): void {
  if (!stats.isFile()) throw new SmallFileError('not-regular', 'not a regular file');
  if (stats.size > maxBytes) throw new SmallFileError('too-large', `larger than the ${maxBytes}-byte limit`);
}

function smallFileError(error: unknown): SmallFileError {
  const code = (error as NodeJS.ErrnoException).code;
  return new SmallFileError(code === 'ENOENT' ? 'missing' : 'unreadable', code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(error)})`);
}

/** A JSON API's answer: its status and its body (parsed when it is JSON). */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** One call of a JSON API (the team server's). */
export interface ApiCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** Sent as `Authorization: Bearer TOKEN`. */
  token?: string;
  /** Sent as the JSON body. */
  json?: unknown;
  /** Names the thing called in errors: `server 'team'`. */
  what: string;
  /** Seconds for the whole call. */
  timeout?: number;
}

/**
 * Call a JSON API. Any answer comes back as data, whatever its status, for
 * the caller to read the API's own error; only a server that cannot be
 * reached (or does not answer in time) is an error here. A GET is tried
 * again on a network failure; a POST never is, since it may have been taken.
 */
export async function callApi(url: string, call: ApiCall): Promise<ApiAnswer> {
  const { default: got } = await import('got');
  const shown = printableUrl(url);
  try {
    const res = await got(url, {
      method: call.method,
      headers: { 'user-agent': 'nepho', accept: 'application/json', ...(call.token ? { authorization: `Bearer ${call.token}` } : {}) },
      ...(call.json === undefined ? {} : { json: call.json }),
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: call.method === 'GET' ? 2 : 0, methods: ['GET'], statusCodes: [502, 503, 504] },
      timeout: { request: (call.timeout ?? 30) * 1000 },
      responseType: 'text',
    });
    let body: unknown = res.body;
    try {
      body = JSON.parse(res.body);
    } catch {
      /* not JSON: kept as text */
    }
    return { status: res.statusCode, body };
  } catch (error) {
    const code = (error as { code?: string }).code ?? messageOf(error);
    throw new NephoError('HTTP_FAILED', `${call.what}: could not reach ${shown} (${code})`, {
      hint: 'check the network and the server URL (nepho remote:list)',
    });
  }
}

/** An open streaming answer: its status, and its body as it arrives. */
export interface ApiStream {
  status: number;
  /** The body; destroy it to hang up. */
  body: NodeJS.ReadableStream & { destroy(): void };
}

/**
 * Open a long-lived GET (Server-Sent Events): resolves once the answer's
 * status is known, with the body still arriving. Nothing is retried here:
 * re-attaching after a dropped connection is the caller's, which knows the
 * last event it has.
 */
export async function openApiStream(
  url: string,
  call: Omit<ApiCall, 'method' | 'json' | 'timeout'> & { headers?: Record<string, string> },
): Promise<ApiStream> {
  const { default: got } = await import('got');
  const shown = printableUrl(url);
  return new Promise((resolvePromise, reject) => {
    const stream = got.stream(url, {
      headers: { 'user-agent': 'nepho', accept: 'text/event-stream', ...(call.token ? { authorization: `Bearer ${call.token}` } : {}), ...call.headers },
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: 0 },
      // Connecting is bounded; the stream itself lasts as long as the operation.
      timeout: { connect: 10_000, secureConnect: 10_000, response: 30_000 },
    });
    stream.once('response', (response: { statusCode: number }) => resolvePromise({ status: response.statusCode, body: stream }));
    stream.once('error', (error: Error) => {
      const code = (error as { code?: string }).code ?? messageOf(error);
      reject(
        new NephoError('HTTP_FAILED', `${call.what}: could not reach ${shown} (${code})`, { hint: 'check the network and the server URL (nepho remote:list)' }),
      );
    });
  });
}
