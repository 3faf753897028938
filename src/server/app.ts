/**
 * The HTTP API: fastify under /v1, every route described by JSON Schema
 * (which validates requests and makes the OpenAPI document), bearer tokens
 * with roles, one error shape for everything that goes wrong, and the web
 * page at `/`. Routes are thin: they check, call the runner or a query, and
 * answer with data.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { isNephoError, type ErrorCode } from '../errors.js';
import { FORMATION_NAME } from '../formations/records.js';
import { formationHistory } from '../operations/history.js';
import { VERSION } from '../version.js';
import type { Database, Queryable } from './db.js';
import type { EventHub, OperationEvent } from './events.js';
import { describeOnServer, driftOnServer } from './formations.js';
import { TOKENS_CHANNEL } from './migrations.js';
import { findOperation, operationsOf, type EngineBase, type OperationBody, type OperationRunner } from './operations.js';
import { WEB_PAGE } from './page.js';
import * as schemas from './schemas.js';
import { ACTIVE, readOnlyStore } from './store.js';
import { allows, createToken, listTokens, lookupToken, revokeToken, tokenHash, type Caller, type Role } from './tokens.js';
import { errorData } from '../error-catalogue.js';

/** The most a request body may weigh. */
export const BODY_LIMIT = 1024 * 1024;

/** What the API is built on. */
export interface AppParts {
  db: Database;
  runner: OperationRunner;
  hub: EventHub;
  engine: EngineBase;
  /** Requests a token may make per minute (per replica). */
  rateLimit: number;
  /** fastify's logger option (pino settings, or false). */
  logger: FastifyServerOptions['logger'];
  /** TLS certificate and key, PEM. */
  https?: { cert: Buffer; key: Buffer };
}

/** An answer that is an error: one shape for every route. */
export interface ApiError {
  error: { code: string; message: string; hint?: string };
  requestId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent it, once the token was checked. */
    caller?: Caller;
  }
  interface FastifyContextConfig {
    /** The least role the route needs; none: no token needed. */
    role?: Role;
  }
}

/** HTTP status of a user error thrown by the engine or the server. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  FORMATION_BUSY: 409,
  FORMATION_EXISTS: 409,
  TOKEN_EXISTS: 409,
  FORMATION_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  BAD_ARGUMENT: 400,
  BAD_FORMATION_NAME: 400,
  SERVER_FAILED: 503,
  DATABASE_UNAVAILABLE: 503,
};

function fail(reply: FastifyReply, status: number, code: string, message: string, hint?: string): FastifyReply {
  const body: ApiError = { error: { code, message, ...(hint ? { hint } : {}) }, requestId: String(reply.request.id) };
  return reply.code(status).send(body);
}

/** The field a schema error is about, as `body.parameters.Size`. */
function fieldOf(error: { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }, context: string): string {
  const path = [context, ...error.instancePath.split('/').filter(Boolean)].join('.');
  if (error.keyword === 'additionalProperties') return `${path}.${String(error.params.additionalProperty)}: not a field this request takes`;
  if (error.keyword === 'required') return `${path}.${String(error.params.missingProperty)}: required`;
  return `${path}: ${error.message ?? 'invalid'}`;
}

/** Per-kind rules a JSON Schema says poorly: a create names its cloudlet and commit. */
function checkOperation(body: OperationBody): string | undefined {
  if (body.kind === 'create') {
    if (!body.cloudlet) return 'body.cloudlet: required to create';
    if (!body.commit) return 'body.commit: required to create (the exact commit the client resolved)';
  }
  if (body.kind !== 'create' && body.confirm?.length) return `body.confirm: only a create asks questions (${body.kind} was agreed to by sending it)`;
  if (body.kind !== 'update' && body.dryRun !== undefined) return 'body.dryRun: only an update is previewed';
  if (body.kind !== 'provision' && body.user !== undefined) return 'body.user: only a provision logs in over ssh';
  return undefined;
}

/** Tokens known to this replica, by hash; revocations reach every replica through the database. */
class TokenCache {
  private readonly cache = new Map<string, { caller: Caller | undefined; until: number }>();

  constructor(private readonly db: Database) {}

  async lookup(token: string): Promise<Caller | undefined> {
    const hash = tokenHash(token);
    const hit = this.cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.caller;
    const caller = await lookupToken(this.db, token);
    // Unknown tokens are not remembered: a new one works at once, and guessing fills nothing.
    if (caller) this.cache.set(hash, { caller, until: Date.now() + 30_000 });
    return caller;
  }

  forget(hash: string): void {
    if (hash === '') this.cache.clear();
    else this.cache.delete(hash);
  }
}

/** Build the API (not yet listening). */
export async function buildApp(parts: AppParts): Promise<FastifyInstance> {
  const { db, runner, hub, engine } = parts;
  const app = Fastify({
    logger: parts.logger,
    bodyLimit: BODY_LIMIT,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // A field the schema does not know is an error that names it, never silently dropped.
    ajv: { customOptions: { removeAdditional: false, allErrors: false, allowUnionTypes: true } },
    ...(parts.https ? { https: parts.https } : {}),
  } as FastifyServerOptions);

  const tokens = new TokenCache(db);
  const unlistenTokens = await db.listen(
    TOKENS_CHANNEL,
    (hash) => tokens.forget(hash),
    () => tokens.forget(''),
  );
  const streams = new Set<ServerResponse>();
  // Event streams never end by themselves: end them before the server waits for its connections to close.
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });
  app.addHook('onClose', async () => {
    await unlistenTokens();
  });

  await app.register((await import('@fastify/swagger')).default, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'nepho server',
        version: VERSION,
        description: 'The team control plane of nepho: formations, operations and their events. See docs/server.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register((await import('@fastify/rate-limit')).default, {
    max: parts.rateLimit,
    timeWindow: 60_000,
    keyGenerator: (req) => {
      const auth = req.headers.authorization;
      return auth ? `token:${tokenHash(auth)}` : `ip:${req.ip}`;
    },
    allowList: (req) => req.url === '/healthz' || req.url === '/readyz',
    errorResponseBuilder: (req, context) => ({
      statusCode: 429,
      error: { code: 'RATE_LIMITED', message: `more than ${context.max} requests in a minute with this token`, hint: `try again in ${context.after}` },
      requestId: String(req.id),
    }),
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', String(req.id));
  });

  app.addHook('onRequest', async (req, reply) => {
    const needed = req.routeOptions.config?.role;
    if (!needed) return;
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const caller = match ? await tokens.lookup(match[1]!) : undefined;
    if (!caller) {
      reply.header('www-authenticate', 'Bearer realm="nepho"');
      return fail(
        reply,
        401,
        'UNAUTHENTICATED',
        match ? 'the token is unknown or revoked' : 'no token: send Authorization: Bearer TOKEN',
        'an admin makes tokens with nepho server:token:create NAME --role ROLE',
      );
    }
    req.caller = caller;
    if (!allows(caller.role, needed)) {
      return fail(reply, 403, 'FORBIDDEN', `token '${caller.name}' is a ${caller.role}; this needs ${needed === 'admin' ? 'an admin' : `an ${needed}`}`);
    }
    return undefined;
  });

  app.setErrorHandler((error: FastifyError & { validation?: Parameters<typeof fieldOf>[0][]; validationContext?: string }, req, reply) => {
    if (error.validation?.length) return fail(reply, 400, 'BAD_REQUEST', fieldOf(error.validation[0]!, error.validationContext ?? 'body'));
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail(reply, 413, 'BODY_TOO_LARGE', `the request body is over ${BODY_LIMIT} bytes`);
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return fail(reply, 400, 'BAD_REQUEST', `body: not valid JSON (${error.message})`);
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return fail(reply, 415, 'BAD_REQUEST', 'body: send JSON (Content-Type: application/json)');
    if (error.statusCode === 429) return reply.code(429).send(error);
    if (isNephoError(error)) {
      const { code, message, hint } = errorData(error);
      return fail(reply, STATUS[code] ?? 422, code, message, hint);
    }
    if (error.statusCode && error.statusCode < 500) return fail(reply, error.statusCode, 'BAD_REQUEST', error.message);
    req.log.error({ err: error }, 'request failed');
    return fail(reply, 500, 'INTERNAL', 'unexpected failure, a bug in nepho', `quote request id ${String(req.id)}`);
  });
  app.setNotFoundHandler((req, reply) => fail(reply, 404, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));

  const viewer = { role: 'viewer' as const };

  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(WEB_PAGE));
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await db.query('SELECT 1');
      return { ok: true, database: db.kind, operations: runner.active };
    } catch {
      return fail(reply, 503, 'DATABASE_UNAVAILABLE', `the database ${db.where} does not answer`);
    }
  });
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/v1/whoami', { config: viewer, schema: schemas.whoami }, async (req) => req.caller!);

  app.get<{ Querystring: { limit?: number; after?: string } }>('/v1/formations', { config: viewer, schema: schemas.listFormations }, async (req, reply) =>
    reply.type('application/json; charset=utf-8').send(await formationList(db, req.query)),
  );

  app.get<{ Params: { name: string } }>('/v1/formations/:name', { config: viewer, schema: schemas.getFormation }, async (req, reply) => {
    const { name } = req.params;
    const [formation] = await formationViews(db, { only: name });
    const operations = await operationsOf(db, name);
    const store = await readOnlyStore(db, engine.home, name);
    if (!formation && operations.length === 0)
      return fail(reply, 404, 'FORMATION_NOT_FOUND', `no formation named '${name}' on this server`, 'see GET /v1/formations');
    const history = store.entries(name).entries.length > 0 ? await formationHistory({ ...engine, store }, name) : [];
    return { formation: formation ?? null, history, operations };
  });

  app.get<{ Params: { name: string } }>('/v1/formations/:name/describe', { config: viewer, schema: schemas.describeFormation }, async (req) =>
    describeOnServer(engine, db, req.params.name),
  );

  // A viewer may ask: the check changes nothing in the formation, only reads what its provider holds.
  app.post<{ Params: { name: string } }>('/v1/formations/:name/drift', { config: viewer, schema: schemas.formationDrift }, async (req) =>
    driftOnServer(engine, db, req.params.name),
  );

  app.post<{ Body: OperationBody }>('/v1/operations', { config: { role: 'operator' }, schema: schemas.postOperation }, async (req, reply) => {
    const problem = checkOperation(req.body);
    if (problem) return fail(reply, 400, 'BAD_REQUEST', problem);
    const op = await runner.submit(req.body, req.caller!);
    return reply.code(202).header('location', `/v1/operations/${op.id}`).send(op);
  });

  app.get<{ Params: { id: string } }>('/v1/operations/:id', { config: viewer, schema: schemas.getOperation }, async (req, reply) => {
    const op = await findOperation(db, req.params.id);
    return op ?? fail(reply, 404, 'OPERATION_NOT_FOUND', `no operation ${req.params.id}`);
  });

  app.get<{ Params: { id: string }; Querystring: { lastEventId?: number } }>(
    '/v1/operations/:id/events',
    { config: viewer, schema: schemas.operationEvents },
    async (req, reply) => {
      const op = await findOperation(db, req.params.id);
      if (!op) return fail(reply, 404, 'OPERATION_NOT_FOUND', `no operation ${req.params.id}`);
      const header = req.headers['last-event-id'];
      const last = typeof header === 'string' && /^\d+$/.test(header.trim()) ? Number(header.trim()) : (req.query.lastEventId ?? 0);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': String(req.id),
      });
      res.write(': nepho operation events\nretry: 2000\n\n');
      streams.add(res);
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      const close = () => {
        clearInterval(keepAlive);
        streams.delete(res);
        stop();
        if (!res.writableEnded) res.end();
      };
      const stop = hub.watch(op.id, {
        last,
        send: (events: OperationEvent[]) => res.write(events.map((e) => `id: ${e.id}\nevent: ${e.entry.kind}\ndata: ${JSON.stringify(e.entry)}\n\n`).join('')),
        end: (state) => {
          res.write(`event: done\ndata: ${JSON.stringify({ operation: op.id, state })}\n\n`);
          close();
        },
      });
      req.raw.on('close', close);
    },
  );

  app.get('/v1/tokens', { config: { role: 'admin' }, schema: schemas.listTokens }, async () => ({ tokens: await listTokens(db) }));
  app.post<{ Body: { name: string; role: Role } }>('/v1/tokens', { config: { role: 'admin' }, schema: schemas.postToken }, async (req, reply) => {
    const made = await createToken(db, req.body.name, req.body.role);
    return reply.code(201).send({ ...made.info, token: made.token });
  });
  app.delete<{ Params: { name: string } }>('/v1/tokens/:name', { config: { role: 'admin' }, schema: schemas.deleteToken }, async (req) =>
    revokeToken(db, req.params.name),
  );

  return app;
}

/** A formation as the API lists it: its record's public part and its latest operation. */
export interface FormationView {
  name: string;
  cloudlet: string | null;
  version: string | null;
  commit: string | null;
  scenario: string | null;
  provider: string | null;
  /** The provider's last reported status; `PENDING` while its first operation has not written it. */
  status: string;
  parameters: Record<string, string | number | boolean>;
  /** Names of secret parameters (never their values). */
  secrets: string[];
  createdAt: string | null;
  updatedAt: string | null;
  lastOperation: { id: string; kind: string; state: string; startedBy: string; createdAt: string; endedAt: string | null } | null;
}

/** Which part of the list to answer: everything (no limit), or at most `limit` names after `after`. */
export interface ListPage {
  /** Only the formation of this name (the list's view of one formation). */
  only?: string;
  /** Names after this one (exclusive): the cursor a previous page answered as `next`. */
  after?: string;
  limit?: number;
}

/**
 * Formations by name, each as the JSON text of its FormationView: recorded
 * ones, and those whose first operation is under way. The database keeps
 * that JSON (migration 2): beside each record its public fields
 * (formations.listed), and each name's last operation (last_operations),
 * so a read joins ready text; nothing is parsed or serialised per field.
 */
async function listedFormations(db: Queryable, page: ListPage): Promise<{ name: string; view: string }[]> {
  return db.query<{ name: string; view: string }>(
    `SELECT * FROM (
       -- listed is a JSON object: its closing brace makes way for the last operation.
       SELECT f.name, left(f.listed, -1) || ', "lastOperation" : ' || coalesce(l.listed, 'null') || '}' AS view
       FROM formations f LEFT JOIN last_operations l ON l.formation = f.name
       UNION ALL
       SELECT l.formation, json_build_object('name', l.formation, 'cloudlet', l.cloudlet, 'version', NULL, 'commit', NULL,
         'scenario', l.scenario, 'provider', l.provider, 'status', 'PENDING', 'parameters', '{}'::json, 'secrets', '[]'::json,
         'createdAt', NULL, 'updatedAt', NULL, 'lastOperation', l.listed::json)::text
       FROM last_operations l
       WHERE l.state IN ${ACTIVE} AND NOT EXISTS (SELECT 1 FROM formations f WHERE f.name = l.formation)
     ) v
     WHERE ($1::text IS NULL OR v.name = $1::text) AND ($2::text IS NULL OR v.name > $2::text)
     ORDER BY v.name
     LIMIT $3`,
    [page.only ?? null, page.after ?? null, page.limit ?? null],
  );
}

/** Formations by name as objects (see listedFormations): one, for the formation's own route, or a page of them. */
export async function formationViews(db: Queryable, page: ListPage = {}): Promise<FormationView[]> {
  return (await listedFormations(db, page)).map((r) => JSON.parse(r.view) as FormationView);
}

/**
 * The answer of `GET /v1/formations` as JSON text, `{formations}` or, with a
 * limit, `{formations, next}`: the formations' JSON as the database keeps
 * it, joined, since parsing a thousand of them to serialise them again cost
 * several times what the query does.
 */
export async function formationList(db: Queryable, page: Omit<ListPage, 'only'>): Promise<string> {
  const { limit } = page;
  // One more than asked for tells whether a next page exists without a count.
  const rows = await listedFormations(db, limit === undefined ? page : { ...page, limit: limit + 1 });
  const more = limit !== undefined && rows.length > limit;
  if (more) rows.length = limit;
  const formations = `{"formations":[${rows.map((r) => r.view).join(',')}]`;
  return limit === undefined ? `${formations}}` : `${formations},"next":${JSON.stringify(more ? rows.at(-1)!.name : null)}}`;
}

/** Formation names as routes accept them. */
export const FORMATION_PATTERN = FORMATION_NAME.source;
