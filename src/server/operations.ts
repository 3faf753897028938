/**
 * Operations as tasks. A request is one row in `operations`; the unique index
 * on a formation's active operation is the formation's lock, across every
 * replica. The replica that took the request carries it at once, with the
 * engine the command line uses (plan, claim, carry), because the request's
 * secret values exist only in that replica's memory. Each replica renews the
 * leases of what it carries; one whose leases lapse (killed, stalled, cut off)
 * has its operations taken over by whichever replica finds them first
 * (`SELECT ... FOR UPDATE SKIP LOCKED`), which follows the provider from where
 * it stands (the engine's recovery), or ends the operation when it had not
 * reached the provider yet: its secrets died with the replica.
 */
import { randomUUID } from 'node:crypto';
import { NephoError } from '../errors.js';
import type { OperationKind } from '../formations/journal.js';
import { formationNotFound } from '../formations/records.js';
import type { NephoHome } from '../home.js';
import { abandonPlan, carryOperation, claimOperation, errorEntry, resultOf } from '../operations/execute.js';
import { planCreate, planDestroy, planProvision, planUpdate } from '../operations/plan.js';
import { recoverOperation } from '../operations/recover.js';
import type { EngineContext, OperationIo, OperationMessage, OperationPlan, OperationResult, Question } from '../operations/types.js';
import type { PluginRegistry } from '../providers/types.js';
import type { ParameterSpec } from '../scenarios/parameters.js';
import { missingParametersError } from '../scenarios/resolve.js';
import { ensureCloudlet } from './cloudlets.js';
import type { Database, Queryable } from './db.js';
import { ACTIVE, DatabaseStore, busyError } from './store.js';
import type { Caller } from './tokens.js';

/** Where an operation stands: `queued` and `running` hold the formation; the others are ends. */
export type OperationState = 'queued' | 'running' | 'succeeded' | 'failed' | 'errored';

/** A parameter value as a request carries it. */
export type ParameterValue = string | number | boolean;

/** `POST /v1/operations`, as its JSON Schema has checked it. */
export interface OperationBody {
  kind: OperationKind;
  formation: string;
  /** `owner/name`; required to create. */
  cloudlet?: string;
  /** The exact commit of the cloudlet the client resolved (40 hex digits); required to create. */
  commit?: string;
  scenario?: string;
  provider?: string;
  /** Every value the client resolved, secrets included: they stay in this replica's memory. */
  parameters?: Record<string, ParameterValue>;
  options?: { profile?: string; region?: string };
  /** Questions the user already said yes to (`recreate`, `adopt`): the server cannot ask. */
  confirm?: string[];
  /** update: preview only, nothing applied (the client shows the preview and asks before it sends the update itself). */
  dryRun?: boolean;
  /** provision: the user ssh logs in as. */
  user?: string;
}

/** The part of a request the database keeps: everything but parameter values. */
export interface StoredRequest {
  kind: OperationKind;
  formation: string;
  cloudlet: string | null;
  commit: string | null;
  scenario: string | null;
  provider: string | null;
  /** Names of the parameters given (never their values: which are secret is known only once planned). */
  parameters: string[];
  options: { profile?: string; region?: string };
  confirm: string[];
  user: string | null;
  /** An update sent to be previewed only. */
  dryRun?: true;
}

/** An operation as the API shows it. */
export interface OperationView {
  id: string;
  formation: string;
  kind: OperationKind;
  state: OperationState;
  /** The name of the token whose request started it. */
  startedBy: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** How many times a replica took it over after the one carrying it stopped. */
  takeovers: number;
  request: StoredRequest;
  /** How it ended (the engine's OperationResult), once it has. */
  result: OperationResult | null;
}

/** An operations row as SQL returns it. */
interface OperationRow {
  id: string;
  formation: string;
  kind: OperationKind;
  state: OperationState;
  request: StoredRequest;
  started_by: string;
  created_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
  attempts: number;
  result: OperationResult | null;
}

const COLUMNS = 'id, formation, kind, state, request, started_by, created_at, started_at, ended_at, attempts, result';

/** The API's view of a row. */
export function operationView(r: OperationRow): OperationView {
  return {
    id: r.id,
    formation: r.formation,
    kind: r.kind,
    state: r.state,
    startedBy: r.started_by,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    endedAt: r.ended_at?.toISOString() ?? null,
    takeovers: Number(r.attempts),
    request: r.request,
    result: r.result ?? null,
  };
}

/** One operation by id, or undefined. */
export async function findOperation(db: Queryable, id: string): Promise<OperationView | undefined> {
  const rows = await db.query<OperationRow>(`SELECT ${COLUMNS} FROM operations WHERE id = $1`, [id]);
  return rows[0] ? operationView(rows[0]) : undefined;
}

/** A formation's operations, newest first. */
export async function operationsOf(db: Queryable, formation: string, limit = 100): Promise<OperationView[]> {
  const rows = await db.query<OperationRow>(`SELECT ${COLUMNS} FROM operations WHERE formation = $1 ORDER BY created_at DESC LIMIT $2`, [formation, limit]);
  return rows.map(operationView);
}

/** The state an operation's row ends in, from the engine's result. */
function endState(result: OperationResult): OperationState {
  switch (result.outcome) {
    case 'succeeded':
    case 'unchanged':
    case 'previewed':
      return 'succeeded';
    case 'failed':
      return 'failed';
    default:
      return 'errored';
  }
}

/** Journal entry kinds: the store writes those itself, so the host port does not write them again. */
const JOURNAL_KINDS = new Set(['start', 'event', 'accepted', 'resumed', 'output', 'end', 'error']);

/**
 * The engine's IO port on the server: what the engine says becomes events of
 * the operation; nothing can be asked. The request itself is the yes to
 * destroy or update; `recreate` and `adopt` need the client's `confirm`.
 */
class ServerIo implements OperationIo {
  constructor(
    private readonly store: DatabaseStore,
    private readonly agreed: ReadonlySet<string>,
  ) {}

  notify(message: OperationMessage): void {
    if (!JOURNAL_KINDS.has(message.kind)) this.store.note(message);
  }

  async confirm(question: Question): Promise<boolean> {
    if (question.id === 'destroy' || question.id === 'update' || this.agreed.has(question.id)) return true;
    throw new NephoError(
      'CONFIRMATION_REQUIRED',
      `${question.text} The server cannot ask: send the operation again with "confirm": ["${question.id}"] if the answer is yes`,
    );
  }

  async prompt(parameters: ParameterSpec[]): Promise<never> {
    throw missingParametersError(parameters, 'give them in "parameters"');
  }
}

/** The `-p KEY=VALUE` strings the engine parses, from a request's values. */
function flags(parameters: Record<string, ParameterValue> | undefined): string[] {
  return Object.entries(parameters ?? {}).map(([k, v]) => `${k}=${String(v)}`);
}

/** What the engine works with on this server, but for the store, which is per operation. */
export interface EngineBase {
  home: NephoHome;
  registry: PluginRegistry;
  env: NodeJS.ProcessEnv;
}

/** How long leases last and how often they are renewed and looked for. */
export interface LeaseTimes {
  /** A lease not renewed for this long is free for another replica to take. */
  leaseMs: number;
  /** How often this replica renews its leases (well under leaseMs). */
  heartbeatMs: number;
  /** How often this replica looks for lapsed leases. */
  scanMs: number;
}

/** Defaults: a dead replica's operation is picked up within leaseMs + scanMs = 20 s. */
export const DEFAULT_LEASES: LeaseTimes = { leaseMs: 15_000, heartbeatMs: 5_000, scanMs: 5_000 };

/** What the runner logs through (pino's shape, as fastify's logger has it). */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Carries this replica's operations and takes over those of replicas that stopped. */
export class OperationRunner {
  private readonly carrying = new Map<string, { store?: DatabaseStore; done?: Promise<void> }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly engine: EngineBase,
    /** This replica's lease owner id. */
    readonly owner: string,
    private readonly log: Log,
    private readonly times: LeaseTimes = DEFAULT_LEASES,
  ) {}

  /** Start renewing leases and looking for lapsed ones (one look at once: a restarted server picks up its own). */
  start(): void {
    this.timers.push(setInterval(() => void this.heartbeat(), this.times.heartbeatMs));
    this.timers.push(setInterval(() => void this.scan(), this.times.scanMs));
    void this.scan();
  }

  /** Operations this replica carries now. */
  get active(): number {
    return this.carrying.size;
  }

  /**
   * Take a request: the row that claims the formation, then the operation
   * carried in the background. A formation with an operation in progress is
   * FORMATION_BUSY naming that operation (a 409), whichever replica runs it.
   */
  async submit(body: OperationBody, caller: Caller): Promise<OperationView> {
    if (this.stopped) throw new NephoError('SERVER_FAILED', 'this server is shutting down; send the request to another replica');
    const stored: StoredRequest = {
      kind: body.kind,
      formation: body.formation,
      cloudlet: body.cloudlet ?? null,
      commit: body.commit ?? null,
      scenario: body.scenario ?? null,
      provider: body.provider ?? null,
      parameters: Object.keys(body.parameters ?? {}),
      options: body.options ?? {},
      confirm: body.confirm ?? [],
      user: body.user ?? null,
      ...(body.dryRun ? { dryRun: true as const } : {}),
    };
    const id = `op_${randomUUID()}`;
    let rows: OperationRow[];
    try {
      rows = await this.db.query<OperationRow>(
        `INSERT INTO operations (id, formation, kind, state, request, started_by, lease_owner, lease_expires_at)
         VALUES ($1, $2, $3, 'queued', $4::jsonb, $5, $6, now() + make_interval(secs => $7)) RETURNING ${COLUMNS}`,
        [id, body.formation, body.kind, JSON.stringify(stored), caller.name, this.owner, this.times.leaseMs / 1000],
      );
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      const holder = (
        await this.db.query<{ id: string; kind: string }>(`SELECT id, kind FROM operations WHERE formation = $1 AND state IN ${ACTIVE}`, [body.formation])
      )[0];
      throw busyError(body.formation, holder ?? { id: 'unknown', kind: body.kind });
    }
    const op = operationView(rows[0]!);
    this.track(op.id, (entry) => this.carry(op, body, caller, entry));
    return op;
  }

  private track(id: string, work: (entry: { store?: DatabaseStore }) => Promise<void>): void {
    const entry: { store?: DatabaseStore; done?: Promise<void> } = {};
    this.carrying.set(id, entry);
    entry.done = work(entry)
      .catch((error: unknown) => this.log.error({ operation: id, err: error }, 'operation failed in the server'))
      .finally(() => this.carrying.delete(id));
  }

  private async open(op: OperationView, entry: { store?: DatabaseStore }): Promise<{ store: DatabaseStore; ctx: EngineContext }> {
    const store = await DatabaseStore.open({ db: this.db, home: this.engine.home, formation: op.formation, operationId: op.id, owner: this.owner });
    entry.store = store;
    await this.db.query(
      `UPDATE operations SET state = 'running', started_at = coalesce(started_at, now()) WHERE id = $1 AND lease_owner = $2 AND state IN ${ACTIVE}`,
      [op.id, this.owner],
    );
    return { store, ctx: { ...this.engine, store, actor: `token ${op.startedBy}` } };
  }

  /** Carry a new request: plan it with the request's values, claim, execute. */
  private async carry(op: OperationView, body: OperationBody, caller: Caller, entry: { store?: DatabaseStore }): Promise<void> {
    this.log.info({ operation: op.id, formation: op.formation, kind: op.kind, token: caller.name }, 'operation started');
    let store: DatabaseStore | undefined;
    let result: OperationResult;
    try {
      const opened = await this.open(op, entry);
      store = opened.store;
      result = await this.planAndCarry(opened.ctx, store, body);
      await store.flush();
    } catch (error) {
      if (store?.failed?.code === 'LEASE_LOST') {
        this.log.warn({ operation: op.id }, 'operation taken over by another replica');
        return;
      }
      const e = errorEntry(error);
      store?.note({ kind: 'error', time: new Date().toISOString(), operation: op.kind, ...e });
      await store?.flush().catch(() => undefined);
      result = { outcome: 'errored', kind: op.kind, name: op.formation, error: e };
    }
    await this.finish(op, result);
  }

  private async planAndCarry(ctx: EngineContext, store: DatabaseStore, body: OperationBody): Promise<OperationResult> {
    const io = new ServerIo(store, new Set(body.confirm ?? []));
    const notice = (text: string) => io.notify({ kind: 'notice', time: new Date().toISOString(), text });
    const name = body.formation;
    const options = body.options ?? {};
    let plan: OperationPlan;
    if (body.kind === 'create') {
      await ensureCloudlet(ctx.home, body.cloudlet!, body.commit!, notice);
      plan = await planCreate(
        ctx,
        {
          kind: 'create',
          target: `${body.cloudlet}/${body.scenario ?? 'default'}`,
          name,
          params: flags(body.parameters),
          paramsFiles: [],
          noInput: true,
          options,
          ...(body.provider ? { provider: body.provider } : {}),
        },
        io,
      );
    } else if (body.kind === 'destroy') {
      plan = await planDestroy(ctx, { kind: 'destroy', name, options }, io);
    } else {
      const record = store.read(name);
      if (!record) throw formationNotFound(name, 'on this server', 'see GET /v1/formations');
      if (body.cloudlet && body.cloudlet !== record.cloudlet) {
        throw new NephoError('BAD_ARGUMENT', `formation ${name} runs ${record.cloudlet}, not ${body.cloudlet}`);
      }
      const commit = body.commit ?? record.commit;
      if (commit) await ensureCloudlet(ctx.home, record.cloudlet, commit, notice);
      if (body.kind === 'update') {
        const planned = await planUpdate(
          ctx,
          { kind: 'update', name, params: flags(body.parameters), paramsFiles: [], noInput: true, dryRun: body.dryRun === true, options },
          io,
        );
        if (!planned.plan) return { outcome: planned.summary.empty ? 'unchanged' : 'previewed', kind: 'update', name, summary: planned.summary };
        plan = planned.plan;
      } else {
        plan = await planProvision(ctx, { kind: 'provision', name, params: flags(body.parameters), options, ...(body.user ? { user: body.user } : {}) }, io);
      }
    }
    try {
      await claimOperation(ctx, plan);
    } catch (error) {
      await abandonPlan(ctx, plan);
      throw error;
    }
    return carryOperation(ctx, plan, io);
  }

  /**
   * Take over an operation whose replica stopped. One that never reached
   * its provider cannot go on (its secrets were in that replica's memory);
   * one that did is followed at the provider to its end.
   */
  private async resume(op: OperationView, entry: { store?: DatabaseStore }): Promise<void> {
    this.log.warn({ operation: op.id, formation: op.formation, kind: op.kind }, 'taking over an operation whose replica stopped');
    let result: OperationResult;
    const { store, ctx } = await this.open(op, entry);
    try {
      const started = await this.db.query(`SELECT 1 FROM events WHERE operation_id = $1 AND journal AND entry->>'kind' = 'start'`, [op.id]);
      if (started.length === 0) {
        const error = new NephoError(
          'OPERATION_INTERRUPTED',
          `the server carrying the ${op.kind} of ${op.formation} stopped before the provider had it; secret values live only in that server's memory, so the ${op.kind} must be sent again with its parameters, secrets included`,
        );
        store.note({ kind: 'error', time: new Date().toISOString(), operation: op.kind, ...errorEntry(error) });
        result = { outcome: 'errored', kind: op.kind, name: op.formation, error: errorEntry(error) };
      } else {
        store.note({
          kind: 'notice',
          time: new Date().toISOString(),
          text: 'the server carrying this operation stopped; another replica picks it up from the provider',
        });
        const end = await recoverOperation(ctx, op.formation);
        result =
          end && (end.kind === 'end' || end.kind === 'error')
            ? resultOf(op.formation, end)
            : {
                outcome: 'errored',
                kind: op.kind,
                name: op.formation,
                error: { code: 'OPERATION_LOST', message: `the ${op.kind} of ${op.formation} could not be picked up` },
              };
      }
      await store.flush();
    } catch (error) {
      if (store.failed?.code === 'LEASE_LOST') return;
      result = { outcome: 'errored', kind: op.kind, name: op.formation, error: errorEntry(error) };
    }
    await this.finish(op, result);
  }

  /** End an operation's row (only while this replica still holds it): the formation is free again. */
  private async finish(op: OperationView, result: OperationResult): Promise<void> {
    const state = endState(result);
    const rows = await this.db.query(
      `UPDATE operations SET state = $2, result = $3::jsonb, ended_at = now(), lease_expires_at = NULL
       WHERE id = $1 AND lease_owner = $4 AND state IN ${ACTIVE} RETURNING id`,
      [op.id, state, JSON.stringify(result), this.owner],
    );
    if (rows.length === 1) this.log.info({ operation: op.id, formation: op.formation, state }, 'operation ended');
  }

  /** Renew the leases of what this replica carries; an operation whose lease another replica took stops writing. */
  private async heartbeat(): Promise<void> {
    if (this.stopped || this.carrying.size === 0) return;
    const ids = [...this.carrying.keys()];
    try {
      const kept = new Set(
        (
          await this.db.query<{ id: string }>(
            `UPDATE operations SET lease_expires_at = now() + make_interval(secs => $3)
         WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND lease_owner = $2 AND state IN ${ACTIVE} RETURNING id`,
            [JSON.stringify(ids), this.owner, this.times.leaseMs / 1000],
          )
        ).map((r) => r.id),
      );
      for (const id of ids) {
        // One that ended between the list and the update is simply gone; one still carried here lost its lease.
        if (!kept.has(id)) this.carrying.get(id)?.store?.leaseLost();
      }
    } catch (error) {
      this.log.warn({ err: error }, 'could not renew leases');
    }
  }

  /** Take over operations whose lease lapsed, a few at a time; replicas skip rows another is taking. */
  private async scan(): Promise<void> {
    if (this.stopped) return;
    try {
      const taken = await this.db.query<OperationRow>(
        `UPDATE operations SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2), attempts = attempts + 1
         WHERE id IN (SELECT id FROM operations WHERE state IN ${ACTIVE} AND lease_expires_at < now() ORDER BY created_at LIMIT 5 FOR UPDATE SKIP LOCKED)
         RETURNING ${COLUMNS}`,
        [this.owner, this.times.leaseMs / 1000],
      );
      for (const row of taken) {
        const op = operationView(row);
        this.track(op.id, (entry) => this.resume(op, entry));
      }
    } catch (error) {
      this.log.warn({ err: error }, 'could not look for operations to take over');
    }
  }

  /**
   * Stop: no new operations, no more renewals. What this replica carries is
   * left to the others: its writes so far are flushed, then its leases are
   * given up at once so another replica takes the operations over at its
   * next look rather than after the lease would have run out.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    const entries = [...this.carrying.values()];
    await Promise.race([
      Promise.all(entries.map((e) => (e.store ? e.store.flush().catch(() => undefined) : Promise.resolve()))),
      new Promise((r) => setTimeout(r, 5000).unref()),
    ]);
    for (const e of entries) e.store?.leaseLost();
    await this.db.query(`UPDATE operations SET lease_expires_at = now() WHERE lease_owner = $1 AND state IN ${ACTIVE}`, [this.owner]).catch(() => undefined);
  }
}
