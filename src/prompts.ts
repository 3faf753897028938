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
    return library.input({
      message: config.message,
      ...(config.validate ? { validate: config.validate } : {}),
      transformer: (value) => mask.repeat(value.length),
      theme: { validationFailureMode: 'clear' },
    }, context);
  };
}

/**
 * Ask for each parameter on the terminal, one at a time: the description is
 * shown, choices are a list, the default is offered, secrets are typed
 * hidden, and an invalid answer says why and asks again: a hidden one
 * empty (the person cannot see what is left), a visible one with the refused
 * text kept in place for editing.
 */
export async function askForParameters(specs: ParameterSpec[], io: PromptIO): Promise<Record<string, ParameterValue>> {
  const { input, password, select, confirm } = await promptLibrary();
  const context = { input: io.input, output: io.output };
  const answers: Record<string, ParameterValue> = {};
  for (const spec of specs) {
    const message = spec.description ? `${spec.name} (${oneLine(spec.description)})` : spec.name;
    const check = (text: string): string | true => {
      const value = coerce(spec.type, text);
      if (value === undefined) return `${spec.name} must be a ${spec.type}`;
      return validateValue(spec, value) === undefined ? true : `${spec.name} ${validateValue(spec, value)}`;
    };
    const choices = spec.constraints.find((c) => c.choices)?.choices;
    try {
      let answer: ParameterValue;
      if (spec.type === 'boolean') {
        answer = await confirm({ message, ...(typeof spec.default === 'boolean' ? { default: spec.default } : {}) }, context);
      } else if (choices && !spec.secret) {
        const valid = choices.filter((c) => validateValue(spec, c) === undefined);
        answer = await select({
          message,
          choices: valid.map((c) => ({ name: String(c), value: c })),
          ...(spec.default !== undefined ? { default: spec.default } : {}),
        }, context);
      } else if (spec.secret) {
        answer = coerce(spec.type, await password({ message, mask: '*', validate: check }, context))!;
      } else {
        const text = await input({
          message,
          ...(spec.default !== undefined ? { default: String(spec.default) } : {}),
          validate: check,
        }, context);
        answer = coerce(spec.type, text)!;
      }
      answers[spec.name] = answer;
    } catch (error) {
      if ((error as Error).name === 'ExitPromptError' || (error as Error).name === 'AbortPromptError') {
        throw new NephoError('CANCELLED', 'cancelled at the prompt; nothing was created');
      }
      throw error;
    }
  }
  return answers;
}

export { missingParametersError } from './scenarios/resolve.js';
