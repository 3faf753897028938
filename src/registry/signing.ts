import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError, isNephoError, messageOf } from '../errors.js';
import { writeFileAtomicSync } from '../fs.js';
import type { NephoHome } from '../home.js';
import { printableUrl } from '../output.js';
import { PACKAGE_ROOT } from '../paths.js';
import { nextKeySignedBy, parsePublicKey, shortKey, verifyBytes, PUBLIC_KEY_FILE, type NextKey } from './keys.js';
import type { RegistryContext, RegistrySource } from './registries.js';

/**
 * Signed registries. A registry whose public key is pinned (`registry:add
 * --key`, and the built-in one, whose key ships beside it) has every index
 * it serves checked against `index.json.sig` before anything is read from
 * it: a refused index never reaches the cache, which keeps the last good
 * copy. Besides the signature, an index must not be older than the newest
 * one verified (rollback), may name the key that signs next (rotation), and
 * past its `expires` date stops installs (freeze). What nepho has verified of
 * each registry is its trust state, one file per registry under
 * `$NEPHO_HOME/trust/`, apart from the cache: dropping or rebuilding the
 * cache must not forget which key is trusted, nor how new the last index was.
 */

/** What nepho trusts of one registry. */
export interface TrustState {
  /** The key the user pinned (config.yaml): trust starts over when it changes. */
  pinned: string;
  /** The key indexes must be signed with now: the pinned one, or the one it rotated to. */
  key: string;
  /** A next key announced by a verified index, trusted once an index signed with it verifies. */
  next?: string;
  /** Keys that signed for this registry before a rotation, oldest first. */
  retired?: string[];
  /** `generated` of the newest verified index: an older one is a rollback. */
  generated?: string;
  /** `expires` of the newest verified index, if it has one. */
  expires?: string;
  /** When an index was last verified (ISO). */
  verifiedAt?: string;
}

/** What verifying an index found: the key that signed it, and the trust state to keep once the index is cached. */
export interface Verdict {
  key: string;
  trust: TrustState;
  /** True when the index was signed with a next key, which is now the trusted one. */
  rotated: boolean;
}

/** The top-level fields of an index that signing adds, as found (not yet checked). */
export interface IndexHeader {
  generated?: unknown;
  expires?: unknown;
  nextKey?: unknown;
}

const HEADER_FIELDS = new Set(['generated', 'expires', 'nextKey']);

/** The signature's URL: `index.json.sig` beside the index (before any query string). */
export function signatureUrl(indexUrl: string): string {
  const url = new URL(indexUrl);
  url.pathname += '.sig';
  return url.toString();
}

/** Where the built-in registry's public key ships: beside its index in dist/builtin. */
export const BUILTIN_KEY_FILE = join(PACKAGE_ROOT, 'dist', 'builtin', PUBLIC_KEY_FILE);

/** The key a registry's indexes must verify with, or undefined for an unsigned registry. */
export function pinnedKey(source: RegistrySource): string | undefined {
  if (source.key !== undefined) return source.key;
  if (!source.builtin) return undefined;
  try {
    return readFileSync(BUILTIN_KEY_FILE, 'utf8').trim();
  } catch (error) {
    throw new NephoError('REGISTRY_KEY_INVALID', `the built-in registry's key ${BUILTIN_KEY_FILE} cannot be read (${messageOf(error)})`, {
      hint: 'nepho is not completely installed; npm run build makes the built-in registry and its key',
    });
  }
}

function trustFile(home: NephoHome, name: string): string {
  return join(home.root, 'trust', `${name}.json`);
}

/** The trust state of a registry with pinned key `pinned`: as saved, or a fresh one when none was saved for this key. */
export function loadTrust(home: NephoHome, source: RegistrySource, pinned: string): TrustState {
  const fresh: TrustState = { pinned, key: pinned };
  // The built-in registry is part of nepho: its key comes with each version of nepho, and a
  // downgrade of nepho is not a rollback of its registry.
  if (source.builtin) return fresh;
  try {
    const saved = JSON.parse(readFileSync(trustFile(home, source.name), 'utf8')) as TrustState;
    if (saved && saved.pinned === pinned && typeof saved.key === 'string') return saved;
  } catch {
    // none yet, or damaged: start from the pinned key
  }
  return fresh;
}

/**
 * Whether the cached copy of `source` may stand for its index: always for an
 * unsigned registry and the built-in one; for a signed one, only once an
 * index was verified with its pinned key (a cache made before the key was
 * pinned, or under another key, is fetched again whole and verified).
 */
export function trustsCache(home: NephoHome, source: RegistrySource): boolean {
  if (source.builtin || source.key === undefined) return true;
  return loadTrust(home, source, source.key).generated !== undefined;
}

/** Keep what an index that is now cached was verified with. */
export function commitTrust(home: NephoHome, source: RegistrySource, verdict: Verdict | undefined): void {
  if (!verdict || source.builtin) return;
  mkdirSync(join(home.root, 'trust'), { recursive: true });
  writeFileAtomicSync(trustFile(home, source.name), `${JSON.stringify(verdict.trust, null, 2)}\n`);
}

/** Forget what was trusted of a registry (it was removed, or is being added afresh). */
export function dropTrust(home: NephoHome, name: string): void {
  rmSync(trustFile(home, name), { force: true });
}

/**
 * The signing fields at the top level of an index, read from its bytes
 * without parsing its cloudlets: an index may be tens of megabytes, and only
 * these few fields are needed before its signature is known to be good. The
 * last of a repeated field counts, as JSON.parse has it. Stops at the first
 * thing that is not JSON: the full parse reports that later.
 */
export function readIndexHeader(bytes: Uint8Array): IndexHeader {
  const header: Record<string, unknown> = {};
  const n = bytes.length;
  let i = 0;
  const space = () => {
    while (i < n && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  };
  /** From an opening quote at i, past the closing one. */
  const skipString = () => {
    for (i++; i < n; i++) {
      if (bytes[i] === 0x5c) i++;
      else if (bytes[i] === 0x22) {
        i++;
        return;
      }
    }
  };
  /** Past one value starting at i. */
  const skipValue = () => {
    if (bytes[i] === 0x22) return skipString();
    let depth = 0;
    for (; i < n; i++) {
      const c = bytes[i];
      if (c === 0x22) {
        skipString();
        i--;
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) return;
        if (--depth === 0) {
          i++;
          return;
        }
      } else if (c === 0x2c && depth === 0) return;
    }
  };
  const decode = (from: number, to: number): unknown => {
    try {
      return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('utf8'));
    } catch {
      return undefined;
    }
  };
  space();
  if (bytes[i] !== 0x7b) return header;
  i++;
  for (;;) {
    space();
    if (bytes[i] !== 0x22) return header;
    const keyStart = i;
    skipString();
    const key = decode(keyStart, i);
    space();
    if (bytes[i] !== 0x3a) return header;
    i++;
    space();
    const valueStart = i;
    skipValue();
    if (typeof key === 'string' && HEADER_FIELDS.has(key)) header[key] = decode(valueStart, i);
    space();
    if (bytes[i] !== 0x2c) return header;
    i++;
  }
}

/** A date field of a signed index: undefined when absent, else it must be an ISO date. */
function dateField(header: IndexHeader, field: 'generated' | 'expires', label: string): string | undefined {
  const value = header[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw new NephoError('REGISTRY_INVALID', `${label}: index refused: "${field}" is not a date`, {
      hint: "the previous copy, if any, is kept; tell the registry's maintainers",
    });
  }
  return value;
}

function nextKeyField(header: IndexHeader): NextKey | undefined {
  const value = header.nextKey as Partial<NextKey> | undefined;
  if (!value || typeof value !== 'object' || typeof value.key !== 'string' || typeof value.signature !== 'string') return undefined;
  try {
    parsePublicKey(value.key, 'nextKey');
  } catch {
    return undefined;
  }
  return { key: value.key, signature: value.signature };
}

/**
 * Verify an index (its exact bytes) against its detached signature and what
 * is trusted of its registry. The index must be signed with the trusted key,
 * or with a next key: one a verified index announced before, or one this
 * index carries signed with the trusted key (so a user who missed the
 * announcement still follows a rotation). It must say when it was generated,
 * and not be older than the newest index verified. Returns the verdict and
 * the trust state to keep once the index is cached; throws one NephoError
 * naming the registry and what was wrong. Pure: nothing is written.
 */
export function verifyIndex(bytes: Uint8Array, signature: string | undefined, trust: TrustState, registry: string): Verdict {
  const label = `registry '${registry}'`;
  if (signature === undefined || signature.trim() === '') {
    throw new NephoError('REGISTRY_SIGNATURE_MISSING', `${label}: index refused: it is not signed (no index.json.sig beside it)`);
  }
  const header = readIndexHeader(bytes);
  const announced = nextKeyField(header);
  const candidates = [trust.key, trust.next, announced && nextKeySignedBy(announced, trust.key) ? announced.key : undefined];
  const key = candidates.find((k): k is string => k !== undefined && verifyBytes(bytes, signature, k));
  if (key === undefined) {
    throw new NephoError('REGISTRY_SIGNATURE_INVALID', `${label}: index refused: its signature does not verify with the registry's key ${shortKey(trust.key)}`);
  }
  const generated = dateField(header, 'generated', label);
  if (generated === undefined) {
    throw new NephoError('REGISTRY_INVALID', `${label}: index refused: a signed index must say when it was "generated"`, {
      hint: "the previous copy, if any, is kept; tell the registry's maintainers",
    });
  }
  if (trust.generated !== undefined && Date.parse(generated) < Date.parse(trust.generated)) {
    throw new NephoError('REGISTRY_ROLLBACK', `${label}: index refused: generated ${generated}, older than the one already verified (${trust.generated})`);
  }
  const expires = dateField(header, 'expires', label);
  const rotated = key !== trust.key;
  const next: TrustState = {
    pinned: trust.pinned,
    key,
    ...(rotated ? { retired: [...(trust.retired ?? []), trust.key] } : trust.retired ? { retired: trust.retired } : {}),
    generated,
    ...(expires !== undefined ? { expires } : {}),
  };
  // A next key this index announces, signed with the key that signed it.
  if (announced && announced.key !== key && nextKeySignedBy(announced, key)) next.next = announced.key;
  else if (!rotated && trust.next !== undefined) next.next = trust.next;
  return { key, trust: next, rotated };
}

/**
 * The check every fetched index of `source` passes before it is read: for a
 * registry with a pinned key, fetch its signature and verify (see
 * `verifyIndex`); undefined for an unsigned registry. Throws a NephoError
 * when the index is refused. `fetchUrl` is the index's URL as fetched (it may
 * carry credentials).
 */
export async function vouchForIndex(source: RegistrySource, ctx: RegistryContext, bytes: Uint8Array, fetchUrl: string): Promise<Verdict | undefined> {
  const pinned = pinnedKey(source);
  if (pinned === undefined) return undefined;
  let signature: string;
  // The HTTP client loads with the first fetch: a command that only reads cached copies never needs it.
  const { fetchBytes } = await import('../http.js');
  try {
    const result = await fetchBytes(signatureUrl(fetchUrl), { ...ctx.config.http, maxBytes: 4096, what: `registry '${source.name}' signature` });
    signature = result.status === 'fresh' ? result.body.toString('utf8') : '';
  } catch (error) {
    if (!isNephoError(error)) throw error;
    throw new NephoError(
      'REGISTRY_SIGNATURE_MISSING',
      `registry '${source.name}': index refused: its signature ${printableUrl(signatureUrl(source.url))} could not be fetched (${error.message.replace(/^registry '[^']*' signature: /, '')})`,
    );
  }
  const verdict = verifyIndex(bytes, signature, loadTrust(ctx.home, source, pinned), source.name);
  if (verdict.rotated)
    ctx.warn(
      `registry '${source.name}': now trusting its next key ${shortKey(verdict.key)} (announced and signed by ${shortKey(verdict.trust.retired!.at(-1)!)})`,
    );
  return { ...verdict, trust: { ...verdict.trust, verifiedAt: new Date((ctx.now ?? Date.now)()).toISOString() } };
}

/** How a registry's signing stands, for `registry:list`, without touching the network. */
export interface SigningStatus {
  signed: boolean;
  /** The key its indexes must be signed with now. */
  key?: string;
  /** `expires` of the newest verified index. */
  expires?: string;
  /** An unsigned registry added with --allow-unsigned. */
  allowUnsigned?: boolean;
}

/** See `SigningStatus`. */
export function signingStatus(home: NephoHome, source: RegistrySource): SigningStatus {
  let pinned: string | undefined;
  try {
    pinned = pinnedKey(source);
  } catch {
    return { signed: true };
  }
  if (pinned === undefined) return { signed: false, ...(source.allowUnsigned ? { allowUnsigned: true } : {}) };
  const trust = loadTrust(home, source, pinned);
  return { signed: true, key: trust.key, ...(trust.expires ? { expires: trust.expires } : {}) };
}

/**
 * Whether cloudlets may be installed from `source` now, and the key that
 * verified its cached index (undefined for an unsigned registry). A signed
 * registry's cached index must have been verified with its pinned key (or a
 * key it rotated to), and not be past its `expires` date: a stale index
 * served forever (a freeze) must not keep installs going.
 */
export function assertInstallable(home: NephoHome, source: RegistrySource, now = Date.now()): string | undefined {
  const pinned = pinnedKey(source);
  if (pinned === undefined) return undefined;
  const trust = loadTrust(home, source, pinned);
  if (source.builtin) return trust.key;
  if (trust.generated === undefined) {
    throw new NephoError(
      'REGISTRY_UNVERIFIED',
      `registry '${source.name}': its cached index has not been verified with its key ${shortKey(pinned)}; nothing installed`,
    );
  }
  if (trust.expires !== undefined && Date.parse(trust.expires) <= now) {
    throw new NephoError('REGISTRY_EXPIRED', `registry '${source.name}': its index expired on ${trust.expires}; installs from it are refused`);
  }
  return trust.key;
}

/** One warning per signed registry whose index is past its `expires` date: search goes on, installs will not. */
export function expiryWarnings(home: NephoHome, sources: RegistrySource[], now = Date.now()): string[] {
  return sources.flatMap((source) => {
    const { signed, expires } = signingStatus(home, source);
    return signed && expires !== undefined && Date.parse(expires) <= now
      ? [`registry '${source.name}': its index expired on ${expires}; results are shown, but installs from it are refused until it publishes a fresh one`]
      : [];
  });
}

/** How the key that verified an installed cloudlet stands now. */
export type KeyStanding = 'trusted' | 'rotated' | 'untrusted';

/**
 * Whether `key`, which verified the index a cloudlet was installed from, is
 * still trusted for `source`: the key itself, or one it rotated to through a
 * verified rotation (or, for the built-in registry, the key of an earlier
 * build of nepho). `untrusted` when the registry is unsigned now, or its
 * pinned key was replaced.
 */
export function keyStanding(home: NephoHome, source: RegistrySource | undefined, key: string): KeyStanding {
  const pinned = source ? pinnedKey(source) : undefined;
  if (!source || pinned === undefined) return 'untrusted';
  const trust = loadTrust(home, source, pinned);
  if (trust.key === key) return 'trusted';
  // The built-in registry gets a new key with each build of nepho: an older one is that of the nepho installed before.
  return source.builtin || trust.retired?.includes(key) ? 'rotated' : 'untrusted';
}
