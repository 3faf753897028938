import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, ListingCommand } from '../base.js';

/** `cloudlet:verify [NAME...]`: exit 1 when any file differs, as `rpm -V` does. */
export class CloudletVerifyCommand extends ListingCommand {
  static override paths = [['cloudlet:verify'], ['cloudlet', 'verify']];
  static override usage = ListingCommand.Usage({
    category: Category.cloudlet,
    description: 'Report installed files that differ from what was installed',
    details:
      'Exits with status 1 when any file was modified, added or removed. A cloudlet installed from a signed registry is also re-checked: the key that verified it must still be trusted for that registry (or have rotated to the key trusted now), and the registry must still pin the installed version to the same commit.',
    examples: [
      ['Check everything', '$0 cloudlet:verify'],
      ['One cloudlet', '$0 cloudlet:verify mediawiki'],
    ],
  });

  names = Option.Rest({ name: 'names' });

  async execute(): Promise<number> {
    const cloudlets = await import('../../cloudlets/index.js');
    const out = this.output();
    const results = await cloudlets.verifyCloudlets(cloudlets.cloudletContext(this.home, this.env, out), this.names);
    // The cloudlet is `name` in every listing, as cloudlet:list and cloudlet:describe say it.
    out.result(cloudlets.named(results), () => {
      const rows = results.flatMap((r) => [
        ...r.changes.map((c) => [r.id, c.change, c.path]),
        ...(r.provenance?.problem ? [[r.id, 'untrusted', r.provenance.problem]] : []),
      ]);
      out.table(['CLOUDLET', 'CHANGE', 'PATH'], rows, `${results.filter((r) => r.checked).length} cloudlet(s) verified: no differences`);
      for (const r of results.filter((x) => !x.checked)) out.notice(`${r.id}: a develop link, not verified`);
    });
    // Checking everything includes what cannot be checked: a damaged record is reported, not skipped.
    const damaged = this.names.length === 0 ? cloudlets.scanInstalled(this.home).damaged : [];
    if (damaged.length > 0) {
      throw new NephoError(
        'CLOUDLET_DAMAGED',
        `cannot verify ${damaged.map((d) => `${d.id} (${d.file}: ${d.problem})`).join(', ')}: the install record is damaged`,
        {
          hint: damaged.map(cloudlets.repairCommand).join('; '),
        },
      );
    }
    const untrusted = results.filter((r) => r.provenance?.problem);
    if (untrusted.length > 0) {
      throw new NephoError('CLOUDLET_UNTRUSTED', untrusted.map((r) => `${r.id}: ${r.provenance!.problem!}`).join('; '), {
        hint: 'check the registry with its maintainers; nepho cloudlet:install --force NAME installs what the registry vouches for now',
      });
    }
    const changed = results.filter((r) => r.changes.length > 0);
    if (changed.length > 0) {
      throw new NephoError('CLOUDLET_MODIFIED', `${changed.map((r) => `${r.id} (${r.changes.length} file(s))`).join(', ')} differ from what was installed`, {
        hint: 'nepho cloudlet:install --force NAME restores what was installed',
      });
    }
    return 0;
  }
}
