import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, NephoCommand } from '../base.js';

/** `formation:watch NAME`: re-attach to a formation's operation from any terminal. */
export class FormationWatchCommand extends NephoCommand {
  static override paths = [['formation:watch'], ['formation', 'watch']];
  static override usage = NephoCommand.Usage({
    category: Category.formation,
    description: "Replay a formation's latest operation and follow it to the end",
    details: `
      The exit status says how the operation ended: 0 when it succeeded, 1 when it failed.
      When the background process carrying it has died, the operation is picked up again from the provider (CloudFormation),
      or reported as interrupted when the provider cannot resume it. Ctrl-C stops watching; the operation goes on.
    `,
    examples: [['Re-attach', '$0 formation:watch agmedia']],
  });

  name = Option.String({ name: 'name' });

  async execute(): Promise<number> {
    const { latestOperation } = await import('../../nanny/journal.js');
    const { followJournal } = await import('../../nanny/follow.js');
    const { formationDir } = await import('../../formations/records.js');
    const { printEntry, finish } = await import('./progress.js');
    const out = this.output();
    const home = this.home;
    formationDir(home, this.name); // checks the name
    const { entries, offset } = latestOperation(home, this.name);
    if (entries.length === 0) {
      throw new NephoError('NO_OPERATION', `formation ${this.name} has no operation to watch`, { hint: 'see nepho formation:list' });
    }
    for (const entry of entries) {
      printEntry(out, entry);
      if (entry.kind === 'end' || entry.kind === 'error') return finish(out, this.name, entry);
    }
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.once('SIGINT', onInterrupt);
    try {
      let result = await followJournal(home, this.name, offset, (e) => printEntry(out, e), stop.signal);
      if (result.kind === 'orphaned') {
        const { recoverOperation } = await import('../../nanny/recover.js');
        const { readEntries } = await import('../../nanny/journal.js');
        out.notice('the background process carrying this operation is gone; picking it up from the provider ...');
        const at = readEntries(home, this.name).offset;
        const recovering = recoverOperation(home, this.name, await this.plugins(), this.env).catch((error: unknown) => {
          // Someone else (a nanny, another watch) picked it up first: keep following.
          if (!(error instanceof NephoError && error.code === 'FORMATION_BUSY')) throw error;
        });
        result = await followJournal(home, this.name, at, (e) => printEntry(out, e), stop.signal);
        await recovering;
      }
      if (result.kind === 'ended') return finish(out, this.name, result.entry);
      if (result.kind === 'detached') {
        out.line(`stopped watching; the operation on ${this.name} goes on`);
        return 0;
      }
      throw new NephoError('OPERATION_LOST', `the operation on ${this.name} ended without a result`);
    } finally {
      process.removeListener('SIGINT', onInterrupt);
    }
  }
}
