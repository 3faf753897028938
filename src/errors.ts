import type { ERRORS } from './error-catalogue.js';
import type { ProviderErrorCode } from './providers/catalog.js';

/**
 * One entry of an error catalogue. `meaning` is for the documentation
 * (docs/errors.md). `hint` is documented too; for a core code NephoError
 * also shows it whenever the code is thrown without a hint of its own,
 * while a provider's code is thrown with its hint at every place (NephoError
 * knows no provider).
 */
export interface ErrorEntry {
  /** One line saying what went wrong. */
  readonly meaning: string;
  /** What the user can do about it, in words that fit every place the code is thrown. */
  readonly hint?: string;
}

/**
 * Where src/error-catalogue.ts registers the core catalogue when it loads: one
 * place for every copy of this module in the process (Symbol.for).
 */
export const CATALOGUE = Symbol.for('nepho.errorCatalogue');

/** The core catalogue's hint for `code`, once the catalogue is loaded. */
function catalogueHint(code: string): string | undefined {
  const catalogue = (globalThis as { [CATALOGUE]?: Readonly<Record<string, ErrorEntry | undefined>> })[CATALOGUE];
  return catalogue?.[code]?.hint;
}

/**
 * Load the core catalogue, so that every NephoError without a hint of its own
 * shows the catalogue's. The command line calls it before it shows an error:
 * the catalogue's texts stay out of the start-up bundle, which every command
 * pays for.
 */
export async function loadErrorCatalogue(): Promise<void> {
  await import('./error-catalogue.js');
}

/**
 * A code NephoError accepts: one of the core catalogue or of a built-in
 * provider's, so tsc rejects a code no catalogue has.
 */
export type ErrorCode = keyof typeof ERRORS | ProviderErrorCode;

/** Shared by every copy of this module (Symbol.for), see NephoError's `instanceof`. */
const NEPHO_ERROR = Symbol.for('nepho.NephoError');

/**
 * The one error type for problems a user can fix: bad input, a missing file,
 * a registry that is down. Everything else that escapes a command is a bug and
 * is reported with its stack.
 */
export class NephoError extends Error {
  /**
   * `instanceof NephoError` checks a brand rather than the prototype chain: the
   * start-up bundle and the modules loaded on demand each carry a copy of this
   * class (so may a plugin), and an error from any of them is a NephoError.
   * Subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== NephoError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [NEPHO_ERROR]?: unknown })[NEPHO_ERROR] === true;
  }

  /** The brand `instanceof` looks for; on the prototype, so subclasses carry it too. */
  get [NEPHO_ERROR](): true {
    return true;
  }

  /**
   * A stable, machine-readable code such as `CLOUDLET_NOT_FOUND`. An error a
   * plugin throws with the brand may carry a code of the plugin's own.
   */
  readonly code: ErrorCode;
  /** The hint the thrower gave. */
  readonly #hint: string | undefined;

  /**
   * @param code stable code from a catalogue (ERRORS, or the provider's own)
   * @param message one line naming the file, field or argument at fault
   * @param options.hint what the user can do next; the core catalogue's hint for the code when left out (see `hint`)
   * @param options.cause the underlying error, kept for debugging only
   */
  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NephoError';
    this.code = code;
    this.#hint = options.hint;
  }

  /**
   * One line telling the user what to do about it, when there is something to
   * do: the thrower's, else the core catalogue's for the code once it is
   * loaded (loadErrorCatalogue; errorData loads it by being imported).
   */
  get hint(): string | undefined {
    return this.#hint ?? catalogueHint(this.code);
  }
}

/** True for errors meant for the user (no stack trace when shown). */
export function isNephoError(error: unknown): error is NephoError {
  return error instanceof NephoError;
}

/** The message of any thrown value, for wrapping lower-level failures in a NephoError. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Characters shown escaped when untrusted text is quoted: controls, line and bidi marks, lone surrogates, U+FFFD. */
const UNPRINTABLE =
  /[\0-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Untrusted text (a line of garbage, a library message quoting it) as it may
 * appear in a one-line message: control and invisible characters escaped as
 * `\uXXXX`, at most `max` characters of it, `...` when it was cut.
 */
export function excerpt(text: string, max = 100): string {
  const { shown, cut } = cutAt(text, max);
  return `${escapeUnprintable(shown)}${cut ? '...' : ''}`;
}

/** Untrusted text as a quoted name in a message: `'like this'`, escaped and cut as `excerpt` does, with its full length when cut. */
export function quoted(text: string, max = 40): string {
  const { shown, cut } = cutAt(text, max);
  const body = escapeUnprintable(shown.replace(/[\\']/g, '\\$&'));
  return cut ? `'${body}'... (${text.length} characters)` : `'${body}'`;
}

function cutAt(text: string, max: number): { shown: string; cut: boolean } {
  if (text.length <= max) return { shown: text, cut: false };
  // Never cut a surrogate pair in two.
  const shown = text.slice(0, max);
  return { shown: /[\ud800-\udbff]$/.test(shown) ? shown.slice(0, -1) : shown, cut: true };
}

function escapeUnprintable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
