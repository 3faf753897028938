import { Option } from 'clipanion';
import { Category, NephoCommand } from '../base.js';

/** `formation:open NAME [--print]` (and the shortcut `open`). */
export class FormationOpenCommand extends NephoCommand {
  static override paths = [['formation:open'], ['formation', 'open']];
  static override usage = NephoCommand.Usage({
    category: Category.formation,
    description: "Open a formation's URL in a browser, and print it",
    details: `
      The URL is the scenario's access.url, filled from the formation's outputs and parameters. Only http and https URLs are opened.
      When no browser can be started (a server without a desktop), the URL is printed all the same.
    `,
    examples: [['Open', '$0 formation:open agmedia'], ['Only print the URL', '$0 open agmedia --print']],
  });

  name = Option.String({ name: 'name' });
  print = Option.Boolean('--print', false, { description: 'Only print the URL' });

  async execute(): Promise<number> {
    const { NephoError } = await import('../../errors.js');
    const { findProvider } = await import('../../plugins.js');
    const { readRecord } = await import('../../formations/records.js');
    const { refOf } = await import('../../formations/operations.js');
    const { formationUrl, openInBrowser } = await import('../../formations/access.js');
    const { assertExists } = await import('../../formations/ssh.js');
    const out = this.output();
    const home = this.home;
    const record = readRecord(home, this.name);
    if (!record) {
      throw new NephoError('FORMATION_NOT_FOUND', `no formation named '${this.name}' on this machine`, { hint: 'see nepho formation:list' });
    }
    const template = record.access.url;
    if (template === undefined) {
      throw new NephoError('NO_URL', `formation ${record.name}: scenario ${record.scenario} of ${record.cloudlet} declares no access.url`);
    }
    const provider = findProvider(await this.plugins(), record.provider, `formation ${record.name}: provider`);
    const state = await provider.describe(refOf(record), record.options, this.env);
    assertExists(record, state);
    const filled = formationUrl(record, state.outputs);
    if (filled === undefined) {
      const missing = unfilled(template, state.outputs, record.parameters);
      throw new NephoError('URL_NOT_READY', `formation ${record.name}: access.url needs ${missing.join(', ')}, which ${missing.length > 1 ? 'have' : 'has'} no value yet (status ${state.status})`, {
        hint: state.inProgress ? `wait for it: nepho formation:watch ${record.name}` : `see nepho formation:describe ${record.name}`,
      });
    }
    const url = webUrl(filled);
    if (!url) {
      throw new NephoError('URL_INVALID', `formation ${record.name}: access.url ${JSON.stringify(filled)} is not an http or https URL`);
    }
    out.line(url);
    if (this.print) return 0;
    const failure = await openInBrowser(url);
    if (failure) out.notice(`could not start a browser here (${failure}); open the URL above yourself`);
    return 0;
  }
}

/** The placeholders of `text` that have no value yet, as `outputs.X` / `parameters.X`. */
function unfilled(text: string, outputs: Record<string, string>, parameters: Record<string, unknown>): string[] {
  const missing = new Set<string>();
  for (const [, kind, name] of text.matchAll(/\{\{\s*(outputs|parameters)\.([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g)) {
    const value = kind === 'outputs' ? outputs[name!] : parameters[name!];
    if (value === undefined || value === '') missing.add(`${kind}.${name}`);
  }
  return [...missing];
}

/** The URL normalised (blanks and control characters percent-encoded), or undefined when it is not http(s). */
function webUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
