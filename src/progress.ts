import { createLogUpdate } from 'log-update';

/** What live progress writes to: a terminal stream. */
type Terminal = NodeJS.WritableStream & { columns?: number };

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** How long something took or has been going, for people: `42s`, `3m07s`. */
function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * One status line at the bottom of a terminal, redrawn in place (log-update)
 * while lines printed through `above` scroll past it. `text` is asked for the
 * line on every redraw: on each change and every `tick` milliseconds, so an
 * elapsed time moves on its own.
 */
export class StatusLine {
  readonly #draw: ReturnType<typeof createLogUpdate>;
  readonly #timer: NodeJS.Timeout;
  #frame = 0;
  #stopped = false;

  constructor(
    private readonly stream: Terminal,
    private readonly text: () => string,
    tick = 250,
  ) {
    this.#draw = createLogUpdate(stream as NodeJS.WriteStream, { showCursor: true });
    this.#timer = setInterval(() => this.redraw(), tick).unref();
    this.redraw();
  }

  /** Draw the line again, with what `text` says now. */
  redraw(): void {
    if (this.#stopped) return;
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    let line = `${FRAMES[this.#frame++ % FRAMES.length]} ${this.text()}`;
    if (line.length > width) line = `${line.slice(0, width - 1)}…`;
    this.#draw(line);
  }

  /** Print something (`write` writes whole lines) above the status line, which is then drawn again below it. */
  above(write: () => void): void {
    if (this.#stopped) return write();
    this.#draw.clear();
    write();
    this.redraw();
  }

  /** Take the line off the screen for good. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#draw.clear();
  }
}

/**
 * Run `work`; when it takes longer than `after` milliseconds, show a
 * spinner with `text` and the time spent on `stream` until it ends. `live`
 * is given the status line while it is drawn, so that other output goes above it.
 */
export async function withSpinner<T>(
  stream: Terminal,
  text: string,
  work: () => Promise<T>,
  live: (line: StatusLine | undefined) => void,
  after = 1000,
): Promise<T> {
  const started = Date.now();
  let line: StatusLine | undefined;
  const timer = setTimeout(() => {
    line = new StatusLine(stream, () => `${text} (${elapsed(Date.now() - started)})`, 100);
    live(line);
  }, after).unref();
  try {
    return await work();
  } finally {
    clearTimeout(timer);
    line?.stop();
    live(undefined);
  }
}
