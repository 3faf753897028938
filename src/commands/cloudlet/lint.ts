import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, ListingCommand } from '../base.js';

/** `cloudlet:lint [PATH]`: every problem of a cloudlet before it is published; exit 1 when any. */
export class CloudletLintCommand extends ListingCommand {
  static override paths = [['cloudlet:lint'], ['cloudlet', 'lint']];
  static override usage = ListingCommand.Usage({
    category: Category.cloudlet,
    description: 'Check a cloudlet directory before publishing it, listing every problem',
    details: `
      Checks cloudlet.yaml, every scenario after extends, every pattern as its provider reads it
      (templates parse, every name and dependency resolves; placeholders are known and not inside
      quoted strings), parameters against the patterns', the resources marked for the bootstrap,
      and the bootstrap scripts (sh -n). Providers run their own checkers when they are installed
      (a template linter, a Ruby syntax check, the machine tool's own validation) and a line says which ran. Prints one
      line per problem, FILE:LINE:COL: message (or FILE: FIELD: message), and exits with
      status 1 when there is any error; warnings (such as a template parameter with no
      default anywhere, or YAML that is not strict) do not fail it.
    `,
    examples: [
      ['The cloudlet in this directory', '$0 cloudlet:lint'],
      ['Another one, as JSON', '$0 cloudlet:lint ../my-app -o json'],
    ],
  });

  target = Option.String({ name: 'path', required: false });

  async execute(): Promise<number> {
    const cloudlets = await import('../../cloudlets/index.js');
    const out = this.output();
    const registry = await cloudlets.configuredPlugins(this.home);
    const dir = this.target ?? '.';
    const checked: string[] = [];
    const problems = await cloudlets.lintCloudlet(dir, {
      registry,
      env: this.env,
      checked: (file, checks) => checked.push(`${file}: checked with ${checks.join('; ')}`),
    });
    const errors = problems.filter((p) => p.severity === 'error').length;
    const warnings = problems.length - errors;
    out.result(problems, () => {
      for (const p of problems) {
        const where = p.line === undefined ? `${p.file}: ${p.field}` : `${p.file}:${p.line}${p.col === undefined ? '' : `:${p.col}`}`;
        out.line(`${where}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}${p.source === 'nepho' ? '' : ` (${p.source})`}`);
      }
      for (const line of checked) out.line(line);
      if (errors === 0) out.line(`ok: ${dir}${warnings > 0 ? ` (${warnings} warning(s))` : ''}`);
    });
    if (errors > 0) {
      throw new NephoError('LINT_FAILED', `${dir}: ${errors} problem(s)${warnings > 0 ? ` and ${warnings} warning(s)` : ''}`, {
        hint: 'fix each FILE: FIELD above, then run nepho cloudlet:lint again',
      });
    }
    return 0;
  }
}
