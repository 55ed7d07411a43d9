// A one-line live progress display for a TTY (rewritten in place), plain lines otherwise.
export interface ProgressState {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  acc: number;
  /** Estimated seconds left for the whole run. */
  secondsLeft: number;
}

export class ProgressDisplay {
  private lastDraw = 0;
  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  get live(): boolean {
    return Boolean(this.out.isTTY);
  }

  /** Redraws at most ~10 times a second; nothing when not a TTY (epoch lines carry the news). */
  update(s: ProgressState): void {
    if (!this.live) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && s.batch < s.batches) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((width * s.batch) / s.batches);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    this.out.write(`\r\x1b[2Kepoch ${s.epoch}/${s.epochs} [${bar}] loss ${s.loss.toFixed(4)} acc ${s.acc.toFixed(4)} ~${formatSeconds(s.secondsLeft)} left`);
  }

  /** A permanent line (clears the live line first on a TTY). */
  line(text: string): void {
    if (this.live) this.out.write('\r\x1b[2K');
    this.out.write(`${text}\n`);
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
}
