// Progress in a terminal: a live bar drawn by cli-progress (redrawn at most 10 times a second,
// on a TTY only), and fit's verbose output on top of it: per epoch a Keras-style bar (batch n/N,
// ETA, running loss and accuracy, samples/s) that gives way to one permanent line; on a stream
// that is not a TTY only that line, once per epoch. The bar appears only once an epoch has run
// progressTiming.barDelayMs: short epochs (fit then trains several to a call) leave just lines.
import { SingleBar } from 'cli-progress';
import type { BatchLogs, EpochLogs } from '../model/callbacks';
import type { History } from '../model/history';

/**
 * When fit's bar shows: after an epoch has run barDelayMs (a shorter epoch shows only its line);
 * and epochs shorter than groupMs run several to a call of about groupMs when only verbose output
 * (or a signal) needs JavaScript, their lines written after it. Internal: tests set both to 0 to
 * see the bar on tiny epochs.
 */
export const progressTiming = { barDelayMs: 100, groupMs: 100 };

/** A count with thousands separators, 12,345 (toLocaleString took ~3 us a call, Intl ~1 us). */
export function thousands(x: number): string {
  const s = String(Math.round(x));
  if (s.length <= 3 || !/^\d+$/.test(s)) return s;
  let out = s.slice(0, s.length % 3 || 3);
  for (let i = out.length; i < s.length; i += 3) out += `,${s.slice(i, i + 3)}`;
  return out;
}

/** Where progress goes: process.stdout, or anything with write (isTTY true gets the live bar). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** One live bar at a time on a TTY, plus permanent lines; nothing live on other streams. */
export class LiveBar {
  /** Made once and restarted for each bar: one SingleBar for the whole run. */
  private bar: SingleBar | null = null;
  private shown = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly format: string,
  ) {}

  get live(): boolean {
    return this.stream.isTTY === true;
  }

  /** Whether a bar is on the screen now. */
  get showing(): boolean {
    return this.shown;
  }

  /** Moves the bar to value of total (starting it if none is shown); payload fills the format's {names}. */
  update(value: number, total: number, payload: Record<string, string | number>): void {
    if (!this.live) return;
    if (this.shown && this.bar?.getTotal() === total) {
      this.bar.update(value, payload);
      return;
    }
    this.clear();
    this.bar ??= new SingleBar({
      stream: this.stream as NodeJS.WritableStream,
      format: this.format,
      barsize: 20,
      barCompleteChar: '=',
      barIncompleteChar: '.',
      clearOnComplete: true,
      hideCursor: false,
      etaBuffer: 50,
      fps: 10,
    });
    this.bar.start(total, value, payload);
    this.shown = true;
  }

  /** Removes the live bar (and its redraw timer). */
  clear(): void {
    if (!this.shown) return;
    this.bar?.stop();
    this.shown = false;
  }

  /** A permanent line, below where the bar was. */
  line(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
  }

  /** Permanent lines (each without its newline), in one write. */
  lines(texts: string[]): void {
    if (texts.length === 0) return;
    this.clear();
    this.stream.write(`${texts.join('\n')}\n`);
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

  /** Whether fit should report batches (a bar can be drawn): fit then trains a long epoch in chunks. */
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
    // No bar for an epoch shorter than barDelayMs (its line is enough); cli-progress redraws at
    // most 10 times a second, and the payload is not worth building more often.
    if (!this.bar.showing && now - this.epochStart < progressTiming.barDelayMs) return;
    if (done < this.o.batches && now - this.lastUpdate < 50) return;
    this.lastUpdate = now;
    const secs = (now - this.epochStart) / 1000;
    this.bar.update(done, this.o.batches, {
      epoch: `${epoch + 1}/${this.o.epochs}`,
      loss: (this.lossSum / this.seen).toFixed(4),
      metrics: this.o.accuracy ? ` acc ${(this.correct / this.seen).toFixed(4)}` : '',
      rate: secs > 0 ? thousands(this.seen / secs) : '-',
    });
  }

  /** `samples`: the epoch's training samples when the constructor could not know them (a stream). */
  epochEnd(epoch: number, logs: EpochLogs, samples = this.o.samples): void {
    this.bar.line(this.epochLine(epoch, logs, (performance.now() - this.epochStart) / 1000, samples));
  }

  /** Epochs first..first+count-1, trained in one call (secs each), from the history: one write. */
  epochsEnd(first: number, history: History, count: number, secs: number): void {
    const h = history.history;
    const texts: string[] = [];
    // The history's rows start at fit's initialEpoch: epoch e is row e - history.epoch[0].
    const row0 = history.epoch[0] ?? first;
    for (let e = first; e < first + count; e++) {
      const logs: EpochLogs = { loss: h.loss[e - row0], lr: h.lr[e - row0] };
      if (h.acc) logs.acc = h.acc[e - row0];
      texts.push(this.epochLine(e, logs, secs));
    }
    this.bar.lines(texts);
  }

  private epochLine(epoch: number, logs: EpochLogs, secs: number, samples = this.o.samples): string {
    const line = formatEpoch(epoch, this.o.epochs, logs);
    if (!this.bar.live) return line;
    const rate = secs > 0 ? `  ${thousands(samples / secs)} samples/s` : '';
    return `${line}  ${secs.toFixed(1)}s${rate}`;
  }

  /** Takes the live bar down (fit threw or was aborted). */
  stop(): void {
    this.bar.clear();
  }
}

/** The permanent line of an epoch: "epoch 3/20  loss 0.1234  acc 0.9500  valLoss ...  valAcc ...". */
export function formatEpoch(epoch: number, epochs: number, logs: EpochLogs): string {
  let line = `epoch ${epoch + 1}/${epochs}  loss ${logs.loss.toFixed(4)}`;
  if (logs.acc !== undefined) line += `  acc ${logs.acc.toFixed(4)}`;
  if (logs.valLoss !== undefined) line += `  valLoss ${logs.valLoss.toFixed(4)}`;
  if (logs.valAcc !== undefined) line += `  valAcc ${logs.valAcc.toFixed(4)}`;
  return line;
}
