import { Option } from 'clipanion';
import type { OperationRequest } from '../../operations/types.js';
import type { Output } from '../../output.js';
import { ListingCommand, localOption } from '../base.js';
import { inMode, renderResult, runModeOf } from './terminal.js';

/**
 * What create, update, provision and destroy share: `--detach` and
 * `--foreground`, and carrying one request through the operation engine on
 * this terminal, from the provider's acceptance (or the nanny's) to the
 * rendered result.
 */
export abstract class OperationCommand extends ListingCommand {
  detach = Option.Boolean('--detach', false, { description: 'Return once the provider has accepted; the nanny carries on' });
  foreground = Option.Boolean('--foreground', false, { description: 'Run in this process, without a background nanny' });
  local = localOption();

  /**
   * Carry `request` (here, or in the nanny while this terminal follows it) and
   * say how it ended; returns the exit status. `yes` answers the engine's
   * questions up front.
   */
  protected async operate(out: Output, request: OperationRequest, yes: boolean): Promise<number> {
    const mode = runModeOf(this.detach, this.foreground);
    const ops = await import('../../operations/index.js');
    const ctx = await ops.engineContext(this.home, this.env, { local: this.local });
    const io = this.terminalIo(out, yes);
    if (out.human) return renderResult(out, await inMode(mode, (run) => ops.runOperation(ctx, request, io, run)));
    // Data: one document once it ends (or is accepted, detached), the formation as it left it.
    const { result, report } = await inMode(mode, (run) => ops.runReported(ctx, request, io, run));
    return renderResult(out, result, { report });
  }
}
