import { BlueprintApplyCommand } from './blueprint/apply.js';
import { BlueprintDescribeCommand } from './blueprint/describe.js';
import { BlueprintDestroyCommand } from './blueprint/destroy.js';
import { BlueprintListCommand } from './blueprint/list.js';
import { BlueprintStatusCommand } from './blueprint/status.js';
import { BlueprintWatchCommand } from './blueprint/watch.js';
import { CloudletCreateCommand } from './cloudlet/create.js';
import { CloudletDescribeCommand } from './cloudlet/describe.js';
import { CloudletInstallCommand } from './cloudlet/install.js';
import { CloudletLintCommand } from './cloudlet/lint.js';
import { CloudletListCommand } from './cloudlet/list.js';
import { CloudletOutdatedCommand } from './cloudlet/outdated.js';
import { CloudletSearchCommand } from './cloudlet/search.js';
import { CloudletUninstallCommand } from './cloudlet/uninstall.js';
import { CloudletUpdateCommand } from './cloudlet/update.js';
import { CloudletVerifyCommand } from './cloudlet/verify.js';
import { FormationCreateCommand } from './formation/create.js';
import { FormationDescribeCommand } from './formation/describe.js';
import { FormationDestroyCommand } from './formation/destroy.js';
import { FormationDriftCommand } from './formation/drift.js';
import { FormationHistoryCommand } from './formation/history.js';
import { FormationListCommand } from './formation/list.js';
import { FormationOpenCommand } from './formation/open.js';
import { FormationProvisionCommand } from './formation/provision.js';
import { FormationSshCommand } from './formation/ssh.js';
import { FormationUpdateCommand } from './formation/update.js';
import { FormationWatchCommand } from './formation/watch.js';
import { ParameterGetCommand } from './parameter/get.js';
import { ParameterListCommand } from './parameter/list.js';
import { ParameterSetCommand } from './parameter/set.js';
import { ParameterUnsetCommand } from './parameter/unset.js';
import { RegistryAddCommand } from './registry/add.js';
import { RegistryBuildCommand } from './registry/build.js';
import { RegistryKeygenCommand } from './registry/keygen.js';
import { RegistryListCommand } from './registry/list.js';
import { RegistryRemoveCommand } from './registry/remove.js';
import { RegistryServeCommand } from './registry/serve.js';
import { RegistryUpdateCommand } from './registry/update.js';
import { ScenarioDescribeCommand } from './scenario/describe.js';
import { ScenarioListCommand } from './scenario/list.js';
import { RegisterCommand } from './register.js';
import { RemoteAddCommand } from './remote/add.js';
import { RemoteListCommand } from './remote/list.js';
import { RemoteRemoveCommand } from './remote/remove.js';
import { RemoteUseCommand } from './remote/use.js';
import { ServerCommand } from './server/serve.js';
import { ServerTokenCreateCommand } from './server/token-create.js';
import { ServerTokenListCommand } from './server/token-list.js';
import { ServerTokenRevokeCommand } from './server/token-revoke.js';
import { CreateShortcut, DestroyShortcut, OpenShortcut, SshShortcut } from './shortcuts.js';

/** Every command nepho registers (help sorts them within each category). */
export const commands = [
  CloudletSearchCommand,
  CloudletDescribeCommand,
  CloudletInstallCommand,
  CloudletListCommand,
  CloudletUpdateCommand,
  CloudletOutdatedCommand,
  CloudletVerifyCommand,
  CloudletUninstallCommand,
  CloudletCreateCommand,
  CloudletLintCommand,
  RegistryListCommand,
  RegistryAddCommand,
  RegistryRemoveCommand,
  RegistryUpdateCommand,
  RegistryBuildCommand,
  RegistryServeCommand,
  RegistryKeygenCommand,
  ScenarioListCommand,
  ScenarioDescribeCommand,
  FormationCreateCommand,
  FormationListCommand,
  FormationDescribeCommand,
  FormationDestroyCommand,
  FormationUpdateCommand,
  FormationProvisionCommand,
  FormationDriftCommand,
  FormationHistoryCommand,
  FormationWatchCommand,
  FormationOpenCommand,
  FormationSshCommand,
  BlueprintListCommand,
  BlueprintDescribeCommand,
  BlueprintApplyCommand,
  BlueprintStatusCommand,
  BlueprintWatchCommand,
  BlueprintDestroyCommand,
  ServerCommand,
  ServerTokenCreateCommand,
  ServerTokenListCommand,
  ServerTokenRevokeCommand,
  RemoteAddCommand,
  RemoteListCommand,
  RemoteUseCommand,
  RemoteRemoveCommand,
  RegisterCommand,
  ParameterSetCommand,
  ParameterGetCommand,
  ParameterListCommand,
  ParameterUnsetCommand,
  CreateShortcut,
  DestroyShortcut,
  OpenShortcut,
  SshShortcut,
];
