import type { Database, Queryable } from './types.js';

export type AfterCommit = (db: Database) => Promise<unknown> | void;

/**
 * Work a transaction schedules for after it commits (never after a rollback), and the
 * promises of that work still running, so `idle()` and `close()` can wait for them.
 */
export class PostCommitWork {
  private readonly running = new Set<Promise<unknown>>();

  /** A queryable whose `afterCommit` queues into `queue`. */
  attach(q: Queryable, queue: AfterCommit[]): Queryable {
    return Object.assign(q, { afterCommit: (fn: AfterCommit) => void queue.push(fn) });
  }

  /** Runs the queued callbacks of a committed transaction; their failures are theirs to report. */
  run(db: Database, queue: AfterCommit[]): void {
    for (const fn of queue) {
      let p: Promise<unknown>;
      try {
        p = Promise.resolve(fn(db));
      } catch (e) {
        p = Promise.reject(e);
      }
      const tracked = p.catch(() => undefined).finally(() => this.running.delete(tracked));
      this.running.add(tracked);
    }
  }

  /** Resolves once no post-commit work is running, including work that work started. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
