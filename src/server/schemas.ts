/**
 * JSON Schemas of the API's routes: what fastify validates requests against
 * (a field that breaks one is a 400 naming it) and what the OpenAPI document
 * at /v1/openapi.json is made from. Responses are described too; their
 * nested engine data (results, history) is left open, as the engine owns it.
 */
import { FORMATION_NAME } from '../formations/records.js';

const open = { type: 'object', additionalProperties: true } as const;
const nullable = <T extends object>(schema: T) => ({ ...schema, nullable: true });
const error = {
  type: 'object',
  properties: {
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } }, required: ['code', 'message'] },
    requestId: { type: 'string' },
  },
} as const;
const errors = { 400: error, 401: error, 403: error, 404: error, 409: error, 413: error, 422: error, 429: error, 503: error };

const operation = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    formation: { type: 'string' },
    kind: { type: 'string', enum: ['create', 'update', 'provision', 'destroy'] },
    state: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'errored'] },
    startedBy: { type: 'string', description: 'the name of the token that sent the request' },
    createdAt: { type: 'string', format: 'date-time' },
    startedAt: nullable({ type: 'string', format: 'date-time' }),
    endedAt: nullable({ type: 'string', format: 'date-time' }),
    takeovers: { type: 'integer', description: 'how many times another replica took it over' },
    request: { ...open, description: 'the request as stored: parameter names, never their values' },
    result: nullable({ ...open, description: "how it ended: the engine's OperationResult (outcome succeeded, failed, errored, unchanged)" }),
  },
} as const;

const formation = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    cloudlet: nullable({ type: 'string' }),
    version: nullable({ type: 'string' }),
    commit: nullable({ type: 'string' }),
    scenario: nullable({ type: 'string' }),
    provider: nullable({ type: 'string' }),
    status: { type: 'string' },
    parameters: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    secrets: { type: 'array', items: { type: 'string' } },
    createdAt: nullable({ type: 'string' }),
    updatedAt: nullable({ type: 'string' }),
    lastOperation: nullable({
      type: 'object',
      properties: {
        id: { type: 'string' },
        kind: { type: 'string' },
        state: { type: 'string' },
        startedBy: { type: 'string' },
        createdAt: { type: 'string' },
        endedAt: nullable({ type: 'string' }),
      },
    }),
  },
} as const;

const token = {
  type: 'object',
  properties: { name: { type: 'string' }, role: { type: 'string' }, createdAt: { type: 'string' }, revokedAt: nullable({ type: 'string' }) },
} as const;

const formationName = { type: 'string', pattern: FORMATION_NAME.source, maxLength: 63 } as const;
const operationId = { type: 'object', properties: { id: { type: 'string', pattern: '^op_[0-9a-f-]{36}$' } }, required: ['id'] } as const;
const tokenName = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' } as const;

/** `GET /v1/whoami`. */
export const whoami = {
  summary: 'The token in use: its name and role',
  response: { 200: { type: 'object', properties: { name: { type: 'string' }, role: { type: 'string' } } }, ...errors },
};

/** The most formations one page of `GET /v1/formations?limit=N` holds. */
export const PAGE_MAX = 1000;

/** `GET /v1/formations`. */
export const listFormations = {
  summary: 'Every formation with its status and latest operation, by name; with limit, one page of them',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: PAGE_MAX, description: 'at most this many formations, and `next` to ask for the rest' },
      after: { ...formationName, description: 'only formations whose name sorts after this one: the `next` of the previous page' },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        formations: { type: 'array', items: formation },
        next: nullable({ type: 'string', description: 'with limit: the `after` of the next page, null on the last one' }),
      },
    },
    ...errors,
  },
};

/** `GET /v1/formations/{name}`. */
export const getFormation = {
  summary: 'One formation, its history (from its journal) and its operations, newest first',
  params: { type: 'object', properties: { name: formationName }, required: ['name'] },
  response: {
    200: {
      type: 'object',
      properties: {
        formation: nullable(formation),
        history: { type: 'array', items: open },
        operations: { type: 'array', items: operation },
      },
    },
    ...errors,
  },
};

const nameParam = { type: 'object', properties: { name: formationName }, required: ['name'] } as const;

/** `GET /v1/formations/{name}/describe`. */
export const describeFormation = {
  summary: 'A formation as its provider sees it now (outputs, resources, URL, ssh target), and how it is reached or why it cannot be',
  params: nameParam,
  response: {
    200: {
      type: 'object',
      properties: {
        formation: {
          ...open,
          description: 'what formation:describe shows: name, status, cloudlet, version, parameters (secrets as "(secret)"), outputs, resources, url, ssh, ...',
        },
        reach: {
          type: 'object',
          properties: {
            url: { ...open, description: '{ url } or { error: { code, message, hint } }' },
            ssh: { ...open, description: '{ endpoint: { host, port, user, bastion } } or { error: { code, message, hint } }' },
          },
        },
      },
    },
    ...errors,
  },
};

/** `POST /v1/formations/{name}/drift`. */
export const formationDrift = {
  summary: "Run the provider's drift check on a formation (409 while an operation holds it)",
  params: nameParam,
  response: { 200: { ...open, description: '{ name, provider, drifted, resources: [{ resource, type, status, differences }] }' }, ...errors },
};

/** `POST /v1/operations`. */
export const postOperation = {
  summary: 'Start an operation (202 with its id at once; 409 while another runs on the formation)',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'formation'],
    properties: {
      kind: { type: 'string', enum: ['create', 'update', 'provision', 'destroy'] },
      formation: formationName,
      cloudlet: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*$', maxLength: 200, description: 'owner/name; required to create' },
      commit: { type: 'string', pattern: '^[0-9a-f]{40}$', description: 'the exact commit the client resolved; required to create' },
      scenario: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 100 },
      provider: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', maxLength: 100 },
      parameters: {
        type: 'object',
        maxProperties: 500,
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 255 },
        additionalProperties: { type: ['string', 'number', 'boolean'] },
        description: 'every value the client resolved, secrets included: they stay in the memory of the replica that runs the operation',
      },
      options: {
        type: 'object',
        additionalProperties: false,
        properties: { profile: { type: 'string', maxLength: 200 }, region: { type: 'string', pattern: '^[a-z0-9-]+$', maxLength: 50 } },
      },
      dryRun: { type: 'boolean', description: 'update: preview only (the preview is an event; nothing applied, nothing left at the provider)' },
      confirm: {
        type: 'array',
        items: { type: 'string', enum: ['recreate', 'adopt'] },
        uniqueItems: true,
        description: 'create: questions the user said yes to',
      },
      user: { type: 'string', pattern: '^[a-z_][a-z0-9_.-]*$', maxLength: 64, description: 'provision: the user ssh logs in as' },
    },
  },
  response: { 202: operation, ...errors },
};

/** `GET /v1/operations/{id}`. */
export const getOperation = {
  summary: 'An operation: its state, who started it, and how it ended',
  params: operationId,
  response: { 200: operation, ...errors },
};

/** `GET /v1/operations/{id}/events`. */
export const operationEvents = {
  summary: 'Server-Sent Events: the operation\'s events after Last-Event-ID (or lastEventId), then live until it ends (event "done")',
  params: operationId,
  querystring: { type: 'object', additionalProperties: false, properties: { lastEventId: { type: 'integer', minimum: 0 } } },
  response: { 200: { description: "text/event-stream: `id` (event id), `event` (the entry's kind), `data` (the entry as JSON)", type: 'string' }, ...errors },
};

/** `GET /v1/tokens`. */
export const listTokens = {
  summary: 'Every token (admin): names, roles, when made and revoked; never their values',
  response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: token } } }, ...errors },
};

/** `POST /v1/tokens`. */
export const postToken = {
  summary: 'Make a token (admin); the answer is the only time it is shown',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'role'],
    properties: { name: tokenName, role: { type: 'string', enum: ['viewer', 'operator', 'admin'] } },
  },
  response: { 201: { ...token, properties: { ...token.properties, token: { type: 'string' } } }, ...errors },
};

/** `DELETE /v1/tokens/{name}`. */
export const deleteToken = {
  summary: 'Revoke a token (admin): refused by every replica from now on',
  params: { type: 'object', properties: { name: tokenName }, required: ['name'] },
  response: { 200: token, ...errors },
};
