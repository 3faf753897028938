import { Category } from './base.js';
import { FormationCreateCommand } from './formation/create.js';
import { FormationDestroyCommand } from './formation/destroy.js';
import { FormationOpenCommand } from './formation/open.js';
import { FormationSshCommand } from './formation/ssh.js';

// The shortcut commands of the product guide: the same commands under one word, listed in
// help under their own heading. They share every option with the full form.

/** `create`: `formation:create`. */
export class CreateShortcut extends FormationCreateCommand {
  static override paths = [['create']];
  static override usage = {
    ...FormationCreateCommand.usage,
    category: Category.shortcut,
    description: 'Create a new formation from a scenario (formation:create)',
  };
}

/** `destroy`: `formation:destroy`. */
export class DestroyShortcut extends FormationDestroyCommand {
  static override paths = [['destroy']];
  static override usage = { ...FormationDestroyCommand.usage, category: Category.shortcut, description: 'Destroy a running formation (formation:destroy)' };
}

/** `open`: `formation:open`. */
export class OpenShortcut extends FormationOpenCommand {
  static override paths = [['open']];
  static override usage = { ...FormationOpenCommand.usage, category: Category.shortcut, description: "Open the formation's URL in a browser (formation:open)" };
}

/** `ssh`: `formation:ssh`. */
export class SshShortcut extends FormationSshCommand {
  static override paths = [['ssh']];
  static override usage = {
    ...FormationSshCommand.usage,
    category: Category.shortcut,
    description: "Connect to the formation's host, through its bastion (formation:ssh)",
  };
}
