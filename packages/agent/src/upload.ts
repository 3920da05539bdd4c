/**
 * Upload (PULSE-UPLOAD): closed intervals are sealed into batches in the local store (the
 * exact bytes are kept), and each batch is sent as an RFC 9421-signed `POST
 * /api/v1/pulse/batches` over the device's pinned TLS connection, oldest first, until the
 * server accepts it. A batch is never re-sealed: after a crash or restart the same batch id
 * with the same intervals is sent again, and the server's idempotency by batch id and
 * interval id makes the retry harmless. Failures back off exponentially with full jitter
 * (delay = random(0, min(cap, base × 2^failures))).
 */
import * as dsse from '@parapet/core/crypto/dsse';
import * as pulseBatch from '@parapet/core/pulse/batch';
import type { PulsePolicy } from '@parapet/core/pulse/batch';
import type { DeviceClient } from '@parapet/device-client/client';
import { makeCategoriser } from './scrub/categorise.js';
import type { SealedBatch, Store } from './store.js';

/** What the uploader needs from the device client: its typed, signing API client. */
export type SignedRequester = Pick<DeviceClient, 'api'>;

export interface UploaderOptions {
  store: Store;
  /**
   * The signing client, or a function giving the client of the identity the device holds now
   * (called before each round of run(), so a re-enrolment takes effect without a restart).
   */
  client: SignedRequester | (() => Promise<SignedRequester>);
  /** First retry delay bound (ms); default 2 000. */
  baseMs?: number;
  /** Largest retry delay bound (ms); default 300 000 (5 min). */
  capMs?: number;
  /** Pause between successful rounds when nothing is pending (ms); default 30 000. */
  idleMs?: number;
  /** How often the policy is fetched again (ms); default 3 600 000. */
  policyEveryMs?: number;
  random?: () => number;
  log?: (line: string) => void;
}

/**
 * How each refusal is handled (docs/agent.md, "When the server refuses a batch"):
 * - `pulse_batch_replayed` is a success: the server already holds exactly this batch.
 * - `pulse_device_not_personal` holds the batch: the bytes are fine, the device's identity is
 *   not (no owner, or the owner is not active). It stays queued, is retried at the backoff
 *   (an owner may be reactivated) and is sent once `enroll --force` gives the device an owner;
 *   {@link HELD_SETTING} records the hold for `show`.
 * - `device_revoked` and `device_unknown` hold the batch the same way: the server no longer
 *   knows this identity (revoked, as when its owner is deactivated, or erased). Reactivating
 *   the owner does not bring a revoked device back; `enroll --force` does.
 * - `pulse_category_unknown` re-queues the intervals under the fresh policy.
 * - `pulse_interval_expired` drops the intervals older than the tenant's detail retention
 *   (the problem's `not_before`) and re-queues the rest.
 * - `pulse_interval_conflict` naming an interval: that id holds other content on the server;
 *   without one, a concurrent upload of the same batch won, and resending gets `replayed`.
 * - The codes in PERMANENT: resending the same bytes cannot succeed; the batch is kept on the
 *   device as refused (shown by `show`) and never sent again.
 * - Anything else (network, 5xx, 401 signature problems, `pulse_interval_in_future`) is retried.
 */
const PERMANENT = new Set(['pulse_batch_invalid', 'pulse_batch_too_large', 'pulse_interval_invalid', 'pulse_batch_conflict', 'pulse_interval_conflict']);

/** The store setting that says uploads are held: `{ code, since (ms), detail }`; cleared by the next accepted batch. */
export const HELD_SETTING = 'upload_held';

/** Why uploads are held, as `show` and the log say it. */
export interface UploadHold {
  code: string;
  since: number;
  detail: string;
}

/** Refusals that hold uploads until the device has an identity the server takes (see above). */
const HOLDING = new Set(['pulse_device_not_personal', 'device_revoked', 'device_unknown']);

/** The plain sentence for a hold: what is wrong and what the person does about it. */
export function holdSentence(h: UploadHold, waiting: number): string {
  const why =
    h.code === 'pulse_device_not_personal'
      ? 'the server refuses this device\'s data because it is not enrolled to an active person'
      : 'the server no longer accepts this device\'s identity (it was revoked, for example when its owner was deactivated, or removed)';
  return `Uploads are held since ${new Date(h.since).toISOString()}: ${why} (${h.code}); ${waiting} intervals are kept on this device for it. Enroll it again with a token that names its owner (parapet-agent enroll --force --server URL --token TOKEN); they are sent then.`;
}

/** A policy that does not verify, or a policy key that changed: kept out, one sentence. */
export class PolicyError extends Error {
  override name = 'PolicyError';
}

export type SendOutcome =
  | { kind: 'sent'; batchId: string }
  | { kind: 'retry'; batchId: string; reason: string }
  | { kind: 'held'; batchId: string; code: string; sentence: string }
  | { kind: 'rejected'; batchId: string; code: string }
  | { kind: 'nothing' };

/** The problem code of a typed client's answer (`http_<status>` when it has none). */
function codeOf(r: { response: Response; error?: unknown }): string {
  return (r.error as { code?: string } | undefined)?.code ?? `http_${r.response.status}`;
}

export class Uploader {
  failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private client: SignedRequester | undefined;
  /** Whether the hold was already logged by this run(). */
  private held = false;

  constructor(private readonly o: UploaderOptions) {
    if (typeof o.client !== 'function') this.client = o.client;
  }

  /** The client to sign with now (asks the option's function, when it is one). */
  private async currentClient(): Promise<SignedRequester> {
    if (typeof this.o.client === 'function') this.client = await this.o.client();
    return this.client!;
  }

  /** Sends one batch (sealing one first when none is pending). */
  async sendOne(): Promise<SendOutcome> {
    let b: SealedBatch | undefined = this.o.store.pendingBatches()[0];
    b ??= this.o.store.sealBatch();
    if (!b) return { kind: 'nothing' };
    let r;
    try {
      // The kept bytes go out as they are (the route reads the batch itself and declares no body schema).
      r = await (this.client ?? (await this.currentClient())).api.POST('/api/v1/pulse/batches', { body: b.body as never, bodySerializer: () => b.body });
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      this.o.store.markAttempt(b.batchId, reason);
      return { kind: 'retry', batchId: b.batchId, reason };
    }
    const code = r.response.ok ? 'ok' : codeOf(r);
    if (code === 'ok' || code === 'pulse_batch_replayed') {
      this.o.store.markSent(b.batchId);
      if (this.o.store.getSetting(HELD_SETTING)) this.o.store.setSetting(HELD_SETTING, undefined);
      return { kind: 'sent', batchId: b.batchId };
    }
    const problem = (r.error ?? {}) as { detail?: string; not_before?: string; interval_id?: string };
    if (HOLDING.has(code)) {
      this.o.store.markAttempt(b.batchId, code);
      const prev = this.o.store.getSetting<UploadHold>(HELD_SETTING);
      // Held since the first refusal; the reason is the latest one.
      const hold: UploadHold = prev?.code === code ? prev : { code, since: prev?.since ?? Date.now(), detail: problem.detail ?? '' };
      this.o.store.setSetting(HELD_SETTING, hold);
      return { kind: 'held', batchId: b.batchId, code, sentence: holdSentence(hold, this.o.store.waitingCount()) };
    }
    if (code === 'pulse_interval_expired') {
      // Without not_before (a server that does not send it) only the interval named is dropped.
      const named = problem.interval_id ? this.o.store.intervals(0, Number.MAX_SAFE_INTEGER).find((i) => i.id === problem.interval_id) : undefined;
      const notBefore = problem.not_before ? Date.parse(problem.not_before) : named ? named.start + 1 : NaN;
      if (Number.isFinite(notBefore)) {
        const n = this.o.store.dropExpired(b.batchId, notBefore);
        return { kind: 'retry', batchId: b.batchId, reason: `${code}: ${n} intervals older than the server keeps (before ${new Date(notBefore).toISOString()}) were dropped, the rest re-queued` };
      }
    }
    if (code === 'pulse_interval_conflict' && !problem.interval_id) {
      this.o.store.markAttempt(b.batchId, code);
      return { kind: 'retry', batchId: b.batchId, reason: code };
    }
    if (code === 'pulse_category_unknown') {
      const policy = await this.fetchPolicy().catch(() => undefined);
      if (policy) {
        this.o.store.requeueBatch(b.batchId, new Set(['uncategorized', ...policy.categories.map((c) => c.key)]));
        return { kind: 'retry', batchId: b.batchId, reason: `${code}; re-queued under policy version ${policy.version}` };
      }
    }
    if (r.response.status >= 400 && r.response.status < 500 && PERMANENT.has(code)) {
      this.o.store.markRejected(b.batchId, code);
      return { kind: 'rejected', batchId: b.batchId, code };
    }
    this.o.store.markAttempt(b.batchId, code);
    return { kind: 'retry', batchId: b.batchId, reason: code };
  }

  /**
   * Fetches the tenant's policy (DSSE envelope) and caches it in the store when it verifies
   * with the policy key this device first received over its pinned connection (trust on first
   * use); a different key is refused.
   * @throws PolicyError (one sentence), or the transport's errors.
   */
  async fetchPolicy(): Promise<PulsePolicy> {
    const r = await (await this.currentClient()).api.GET('/api/v1/pulse/policy');
    if (r.response.status !== 200 || !r.data) throw new PolicyError(`The server did not send the Pulse policy (${codeOf(r)}).`);
    const j = r.data;
    if (!j.envelope || !j.public_key_pem) throw new PolicyError('The server sent a Pulse policy without its envelope or key.');
    const pinned = this.o.store.getSetting<string>('policy_key');
    const key = pinned ?? j.public_key_pem;
    if (pinned && pinned.trim() !== String(j.public_key_pem).trim()) throw new PolicyError('The server signs the Pulse policy with a key other than the one this device first received, so the policy was not applied; re-enroll the device if the key really changed.');
    let policy: PulsePolicy;
    try {
      policy = JSON.parse(dsse.verifyEnvelope(j.envelope, pulseBatch.PULSE_POLICY_PAYLOAD_TYPE, key).payload.toString('utf8')) as PulsePolicy;
      if (policy.schema !== 'parapet.pulse.policy/v1') throw new Error(`unknown schema ${String(policy.schema)}`);
      makeCategoriser(policy);
    } catch (e) {
      throw new PolicyError(`The Pulse policy from the server does not verify or is malformed (${(e as Error).message.replace(/\.$/, '')}), so it was not applied.`);
    }
    if (!pinned) this.o.store.setSetting('policy_key', key);
    const old = this.o.store.getSetting<PulsePolicy>('policy');
    if (!old || old.version !== policy.version || old.tenant !== policy.tenant) this.o.store.setSetting('policy', policy);
    return policy;
  }

  /** The next delay after `failures` consecutive failures (full jitter). */
  backoff(failures: number): number {
    const base = this.o.baseMs ?? 2000;
    const cap = this.o.capMs ?? 300_000;
    return Math.floor((this.o.random ?? Math.random)() * Math.min(cap, base * 2 ** Math.min(failures, 30)));
  }

  /** Sends everything pending, then waits and repeats, until stop(); refreshes the policy every `policyEveryMs`. */
  async run(): Promise<void> {
    let lastPolicy = -Infinity;
    while (!this.stopped) {
      if (Date.now() - lastPolicy >= (this.o.policyEveryMs ?? 3600_000) || Date.now() < lastPolicy) {
        lastPolicy = Date.now();
        await this.fetchPolicy().catch((e: Error) => this.o.log?.(e instanceof PolicyError ? e.message : `The Pulse policy could not be fetched (${(e as NodeJS.ErrnoException).code ?? e.message}); the cached one stays in use.`));
      }
      let delay = this.o.idleMs ?? 30_000;
      const before = this.client;
      const wasHeld = this.o.store.getSetting(HELD_SETTING) !== undefined;
      const out = await this.currentClient()
        .then(() => {
          // A new identity (enroll --force): whatever was held is tried at once with it.
          if (before && before !== this.client) this.failures = 0;
          return this.sendOne();
        })
        .catch((e: Error) => ({ kind: 'retry' as const, batchId: '', reason: e.message }));
      if (out.kind === 'sent' || out.kind === 'rejected') {
        this.failures = 0;
        if (out.kind === 'rejected') this.o.log?.(`The server refused batch ${out.batchId} for good (${out.code}); it stays on this device and is shown by parapet-agent show.`);
        if (out.kind === 'sent' && wasHeld) {
          this.o.log?.('Uploads resumed: the server accepts this device\'s data again.');
        }
        this.held = false;
        delay = 0;
      } else if (out.kind === 'held') {
        this.failures++;
        delay = this.backoff(this.failures);
        // Said once per hold (and again after a new identity is held too), not at every retry.
        if (!this.held || before !== this.client) this.o.log?.(out.sentence);
        this.held = true;
      } else if (out.kind === 'retry') {
        this.failures++;
        delay = this.backoff(this.failures);
        this.o.log?.(`Upload of batch ${out.batchId} failed (${out.reason}); retrying in ${Math.round(delay / 1000)} s.`);
      }
      if (this.stopped) break;
      if (delay > 0) await new Promise<void>((res) => ((this.wake = res), (this.timer = setTimeout(res, delay))));
    }
  }

  /** Ends run() at its next wait; a request in flight is allowed to finish. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  /** Cuts the current wait short (e.g. after a pause ended) without resetting the backoff. */
  poke(): void {
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }
}
