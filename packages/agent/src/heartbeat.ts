/**
 * Heartbeats → intervals, the way ActivityWatch's watchers do it: each poll produces a
 * heartbeat; a heartbeat whose data equal the open interval's and that arrives within the
 * pulse time of its end extends it, anything else closes it and opens a new one.
 *
 * Differences from a plain merge, each for a stated reason:
 *  - a different heartbeat within the pulse time closes the open interval at the new
 *    heartbeat's time, so consecutive intervals touch instead of leaving a poll-sized gap;
 *  - active→idle is back-dated to the last input (`now - idleMs`), and idle→active starts the
 *    new interval at that last input, so idle time is not counted as active (and vice versa);
 *  - a gap longer than the pulse time (suspend, a stopped agent) closes the open interval at
 *    its last heartbeat and starts a new one, so no interval spans a time the agent did not see;
 *  - a clock that went backwards closes the open interval, and heartbeats are ignored until
 *    the clock passes the latest end already recorded (the floor, carried across restarts):
 *    after the clock is set back by D, up to D of activity is not recorded, so that no time
 *    is ever counted twice and intervals never overlap;
 *  - `null` data (screen locked, no focused window) closes the open interval and records nothing;
 *  - an interval reaching {@link PULSE_INTERVAL_MAX_MS} is closed and continued in a new one.
 */
import { randomUUID } from 'node:crypto';
import * as pulseBatch from '@parapet/core/pulse/batch';
import type { PulseState } from '@parapet/core/pulse/batch';

/** What an interval records (the upload form's fields other than id and times, plus local-only ones). */
export interface IntervalData {
  state: PulseState;
  app: string | null;
  category: string | null;
  domain: string | null;
  /** Employee's local category; never uploaded. */
  localCategory: string | null;
}

export interface Interval extends IntervalData {
  id: string;
  /** ms since the epoch, inclusive. */
  start: number;
  /** ms since the epoch, exclusive. */
  end: number;
}

export interface Heartbeat {
  /** ms since the epoch. */
  at: number;
  /** null: record nothing (locked, no window). */
  data: IntervalData | null;
  /** Input idle time at `at` (ms), used for back-dating active↔idle. */
  idleMs: number;
}

/** ActivityWatch's pulse time for a poll interval: max(1.5 × poll, poll + 1 s). */
export const pulseTimeFor = (pollMs: number) => Math.max(1.5 * pollMs, pollMs + 1000);

const sameData = (a: IntervalData, b: IntervalData) => a.state === b.state && a.app === b.app && a.category === b.category && a.domain === b.domain && a.localCategory === b.localCategory;

/** Stateful merger. `heartbeat` returns the intervals it closed (each with end > start). */
export class HeartbeatMerger {
  private cur: Interval | null = null;
  /** No interval may start before this (ms): the latest end recorded so far. */
  floor: number;
  constructor(
    readonly pulseMs: number,
    private readonly newId: () => string = randomUUID,
    readonly maxMs: number = pulseBatch.PULSE_INTERVAL_MAX_MS,
    floor = -Infinity,
  ) {
    this.floor = floor;
  }

  /** The open interval (a copy), if any. */
  get open(): Interval | null {
    return this.cur ? { ...this.cur } : null;
  }

  private start(at: number, data: IntervalData): void {
    this.cur = { id: this.newId(), start: at, end: at, ...data };
  }

  /** Closes the open interval; returns it when it has a positive length. */
  flush(): Interval[] {
    const c = this.cur;
    this.cur = null;
    if (c) this.floor = Math.max(this.floor, c.end);
    return c && c.end > c.start ? [c] : [];
  }

  heartbeat(h: Heartbeat): Interval[] {
    const c = this.cur;
    if (h.data === null) return this.flush();
    if (h.at < Math.max(this.floor, c?.end ?? -Infinity)) return this.flush();
    if (!c) {
      this.start(h.at, h.data);
      return [];
    }
    if (h.at - c.end > this.pulseMs) {
      const done = this.flush();
      this.start(h.at, h.data);
      return done;
    }
    if (sameData(c, h.data)) {
      if (h.at - c.start > this.maxMs) {
        const done = this.flush();
        this.start(done[0]?.end ?? h.at, h.data);
        this.cur!.end = h.at;
        return done;
      }
      c.end = h.at;
      return [];
    }
    // A change within the pulse time: find where the old interval really ended.
    let cut = h.at;
    const toIdle = c.state === 'active' && h.data.state === 'idle';
    const toActive = c.state === 'idle' && h.data.state === 'active';
    if (toIdle || toActive) cut = Math.min(h.at, Math.max(c.start, h.at - h.idleMs));
    c.end = cut;
    const done = this.flush();
    this.start(cut, h.data);
    this.cur!.end = h.at;
    return done;
  }
}
