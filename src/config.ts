import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { NephoError, messageOf } from './errors.js';
import { acquireLock, writeFileAtomicSync } from './fs.js';
import type { NephoHome } from './home.js';

/** A registry the user added with `registry:add`. */
export interface RegistryEntry {
  /** Short name, unique among registries (`community`). */
  name: string;
  /** Where its `index.json` is: `https://`, `http://` or `file://`. */
  url: string;
  /** Its pinned public key (`ed25519:...`): every index fetched must verify with it. */
  key?: string;
  /** Added unsigned on purpose (`--allow-unsigned`). */
  allowUnsigned?: boolean;
}

/** HTTP settings for every network call nepho makes. */
export interface HttpSettings {
  /** Seconds to wait for a response before giving up (per attempt). */
  timeout: number;
  /** How many times a failed request is tried again. */
  retries: number;
  /** Largest response body accepted, in bytes. */
  maxBytes: number;
}

/** `$NEPHO_HOME/config.yaml`, as nepho reads it. Keys nepho does not know are kept when it saves. */
export interface Config {
  registries: RegistryEntry[];
  /** Seconds a downloaded registry index is used without asking the server again. */
  registryTtl: number;
  http: HttpSettings;
  /** npm packages that add providers or provisioners. */
  plugins: string[];
  /** Everything else in the file, preserved verbatim. */
  rest: Record<string, unknown>;
}

/**
 * 64 MiB holds an index of some 70,000 cloudlets, and keeps what a hostile
 * download can cost in memory well under 300 MB (see src/http.ts).
 */
const DEFAULTS = { registryTtl: 600, http: { timeout: 30, retries: 2, maxBytes: 64 * 1024 * 1024 } };

/** Registry names: short, safe to use as a file name. */
export const REGISTRY_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Read config.yaml (a missing file is an empty config). Every bad field is
 * named. `NEPHO_HTTP_TIMEOUT_MS` in `env` replaces http.timeout for this run
 * (tests use it to make a stalled server fail fast); it is never saved.
 */
export function loadConfig(home: NephoHome, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(home.configFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') text = '';
    else throw new NephoError('CONFIG_UNREADABLE', `${home.configFile}: ${messageOf(error)}`);
  }
  let raw = text.trim() === '' ? {} : parsedBefore(home, text);
  if (raw === undefined) {
    try {
      raw = yaml().parse(text) as unknown;
    } catch (error) {
      throw new NephoError('CONFIG_INVALID', `${home.configFile}: not valid YAML (${firstLine(messageOf(error))})`, {
        hint: 'fix the file or move it away to start afresh',
      });
    }
    rememberParsed(home, text, raw);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new NephoError('CONFIG_INVALID', `${home.configFile}: expected a mapping at the top level`);
  }
  const { registries = [], registry_ttl, http = {}, plugins = [], ...rest } = raw as Record<string, unknown>;
  const bad = (field: string, what: string) => new NephoError('CONFIG_INVALID', `${home.configFile}: ${field} ${what}`);

  if (!Array.isArray(registries)) throw bad('registries', 'must be a list');
  const seen = new Set<string>();
  const entries = registries.map((entry, i): RegistryEntry => {
    const e = entry as Record<string, unknown>;
    if (!e || typeof e !== 'object') throw bad(`registries[${i}]`, 'must be a mapping with name and url');
    if (typeof e.name !== 'string' || !REGISTRY_NAME.test(e.name)) throw bad(`registries[${i}].name`, 'must be a lowercase name');
    if (typeof e.url !== 'string' || e.url === '') throw bad(`registries[${i}].url`, 'must be a URL');
    if (seen.has(e.name)) throw bad(`registries[${i}].name`, `repeats '${e.name}'`);
    seen.add(e.name);
    if (e.key !== undefined && (typeof e.key !== 'string' || !/^ed25519:[A-Za-z0-9+/]{43}=$/.test(e.key)))
      throw bad(`registries[${i}].key`, 'must be an Ed25519 public key (ed25519:...)');
    if (e.allow_unsigned !== undefined && typeof e.allow_unsigned !== 'boolean') throw bad(`registries[${i}].allow_unsigned`, 'must be true or false');
    return { name: e.name, url: e.url, ...(e.key ? { key: e.key as string } : {}), ...(e.allow_unsigned ? { allowUnsigned: true } : {}) };
  });

  const ttl = registry_ttl ?? DEFAULTS.registryTtl;
  if (typeof ttl !== 'number' || !(ttl >= 0)) throw bad('registry_ttl', 'must be a number of seconds');

  if (!http || typeof http !== 'object' || Array.isArray(http)) throw bad('http', 'must be a mapping');
  const h = http as Record<string, unknown>;
  const num = (key: string, fallback: number, min: number) => {
    const v = h[key] ?? fallback;
    if (typeof v !== 'number' || !(v >= min)) throw bad(`http.${key}`, `must be a number of at least ${min}`);
    return v;
  };

  if (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string')) throw bad('plugins', 'must be a list of package names');

  let timeout = num('timeout', DEFAULTS.http.timeout, 0.001);
  const override = env.NEPHO_HTTP_TIMEOUT_MS;
  if (override !== undefined && override !== '') {
    const ms = Number(override);
    if (!(ms >= 1)) throw new NephoError('BAD_ARGUMENT', `NEPHO_HTTP_TIMEOUT_MS '${override}' must be a number of milliseconds (at least 1)`);
    timeout = ms / 1000;
  }

  return {
    registries: entries,
    registryTtl: ttl,
    http: {
      timeout,
      retries: Math.floor(num('retries', DEFAULTS.http.retries, 0)),
      maxBytes: num('max_bytes', DEFAULTS.http.maxBytes, 1),
    },
    plugins: plugins as string[],
    rest,
  };
}

/**
 * The YAML library, loaded when a config.yaml is read that was not parsed
 * before: it is a quarter of a megabyte of code, more than everything else a
 * `cloudlet:search` loads. In the build this is a require() of the bundled
 * copy, evaluated on this first call (scripts/bundle.js,
 * nepho-packages-on-first-call).
 */
function yaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

/**
 * Where the parse of the last config.yaml read is kept, with its text. It
 * is the user's own file, in the user's own home, beside the registries'
 * copies; it is only used for exactly the same text.
 */
function parsedFile(home: NephoHome): string {
  return join(home.cache, 'config-parsed.json');
}

/** What `text` parsed to when it was last read, or undefined (never read, another text, or the file unreadable). */
function parsedBefore(home: NephoHome, text: string): unknown {
  try {
    const kept = JSON.parse(readFileSync(parsedFile(home), 'utf8')) as { text?: unknown; parsed?: unknown };
    return kept.text === text ? kept.parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keep the parse of `text`, when JSON holds it exactly (YAML also has
 * `.inf`, `.nan` and -0, which JSON would turn into other values). Failing
 * to write it never fails a command: the next one parses the YAML again.
 */
function rememberParsed(home: NephoHome, text: string, parsed: unknown): void {
  if (!jsonExact(parsed)) return;
  try {
    writeFileAtomicSync(parsedFile(home), JSON.stringify({ text, parsed }), 0o600);
  } catch {
    // no cache folder yet, or a home that cannot be written: parsed again next time
  }
}

/** Whether `value` is made only of what JSON writes and reads back unchanged. */
function jsonExact(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every((v) => jsonExact(v, depth + 1));
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.entries(value).every(([key, v]) => key !== '__proto__' && jsonExact(v, depth + 1));
}

/** How long a change to config.yaml waits for another one to finish. */
const CONFIG_LOCK_WAIT_MS = 10_000;

/**
 * Change config.yaml: under its lock, read it afresh, let `change` edit what
 * was read, and write it back whole. Two nepho processes changing it at once
 * (two `registry:add`) each see the other's change; neither is lost. The
 * lock is waited for, up to ten seconds. Environment overrides are not
 * applied to what is read here, so they are never saved.
 */
export async function updateConfig<T>(home: NephoHome, operation: string, change: (config: Config) => T | Promise<T>): Promise<T> {
  const lock = await acquireLock(`${home.configFile}.lock`, operation, 'CONFIG_BUSY', { waitMs: CONFIG_LOCK_WAIT_MS });
  try {
    const config = loadConfig(home, {});
    const before = JSON.stringify(config);
    const result = await change(config);
    // Nothing changed, nothing written: the file keeps its comments and layout.
    if (JSON.stringify(config) !== before) saveConfig(home, config);
    return result;
  } finally {
    await lock.release();
  }
}

/** Write config.yaml atomically, keeping keys nepho does not manage. Only through updateConfig, under the lock. */
function saveConfig(home: NephoHome, config: Config): void {
  const out: Record<string, unknown> = { ...config.rest };
  out.registries = config.registries.map(({ name, url, key, allowUnsigned }) => ({
    name,
    url,
    ...(key ? { key } : {}),
    ...(allowUnsigned ? { allow_unsigned: true } : {}),
  }));
  if (config.registryTtl !== DEFAULTS.registryTtl) out.registry_ttl = config.registryTtl;
  const http: Record<string, number> = {};
  if (config.http.timeout !== DEFAULTS.http.timeout) http.timeout = config.http.timeout;
  if (config.http.retries !== DEFAULTS.http.retries) http.retries = config.http.retries;
  if (config.http.maxBytes !== DEFAULTS.http.maxBytes) http.max_bytes = config.http.maxBytes;
  if (Object.keys(http).length > 0) out.http = http;
  if (config.plugins.length > 0) out.plugins = config.plugins;
  writeFileAtomicSync(home.configFile, yaml().stringify(out), 0o600);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
