/**
 * Rate and concurrency limits for probing (PROBE-PROBES "rate cap").
 *
 * RateLimiter releases at most `rate` connection attempts in any window of `windowMs` (plus a
 * guard for clock and scheduling jitter between this process and the wire): it keeps the
 * release times of the last `rate` attempts and lets the next one go only when the oldest has
 * left the window, so no one-second window ever holds more than `rate`. Releases are also
 * paced evenly (1/rate apart, with one interval of catch-up), so a target sees a steady stream,
 * not a burst at the start of each second. Units: attempts per second, milliseconds.
 */
export class RateLimiter {
  private readonly ring: Float64Array;
  private head = 0;
  private filled = 0;
  private nextPaced = 0;
  private readonly interval: number;
  private readonly waiting: Array<{ resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal | undefined }> = [];
  private timer: NodeJS.Timeout | undefined;
  /** Attempts released so far. */
  released = 0;

  constructor(readonly rate: number, readonly windowMs = 1000, readonly guardMs = 25, private readonly now: () => number = () => performance.now()) {
    if (!(Number.isInteger(rate) && rate >= 1)) throw new RangeError('rate must be a positive integer (attempts per second).');
    this.ring = new Float64Array(rate);
    this.interval = windowMs / rate;
  }

  /** Resolves when one more attempt may start now; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, signal });
      this.pump();
    });
  }

  private earliest(): number {
    const window = this.filled < this.rate ? 0 : this.ring[this.head]! + this.windowMs + this.guardMs;
    return Math.max(window, this.nextPaced);
  }

  private pump(): void {
    if (this.timer) return;
    for (;;) {
      while (this.waiting.length && this.waiting[0]!.signal?.aborted) {
        const gone = this.waiting.shift()!;
        gone.reject(gone.signal?.reason);
      }
      const w = this.waiting[0];
      if (!w) return;
      const t = this.now();
      const at = this.earliest();
      if (t < at) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.max(1, Math.ceil(at - t)));
        return;
      }
      this.waiting.shift();
      this.ring[this.head] = t;
      this.head = (this.head + 1) % this.rate;
      this.filled = Math.min(this.filled + 1, this.rate);
      this.nextPaced = Math.max(this.nextPaced, t - this.interval) + this.interval;
      this.released++;
      w.resolve();
    }
  }
}

/** A counting semaphore: at most `limit` holders at once. */
export class Semaphore {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      this.queue.shift()?.();
    };
  }
}

/** Worst number of events in any window of `windowMs` (times in ms, any order). */
export function worstWindow(times: number[], windowMs = 1000): number {
  const t = [...times].sort((a, b) => a - b);
  let worst = 0;
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= windowMs) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}
