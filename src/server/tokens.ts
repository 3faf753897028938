/**
 * Bearer tokens: who may talk to the server and what they may do. A token is
 * shown once, when it is made; the database keeps only its SHA-256 (tokens
 * are 256 random bits, so a fast hash is as good as a slow one here and keeps
 * every request cheap).
 */
import { createHash, randomBytes } from 'node:crypto';
import { NephoError, quoted } from '../errors.js';
import type { Queryable } from './db.js';

/** What a token may do: read; read and run operations; all that and manage tokens. */
export type Role = 'viewer' | 'operator' | 'admin';

/** The roles, weakest first. */
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** Token names: they appear in logs and in every operation a token starts. */
export const TOKEN_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** A token as the server lists it: never its value. */
export interface TokenInfo {
  name: string;
  role: Role;
  createdAt: string;
  revokedAt: string | null;
}

/** Who is making a request. */
export interface Caller {
  name: string;
  role: Role;
}

/** The hash the database keeps of a token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether a caller's role includes `needed` (admin ⊃ operator ⊃ viewer). */
export function allows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Check a token name and role as given on the command line or in a request. */
export function checkToken(name: string, role: string): Role {
  if (!TOKEN_NAME.test(name)) {
    throw new NephoError('BAD_ARGUMENT', `token name ${quoted(name)} must be lowercase letters, digits, '.', '_' and '-' (at most 63)`);
  }
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new NephoError('BAD_ARGUMENT', `--role ${quoted(role)} is not one of ${ROLES.join(', ')}`);
  }
  return role as Role;
}

/**
 * Make a token. A name in use by a live token is refused; a revoked one's
 * name can be given again (its operations keep naming it). Returns the token,
 * which is never stored and cannot be shown again.
 */
export async function createToken(db: Queryable, name: string, role: string): Promise<{ token: string; info: TokenInfo }> {
  const checked = checkToken(name, role);
  const token = `nepho_${randomBytes(32).toString('base64url')}`;
  const rows = await db.query<{ created_at: Date }>(
    `INSERT INTO tokens (name, role, hash) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, hash = EXCLUDED.hash, created_at = now(), revoked_at = NULL
       WHERE tokens.revoked_at IS NOT NULL
     RETURNING created_at`,
    [name, checked, tokenHash(token)],
  );
  if (rows.length === 0) {
    throw new NephoError('TOKEN_EXISTS', `a token named ${quoted(name)} already exists`, {
      hint: `revoke it first (nepho server:token:revoke ${name}), or choose another name`,
    });
  }
  return { token, info: { name, role: checked, createdAt: rows[0]!.created_at.toISOString(), revokedAt: null } };
}

/** Every token, live and revoked, by name. */
export async function listTokens(db: Queryable): Promise<TokenInfo[]> {
  const rows = await db.query<{ name: string; role: Role; created_at: Date; revoked_at: Date | null }>(
    'SELECT name, role, created_at, revoked_at FROM tokens ORDER BY name',
  );
  return rows.map((r) => ({ name: r.name, role: r.role, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null }));
}

/** Revoke a token at once: every replica refuses it from now on (the database tells them). */
export async function revokeToken(db: Queryable, name: string): Promise<TokenInfo> {
  const rows = await db.query<{ role: Role; created_at: Date; revoked_at: Date }>(
    'UPDATE tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING role, created_at, revoked_at',
    [name],
  );
  if (rows.length === 0) {
    const known = await db.query('SELECT 1 FROM tokens WHERE name = $1', [name]);
    throw new NephoError('TOKEN_NOT_FOUND', known.length > 0 ? `the token ${quoted(name)} is already revoked` : `no token named ${quoted(name)}`, {
      hint: 'see nepho server:token:list',
    });
  }
  const r = rows[0]!;
  return { name, role: r.role, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at.toISOString() };
}

/** Who holds a token, or undefined when it is unknown or revoked. */
export async function lookupToken(db: Queryable, token: string): Promise<Caller | undefined> {
  const rows = await db.query<Caller>('SELECT name, role FROM tokens WHERE hash = $1 AND revoked_at IS NULL', [tokenHash(token)]);
  return rows[0];
}
