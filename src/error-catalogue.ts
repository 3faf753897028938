import { CATALOGUE, type ErrorCode, type ErrorEntry, type NephoError } from './errors.js';

/**
 * Every code nepho's core throws. Codes are part of nepho's interface, as
 * berry's MessageName is of Yarn's: once released, a code is never renamed,
 * removed or given another meaning; a new situation gets a new code. Codes
 * only a provider throws live in that provider's own catalogue
 * (`src/providers/<name>/errors.ts`); one thrown both by a provider and
 * outside the providers belongs here, under a name that fits every provider.
 * Plain data, kept out of the start-up bundle: the command line loads it
 * when it shows an error (loadErrorCatalogue in src/errors.ts), the rest of
 * nepho imports it where it records or sends an error (errorData).
 */
export const ERRORS = {
  AMBIGUOUS_CLOUDLET: {
    meaning: 'a cloudlet named without its owner matches more than one cloudlet',
    hint: 'name it as owner/name',
  },
  BAD_ARGUMENT: {
    meaning: 'an argument or option has a value the command does not accept, or goes with one it cannot go with',
    hint: 'nepho COMMAND --help says what each argument and option accepts',
  },
  BAD_BLUEPRINT_NAME: {
    meaning:
      "a blueprint name, or the name a blueprint is applied under, is not lowercase letters, digits and '-' (with '.' and '_' for blueprint files), or makes a formation name that is too long",
  },
  BAD_CLOUDLET_NAME: {
    meaning: 'a cloudlet name is not owner/name (lowercase letters, digits and "-"), nor a git URL or path where one is accepted',
    hint: 'for example huit/mediawiki',
  },
  BAD_FORMATION_NAME: {
    meaning: 'a formation name is not lowercase letters, digits and "-", starting with a letter (at most 63 characters)',
  },
  BAD_PARAMETER: {
    meaning: 'a parameter value has the wrong type or breaks a constraint its scenario declares',
    hint: 'nepho scenario:describe CLOUDLET/SCENARIO lists each parameter with its type and constraints',
  },
  BAD_RANGE: {
    meaning: 'the version asked for after "@" in a cloudlet name is not a semver range',
    hint: 'for example 0.7.2, ^0.7 or >=1.0.0 <2',
  },
  BAD_REGISTRY_NAME: {
    meaning: 'a registry name is malformed, or is that of the built-in registry, which cannot be replaced or removed',
  },
  BAD_SCENARIO_NAME: {
    meaning: "a scenario name is not lowercase letters, digits, '.', '_' and '-'",
  },
  BAD_URL: {
    meaning: 'a URL cannot be parsed, or uses a scheme nepho does not fetch from',
    hint: 'use https://, http:// or file://',
  },
  BLUEPRINT_BUSY: {
    meaning: 'another nepho process is applying or destroying the same blueprint',
    hint: 'follow it with nepho blueprint:watch NAME, then try again',
  },
  BLUEPRINT_CHANGED: {
    meaning: 'a blueprint entry now names another cloudlet, scenario, provider, region or profile than its formation was created with; a formation cannot move',
    hint: 'destroy the formation first (nepho formation:destroy NAME), or give the entry a new name and apply with --prune',
  },
  BLUEPRINT_CYCLE: {
    meaning: "a blueprint's formations wait for each other in a circle (through depends_on or output references)",
    hint: 'a formation can only read the outputs of, or depend on, formations that do not wait for it',
  },
  BLUEPRINT_EXISTS: {
    meaning: 'the name a blueprint is applied under is already used by another blueprint, or one of its formation names by a formation outside it',
    hint: 'choose another --name',
  },
  BLUEPRINT_FAILED: {
    meaning: 'some formations of a blueprint failed (and those that depend on them were skipped); the others were carried out',
    hint: 'fix what the table says, then run the same command again: it continues from where the blueprint stands',
  },
  BLUEPRINT_INTERRUPTED: {
    meaning: "the process carrying a blueprint's apply or destroy stopped before the end",
    hint: "nepho formation:watch NAME picks up a formation's own operation; apply the blueprint again to continue",
  },
  BLUEPRINT_INVALID: {
    meaning: 'a blueprint file (blueprints/NAME.yaml of a cloudlet) is not valid YAML or does not follow the blueprint format',
  },
  BLUEPRINT_NOT_APPLIED: {
    meaning: 'no blueprint has been applied under this name on this machine',
    hint: 'apply one with nepho blueprint:apply CLOUDLET/BLUEPRINT --name NAME',
  },
  BLUEPRINT_NOT_FOUND: {
    meaning: 'the cloudlet has no blueprint of that name',
    hint: 'nepho blueprint:list CLOUDLET lists its blueprints',
  },
  BLUEPRINT_OUTPUT_MISSING: {
    meaning: 'a formation a blueprint entry reads an output of does not have that output now',
    hint: 'nepho formation:describe NAME shows the outputs it has',
  },
  BLUEPRINT_REFERENCE: {
    meaning: 'a blueprint entry names another entry that does not exist, or reads an output its pattern does not declare',
  },
  BOOTSTRAP_INVALID: {
    meaning: "the scenario's bootstrap script is not a text file",
  },
  BOOTSTRAP_MISSING: {
    meaning: "the bootstrap script the scenario's provisioner names cannot be read",
  },
  CANCELLED: {
    meaning: 'the user said no at a prompt; nothing was changed',
  },
  CLOUDLET_BUSY: {
    meaning: 'another nepho process is installing, updating or removing the same cloudlet',
    hint: 'wait for it to finish, then try again',
  },
  CLOUDLET_DAMAGED: {
    meaning: "an installed cloudlet's install record or develop link is missing or damaged",
    hint: 'reinstall it: nepho cloudlet:uninstall --force --yes OWNER/NAME, then cloudlet:install',
  },
  CLOUDLET_INVALID: {
    meaning: "a cloudlet's cloudlet.yaml, default scenario or content is not what nepho expects, or does not match its registry entry",
  },
  CLOUDLET_IN_USE: {
    meaning: 'a cloudlet to be removed is used by formations that still exist',
    hint: 'destroy them first, or pass --force to remove the cloudlet anyway',
  },
  CLOUDLET_MODIFIED: {
    meaning: "an installed cloudlet's files were edited since it was installed",
    hint: 'nepho cloudlet:verify lists the edits; --force discards them',
  },
  CLOUDLET_NOT_FOUND: {
    meaning: 'no registry lists the cloudlet, or the directory to lint does not exist',
  },
  CLOUDLET_NOT_INSTALLED: {
    meaning: 'the cloudlet named is not installed',
    hint: 'see nepho cloudlet:list, or install it with nepho cloudlet:install',
  },
  CLOUDLET_UNTRUSTED: {
    meaning:
      'a cloudlet installed from a signed registry is no longer vouched for: the key that verified it is not trusted for that registry any more, or the registry no longer pins the installed version to the same commit',
    hint: 'check the registry with its maintainers; nepho cloudlet:install --force NAME installs what the registry vouches for now',
  },
  CLOUDLET_UNPUBLISHED: {
    meaning: 'a formation is to be made through a team server from a cloudlet installed from a directory or without a commit, which the server cannot install',
    hint: 'install the cloudlet from a registry the server uses (nepho cloudlet:install OWNER/NAME), or pass --local to create it on this machine',
  },
  CLOUDLET_UPDATE_FAILED: {
    meaning: 'one or more cloudlets could not be updated; the others were',
  },
  COMMIT_MISMATCH: {
    meaning: 'a tag points at another commit than the one a registry pins, or moved while a registry was built',
  },
  COMMIT_UNVERIFIED: {
    meaning:
      'a server was asked to deploy a cloudlet at a commit that none of its registries lists for that cloudlet, so it cannot check what it would install',
    hint: 'publish that commit as a version in a registry the server is configured with, or deploy a version it lists',
  },
  CONFIG_BUSY: {
    meaning: 'another nepho process kept config.yaml locked for too long',
    hint: 'try again',
  },
  CONFIG_INVALID: {
    meaning: "nepho's config.yaml is not valid YAML or has a field of the wrong shape",
    hint: 'fix the file or move it away to start afresh',
  },
  CONFIG_UNREADABLE: {
    meaning: "nepho's config.yaml exists but cannot be read",
    hint: "check the file's permissions",
  },
  CONFIRMATION_REQUIRED: {
    meaning: 'an operation needs a yes and there is no terminal to ask on',
    hint: 'pass --yes to confirm',
  },
  CREATE_FAILED: {
    meaning: "the provider ran a formation's create and it ended in failure",
    hint: 'nepho formation:describe NAME shows what is left',
  },
  DATABASE_BUSY: {
    meaning: "the server's embedded database is open in another process (a running nepho server, or a token command)",
    hint: 'stop that process first, or give every process the same --database postgres:// URL',
  },
  DATABASE_TOO_NEW: {
    meaning: "the server's database was migrated by a newer nepho than this one",
  },
  DATABASE_UNAVAILABLE: {
    meaning: "the server's database cannot be reached or opened",
    hint: 'check --database (or DATABASE_URL): host, port, user and database name, and that Postgres runs',
  },
  DESTROY_FAILED: {
    meaning: "the provider ran a formation's destroy and it ended in failure",
    hint: 'nepho formation:describe NAME shows what is left',
  },
  DIGEST_MISMATCH: {
    meaning: "a fetched cloudlet's content is not what its registry published; nothing was installed",
  },
  DIRECTORY_NOT_EMPTY: {
    meaning: 'the directory to create a cloudlet in already holds something',
    hint: 'choose another --directory, or empty it first',
  },
  DRIFT_UNSUPPORTED: {
    meaning: "the formation's provider cannot detect drift",
  },
  DUPLICATE_CLOUDLET: {
    meaning: 'two sources of a registry build give the same cloudlet',
    hint: 'give each cloudlet one source, or use another --owner',
  },
  FILE_MISSING: {
    meaning: 'a file nepho needs (such as cloudlet.yaml) does not exist',
  },
  FILE_UNREADABLE: {
    meaning: 'a file nepho needs exists but cannot be read',
  },
  FORMATION_BUSY: {
    meaning: 'another operation is under way on the formation',
    hint: 'wait for it to finish: nepho formation:watch NAME',
  },
  FORMATION_CONFLICT: {
    meaning: "the provider already holds something under the formation's name that nepho must not touch",
  },
  FORMATION_EXISTS: {
    meaning: 'a formation of that name is already recorded on this machine',
    hint: 'choose another --name, or destroy it first',
  },
  FORMATION_GONE: {
    meaning: 'the provider no longer has a formation that nepho has a record of',
    hint: 'remove the record with nepho formation:destroy NAME',
  },
  FORMATION_NOT_FOUND: {
    meaning: 'no formation of that name is recorded or found',
    hint: 'see nepho formation:list',
  },
  GIT_FAILED: {
    meaning: 'git failed on a local repository (init, checkout, commit, or resolving a ref)',
  },
  GIT_FETCH_FAILED: {
    meaning: 'git could not fetch the ref or commit asked for from the repository',
    hint: 'check the URL and the ref, and that git ls-remote URL works from this machine',
  },
  HOME_UNUSABLE: {
    meaning: '$NEPHO_HOME, or a folder in it, cannot be used: a file in the way, not writable, or on a special filesystem',
    hint: 'point NEPHO_HOME at a directory of your own',
  },
  HTTP_FAILED: {
    meaning: 'a URL could not be fetched (network error) or a file:// URL could not be read',
    hint: 'check the network and the URL',
  },
  HTTP_STATUS: {
    meaning: 'a server answered with an HTTP error status',
  },
  HTTP_TIMEOUT: {
    meaning: 'a server did not answer within http.timeout seconds',
    hint: 'check the network, or raise http.timeout in config.yaml',
  },
  HTTP_TOO_LARGE: {
    meaning: 'a download is larger than http.max_bytes allows',
    hint: 'raise http.max_bytes in config.yaml if this is expected',
  },
  INSTALL_FAILED: {
    meaning: 'a fetched cloudlet could not be moved or linked into place; what was installed before is kept',
  },
  INTERRUPTED: {
    meaning: 'Ctrl-C at a prompt: nepho stopped before writing anything (exit status 130)',
  },
  KEY_EXISTS: {
    meaning: 'registry:keygen would overwrite a key file; keys are never overwritten',
    hint: 'choose another --out directory, or move the old key away first',
  },
  LEASE_LOST: {
    meaning: 'a server replica stopped renewing its lease on an operation (it stalled or lost the database) and another replica took the operation over',
  },
  LINT_FAILED: {
    meaning: 'cloudlet:lint found problems (listed above the error)',
    hint: 'fix each FILE: FIELD above, then run nepho cloudlet:lint again',
  },
  MISSING_PARAMETERS: {
    meaning: 'parameters without a value or default, and no way to ask for them',
    hint: 'supply them with -p KEY=VALUE or --params-file FILE',
  },
  NANNY_CRASHED: {
    meaning: 'the background process carrying an operation crashed (a bug in nepho or a plugin)',
  },
  NANNY_DIED: {
    meaning: 'the background process carrying an operation stopped before it finished',
  },
  NANNY_FAILED: {
    meaning: 'the background process for an operation exited before it started',
    hint: "see nanny.log in the formation's directory, or run with --foreground",
  },
  NEPHO_INCOMPATIBLE: {
    meaning: 'a cloudlet needs a version of nepho other than this one',
    hint: 'upgrade nepho or install an older version of the cloudlet',
  },
  NO_MATCHING_VERSION: {
    meaning: 'the registry has no version of the cloudlet in the range asked for',
  },
  NO_OPERATION: {
    meaning: 'the formation has no operation to watch',
    hint: 'see nepho formation:list',
  },
  NO_PROVISIONER: {
    meaning: "the formation's scenario has no provisioner, so there is no bootstrap to run again",
  },
  NO_SSH: {
    meaning: "the formation's scenario declares no access.ssh, so nepho cannot tell how to log in",
  },
  NO_URL: {
    meaning: "the formation's scenario declares no access.url, so there is nothing to open",
  },
  OPERATION_CRASHED: {
    meaning: 'an operation failed in an unexpected way (a bug in nepho or a plugin)',
  },
  OPERATION_INTERRUPTED: {
    meaning:
      "the server carrying an operation stopped before the provider had it; secret values are kept only in that server's memory, so the operation cannot go on",
    hint: 'send the operation again, with its parameters (secrets included)',
  },
  OPERATION_LOST: {
    meaning: "an operation's journal ended without saying how it ended",
  },
  OUT_UNWRITABLE: {
    meaning: 'the directory given with --out, or a file under it, could not be created or written',
  },
  OWNER_UNKNOWN: {
    meaning: "a registry build cannot tell a cloudlet's owner from its repository URL",
    hint: 'pass --owner OWNER',
  },
  PARAMETER_NOT_SAVED: {
    meaning: 'no saved value of that parameter applies',
    hint: 'nepho parameter:list shows the saved values',
  },
  PARAMS_FILE: {
    meaning: 'the --params-file cannot be read, or is not a YAML or JSON mapping of parameter names to values',
  },
  PATH_NOT_FOUND: {
    meaning: 'a directory given on the command line does not exist',
  },
  PATH_UNREADABLE: {
    meaning: 'a cloudlet directory given as a path could not be copied',
  },
  PATTERN_MISSING: {
    meaning: 'the pattern file a scenario names for a provider is not in the cloudlet',
  },
  PLUGIN_INCOMPATIBLE: {
    meaning: 'a plugin implements another version of the provider or provisioner contract than this nepho',
  },
  PLUGIN_INVALID: {
    meaning: 'a plugin failed to load, or does not export the providers and provisioners it should',
  },
  PLUGIN_NOT_FOUND: {
    meaning: 'a plugin named in config.yaml is neither a file nor an installed package',
  },
  PORT_IN_USE: {
    meaning: 'the port to serve a registry on is taken',
    hint: 'pass --port with another port, or --port 0 for any free one',
  },
  PROVISION_FAILED: {
    meaning: "the provider ran a formation's provisioning and it ended in failure",
    hint: 'nepho formation:describe NAME shows what is left',
  },
  RECORD_INVALID: {
    meaning: "a formation's record on this machine is damaged",
    hint: 'restore it, or remove the directory if the formation is gone',
  },
  RECOVERY_FAILED: {
    meaning: 'an operation whose process died could not be followed from the provider (a bug in nepho or a plugin)',
  },
  REGISTRY_CACHE: {
    meaning: "the cached copy of a registry's index cannot be read",
    hint: 'run nepho registry:update',
  },
  REGISTRY_EMPTY: {
    meaning: 'a registry build found no cloudlet version in any source; nothing was written',
    hint: 'tag releases v<version> and check the warnings above',
  },
  REGISTRY_EXISTS: {
    meaning: 'a registry of that name is already configured',
    hint: 'remove it first with nepho registry:remove NAME',
  },
  REGISTRY_EXPIRED: {
    meaning:
      'the newest verified index of a signed registry is past its expires date (a registry, mirror or proxy serving a stale index): installs from it are refused, search still works',
    hint: 'run nepho registry:update; if it stays expired, tell the registry maintainers',
  },
  REGISTRY_INVALID: {
    meaning: "a registry's index is not valid; the previous copy, if any, is kept",
    hint: "tell the registry's maintainers",
  },
  REGISTRY_KEY_INVALID: {
    meaning: 'a registry key (--key, --sign, --next-key, --previous-key, or the built-in registry key) is not an Ed25519 key nepho can use',
    hint: 'make a key pair with nepho registry:keygen --out DIR; give registry.pub to --key and registry.key to --sign',
  },
  REGISTRY_NOT_BUILT: {
    meaning: 'the directory to serve holds no registry index',
    hint: 'build one with registry:build SOURCE... --out DIR',
  },
  REGISTRY_NOT_FOUND: {
    meaning: 'no registry of that name is configured',
    hint: 'see nepho registry:list',
  },
  REGISTRY_ROLLBACK: {
    meaning: 'a signed registry served an index older than one already verified (a rollback); it is refused and the previous copy kept',
    hint: 'tell the registry maintainers: a mirror or proxy may be serving an old index',
  },
  REGISTRY_SIGNATURE_INVALID: {
    meaning:
      'a signed registry index does not verify with the key pinned for it (changed after signing, or signed with another key); it is refused and the previous copy kept',
    hint: 'tell the registry maintainers; if they changed keys, check the new key with them, then registry:remove and registry:add --key',
  },
  REGISTRY_SIGNATURE_MISSING: {
    meaning: 'a registry whose key is pinned served its index without a signature (index.json.sig); it is refused and the previous copy kept',
    hint: 'tell the registry maintainers: they sign with registry:build --sign',
  },
  REGISTRY_UNVERIFIED: {
    meaning: 'a signed registry cached index has not been verified with its pinned key (the key was added to config.yaml by hand)',
    hint: 'run nepho registry:update',
  },
  REGISTRY_UPDATE_FAILED: {
    meaning: 'one or more registries could not be updated',
  },
  REMOTE_EXISTS: {
    meaning: 'a remote of that name is already known',
  },
  REMOTE_NOT_FOUND: {
    meaning: 'no remote (team server) of that name is known on this machine',
    hint: 'nepho remote:list shows the remotes; nepho remote:add NAME URL --token-stdin adds one',
  },
  RENDER_INVALID: {
    meaning: 'a provider rendered a file outside the --out directory (a bug in the provider)',
  },
  SCENARIO_CYCLE: {
    meaning: "a scenario's extends chain leads back to itself",
  },
  SCENARIO_INVALID: {
    meaning: 'a scenario file, or the parameters its layers declare, is not valid',
  },
  SCENARIO_NOT_FOUND: {
    meaning: 'the cloudlet has no scenario of that name',
  },
  SECRET_NOT_SAVED: {
    meaning: 'a secret parameter cannot be saved',
    hint: 'pass it with -p or type it at the prompt when you create a formation',
  },
  SECRET_SAVED: {
    meaning: 'a value is saved for a secret parameter, and secrets are never read from saved values',
    hint: 'remove it with nepho parameter:unset KEY',
  },
  SERVER_FAILED: {
    meaning: 'the team server could not start: its address cannot be listened on, or its TLS certificate and key cannot be used',
  },
  SERVER_FORBIDDEN: {
    meaning: "the team server refused the request: the token's role may not do it (a viewer running an operation)",
    hint: 'ask an admin of the server for a token with that role',
  },
  SERVER_REFUSED: {
    meaning: "the team server refused a request for a reason nepho has no code of its own for (the server's message says why)",
  },
  SERVER_TOKEN_MISSING: {
    meaning: 'NEPHO_SERVER names a team server but no token for it is set',
    hint: 'set NEPHO_TOKEN, or add the server with nepho remote:add NAME URL --token-stdin',
  },
  SERVER_UNAUTHENTICATED: {
    meaning: 'the team server does not know the token sent, or it was revoked',
    hint: 'give the remote a valid token: nepho remote:add NAME URL --token-stdin --replace',
  },
  SERVER_UNSUPPORTED: {
    meaning: 'an option only makes sense on this machine and a team server is in use (--foreground, a local ssh key)',
    hint: 'pass --local to act on this machine, or leave the option out',
  },
  SERVE_FAILED: {
    meaning: 'the registry server could not listen on its port',
  },
  SSH_INVALID: {
    meaning: "a formation's access.ssh setting or an ssh path is not something nepho can safely hand to ssh",
  },
  SSH_NOT_FOUND: {
    meaning: 'the ssh program is not installed',
    hint: 'install the OpenSSH client, or use --print to see the command',
  },
  SSH_NOT_READY: {
    meaning: "a value access.ssh needs is not among the formation's outputs yet",
  },
  TOKEN_EXISTS: {
    meaning: 'a server token with that name already exists and has not been revoked',
    hint: 'revoke it first, or choose another name',
  },
  TOKEN_NOT_FOUND: {
    meaning: 'no live server token has that name',
    hint: 'see nepho server:token:list',
  },
  UNKNOWN_COMMAND: {
    meaning: 'the command line names a command nepho does not have (exit status 2)',
    hint: 'nepho help lists every command',
  },
  UNKNOWN_OPTION: {
    meaning: 'the command line gives a command an option it does not have (exit status 2)',
    hint: 'nepho COMMAND --help lists its options',
  },
  UNKNOWN_PARAMETER: {
    meaning: 'a parameter is given that the scenario does not declare',
  },
  UNKNOWN_PROVIDER: {
    meaning: 'no installed provider has that name, or the scenario has no pattern for it',
  },
  UNKNOWN_PROVISIONER: {
    meaning: "no installed provisioner has the type a scenario's provisioner names",
  },
  UNSAFE_GIT_URL: {
    meaning: 'a git URL uses a transport nepho refuses, or could be read by git as an option',
    hint: 'use https://, ssh://, git://, file:// or user@host:path',
  },
  UNSAFE_REF: {
    meaning: 'a git ref could be read as an option or a path trick',
    hint: 'name a tag, a branch or a commit id',
  },
  UNSAFE_SYMLINK: {
    meaning: "a cloudlet's symbolic link points outside the cloudlet",
    hint: 'a cloudlet may only link to files inside itself',
  },
  UPDATE_FAILED: {
    meaning: "the provider ran a formation's update and it ended in failure",
    hint: 'nepho formation:describe NAME shows what is left',
  },
  UPDATE_UNSUPPORTED: {
    meaning: "the formation's provider cannot update formations in place",
    hint: 'destroy the formation and create it again',
  },
  URL_INVALID: {
    meaning: "a formation's access.url, filled in, is not an http or https URL",
  },
  URL_NOT_READY: {
    meaning: "a value access.url needs is not among the formation's outputs yet",
  },
  USAGE: {
    meaning: 'the command line has too few or too many arguments for its command (exit status 2)',
    hint: 'nepho COMMAND --help shows its usage',
  },
} as const satisfies Record<string, ErrorEntry>;

// Registered where every copy of NephoError looks (see catalogueHint in
// src/errors.ts): the start-up bundle and the modules loaded on demand each
// carry their own copy of that module, but the process has one catalogue.
(globalThis as { [CATALOGUE]?: Readonly<Record<string, ErrorEntry>> })[CATALOGUE] = ERRORS;

/**
 * `error` as nepho records and sends it (journal, nanny, server): its code,
 * message and hint, the catalogue's hint when the thrower gave none.
 */
export function errorData(error: NephoError): { code: ErrorCode; message: string; hint?: string } {
  const hint = error.hint;
  return { code: error.code, message: error.message, ...(hint === undefined ? {} : { hint }) };
}
