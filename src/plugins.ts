import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, type Config } from './config.js';
import { NephoError, messageOf } from './errors.js';
import type { NephoHome } from './home.js';
import { builtinPlugins } from './providers/catalog.js';
import { PROVIDER_API_VERSION, type NephoPlugin, type PluginRegistry, type Provider, type Provisioner } from './providers/types.js';

export type { PluginRegistry } from './providers/types.js';
export { builtinPlugins } from './providers/catalog.js';

/**
 * Where a plugin named in config.yaml is loaded from: a path (absolute, or
 * relative to config.yaml), else an npm package installed under
 * `$NEPHO_HOME/plugins` (`npm install --prefix ~/.nepho/plugins nepho-provider-x`),
 * else one nepho itself can resolve (installed beside it).
 */
export function resolvePlugin(home: NephoHome, spec: string): string {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const path = resolve(dirname(home.configFile), spec);
    if (!existsSync(path)) throw new NephoError('PLUGIN_NOT_FOUND', `${home.configFile}: plugins: ${spec}: no such file or directory`);
    return createRequire(join(path, 'noop.js')).resolve(path);
  }
  for (const base of [join(home.root, 'plugins', 'package.json'), import.meta.url]) {
    try {
      return createRequire(base).resolve(spec);
    } catch {
      /* try the next place */
    }
  }
  throw new NephoError('PLUGIN_NOT_FOUND', `${home.configFile}: plugins: cannot find the package '${spec}'`, {
    hint: `install it with npm install --prefix ${join(home.root, 'plugins')} ${spec}`,
  });
}

/**
 * The providers and provisioners this home uses: the built-ins, then the
 * plugins its config.yaml names.
 */
export function configuredPlugins(home: NephoHome): Promise<PluginRegistry> {
  return loadPlugins(home, loadConfig(home));
}

/**
 * Load the registry: built-ins first, then each plugin in config order. A
 * plugin exports `{ providers?, provisioners? }` (default export or `plugin`);
 * one that adds a name already taken, or exports nothing usable, is an error
 * naming it.
 */
export async function loadPlugins(home: NephoHome, config: Config): Promise<PluginRegistry> {
  const builtin = builtinPlugins();
  const providers: Provider[] = [...builtin.providers];
  const provisioners: Provisioner[] = [...builtin.provisioners];
  for (const spec of config.plugins) {
    const entry = resolvePlugin(home, spec);
    let module: { default?: NephoPlugin; plugin?: NephoPlugin };
    try {
      module = (await import(pathToFileURL(entry).toString())) as typeof module;
    } catch (error) {
      throw new NephoError('PLUGIN_INVALID', `plugin '${spec}' failed to load: ${messageOf(error)}`);
    }
    const plugin = module.plugin ?? module.default;
    if (!plugin || typeof plugin !== 'object' || (!Array.isArray(plugin.providers) && !Array.isArray(plugin.provisioners))) {
      throw new NephoError('PLUGIN_INVALID', `plugin '${spec}' exports no providers or provisioners`, {
        hint: 'export default { providers: [...], provisioners: [...] }',
      });
    }
    for (const provider of plugin.providers ?? []) {
      checkApiVersion(spec, `provider '${provider?.name}'`, provider);
      for (const method of ['validate', 'render', 'create', 'destroy', 'describe', 'patternPath'] as const) {
        if (typeof provider?.[method] !== 'function')
          throw new NephoError('PLUGIN_INVALID', `plugin '${spec}': provider '${provider?.name}' has no ${method}()`);
      }
      if (providerNamed(providers, provider.name)) {
        throw new NephoError('PLUGIN_INVALID', `plugin '${spec}': provider '${provider.name}' is already provided`);
      }
      if (provider.aliases !== undefined && (!Array.isArray(provider.aliases) || !provider.aliases.every((a) => typeof a === 'string' && a !== ''))) {
        throw new NephoError('PLUGIN_INVALID', `plugin '${spec}': provider '${provider.name}': aliases must be a list of names`);
      }
      for (const alias of provider.aliases ?? []) {
        const owner = providerNamed(providers, alias);
        if (owner)
          throw new NephoError('PLUGIN_INVALID', `plugin '${spec}': provider '${provider.name}': the name '${alias}' is already provider '${owner.name}'`);
      }
      providers.push(provider);
    }
    for (const provisioner of plugin.provisioners ?? []) {
      checkApiVersion(spec, `provisioner '${provisioner?.type}'`, provisioner);
      if (typeof provisioner?.render !== 'function')
        throw new NephoError('PLUGIN_INVALID', `plugin '${spec}': provisioner '${provisioner?.type}' has no render()`);
      if (provisioners.some((p) => p.type === provisioner.type)) {
        throw new NephoError('PLUGIN_INVALID', `plugin '${spec}': provisioner '${provisioner.type}' is already provided`);
      }
      provisioners.push(provisioner);
    }
  }
  return { providers, provisioners };
}

/** A plugin must say which version of the contract it implements, and it must be one nepho speaks. */
function checkApiVersion(spec: string, what: string, part: { apiVersion?: unknown } | undefined): void {
  const version = part?.apiVersion;
  if (version === PROVIDER_API_VERSION) return;
  throw new NephoError(
    'PLUGIN_INCOMPATIBLE',
    `plugin '${spec}': ${what} ${version === undefined ? 'declares no apiVersion' : `implements apiVersion ${JSON.stringify(version)}`}; this nepho speaks apiVersion ${PROVIDER_API_VERSION}`,
    {
      hint:
        version === undefined || (typeof version === 'number' && version < PROVIDER_API_VERSION)
          ? 'update the plugin, or add apiVersion: 1 to it if it was written for this contract'
          : 'update nepho',
    },
  );
}

/** The provider `name` is the name or an alias of, if any. */
function providerNamed(providers: readonly Provider[], name: string): Provider | undefined {
  return providers.find((p) => p.name === name) ?? providers.find((p) => p.aliases?.includes(name));
}

/** A provider by name or alias, or an error listing the known ones. */
export function findProvider(registry: PluginRegistry, name: string, what = '--provider'): Provider {
  const provider = providerNamed(registry.providers, name);
  if (!provider) {
    throw new NephoError('UNKNOWN_PROVIDER', `${what} '${name}' is not a known provider`, {
      hint: `known providers: ${registry.providers.map((p) => p.name).join(', ')}`,
    });
  }
  return provider;
}

/** A provider that sets up credentials. */
export type Registrar = Provider & Required<Pick<Provider, 'register'>>;

/**
 * The provider `nepho register` sets up: the one `--provider` names, else
 * the only one that sets up credentials at all. One that needs none is
 * refused with its own word on why.
 */
export function registrarFor(registry: PluginRegistry, name: string | undefined): Registrar {
  const registrars = registry.providers.filter((p): p is Registrar => typeof p.register === 'function');
  // Shown as people call them (the cloud rather than one of its services): the first alias, when there is one.
  const names = registrars.map((p) => p.aliases?.[0] ?? p.name);
  if (name === undefined) {
    if (registrars.length === 1) return registrars[0]!;
    if (registrars.length === 0) throw new NephoError('BAD_ARGUMENT', 'no provider here needs credentials; nothing to register');
    throw new NephoError('BAD_ARGUMENT', `--provider: ${names.join(', ')} all take credentials; name one`, { hint: `for example --provider ${names[0]}` });
  }
  const provider = findProvider(registry, name);
  if (typeof provider.register === 'function') return provider as Registrar;
  const needing = names.length === 0 ? 'no provider here needs credentials' : `only ${names.join(', ')} ${names.length === 1 ? 'needs' : 'need'} credentials`;
  throw new NephoError('BAD_ARGUMENT', `--provider '${name}': ${needing}`, {
    hint: provider.noCredentials ?? `${provider.name} takes no credentials from nepho`,
  });
}

/** A provider or provisioner as `nepho version` reports it. */
export interface PluginInfo {
  /** A provider's name, or a provisioner's type. */
  name: string;
  description: string;
  /** Shipped with nepho, rather than loaded from a plugin config.yaml names. */
  builtin: boolean;
}

/** The providers and provisioners found for this home: the built-ins, then those plugins add. */
export async function pluginInventory(home: NephoHome): Promise<{ providers: PluginInfo[]; provisioners: PluginInfo[] }> {
  const registry = await configuredPlugins(home);
  const builtin = builtinPlugins();
  return {
    providers: registry.providers.map((p) => ({ name: p.name, description: p.description, builtin: builtin.providers.includes(p) })),
    provisioners: registry.provisioners.map((p) => ({ name: p.type, description: p.description, builtin: builtin.provisioners.includes(p) })),
  };
}
