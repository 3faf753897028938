import { NephoError } from './errors.js';
import { coerce, validateValue, type ParameterSpec, type ParameterValue } from './scenarios/parameters.js';
import { oneLine } from './scenarios/resolve.js';

/** The streams prompts talk to. */
export interface PromptIO {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** The prompt library (@inquirer/prompts). */
type PromptLibrary = typeof import('@inquirer/prompts');

/**
 * The prompt library (@inquirer/prompts), loaded on first use: only commands
 * that ask pay for it. Its `password` is replaced by `forgetfulPassword`, so
 * that every hidden question nepho asks forgets a refused answer.
 */
export async function promptLibrary(): Promise<PromptLibrary> {
  const library = await import('@inquirer/prompts');
  return { ...library, password: forgetfulPassword(library) };
}

/**
 * A hidden prompt that clears a refused answer before the person types again.
 * Inquirer's own `password` keeps the refused text in the line, where the
 * person cannot see it behind the mask, so typing `short`, being refused, then
 * `1234567` would answer `short1234567`. This one is the text prompt in its
 * `clear` mode, showing one mask character per character typed (nothing, when
 * `mask` is false) and never the text, not even as the final answer; there is
 * no key that reveals it (`toggleMask` and `theme` are ignored).
 */
function forgetfulPassword(library: PromptLibrary): PromptLibrary['password'] {
  return (config, context) => {
    const mask = typeof config.mask === 'string' ? config.mask : config.mask === true ? '*' : '';
    return library.input(
      {
        message: config.message,
        ...(config.validate ? { validate: config.validate } : {}),
        transformer: (value) => mask.repeat(value.length),
        theme: { validationFailureMode: 'clear' },
      },
      context,
    );
  };
}

/**
 * Ask for each parameter on the terminal, one at a time: the description is
 * shown, choices are a list, the default is offered, a number's allowed range
 * is shown, secrets are typed hidden, an empty answer to a required value and
 * an invalid one say why and ask again (a hidden one emptied, as the person
 * cannot see what is left; a visible one kept in place for editing), and a
 * required yes/no question with no default has no answer preselected. Ctrl-C
 * throws INTERRUPTED before anything is written.
 */
export async function askForParameters(specs: ParameterSpec[], io: PromptIO): Promise<Record<string, ParameterValue>> {
  const { input, password, select, confirm } = await promptLibrary();
  const context = { input: io.input, output: io.output };
  const answers: Record<string, ParameterValue> = {};
  for (const spec of specs) {
    const range = spec.type === 'number' ? rangeOf(spec) : undefined;
    const message = `${spec.description ? `${spec.name} (${oneLine(spec.description)})` : spec.name}${range ? ` [${range}]` : ''}`;
    const check = (text: string): string | true => {
      if (text.trim() === '' && (spec.required || spec.type !== 'string')) return `${spec.name} is required: type a value`;
      const value = coerce(spec.type, text);
      if (value === undefined) return `${spec.name} must be a ${spec.type}${range ? ` (${range})` : ''}`;
      try {
        const why = validateValue(spec, value);
        return why === undefined ? true : `${spec.name} ${why}`;
      } catch (error) {
        // A check that fails to run is still said as words, never as a JavaScript error.
        return `${spec.name} cannot be checked here (${(error as Error).message}); the provider will check it`;
      }
    };
    const choices = spec.constraints.find((c) => c.choices)?.choices;
    answers[spec.name] = await answered(async (): Promise<ParameterValue> => {
      if (spec.type === 'boolean') {
        if (typeof spec.default === 'boolean') return confirm({ message, default: spec.default }, context);
        // No default: nothing preselected, Enter alone is refused.
        const yesNo = (t: string) => coerce('boolean', /^[yn]$/i.test(t.trim()) ? (t.trim().toLowerCase() === 'y' ? 'yes' : 'no') : t);
        const text = await input(
          {
            message: `${message} (y/n)`,
            validate: (t) => (t.trim() === '' ? `${spec.name} is required: answer y or n` : yesNo(t) === undefined ? `${spec.name}: answer y or n` : true),
          },
          context,
        );
        return yesNo(text)!;
      }
      if (choices && !spec.secret) {
        const valid = choices.filter((c) => validateValue(spec, c) === undefined);
        return select(
          {
            message,
            choices: valid.map((c) => ({ name: String(c), value: c })),
            ...(spec.default !== undefined ? { default: spec.default } : {}),
          },
          context,
        );
      }
      if (spec.secret) {
        return coerce(spec.type, await password({ message, mask: '*', validate: check }, context))!;
      }
      const text = await input({ message, ...(spec.default !== undefined ? { default: String(spec.default) } : {}), validate: check }, context);
      return coerce(spec.type, text)!;
    });
  }
  return answers;
}

/** A number's allowed range in words (`1 to 5`, `at least 1`), from every declaration that bounds it. */
export function rangeOf(spec: ParameterSpec): string | undefined {
  const mins = spec.constraints.flatMap((c) => (c.min === undefined ? [] : [c.min]));
  const maxes = spec.constraints.flatMap((c) => (c.max === undefined ? [] : [c.max]));
  const min = mins.length > 0 ? Math.max(...mins) : undefined;
  const max = maxes.length > 0 ? Math.min(...maxes) : undefined;
  if (min !== undefined && max !== undefined) return `${min} to ${max}`;
  if (min !== undefined) return `at least ${min}`;
  return max !== undefined ? `at most ${max}` : undefined;
}

/**
 * The answer to one prompt; Ctrl-C (or the prompt being closed) becomes
 * INTERRUPTED, which ends nepho with status 130 before anything is written.
 */
export async function answered<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ExitPromptError' || name === 'AbortPromptError') {
      throw new NephoError('INTERRUPTED', 'interrupted at the prompt; nothing was written');
    }
    throw error;
  }
}

export { missingParametersError } from './scenarios/resolve.js';
