import { Option } from 'clipanion';
import { Category } from '../base.js';
import { inMode } from '../formation/terminal.js';
import { BlueprintRunCommand, MAX_PARALLEL, printPlanView, renderBlueprintResult } from './terminal.js';

/** `blueprint:apply CLOUDLET/BLUEPRINT --name NAME`. */
export class BlueprintApplyCommand extends BlueprintRunCommand {
  static override paths = [['blueprint:apply'], ['blueprint', 'apply']];
  static override usage = BlueprintRunCommand.Usage({
    category: Category.blueprint,
    description: 'Create (or bring up to date) every formation of a blueprint, in dependency order, in parallel where independent',
    details: `
      Each entry of the blueprint becomes the formation NAME-ENTRY. The whole blueprint is planned first: a cycle, an unknown entry, output,
      scenario or provider, or a missing required parameter is one error before anything is created. Required parameters nothing gives a
      value are asked for all at once on a terminal (-p ENTRY.KEY=VALUE gives them; --no-input names them instead).

      Then each formation is created as soon as those it depends on are complete, up to --parallel at once (default 4, at most ${MAX_PARALLEL}),
      with the outputs it reads ({{formations.X.outputs.Y}}) taken from those formations. Applying the same NAME again updates the formations
      whose values changed (as formation:update does, with its preview), creates the new ones, deletes and creates again those whose create
      failed, and keeps those the blueprint no longer has unless --prune destroys them; it asks first when it would change or destroy anything
      (-y answers yes). A formation that fails stops those that depend on it (skipped); the others finish; a table says how each ended, and
      the exit status is 1. Running it again continues from where the blueprint stands.

      The work runs in a background nanny that the terminal follows: Ctrl-C detaches (blueprint:watch re-attaches), --detach returns at once,
      --foreground runs it all here. --dry-run prints the plan and changes nothing.
    `,
    examples: [
      ['Apply a blueprint', '$0 blueprint:apply mediawiki/wiki-and-twin --name wiki -p wiki.AdminPassword=correct-horse-battery'],
      ['See the plan first', '$0 blueprint:apply acme/shop/two-regions --name shop --dry-run'],
      ['Apply a change, removing entries no longer there', '$0 blueprint:apply acme/shop/two-regions --name shop -p west.Replicas=3 --prune -y'],
    ],
  });

  target = Option.String({ name: 'cloudlet/blueprint' });
  name = Option.String('--name', { description: 'The name to apply it under: its formations are NAME-ENTRY', required: true });
  params = Option.Array('-p,--param', [], { description: 'ENTRY.KEY=VALUE, repeatable; the value may contain =' });
  noInput = Option.Boolean('--no-input', false, { description: 'Never prompt; fail naming every missing parameter' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'Check everything and print the plan; change nothing' });
  prune = Option.Boolean('--prune', false, { description: 'Destroy the formations of entries the blueprint no longer has' });

  async execute(): Promise<number> {
    const { bp, out, ctx, io, parallel, mode } = await this.prepare();
    const request = {
      kind: 'apply' as const,
      target: this.target,
      name: this.name,
      params: this.params ?? [],
      noInput: this.noInput,
      prune: this.prune,
      parallel,
    };
    if (this.dryRun) {
      const { view } = await bp.planApply(ctx, request, io, { dryRun: true });
      out.result(view, () => {
        printPlanView(out, view, false);
        out.line('Dry run: nothing was created or changed.');
      });
      return 0;
    }
    return renderBlueprintResult(out, await inMode(mode, (run) => bp.applyBlueprint(ctx, request, io, run)));
  }
}
