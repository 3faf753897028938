import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { NephoError, messageOf } from '../errors.js';

/** A registry being served by `registry:serve`. */
export interface RegistryServer {
  /** The directory served (absolute, symbolic links resolved). */
  dir: string;
  /** The port it listens on, on 127.0.0.1. */
  port: number;
  /** `http://127.0.0.1:PORT/index.json`, the URL to give `registry:add`. */
  url: string;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serve a directory built by `registry:build` on 127.0.0.1 only: GET and HEAD
 * of its files, with a strong ETag (304 on If-None-Match), `/` as index.html,
 * and nothing outside the directory (a path that leaves it, by `..` or by a
 * symbolic link, is refused).
 */
export async function serveRegistry(dir: string, port: number): Promise<RegistryServer> {
  const root = await realpath(resolve(dir)).catch(() => {
    throw new NephoError('PATH_NOT_FOUND', `${dir}: no such directory`, { hint: 'build one with registry:build SOURCE... --out DIR' });
  });
  const index = await stat(join(root, 'index.json')).catch(() => undefined);
  if (!index?.isFile()) {
    throw new NephoError('REGISTRY_NOT_BUILT', `${dir}: no index.json here`, { hint: 'build one with registry:build SOURCE... --out DIR' });
  }
  const inside = (path: string) => path === root || path.startsWith(root + sep);
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const send = (status: number, text: string, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(req.method === 'HEAD' ? undefined : `${text}\n`);
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed', { allow: 'GET, HEAD' });
      let path: string;
      let raw: string;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
        raw = decodeURIComponent((req.url ?? '/').split('?')[0]!);
      } catch {
        return send(400, 'bad request');
      }
      // The request as sent is checked too: URL parsing quietly resolves `/../` and `%2e%2e`.
      const leaves = (p: string) => p.split(/[\\/]/).some((segment) => segment === '..' || segment === '.');
      if (path.includes('\0') || raw.includes('\0') || leaves(path) || leaves(raw)) return send(403, 'forbidden');
      if (path.endsWith('/')) path += 'index.html';
      const file = resolve(root, `.${path}`);
      const real = await realpath(file).catch(() => undefined);
      if (!inside(file) || (real !== undefined && !inside(real))) return send(403, 'forbidden');
      const info = real === undefined ? undefined : await stat(real).catch(() => undefined);
      if (!info?.isFile()) return send(404, 'not found');
      const body = await readFile(real!);
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
      const headers = { etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, headers).end();
      res.writeHead(200, { ...headers, 'content-type': TYPES[extname(real!)] ?? 'application/octet-stream', 'content-length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new NephoError('PORT_IN_USE', `port ${port} on 127.0.0.1 is in use`, { hint: 'pass --port with another port, or --port 0 for any free one' })
          : new NephoError('SERVE_FAILED', `cannot listen on 127.0.0.1:${port}: ${messageOf(error)}`),
      );
    });
    server.listen(port, '127.0.0.1', () => resolvePromise());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    dir: root,
    port: actual,
    url: `http://127.0.0.1:${actual}/index.json`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
