// Progress in a terminal: a live bar drawn by cli-progress (redrawn at most 10 times a second,
// on a TTY only), and fit's verbose output on top of it: per epoch a Keras-style bar (batch n/N,
// ETA, running loss and accuracy, samples/s) that gives way to one permanent line; on a stream
// that is not a TTY only that line, once per epoch.
import { SingleBar } from 'cli-progress';
import type { BatchLogs, EpochLogs } from '../model/callbacks';

/** Where progress goes: process.stdout, or anything with write (isTTY true gets the live bar). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** One live bar at a time on a TTY, plus permanent lines; nothing live on other streams. */
export class LiveBar {
  private bar: SingleBar | null = null;

  constructor(
    private readonly stream: ProgressStream,
    private readonly format: string,
  ) {}

  get live(): boolean {
    return this.stream.isTTY === true;
  }

  /** Moves the bar to value of total (starting it if none is shown); payload fills the format's {names}. */
  update(value: number, total: number, payload: Record<string, string | number>): void {
    if (!this.live) return;
    if (!this.bar || this.bar.getTotal() !== total) {
      this.clear();
      this.bar = new SingleBar({
        stream: this.stream as NodeJS.WritableStream,
        format: this.format,
        barsize: 20,
        barCompleteChar: '=',
        barIncompleteChar: '.',
        clearOnComplete: true,
        hideCursor: false,
        etaBuffer: 50,
      });
      this.bar.start(total, value, payload);
      return;
    }
    this.bar.update(value, payload);
  }

  /** Removes the live bar (and its redraw timer). */
  clear(): void {
    this.bar?.stop();
    this.bar = null;
  }

  /** A permanent line, below where the bar was. */
  line(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
  }
}

export interface FitProgressOptions {
  epochs: number;
  batches: number;
  /** Training samples per epoch. */
  samples: number;
  /** 1: the live bar on a TTY; 2: only the line per epoch. */
  verbose: 1 | 2;
  /** Show the running accuracy (the model's first output has the accuracy metric). */
  accuracy: boolean;
}

/** fit's verbose output. */
export class FitProgress {
  private readonly bar: LiveBar;
  private epochStart = 0;
  private lastUpdate = 0;
  private lossSum = 0;
  private correct = 0;
  private seen = 0;

  constructor(
    stream: ProgressStream,
    private readonly o: FitProgressOptions,
  ) {
    this.bar = new LiveBar(stream, 'epoch {epoch} {value}/{total} [{bar}] ETA {eta_formatted} loss {loss}{metrics} {rate} samples/s');
  }

  /** Whether fit must report batches (the bar is live): fit then trains in chunks. */
  get perBatch(): boolean {
    return this.o.verbose === 1 && this.bar.live;
  }

  epochBegin(): void {
    this.epochStart = performance.now();
    this.lastUpdate = 0;
    this.lossSum = 0;
    this.correct = 0;
    this.seen = 0;
  }

  /** After batch `done` (1-based) of the epoch `epoch` (0-based). */
  batchEnd(epoch: number, done: number, logs: BatchLogs): void {
    this.lossSum += logs.loss * logs.size;
    this.correct += logs.correct;
    this.seen += logs.size;
    const now = performance.now();
    // cli-progress redraws at most 10 times a second; the payload is not worth building more often.
    if (done < this.o.batches && now - this.lastUpdate < 50) return;
    this.lastUpdate = now;
    const secs = (now - this.epochStart) / 1000;
    this.bar.update(done, this.o.batches, {
      epoch: `${epoch + 1}/${this.o.epochs}`,
      loss: (this.lossSum / this.seen).toFixed(4),
      metrics: this.o.accuracy ? ` acc ${(this.correct / this.seen).toFixed(4)}` : '',
      rate: secs > 0 ? Math.round(this.seen / secs).toLocaleString('en-US') : '-',
    });
  }

  epochEnd(epoch: number, logs: EpochLogs): void {
    const line = formatEpoch(epoch, this.o.epochs, logs);
    if (!this.bar.live) {
      this.bar.line(line);
      return;
    }
    const secs = (performance.now() - this.epochStart) / 1000;
    const rate = secs > 0 ? `  ${Math.round(this.o.samples / secs).toLocaleString('en-US')} samples/s` : '';
    this.bar.line(`${line}  ${secs.toFixed(1)}s${rate}`);
  }

  /** Takes the live bar down (fit threw or was aborted). */
  stop(): void {
    this.bar.clear();
  }
}

/** The permanent line of an epoch: "epoch 3/20  loss 0.1234  acc 0.9500  valLoss ...  valAcc ...". */
export function formatEpoch(epoch: number, epochs: number, logs: EpochLogs): string {
  const parts = [`epoch ${epoch + 1}/${epochs}`, `loss ${logs.loss.toFixed(4)}`];
  if (logs.acc !== undefined) parts.push(`acc ${logs.acc.toFixed(4)}`);
  if (logs.valLoss !== undefined) parts.push(`valLoss ${logs.valLoss.toFixed(4)}`);
  if (logs.valAcc !== undefined) parts.push(`valAcc ${logs.valAcc.toFixed(4)}`);
  return parts.join('  ');
}
