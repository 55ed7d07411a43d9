// The MNIST command's live display: a cli-progress bar on a TTY (src/training/progress.ts),
// rewritten in place; plain lines otherwise.
import { LiveBar, type ProgressStream } from '../training/progress';

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
  private readonly bar: LiveBar;
  private lastDraw = 0;

  constructor(out: ProgressStream = process.stdout) {
    this.bar = new LiveBar(out, 'epoch {epoch} {value}/{total} [{bar}] loss {loss} acc {acc} ~{left} left');
  }

  get live(): boolean {
    return this.bar.live;
  }

  /** Moves the bar (the payload is built at most ~20 times a second); nothing when not a TTY (epoch lines carry the news). */
  update(s: ProgressState): void {
    if (!this.live) return;
    const now = Date.now();
    if (now - this.lastDraw < 50 && s.batch < s.batches) return;
    this.lastDraw = now;
    this.bar.update(s.batch, s.batches, {
      epoch: `${s.epoch}/${s.epochs}`,
      loss: s.loss.toFixed(4),
      acc: s.acc.toFixed(4),
      left: formatSeconds(s.secondsLeft),
    });
  }

  /** A permanent line (takes the live bar down first on a TTY). */
  line(text: string): void {
    this.bar.line(text);
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
}
