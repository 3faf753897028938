import { fstatSync, writeSync } from 'node:fs';

/**
 * The process's standard streams as nepho's commands see them.
 *
 * `process.stdout` and friends are built on first access, and building one
 * loads Node's stream, net and tty machinery: about a sixth of a bare
 * `node -e 0` for each listing command. Most commands only write text, so
 * output goes straight to the file descriptor, synchronously (as Node itself
 * writes to files and, on Linux, pipes), and the real stream is created only
 * for what needs one: prompts, reading stdin, handing it to a child process.
 */

/** Whether `fd` is a terminal. A pipe or a file never is; only character devices need the tty module to tell. */
export function isTerminal(fd: number): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  // /dev/null is a character device too.
  return process.getBuiltinModule('node:tty').isatty(fd);
}

/** Standard output (fd 1) or standard error (fd 2), written synchronously. */
export class ProcessSink {
  #tty: boolean | undefined;
  #stream: NodeJS.WriteStream | undefined;
  #closed = false;

  constructor(readonly fd: 1 | 2) {}

  /** `write` never keeps a caller's buffer (see write). */
  readonly releasesChunks = true;

  /** Whether this is a terminal (decides colour). */
  get isTTY(): boolean {
    this.#tty ??= isTerminal(this.fd);
    return this.#tty;
  }

  /** The terminal's width, or undefined when this is no terminal (a table is then not cut). */
  get columns(): number | undefined {
    return this.isTTY ? this.stream.columns : undefined;
  }

  /** The process's own stream, for anything that needs a real one; from then on all writes go through it, in order. */
  get stream(): NodeJS.WriteStream {
    this.#stream ??= this.fd === 1 ? process.stdout : process.stderr;
    return this.#stream;
  }

  /** Resolves once everything written has left the process (at once unless the stream is in use and backed up). */
  async flushed(): Promise<void> {
    const stream = this.#stream;
    if (!stream || stream.writableLength === 0 || stream.destroyed) return;
    await new Promise<void>((resolve) => {
      stream.once('drain', resolve);
      stream.once('close', resolve);
      stream.once('error', resolve);
    });
  }

  /**
   * Write all of `chunk`. A descriptor left non-blocking by whoever started
   * nepho (EAGAIN) hands the rest to the stream, which waits for it; a reader
   * that went away (EPIPE, as in `nepho cloudlet:list | head -1`) ends the
   * output quietly. The caller's buffer is never kept: what the stream is
   * handed is a copy, so the caller may fill it again at once.
   */
  write(chunk: string | Uint8Array): boolean {
    if (this.#closed) return false;
    if (this.#stream) return this.#stream.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk));
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    while (data.length > 0) {
      try {
        data = data.subarray(writeSync(this.fd, data));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return this.stream.write(Buffer.from(data));
        if (code === 'EPIPE') {
          this.#closed = true;
          return false;
        }
        throw error;
      }
    }
    return true;
  }
}

/** Standard input, opened as a stream only when a command reads it. */
export class ProcessSource {
  #tty: boolean | undefined;

  /** Whether this is a terminal (decides whether nepho may ask). */
  get isTTY(): boolean {
    this.#tty ??= isTerminal(0);
    return this.#tty;
  }

  /** The process's own stdin stream. */
  get stream(): NodeJS.ReadStream {
    return process.stdin;
  }
}

/**
 * The stream behind a context's stdin, stdout or stderr: the process's own
 * for the lazy ones above, or the stream a test passed in.
 */
export function streamOf<T>(value: T): T {
  return value instanceof ProcessSink || value instanceof ProcessSource ? (value.stream as T) : value;
}
