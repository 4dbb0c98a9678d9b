/** Where a progress bar writes: stderr by default; specs pass a fake. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

const BAR_WIDTH = 24;
const LINE_WIDTH = 100;

/**
 * A terminal progress bar on stderr (so that stdout stays clean for results): redrawn in place
 * with `\r` on a terminal, and, in logs (CI, files), one line each time another tenth is done, so
 * that a long run leaves ~10 lines instead of thousands.
 *
 * @example
 * ```ts
 * const bar = new ProgressBar(batches.length, 'epoch 1');
 * for (const batch of batches) bar.tick(`loss ${train(batch).toFixed(3)}`);
 * bar.done();
 * ```
 */
export class ProgressBar {
  private completed = 0;
  private lastTenth = -1;
  private finished = false;
  private readonly started = Date.now();

  /**
   * @param total number of ticks that make 100%.
   * @param label printed before the bar.
   * @param stream where to write; `process.stderr` unless given.
   */
  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly stream: ProgressStream = process.stderr,
  ) {}

  /** Marks one more unit done; `info` (e.g. the current loss) is shown after the bar. */
  tick(info = ''): void {
    if (this.finished) return;
    this.completed = Math.min(this.completed + 1, this.total);
    const text = this.render(info);
    if (this.stream.isTTY) {
      this.stream.write(`\r${text.padEnd(LINE_WIDTH)}`);
      return;
    }
    const tenth = Math.floor((this.completed / Math.max(this.total, 1)) * 10);
    if (tenth !== this.lastTenth) {
      this.lastTenth = tenth;
      this.stream.write(`${text}\n`);
    }
  }

  /** Ends the bar: moves a terminal to the next line, or logs the final state if not yet logged. */
  done(info = ''): void {
    if (this.finished) return;
    this.finished = true;
    if (this.stream.isTTY) {
      this.stream.write(`\r${this.render(info).padEnd(LINE_WIDTH)}\n`);
    } else if (this.lastTenth !== 10 || info !== '') {
      this.stream.write(`${this.render(info)}\n`);
    }
  }

  private render(info: string): string {
    const fraction = this.total > 0 ? this.completed / this.total : 1;
    const elapsed = (Date.now() - this.started) / 1000;
    const remaining = fraction > 0 ? elapsed * (1 / fraction - 1) : 0;
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
    const timing = `${elapsed.toFixed(0)}s<${remaining.toFixed(0)}s`;
    return `${this.label} ${bar} ${this.completed}/${this.total} ${timing}${info ? ` ${info}` : ''}`;
  }
}
