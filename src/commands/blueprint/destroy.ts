import { Option } from 'clipanion';
import { Category } from '../base.js';
import { inMode } from '../formation/terminal.js';
import { BlueprintRunCommand, renderBlueprintResult } from './terminal.js';

/** `blueprint:destroy NAME`. */
export class BlueprintDestroyCommand extends BlueprintRunCommand {
  static override paths = [['blueprint:destroy'], ['blueprint', 'destroy']];
  static override usage = BlueprintRunCommand.Usage({
    category: Category.blueprint,
    description: 'Destroy every formation of an applied blueprint, in reverse dependency order',
    details: `
      A formation is destroyed once every formation that depends on it is gone; independent ones go in parallel (--parallel, default 4).
      On a terminal nepho asks first; elsewhere pass --yes. A formation whose destroy fails keeps those it depends on (skipped), and the
      exit status is 1; running it again continues. Once every formation is gone, the blueprint's record goes; its journal stays.
    `,
    examples: [
      ['Destroy', '$0 blueprint:destroy shop'],
      ['Without asking, in the background', '$0 blueprint:destroy shop -y --detach'],
    ],
  });

  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const { bp, out, ctx, io, parallel, mode } = await this.prepare();
    const request = { kind: 'destroy' as const, name: this.name, parallel };
    return renderBlueprintResult(out, await inMode(mode, (run) => bp.destroyBlueprint(ctx, request, io, run)));
  }
}
