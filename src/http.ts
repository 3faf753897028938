import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { HttpSettings } from './config.js';
import { NephoError, messageOf } from './errors.js';
import { redactUrl } from './output.js';

/** A conditional GET's answer. */
export type FetchResult =
  | { status: 'fresh'; body: string; etag?: string }
  | { status: 'not-modified' };

/** What to fetch and how hard to try. */
export interface FetchOptions extends HttpSettings {
  /** Names the thing being fetched in errors: `registry 'community'`. */
  what: string;
  /** The ETag of the copy we hold; a 304 answer then means it is still current. */
  etag?: string;
}

/**
 * A URL as it may be printed: user and password replaced by `***`, also when
 * the URL does not parse (a typo in the port must not print the password).
 */
export function printableUrl(url: string): string {
  const redacted = redactUrl(url);
  if (redacted !== url) return redacted;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1***@');
}

/**
 * Fetch a text document from `https://`, `http://` or `file://`. All of
 * nepho's network access goes through here, so timeouts, bounded retries with
 * backoff, the size cap and the wording of failures are decided once.
 * Every failure is a NephoError naming `options.what` and the URL (credentials removed).
 */
export async function fetchText(url: string, options: FetchOptions): Promise<FetchResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NephoError('BAD_URL', `${options.what}: '${printableUrl(url)}' is not a URL`, { hint: 'use https://, http:// or file://' });
  }
  const shown = printableUrl(url);
  if (parsed.protocol === 'file:') return fetchFile(parsed, shown, options);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new NephoError('BAD_URL', `${options.what}: unsupported URL scheme '${parsed.protocol}' in ${shown}`, {
      hint: 'use https://, http:// or file://',
    });
  }

  const { default: got, HTTPError, TimeoutError, CancelError } = await import('got');
  const request = got(parsed, {
    headers: {
      'user-agent': 'nepho',
      accept: 'application/json',
      ...(options.etag ? { 'if-none-match': options.etag } : {}),
    },
    timeout: { request: options.timeout * 1000 },
    retry: {
      limit: options.retries,
      methods: ['GET'],
      statusCodes: [408, 429, 500, 502, 503, 504, 521, 522, 524],
      backoffLimit: 4000,
    },
    throwHttpErrors: true,
    followRedirect: true,
    decompress: true,
  });
  let oversize = false;
  request.on('downloadProgress', (progress: { transferred: number; total?: number }) => {
    if (progress.transferred > options.maxBytes || (progress.total ?? 0) > options.maxBytes) {
      oversize = true;
      request.cancel();
    }
  });
  try {
    const response = await request;
    if (response.statusCode === 304) return { status: 'not-modified' };
    const etag = response.headers.etag;
    return { status: 'fresh', body: response.body, ...(etag ? { etag } : {}) };
  } catch (error) {
    if (oversize || (error instanceof CancelError && oversize)) {
      throw new NephoError('HTTP_TOO_LARGE', `${options.what}: ${shown} is larger than the ${options.maxBytes}-byte limit`, {
        hint: 'raise http.max_bytes in config.yaml if this is expected',
      });
    }
    if (error instanceof HTTPError) {
      if (error.response.statusCode === 304) return { status: 'not-modified' };
      throw new NephoError('HTTP_STATUS', `${options.what}: ${shown} answered HTTP ${error.response.statusCode}`, {
        hint: error.response.statusCode === 404 ? 'check the URL' : 'the server is failing; try again later',
      });
    }
    if (error instanceof TimeoutError) {
      throw new NephoError('HTTP_TIMEOUT', `${options.what}: ${shown} did not answer within ${options.timeout}s`, {
        hint: 'check the network, or raise http.timeout in config.yaml',
      });
    }
    const code = (error as { code?: string }).code;
    throw new NephoError('HTTP_FAILED', `${options.what}: could not fetch ${shown} (${code ?? messageOf(error)})`, {
      hint: 'check the network and the URL',
    });
  }
}

async function fetchFile(url: URL, shown: string, options: FetchOptions): Promise<FetchResult> {
  const path = fileURLToPath(url);
  try {
    const stats = await stat(path);
    // A device or a FIFO reports size 0 and may never end (file:///dev/zero): only regular files are read.
    if (!stats.isFile()) {
      throw new NephoError('HTTP_FAILED', `${options.what}: cannot read ${shown} (not a regular file)`, { hint: 'point the URL at an index.json file' });
    }
    if (stats.size > options.maxBytes) {
      throw new NephoError('HTTP_TOO_LARGE', `${options.what}: ${shown} is larger than the ${options.maxBytes}-byte limit`);
    }
    // A file's ETag: its size and modification time, as web servers do.
    const etag = `"${stats.size.toString(16)}-${stats.mtimeMs.toString(16)}"`;
    if (options.etag === etag) return { status: 'not-modified' };
    return { status: 'fresh', body: await readFile(path, 'utf8'), etag };
  } catch (error) {
    if (error instanceof NephoError) throw error;
    throw new NephoError('HTTP_FAILED', `${options.what}: cannot read ${shown} (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`);
  }
}
