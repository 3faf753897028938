/**
 * The team server's API as the command line calls it: JSON calls with the
 * bearer token, the API's errors turned into nepho's, and an operation's
 * Server-Sent Events read to the end, re-attaching with `Last-Event-ID`
 * after a dropped connection so that no event is lost or shown twice.
 */
import { ERRORS } from '../error-catalogue.js';
import { NephoError, type ErrorCode } from '../errors.js';
import type { OperationMessage } from '../operations/types.js';
import { callApi, openApiStream } from '../http.js';
import { sleep } from '../timers.js';
import type { ServerInUse } from './config.js';

/** One event of an operation, as the server streams it. */
export interface StreamedEvent {
  id: number;
  entry: OperationMessage;
}

/** How following an operation's events ended. */
export type Followed =
  /** The server said the operation ended (`state`: succeeded, failed, errored). */
  | { kind: 'done'; state: string }
  /** The caller stopped following (Ctrl-C, or `stop` said so). */
  | { kind: 'detached' };

/** The error shape every route of the API answers with. */
interface ApiErrorBody {
  error?: { code?: string; message?: string; hint?: string };
  requestId?: string;
}

/** How long to keep trying to re-attach to an event stream before giving up. */
const REATTACH_MS = 60_000;

/** Calls to one team server. */
export class ServerClient {
  constructor(readonly server: ServerInUse) {}

  /** How the server is named in messages: `server 'team' (https://...)`. */
  get what(): string {
    return this.server.from === 'environment' ? `server ${this.server.url} (NEPHO_SERVER)` : `server '${this.server.name}' (${this.server.url})`;
  }

  /** GET a route; the body of a 2xx answer. */
  async get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /** POST JSON to a route; the body of a 2xx answer (waited for up to `timeoutSeconds`, 30 unless given). */
  async post<T>(path: string, json: unknown, options: { timeoutSeconds?: number } = {}): Promise<T> {
    return this.call<T>('POST', path, json, options.timeoutSeconds);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, json?: unknown, timeout?: number): Promise<T> {
    const answer = await callApi(`${this.server.url}${path}`, {
      method,
      token: this.server.token,
      what: this.what,
      ...(json === undefined ? {} : { json }),
      ...(timeout === undefined ? {} : { timeout }),
    });
    if (answer.status >= 200 && answer.status < 300) return answer.body as T;
    throw this.refusal(answer.status, answer.body);
  }

  /**
   * The API's refusal as a nepho error: its message and hint as sent, its
   * code when nepho knows it; who refused is said for what the server's
   * message cannot know (a token, a role).
   */
  refusal(status: number, body: unknown): NephoError {
    const error = (body as ApiErrorBody | undefined)?.error;
    const message = error?.message ?? `HTTP ${status}${typeof body === 'string' && body.trim() ? `: ${body.trim().slice(0, 200)}` : ''}`;
    const hint = error?.hint;
    if (status === 401) {
      return new NephoError('SERVER_UNAUTHENTICATED', `${this.what}: ${message}`, {
        hint:
          this.server.from === 'environment'
            ? 'check NEPHO_TOKEN'
            : `give it a valid token: nepho remote:add ${this.server.name} ${this.server.url} --token-stdin --replace`,
      });
    }
    if (status === 403)
      return new NephoError('SERVER_FORBIDDEN', `${this.what}: ${message}`, { hint: 'ask an admin of the server for a token with that role' });
    const code = error?.code && error.code in ERRORS ? (error.code as ErrorCode) : 'SERVER_REFUSED';
    return new NephoError(code, code === 'SERVER_REFUSED' ? `${this.what}: ${message}` : message, hint ? { hint } : {});
  }

  /**
   * Read an operation's events after event `last`, handing each to `onEvent`
   * once, until the server says it ended or `signal` aborts. A connection
   * that drops is opened again from the last event received, for up to a
   * minute of failed attempts in a row; `onReattach` is told each time.
   */
  async follow(
    operation: string,
    last: number,
    onEvent: (event: StreamedEvent) => void,
    options: { signal?: AbortSignal; onReattach?: (why: string) => void } = {},
  ): Promise<Followed> {
    const { signal } = options;
    let lastId = last;
    let failingSince: number | undefined;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) return { kind: 'detached' };
      let why: string;
      try {
        const ended = await this.readStream(
          operation,
          lastId,
          (event) => {
            // Re-attaching replays from lastId: whatever arrives twice is dropped here too.
            if (event.id <= lastId) return;
            lastId = event.id;
            failingSince = undefined;
            onEvent(event);
          },
          signal,
        );
        if (ended) return ended;
        if (signal?.aborted) return { kind: 'detached' };
        why = 'the server closed the connection';
      } catch (error) {
        if (signal?.aborted) return { kind: 'detached' };
        // A refusal (401, 404) is final; only a failing network is tried again.
        if (!(error instanceof NephoError) || error.code !== 'HTTP_FAILED') throw error;
        why = error.message;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > REATTACH_MS) throw error;
      }
      options.onReattach?.(why);
      await sleep(Math.min(250 * 2 ** Math.min(attempt, 3), 2000), signal);
    }
  }

  /** One connection to the event stream; the end it reached, or undefined when the connection dropped first. */
  private async readStream(operation: string, last: number, onEvent: (event: StreamedEvent) => void, signal?: AbortSignal): Promise<Followed | undefined> {
    const stream = await openApiStream(`${this.server.url}/v1/operations/${encodeURIComponent(operation)}/events`, {
      token: this.server.token,
      what: this.what,
      headers: { 'last-event-id': String(last) },
    });
    if (stream.status !== 200) {
      const chunks: Buffer[] = [];
      for await (const chunk of stream.body) chunks.push(Buffer.from(chunk as Buffer));
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      throw this.refusal(stream.status, body);
    }
    const hangUp = () => stream.body.destroy();
    signal?.addEventListener('abort', hangUp, { once: true });
    let buffer = '';
    try {
      for await (const chunk of stream.body) {
        buffer += (chunk as Buffer).toString('utf8');
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = parseFrame(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (!frame) continue;
          if (frame.event === 'done') return { kind: 'done', state: String((frame.data as { state?: unknown }).state ?? 'unknown') };
          if (frame.id !== undefined) onEvent({ id: frame.id, entry: frame.data as OperationMessage });
        }
      }
    } catch {
      // The connection dropped (or was hung up): what arrived whole was handed on.
    } finally {
      signal?.removeEventListener('abort', hangUp);
      stream.body.destroy();
    }
    return undefined;
  }
}

/** One Server-Sent Events frame: its id, event name and JSON data; undefined for a comment or a frame without data. */
function parseFrame(frame: string): { id?: number; event: string; data: unknown } | undefined {
  let id: number | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === 0) continue;
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id' && /^\d+$/.test(value)) id = Number(value);
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  try {
    return { ...(id === undefined ? {} : { id }), event, data: JSON.parse(data.join('\n')) };
  } catch {
    return undefined;
  }
}
