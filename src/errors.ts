/**
 * The one error type for problems a user can fix: bad input, a missing file,
 * a registry that is down. Everything else that escapes a command is a bug and
 * is reported with its stack.
 */
export class NephoError extends Error {
  /** A stable, machine-readable code such as `CLOUDLET_NOT_FOUND`. */
  readonly code: string;
  /** One line telling the user what to do about it, when there is something to do. */
  readonly hint: string | undefined;

  /**
   * @param code stable code (UPPER_SNAKE), part of nepho's interface
   * @param message one line naming the file, field or argument at fault
   * @param options.hint what the user can do next
   * @param options.cause the underlying error, kept for debugging only
   */
  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NephoError';
    this.code = code;
    this.hint = options.hint;
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
