/**
 * The recording loop of `parapet-agent run`: poll the collector every second, turn each
 * sample into a heartbeat (employee controls first, then scrubbing and categorisation), merge
 * heartbeats into intervals and write them to the local store. Raw titles live only in memory
 * for the duration of one poll.
 */
import type { PulsePolicy } from '@parapet/core/pulse/batch';
import type { Collector, LockSource, Sample } from './collector/types.js';
import { pausedReason, readControls, type Controls } from './control.js';
import { HeartbeatMerger, pulseTimeFor, type Heartbeat, type IntervalData } from './heartbeat.js';
import { currentPolicy, localRules } from './policy.js';
import { makeCategoriser, type Categoriser } from './scrub/categorise.js';
import { makeScrubber, type Scrubbed } from './scrub/scrub.js';
import type { Store } from './store.js';

/** The scrubber and categoriser for one policy version. */
export interface Classifier {
  policy: PulsePolicy;
  scrub: (title: string) => Scrubbed;
  categoriser: Categoriser;
}

export function makeClassifier(policy: PulsePolicy, local: Parameters<typeof makeCategoriser>[1] = []): Classifier {
  return { policy, scrub: makeScrubber({ names: policy.scrub_names }), categoriser: makeCategoriser(policy, local) };
}

/**
 * One sample → one heartbeat. Paused (pause, off-hours, excluded app) wins over everything and
 * carries no detail; a locked screen or no focused window records nothing; otherwise the
 * title is scrubbed, categorised and dropped.
 */
export function observe(s: Sample, controls: Controls, c: Classifier): Heartbeat {
  const paused: IntervalData = { state: 'paused', app: null, category: null, domain: null, localCategory: null };
  const app = s.window?.app ?? null;
  if (pausedReason(controls, s.at, app)) return { at: s.at, data: paused, idleMs: s.idleMs };
  if (s.locked || !s.window) return { at: s.at, data: null, idleMs: s.idleMs };
  const { title, domain } = c.scrub(s.window.title);
  const { category, localCategory } = c.categoriser.categorise(s.window.app, title, domain);
  const idle = s.idleMs >= c.policy.idle_timeout_seconds * 1000;
  return { at: s.at, data: { state: idle ? 'idle' : 'active', app: s.window.app, category, domain, localCategory }, idleMs: s.idleMs };
}

export interface RecorderOptions {
  collector: Collector;
  store: Store;
  /** Poll period (ms); default 1000 as in ActivityWatch. */
  pollMs?: number;
  /** How often the open interval is written to the store (ms); default 10 000. */
  saveEveryMs?: number;
  /** Overrides the policy's idle timeout (s), e.g. `run --idle-timeout`. */
  idleTimeoutSeconds?: number | undefined;
  /** Lock signals besides the collector's own (logind); any one locked makes the sample locked. */
  locks?: LockSource[];
  log?: (line: string) => void;
}

export class Recorder {
  readonly merger: HeartbeatMerger;
  private classifier!: Classifier;
  private policyKey = '';
  private controls!: Controls;
  private lastRefresh = 0;
  private lastSave = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastLocked = false;
  private running: Promise<void> | undefined;
  private finish: (() => void) | undefined;

  constructor(private readonly o: RecorderOptions) {
    o.store.closeStaleOpen();
    this.merger = new HeartbeatMerger(pulseTimeFor(o.pollMs ?? 1000), undefined, undefined, o.store.lastEnd());
    this.refresh(0);
  }

  private refresh(now: number): void {
    this.controls = readControls(this.o.store);
    const policy = currentPolicy(this.o.store);
    const local = localRules(this.o.store);
    const key = JSON.stringify([policy, local, this.o.idleTimeoutSeconds]);
    if (key !== this.policyKey) {
      this.classifier = makeClassifier(this.o.idleTimeoutSeconds ? { ...policy, idle_timeout_seconds: this.o.idleTimeoutSeconds } : policy, local);
      this.policyKey = key;
    }
    this.lastRefresh = now;
  }

  /** Re-reads the controls on the next poll (after a tray action). */
  refreshSoon(): void {
    this.lastRefresh = -Infinity;
  }

  /** What the tray shows for the latest controls and sample at `at` (ms since the epoch): an explicit pause wins, then a lock (the collector's screen saver or a lock source). */
  trayState(at: number, supported: boolean): 'recording' | 'paused' | 'locked' | 'not-recording' {
    if (pausedReason(this.controls, at, null) === 'paused') return 'paused';
    if (this.lastLocked || this.o.locks?.some((l) => l.locked)) return 'locked';
    return supported ? 'recording' : 'not-recording';
  }

  /** One poll: sample, observe, merge, store. */
  async tick(): Promise<void> {
    const s = await this.o.collector.sample();
    if (!s.locked && this.o.locks?.some((l) => l.locked)) s.locked = true;
    this.lastLocked = s.locked;
    if (s.at - this.lastRefresh >= 2000 || s.at < this.lastRefresh) this.refresh(s.at);
    const closed = this.merger.heartbeat(observe(s, this.controls, this.classifier));
    if (closed.length > 0 || s.at - this.lastSave >= (this.o.saveEveryMs ?? 10_000) || s.at < this.lastSave) {
      this.o.store.saveIntervals(closed, this.merger.open);
      this.lastSave = s.at;
    }
  }

  /** Polls until stop(); errors from the collector end the loop and are rethrown by stop()/done. */
  start(): Promise<void> {
    const period = this.o.pollMs ?? 1000;
    this.running = new Promise<void>((resolve, reject) => {
      this.finish = resolve;
      const loop = async () => {
        if (this.stopped) return resolve();
        const t0 = Date.now();
        try {
          await this.tick();
        } catch (e) {
          this.o.store.saveIntervals(this.merger.flush(), null);
          return reject(e);
        }
        if (this.stopped) return resolve();
        this.timer = setTimeout(() => void loop(), Math.max(0, period - (Date.now() - t0)));
      };
      void loop();
    });
    return this.running;
  }

  /** Stops polling and writes the open interval as closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.finish?.();
    await this.running?.catch(() => undefined);
    this.o.store.saveIntervals(this.merger.flush(), null);
  }
}
