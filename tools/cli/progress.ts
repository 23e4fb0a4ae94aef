/**
 * Progress for long work (zeroing, formatting a large BTT, fsck passes): a single line redrawn
 * with '\r' on a terminal, silent in a pipe or with -q. Redraws happen when the whole percent
 * changes, never on a timer, so output is deterministic for a given sequence of updates.
 *
 * Layer: fronts (tools/cli). No imports.
 */

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export class Progress {
  private readonly enabled: boolean;
  private lastPercent = -1;
  private drawn = false;

  /**
   * @param stream where to draw (normally process.stderr)
   * @param label what is in progress, e.g. 'Zeroing'
   * @param total the amount of work (bytes, blocks, ...); > 0
   * @param quiet true for -q / --json: never draw
   */
  constructor(private readonly stream: ProgressStream, private readonly label: string, private readonly total: number, quiet = false) {
    this.enabled = !quiet && stream.isTTY === true && total > 0;
  }

  get active(): boolean {
    return this.enabled;
  }

  /** Report `done` units of `total` finished. */
  update(done: number): void {
    if (!this.enabled) return;
    const percent = Math.min(100, Math.floor((done * 100) / this.total));
    if (percent === this.lastPercent) return;
    this.lastPercent = percent;
    this.stream.write(`\r${this.label}: ${String(percent).padStart(3)}%`);
    this.drawn = true;
  }

  /** Finish the line ('done') if anything was drawn. */
  finish(): void {
    if (!this.enabled || !this.drawn) return;
    this.stream.write(`\r${this.label}: done\n`);
    this.drawn = false;
  }
}
