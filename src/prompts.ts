import { NephoError } from './errors.js';
import { coerce, validateValue, type ParameterSpec, type ParameterValue } from './scenarios/parameters.js';
import { oneLine } from './scenarios/resolve.js';

/** The streams prompts talk to. */
export interface PromptIO {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** The prompt library (@inquirer/prompts), loaded on first use: only commands that ask pay for it. */
export function promptLibrary(): Promise<typeof import('@inquirer/prompts')> {
  return import('@inquirer/prompts');
}

/**
 * Ask for each parameter on the terminal, one at a time: the description is
 * shown, choices are a list, the default is offered, secrets are typed
 * hidden, and an invalid answer says why and asks again.
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
        answer = coerce(spec.type, await password({ message, mask: '*', validate: check, toggleMask: false } as Parameters<typeof password>[0], context))!;
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
