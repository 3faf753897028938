import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, ListingCommand } from '../base.js';

/** `cloudlet:update [NAME...]`. */
export class CloudletUpdateCommand extends ListingCommand {
  static override paths = [['cloudlet:update'], ['cloudlet', 'update']];
  static override usage = ListingCommand.Usage({
    category: Category.cloudlet,
    description: 'Move cloudlets to the newest version their recorded range allows',
    details: 'Refuses a cloudlet whose installed files were edited (see cloudlet:verify) unless --force is given.',
    examples: [
      ['Update everything', '$0 cloudlet:update'],
      ['One cloudlet', '$0 cloudlet:update mediawiki'],
    ],
  });

  names = Option.Rest({ name: 'names' });
  force = Option.Boolean('--force', false, { description: 'Update even when installed files were edited' });

  async execute(): Promise<number> {
    const cloudlets = await import('../../cloudlets/index.js');
    const out = this.output();
    const results = await cloudlets.updateCloudlets(cloudlets.cloudletContext(this.home, this.env, out), this.names, this.force);
    // The cloudlet is `name` in every listing, as cloudlet:list and cloudlet:describe say it.
    out.result(cloudlets.named(results), () =>
      out.table(
        ['CLOUDLET', 'FROM', 'TO', 'RESULT'],
        results.map((r) => [r.id, r.from, r.to, r.reason ? `${r.action}: ${r.reason}` : r.action]),
        'no cloudlets installed',
      ),
    );
    const failed = results.filter((r) => r.action === 'failed');
    if (failed.length > 0) {
      // The reason goes on the error line too: with -o json the table is not there to show it.
      const why = failed.map((f) => `${f.id} (${(f.reason ?? 'failed').replace(`${f.id}: `, '')})`).join('; ');
      const hints = [...new Set(failed.flatMap((f) => (f.hint ? [f.hint] : [])))];
      throw new NephoError(
        'CLOUDLET_UPDATE_FAILED',
        `${failed.length} cloudlet(s) could not be updated: ${why}`,
        hints.length > 0 ? { hint: hints.join('; ') } : {},
      );
    }
    return 0;
  }
}
