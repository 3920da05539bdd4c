/**
 * Rate and concurrency limits for probing (PROBE-PROBES "rate cap").
 *
 * RateLimiter releases at most `rate` connection attempts in any window of `windowMs` (plus a
 * guard for clock and scheduling jitter between this process and the wire): it keeps the
 * release times of the last `rate` attempts and lets the next one go only when the oldest has
 * left the window, so no one-second window ever holds more than `rate`. Releases are also
 * paced evenly (1/rate apart; a late timer is made up for with at most CATCH_UP_MS of
 * attempts at once), so a target sees a steady stream, not a burst at the start of each second.
 * Units: attempts per second, milliseconds.
 */
export class RateLimiter {
  private readonly ring: Float64Array;
  private readonly slotSeq: Float64Array;
  private seq = 0;
  private head = 0;
  private filled = 0;
  private nextPaced = 0;
  private readonly interval: number;
  private readonly waiting: Array<{ resolve: (sent: () => void) => void; reject: (e: unknown) => void; signal?: AbortSignal | undefined }> = [];
  private timer: NodeJS.Timeout | undefined;
  /** Attempts released so far. */
  released = 0;

  constructor(readonly rate: number, readonly windowMs = 1000, readonly guardMs = 5, private readonly now: () => number = () => performance.now()) {
    if (!(Number.isInteger(rate) && rate >= 1)) throw new RangeError('rate must be a positive integer (attempts per second).');
    this.ring = new Float64Array(rate);
    this.slotSeq = new Float64Array(rate);
    this.interval = windowMs / rate;
  }

  /**
   * Resolves when one more attempt may start now, with `sent()`: call it right after the
   * connect() call, so the window counts the attempt from when it left rather than from when
   * it was allowed (a process paused in between would otherwise let the wire see the oldest
   * attempt late and the newest early). Rejects if `signal` aborts first.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
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
      const slot = this.head;
      const seq = ++this.seq;
      this.ring[slot] = t;
      this.slotSeq[slot] = seq;
      this.head = (this.head + 1) % this.rate;
      this.filled = Math.min(this.filled + 1, this.rate);
      // Timers wake late (1 ms at best, more on a busy host): up to CATCH_UP_MS of lateness is
      // made up with a short burst, so the achieved rate stays near the cap; the window above
      // still bounds every second.
      this.nextPaced = Math.max(this.nextPaced, t - CATCH_UP_MS) + this.interval;
      this.released++;
      w.resolve(() => {
        // Later only (never earlier), and only while the slot still holds this attempt.
        if (this.slotSeq[slot] === seq) this.ring[slot] = Math.max(this.ring[slot]!, this.now());
      });
    }
  }
}

/** Lateness of the pacing timer (ms) that the limiter makes up for with a burst. */
export const CATCH_UP_MS = 200;

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

/**
 * Runs `fn` over `items` with at most `concurrency` calls in flight, pulling the next item only
 * when a call ends (a fixed set of runners, not one pending promise per item: a scan of 16,000
 * ports keeps `concurrency` closures alive, not 16,000). Rejects with the first error after
 * every runner has stopped taking items.
 */
export async function runPool<T>(items: Iterable<T>, concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  const it = items[Symbol.iterator]();
  let failed: { e: unknown } | undefined;
  const runner = async () => {
    for (;;) {
      if (failed) return;
      const n = it.next();
      if (n.done) return;
      try {
        await fn(n.value);
      } catch (e) {
        failed ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, runner));
  if (failed) throw failed.e;
}

/**
 * Connect timeout from measured round-trip times, as nmap does (timing.cc, after RFC 6298):
 * srtt and rttvar from every answered connect (open or closed); the timeout is
 * srtt + 4 x rttvar, never below `minMs` (nmap's --min-rtt-timeout, 100 ms) nor above `maxMs`
 * (the safety profile's connect timeout, which is also the timeout until the first answer).
 * Units: ms.
 */
export class RttTimeout {
  private srtt = -1;
  private rttvar = 0;
  constructor(readonly maxMs: number, readonly minMs = Math.min(100, maxMs)) {}

  /** Records the round-trip time (ms) of a connect that was answered. */
  observe(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
  }

  /** The connect timeout to use now (ms). */
  get timeoutMs(): number {
    if (this.srtt < 0) return this.maxMs;
    return Math.min(this.maxMs, Math.max(this.minMs, Math.ceil(this.srtt + 4 * this.rttvar)));
  }
}
