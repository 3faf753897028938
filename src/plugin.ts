/**
 * `nepho/plugin`: what a provider or provisioner plugin package builds
 * against. Its types are the contract (see ./providers/types.ts); at run time
 * it holds only the contract's version. A plugin may import it for types
 * alone (`import type { Provider } from 'nepho/plugin'`): nepho loads
 * plugins from their own directory, where nepho itself need not resolve.
 */
export * from './providers/types.js';
