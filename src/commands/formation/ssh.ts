import { Option } from 'clipanion';
import { resolve } from 'node:path';
import { NephoError } from '../../errors.js';
import { Category, ListingCommand, localOption } from '../base.js';

/** `formation:ssh NAME [-i KEY] [--user U] [--connect-timeout N] [--print] [-- COMMAND...]` (and the shortcut `ssh`). */
export class FormationSshCommand extends ListingCommand {
  static override paths = [['formation:ssh'], ['formation', 'ssh']];
  static override usage = ListingCommand.Usage({
    category: Category.formation,
    description: "Connect to a formation's host with the system ssh, through its bastion when it has one",
    details: `
      nepho writes $NEPHO_HOME/formations/NAME/ssh_config and runs \`ssh -F\` with it, so the bastion hop (ProxyJump) gets the same key and known-hosts settings. Your own ~/.ssh/config is not read; your ssh-agent is used.

      A new formation's host keys are accepted on first use and remembered in $NEPHO_HOME/known_hosts; a key that changes later is refused.

      \`-i\` is used for the host and the bastion. \`--user\` changes the user on the host only; the bastion keeps the scenario's bastion_user (or its user).

      \`--print\` prints a command to paste into any shell instead: \`ssh -p PORT USER@HOST\` with the key, nepho's known-hosts file and \`-J BASTION_USER@BASTION:PORT\` when there is a bastion (ssh gives the bastion hop no options of its own: it logs in with your ssh-agent or ~/.ssh/config). With \`-o json\` it prints \`{user, host, port, bastion, command}\`.

      Words after \`--\` are run on the host as a command, each word as it is (use \`sh -c '...'\` for pipes and other shell syntax). The exit status is the command's, or 255 when ssh itself failed.

      nepho says where it connects on stderr. Each hop (the bastion, then the host) has \`--connect-timeout\` seconds (15 by default) to connect and answer; a host that cannot be reached ends the command with one line saying why, and ssh's exit status, 255.
    `,
    examples: [
      ['Log in', '$0 formation:ssh agmedia -i ~/.ssh/agmedia.pem'],
      ['Run a command', '$0 ssh agmedia -- sudo tail -n 50 /var/log/nepho-bootstrap.log'],
      ['Show the ssh command instead of running it', '$0 ssh agmedia --print'],
      ['The same as JSON, for scripts', '$0 ssh agmedia --print -o json'],
      ['Give a slow network more time to answer', '$0 ssh agmedia --connect-timeout 60'],
    ],
  });

  name = Option.String({ name: 'name' });
  identity = Option.String('-i', { description: 'Private key file, for the host and the bastion' });
  user = Option.String('--user', { description: 'Log in to the host as this user (the bastion keeps its own)' });
  print = Option.Boolean('--print', false, { description: 'Print the ssh command instead of running it' });
  connectTimeout = Option.String('--connect-timeout', { description: 'Seconds each hop has to connect and answer (15 by default)' });
  local = localOption();
  command = Option.Rest({ name: 'command' });

  async execute(): Promise<number> {
    const ops = await import('../../operations/index.js');
    if (this.outputFormat !== 'table' && !this.print) throw new NephoError('BAD_ARGUMENT', `-o ${this.outputFormat} goes with --print`);
    const out = this.output();
    const ctx = await ops.engineContext(this.home, this.env, { local: this.local });
    const ssh = await ops.sshCommandFor(ctx, {
      name: this.name,
      print: this.print,
      command: this.command,
      ...(this.identity === undefined ? {} : { identity: resolve(this.identity) }),
      ...(this.user === undefined ? {} : { user: this.user }),
      ...(this.connectTimeout === undefined ? {} : { connectTimeout: this.connectTimeout }),
    });
    if (this.print) {
      out.result(ssh.printed, () => out.line(ops.shellCommandLine(ssh.printed.command)));
      return 0;
    }
    out.notice(`connecting to ${ops.sshDestination(ssh.endpoint)}`);
    const run = await ops.runSsh(ssh.program, ssh.argv, this.env, (text) => out.stderr.write(text), ssh);
    if (run.unreachable) out.stderr.write(`${out.style.red('error:')} could not connect to ${ops.sshDestination(ssh.endpoint)}: ${run.unreachable}\n`);
    return run.status;
  }
}
