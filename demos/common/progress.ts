/** A progress bar on stderr: redrawn in place on a terminal, a line every 10% in logs. */
export class ProgressBar {
  private done = 0;
  private lastDecile = -1;
  private readonly started = Date.now();

  constructor(
    private readonly total: number,
    private readonly label: string,
  ) {}

  tick(info = ''): void {
    this.done++;
    const fraction = this.done / this.total;
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = fraction > 0 ? elapsed * (1 / fraction - 1) : 0;
    const text = `${this.label} ${this.bar(fraction)} ${this.done}/${this.total} ${elapsed.toFixed(0)}s<${eta.toFixed(0)}s ${info}`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${text.padEnd(100)}`);
      if (this.done === this.total) process.stderr.write('\n');
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        process.stderr.write(`${text}\n`);
      }
    }
  }

  private bar(fraction: number): string {
    const width = 24;
    const filled = Math.round(fraction * width);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  }
}
