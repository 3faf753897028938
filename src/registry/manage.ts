import { NephoError } from '../errors.js';
import { REGISTRY_NAME, loadConfig, updateConfig } from '../config.js';
import type { NephoHome } from '../home.js';
import { printableUrl, withoutCredentials } from '../output.js';
import { BUILTIN, cachedState, dropCache, registrySources, shownUrl, syncRegistry, type RegistryContext, type RegistryState } from './registries.js';
import { dropTrust, signingStatus, type SigningStatus } from './signing.js';

/** A registry as `registry:list` shows it: its URL as it may be printed, and what is cached of it. */
export interface RegistryListing extends SigningStatus {
  name: string;
  url: string;
  builtin: boolean;
  count?: number;
  checkedAt?: string;
}

/** The registries this home searches, in order, with what is cached of each; never touches the network. */
export function listRegistries(home: NephoHome): RegistryListing[] {
  return registrySources(loadConfig(home)).map((source) => ({
    name: source.name,
    url: shownUrl(source),
    builtin: source.builtin,
    ...cachedState(home, source),
    ...signingStatus(home, source),
  }));
}

/** How `registry:add` trusts the registry it adds. */
export interface AddOptions {
  /** Its public key (`ed25519:...`): every index must verify with it, this first one included. */
  key?: string;
  /** Add it unsigned without the warning. */
  allowUnsigned?: boolean;
}

/**
 * Add a registry to config.yaml after checking that its index can be read
 * and is valid (and, with a key, signed with it): a registry that does not
 * work is not saved. A user and password in the URL are used for this check
 * only: config.yaml gets the URL without them, and later fetches
 * authenticate from ~/.netrc.
 */
export async function addRegistry(ctx: RegistryContext, name: string, url: string, options: AddOptions = {}): Promise<RegistryState> {
  if (!REGISTRY_NAME.test(name)) {
    throw new NephoError('BAD_REGISTRY_NAME', `registry name '${name}' must be lowercase letters, digits, '.', '_' or '-'`);
  }
  if (name === BUILTIN) throw new NephoError('BAD_REGISTRY_NAME', `'${BUILTIN}' is the registry that ships with nepho; choose another name`);
  const exists = () =>
    new NephoError('REGISTRY_EXISTS', `a registry named '${name}' is already configured`, { hint: `remove it first with nepho registry:remove ${name}` });
  if (ctx.config.registries.some((r) => r.name === name)) throw exists();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NephoError('BAD_URL', `registry URL '${printableUrl(url)}' is not a URL`, { hint: 'use https://, http:// or file://' });
  }
  if (!['https:', 'http:', 'file:'].includes(parsed.protocol)) {
    throw new NephoError('BAD_URL', `registry URL '${printableUrl(url)}' must use https://, http:// or file://`);
  }
  const stored = withoutCredentials(url);
  if (stored !== undefined) {
    ctx.warn(
      `registry '${name}': the user and password in the URL are used now but not saved; ` + `later fetches send those of ~/.netrc for ${parsed.hostname}`,
    );
  }
  if (options.key !== undefined && options.allowUnsigned)
    throw new NephoError('BAD_ARGUMENT', '--key and --allow-unsigned contradict each other', { hint: 'give one of them' });
  const trust = options.key !== undefined ? { key: options.key } : options.allowUnsigned ? { allowUnsigned: true } : {};
  const source = { name, url: stored ?? url, builtin: false, ...trust };
  // A cache under this name belongs to no configured registry (config.yaml was edited by hand):
  // it must not stand in for an index that could not be fetched now. Nor may what was trusted of it.
  await dropCache(ctx.home, name);
  dropTrust(ctx.home, name);
  const state = await syncRegistry(source, ctx, true, url);
  if (state.state === 'unavailable') throw state.error!;
  // Read afresh under the lock: another registry:add may have saved its registry meanwhile.
  await updateConfig(ctx.home, `adding registry '${name}'`, (config) => {
    if (config.registries.some((r) => r.name === name)) throw exists();
    config.registries.push({ name, url: source.url, ...trust });
  });
  if (options.key === undefined && !options.allowUnsigned) {
    ctx.warn(
      `registry '${name}' is unsigned: whoever can change its index decides what nepho installs from it; ` +
        'pin its key with --key (from its publisher), or add it with --allow-unsigned to say this is intended',
    );
  }
  return state;
}

/** Remove a registry from config.yaml and drop its cached index. */
export async function removeRegistry(ctx: RegistryContext, name: string): Promise<void> {
  if (name === BUILTIN) throw new NephoError('BAD_REGISTRY_NAME', `the '${BUILTIN}' registry ships with nepho and cannot be removed`);
  await updateConfig(ctx.home, `removing registry '${name}'`, (config) => {
    const at = config.registries.findIndex((r) => r.name === name);
    if (at < 0) {
      throw new NephoError('REGISTRY_NOT_FOUND', `no registry named '${name}'`, { hint: 'see nepho registry:list' });
    }
    config.registries.splice(at, 1);
  });
  await dropCache(ctx.home, name);
  dropTrust(ctx.home, name);
}
