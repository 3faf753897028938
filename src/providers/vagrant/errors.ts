import type { ErrorEntry } from '../../errors.js';

/**
 * Every code only the vagrant provider throws, with the same rules as the
 * core catalogue (src/errors.ts): a released code is never renamed, removed
 * or given another meaning. NephoError does not look hints up here (the
 * start-up bundle knows no provider), so every place that throws a code with
 * a hint below gives one of its own. Plain data.
 */
export const PROVIDER_ERRORS = {
  FORMATION_CHANGED: {
    meaning: "the formation's files or its cloudlet changed between the preview and the update",
  },
  FORMATION_WRITE_FAILED: {
    meaning: "the formation's new files could not be written into its directory",
  },
  PATTERN_INVALID: {
    meaning: 'a Vagrantfile pattern uses an unknown placeholder, an unknown parameter, or a secret one',
    hint: 'a pattern may use {{parameters.NAME}} for parameters that are not secret, and {{formation.name}}',
  },
  VAGRANTFILE_INVALID: {
    meaning: 'vagrant rejected the Vagrantfile rendered from the pattern',
    hint: 'fix the pattern the Vagrantfile was rendered from; the rendered file is kept to look at',
  },
  VAGRANTFILE_MISSING: {
    meaning: "the formation's rendered Vagrantfile is no longer in its directory",
  },
  VAGRANTFILE_OUTDATED: {
    meaning: "the formation's Vagrantfile was written by an older nepho without the provisioning run nepho needs",
  },
  VAGRANT_BOX_MISSING: {
    meaning: 'the box the Vagrantfile names is not installed and could not be fetched',
    hint: "add it with vagrant box add, or give box_url in the scenario's providers.vagrant settings",
  },
  VAGRANT_FAILED: {
    meaning: 'a vagrant command could not run, or failed for a reason given in the message',
  },
  VAGRANT_NOT_FOUND: {
    meaning: 'the vagrant program is not on PATH',
    hint: 'install Vagrant and a provider such as VirtualBox',
  },
  VAGRANT_NO_PROVIDER: {
    meaning: 'vagrant has no usable provider (VirtualBox, libvirt, VMware, Hyper-V, Docker) on this machine',
    hint: 'install VirtualBox, or another provider and set VAGRANT_DEFAULT_PROVIDER to it',
  },
  VAGRANT_PLUGIN_MISSING: {
    meaning: 'the scenario names a Vagrant provider whose plugin is not installed',
  },
  VAGRANT_PROVIDER_UNUSABLE: {
    meaning: 'the Vagrant provider in use is installed but cannot run here',
    hint: 'make that provider usable, or choose another with VAGRANT_DEFAULT_PROVIDER',
  },
} as const satisfies Record<string, ErrorEntry>;
