/** The provisioner side of the plugin contract lives with the provider side, in one module. */
export type { BootstrapInput, Provisioner, RenderedBootstrap } from '../providers/types.js';
