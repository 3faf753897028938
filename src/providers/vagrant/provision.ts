import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NephoError } from '../../errors.js';
import { writeFileAtomicSync } from '../../fs.js';
import type { FormationRef, FormationSpec, OperationContext, Outcome } from '../types.js';
import type { VagrantRecord } from './machine-readable.js';
import { dirOf, eventOf, runVagrant, vagrantEnvironment, vagrantError } from './provider.js';
import { EXIT_STATUS_MARKER, PROVISION_FILE, PROVISION_PROVISIONER, provisionScript, secretNames, VAGRANTFILE } from './render.js';

const MARKER = new RegExp(`^${EXIT_STATUS_MARKER}\\s*(\\d+)$`);

/**
 * Sorts what `vagrant provision --machine-readable` prints: the script's own
 * lines (Vagrant's `ui,detail` records after its `Running: <script>` line,
 * each prefixed with the machine's name) are output, its exit status line
 * is kept apart, and everything else is an event.
 */
class ProvisionReader {
  /** The exit status each machine's script reported. */
  readonly statuses = new Map<string, number>();
  /** What Vagrant said last at the info level, to explain a run where nothing ran. */
  lastInfo = '';
  private readonly running = new Set<string>();

  constructor(
    private readonly name: string,
    private readonly ctx: OperationContext,
  ) {}

  /** Take one record. */
  record(record: VagrantRecord): void {
    const [level, ...rest] = record.data;
    const text = rest.join(',');
    if (record.type === 'ui' && level === 'info') {
      this.lastInfo = text
        .replace(/^==> [^:]*: /, '')
        .replace(/\s*\n\s*/g, ' ')
        .trim();
      // A new provisioner starts: its script's lines come after its `Running:` line.
      this.running.delete(record.target);
    }
    if (record.type === 'ui' && level === 'detail' && this.running.has(record.target)) {
      for (const line of this.lines(record.target, text)) {
        const marker = MARKER.exec(line);
        if (marker) this.statuses.set(record.target || this.name, Number(marker[1]));
        else this.ctx.output('stdout', line);
      }
      return;
    }
    if (record.type === 'ui' && level === 'detail' && this.lines(record.target, text)[0]?.startsWith('Running: ')) this.running.add(record.target);
    const event = eventOf(record, this.name);
    if (event) this.ctx.emit(event);
  }

  /** The lines of a detail record without the `    <machine>: ` prefix Vagrant puts on each. */
  private lines(target: string, text: string): string[] {
    const prefix = new RegExp(`^\\s*${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ?`);
    return text.split('\n').map((line) => (target ? line.replace(prefix, '') : line));
  }
}

/**
 * Run the bootstrap again: the provisioning script written afresh from the
 * spec, then `vagrant provision --provision-with nepho-provision`, which runs
 * only it. Its lines are reported as output, and the exit status it reports
 * becomes the outcome's. Secrets given for this run reach the script through
 * vagrant's environment (`vagrantEnvironment`); those not given stay unset.
 */
export async function provisionMachines(ref: FormationRef, spec: FormationSpec, ctx: OperationContext): Promise<Outcome> {
  const dir = dirOf(ref);
  const vagrantfile = join(dir, VAGRANTFILE);
  let text: string;
  try {
    text = readFileSync(vagrantfile, 'utf8');
  } catch {
    throw new NephoError('VAGRANTFILE_MISSING', `formation ${ref.name}: ${vagrantfile} is missing, so there is nothing to provision`, {
      hint: `destroy it and create it again: nepho formation:destroy ${ref.name}`,
    });
  }
  if (!spec.bootstrap) throw new NephoError('NO_PROVISIONER', `formation ${ref.name}: its scenario has no provisioner to run`);
  if (!text.includes(`"${PROVISION_PROVISIONER}"`)) {
    throw new NephoError(
      'VAGRANTFILE_OUTDATED',
      `formation ${ref.name}: ${vagrantfile} has no ${PROVISION_PROVISIONER} provisioner (it was written by an older nepho)`,
      {
        hint: `update the formation to add it: nepho formation:update ${ref.name}`,
      },
    );
  }
  writeFileAtomicSync(join(dir, PROVISION_FILE), provisionScript(spec.bootstrap, secretNames(spec)), 0o755);

  const reader = new ProvisionReader(ref.name, ctx);
  const run = await runVagrant(
    ['provision', '--provision-with', PROVISION_PROVISIONER],
    dir,
    vagrantEnvironment(ctx.env, spec),
    (r) => reader.record(r),
    (stream, line) => ctx.output(stream, line),
  );
  const statuses = [...reader.statuses];
  if (statuses.length === 0) {
    if (run.code !== 0) throw vagrantError('provision', run, vagrantfile);
    // Vagrant ends well without provisioning a machine that is not running.
    return {
      ok: false,
      status: 'NOT_PROVISIONED',
      failures: [
        {
          resource: ref.name,
          type: 'vagrant',
          status: 'NOT_PROVISIONED',
          reason: `vagrant ran no provisioner${reader.lastInfo ? `: ${reader.lastInfo}` : ''}`,
        },
      ],
    };
  }
  const failed = statuses.filter(([, code]) => code !== 0);
  const exitCode = failed[0]?.[1] ?? 0;
  return {
    ok: exitCode === 0,
    status: exitCode === 0 ? 'PROVISIONED' : 'PROVISION_FAILED',
    exitCode,
    failures: failed.map(([machine, code]) => ({
      resource: machine,
      type: 'vagrant',
      status: 'PROVISION_FAILED',
      reason: `the bootstrap exited with status ${code}`,
    })),
  };
}
