/**
 * One runner for the server's background work: named periodic jobs (audit sweep, checkpoints,
 * snapshots, approval expiry, outbox drain, ...) and named after-commit work.
 *
 * Due-ness is judged by the injected clock (`now`), so a test advances its clock and calls
 * `runDue()`; in production `start()` checks every `heartbeatMs` of real time. A job never
 * overlaps itself: a run still in progress when the job is due again is not doubled. Each job
 * exports two Prometheus series labelled `job`:
 *  - `parapet_job_last_success_timestamp_seconds` (gauge, Unix seconds of the injected clock)
 *  - `parapet_job_failures_total` (counter)
 * plus `parapet_job_runs_total`. `main.ts` starts the runner after the server listens and
 * stops it (waiting for runs in progress) on shutdown.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** A periodic job. */
export interface JobSpec {
  /** Unique, `domain.job-name`, e.g. `audit.checkpoint`. */
  name: string;
  /** Period in ms of the injected clock. */
  everyMs: number;
  /** Run once as soon as the runner starts (default true); otherwise first after `everyMs`. */
  runAtStart?: boolean;
  /** The work. A throw counts as a failure; the job runs again at its next period. */
  run(now: Date): Promise<unknown>;
}

/** What a failed run reports, for the log. */
export type JobErrorHandler = (name: string, error: unknown) => void;

interface Entry {
  spec: JobSpec;
  nextAt: number;
  running: Promise<void> | undefined;
}

/** Thrown by `define` for a second job of one name, and by `runNow` for an unknown name. */
export class JobError extends Error {
  override name = 'JobError';
}

export class JobRunner {
  private readonly jobs = new Map<string, Entry>();
  private readonly inflight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private firstBeat: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private readonly lastSuccess: Gauge<'job'>;
  private readonly failures: Counter<'job'>;
  private readonly runs: Counter<'job'>;

  /**
   * @param o.now the clock jobs are scheduled by (ms precision)
   * @param o.registry the Prometheus registry for the per-job series
   * @param o.heartbeatMs how often `start()` looks for due jobs, in real ms (default 1000)
   * @param o.onError called with each failure (after the failure counter moves)
   */
  constructor(private readonly o: { now: () => Date; registry?: Registry | undefined; heartbeatMs?: number; onError?: JobErrorHandler }) {
    const registers = o.registry ? [o.registry] : [];
    this.lastSuccess = new Gauge({ name: 'parapet_job_last_success_timestamp_seconds', help: 'When each background job last succeeded (Unix seconds).', labelNames: ['job'], registers });
    this.failures = new Counter({ name: 'parapet_job_failures_total', help: 'Failed runs of each background job.', labelNames: ['job'], registers });
    this.runs = new Counter({ name: 'parapet_job_runs_total', help: 'Runs of each background job.', labelNames: ['job'], registers });
  }

  /**
   * Declares a periodic job.
   * @throws JobError when a job of that name exists or everyMs is not a positive number.
   */
  define(spec: JobSpec): void {
    if (this.jobs.has(spec.name)) throw new JobError(`There is already a job named ${spec.name}.`);
    if (!(spec.everyMs > 0)) throw new JobError(`Job ${spec.name} needs a positive period.`);
    const now = this.o.now().getTime();
    this.jobs.set(spec.name, { spec, nextAt: spec.runAtStart === false ? now + spec.everyMs : now, running: undefined });
    this.failures.inc({ job: spec.name }, 0); // the series exists before the first failure
    this.runs.inc({ job: spec.name }, 0);
  }

  /** Names of the declared jobs. */
  names(): string[] {
    return [...this.jobs.keys()];
  }

  private execute(name: string, fn: () => Promise<unknown>): Promise<void> {
    const p = (async () => {
      try {
        await fn();
        this.lastSuccess.set({ job: name }, this.o.now().getTime() / 1000);
      } catch (e) {
        this.failures.inc({ job: name });
        this.o.onError?.(name, e);
      } finally {
        this.runs.inc({ job: name });
      }
    })();
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  private launch(e: Entry, now: number): Promise<void> {
    if (e.running) return e.running;
    e.nextAt = now + e.spec.everyMs;
    e.running = this.execute(e.spec.name, () => e.spec.run(new Date(now))).finally(() => (e.running = undefined));
    return e.running;
  }

  /** Runs every job due by the injected clock and resolves when those runs end (never rejects). */
  async runDue(): Promise<void> {
    if (this.stopped) return;
    const now = this.o.now().getTime();
    await Promise.all([...this.jobs.values()].filter((e) => e.nextAt <= now).map((e) => this.launch(e, now)));
  }

  /**
   * Runs one job now, whatever its schedule (or joins the run in progress).
   * @throws JobError for an unknown name.
   */
  runNow(name: string): Promise<void> {
    const e = this.jobs.get(name);
    if (!e) throw new JobError(`There is no job named ${name}.`);
    return this.launch(e, this.o.now().getTime());
  }

  /**
   * After-commit work under a name: `fn` runs now (call it from `Queryable.afterCommit`), is
   * counted in the same series as periodic jobs, and `stop()` waits for it. Never rejects.
   */
  runOnce(name: string, fn: () => Promise<unknown>): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.execute(name, fn);
  }

  /**
   * Starts the heartbeat (idempotent). Jobs declared with runAtStart run on the first beat,
   * which comes at once or, with `firstBeatMs`, that many real ms later (`npm start` leaves
   * its first requests that time before the periodic work competes with them).
   */
  start(o: { firstBeatMs?: number } = {}): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const beat = () => {
      if (this.stopped) return;
      void this.runDue();
      this.timer = setInterval(() => void this.runDue(), this.o.heartbeatMs ?? 1000);
      this.timer.unref();
    };
    if (o.firstBeatMs && o.firstBeatMs > 0) {
      this.firstBeat = setTimeout(beat, o.firstBeatMs);
      this.firstBeat.unref();
    } else beat();
  }

  /** Stops the heartbeat and waits for runs in progress; later calls run nothing. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.firstBeat);
    clearInterval(this.timer);
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }
}

/**
 * Runs `work` on each item in turn (one tenant, one scan…); a failure does not stop the rest.
 * `onError(item, error)` sees each failure as it happens (for the log). After every item ran,
 * throws an AggregateError of all failures, message `<n> <what> failed.`, so the job counts as
 * failed once however many items failed; resolves when none did.
 */
export async function forEachSettled<T>(items: Iterable<T>, what: string, work: (item: T) => Promise<unknown>, onError?: (item: T, error: unknown) => unknown): Promise<void> {
  const failed: unknown[] = [];
  for (const item of items) {
    try {
      await work(item);
    } catch (e) {
      failed.push(e);
      await onError?.(item, e);
    }
  }
  if (failed.length) throw new AggregateError(failed, `${failed.length} ${what} failed.`);
}
