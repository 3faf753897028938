import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, NephoCommand } from '../base.js';

/** A whole number of at least 1 from the environment, or the default; `name` is named when it is not one. */
function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new NephoError('BAD_ARGUMENT', `${name} '${text}' is not a whole number above 0`);
  return Number(text);
}

/** `server [--listen HOST:PORT] [--database URL] [--tls-cert F --tls-key F]`. */
export class ServerCommand extends NephoCommand {
  static override paths = [['server']];
  static override usage = NephoCommand.Usage({
    category: Category.server,
    description: 'Run the team server: the formations API, its operations and the web page, until stopped',
    details: [
      'Serves the API under /v1 (OpenAPI at /v1/openapi.json), /healthz, /readyz and a web page at /, on 127.0.0.1:8340 unless `--listen` says otherwise.',
      'State lives in Postgres (`--database postgres://...` or DATABASE_URL), or, with neither, in an embedded database under $NEPHO_HOME/server/db.',
      'Every request needs a token: make the first with `nepho server:token:create NAME --role admin` (with the same --database) before starting the server.',
      'Logs are JSON lines on stdout. SIGTERM stops it gracefully, leaving running operations to other replicas.',
      'NEPHO_SERVER_RATE_LIMIT (requests per token per minute, 600), NEPHO_SERVER_LOG_LEVEL (info) and NEPHO_SERVER_LEASE_MS (15000) tune it. See docs/server.md.',
    ].join('\n\n'),
    examples: [
      ['On a laptop, embedded database', '$0 server'],
      ['A replica on Postgres, for a load balancer', '$0 server --listen 0.0.0.0:8340 --database postgres://nepho@db.internal/nepho'],
      ['With TLS', '$0 server --tls-cert server.pem --tls-key server.key'],
    ],
  });

  listen = Option.String('--listen', { description: 'HOST:PORT to listen on (default 127.0.0.1:8340)' });
  database = Option.String('--database', { description: 'postgres:// URL of the database (default: DATABASE_URL, else the embedded one)' });
  tlsCert = Option.String('--tls-cert', { description: 'PEM certificate: serve HTTPS' });
  tlsKey = Option.String('--tls-key', { description: 'PEM private key of --tls-cert' });

  async execute(): Promise<number> {
    if ((this.tlsCert === undefined) !== (this.tlsKey === undefined)) {
      throw new NephoError(
        'BAD_ARGUMENT',
        `${this.tlsCert === undefined ? '--tls-key' : '--tls-cert'} needs ${this.tlsCert === undefined ? '--tls-cert' : '--tls-key'} too`,
      );
    }
    const env = this.env;
    const rateLimit = positive(env, 'NEPHO_SERVER_RATE_LIMIT');
    const leaseMs = positive(env, 'NEPHO_SERVER_LEASE_MS');
    const { startServer, stopOnInterrupt, DEFAULT_LISTEN } = await import('../../server/index.js');
    const server = await startServer({
      home: this.home,
      env,
      listen: this.listen ?? DEFAULT_LISTEN,
      ...((this.database ?? env.DATABASE_URL) ? { database: this.database ?? env.DATABASE_URL } : {}),
      ...(this.tlsCert && this.tlsKey ? { tls: { cert: this.tlsCert, key: this.tlsKey } } : {}),
      ...(rateLimit ? { rateLimit } : {}),
      ...(leaseMs ? { leases: { leaseMs, heartbeatMs: Math.max(100, Math.floor(leaseMs / 3)), scanMs: Math.max(100, Math.floor(leaseMs / 3)) } } : {}),
      ...(env.NEPHO_SERVER_LOG_LEVEL ? { logLevel: env.NEPHO_SERVER_LOG_LEVEL } : {}),
    });
    await new Promise<void>((resolve) => {
      stopOnInterrupt(() => void server.close().then(resolve, resolve));
    });
    return 0;
  }
}
