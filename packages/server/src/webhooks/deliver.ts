/**
 * Webhook delivery (CORE-WEBHOOK): messages are written to webhook_messages in the
 * transaction of the change they report (enqueue), and delivered after commit by drain():
 * due messages are claimed per tenant with FOR UPDATE SKIP LOCKED (several drainers never
 * send one message at once), sent outside any transaction, and the attempt recorded.
 *
 * Guarantees: at least once, with the same webhook-id on every retry (receivers deduplicate
 * on it); no ordering per endpoint. Retries back off exponentially with ±20% jitter over
 * about three days (RETRY_DELAYS_MS), then the message is dead (kept, replayable). A 410
 * answer disables the endpoint. Redirects are not followed: a 3xx is a failed attempt.
 */
import { Agent, request } from 'node:https';
import { createHash } from 'node:crypto';
import type { Database, Queryable } from '@parapet/db';
import { envelope, type KeyProvider } from '@parapet/core';
import { checkTarget, SsrfError, type Lookup } from './ssrf.js';
import { registerSealedColumn } from '../platform/sealed.js';
import { newMessageId, signHeaders } from './signing.js';
import type { OcsfEvent, WebhookEventType } from './ocsf.js';

/** Delay before retry n (1-based), ms: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 20 h (about 71.6 h in all). */
export const RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 72_000_000];
/** Attempts per message: the first plus one per retry delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** Per-attempt timeout, ms. */
export const ATTEMPT_TIMEOUT_MS = 15_000;
/** How long a claimed message stays with its drainer before another may take it, ms. */
const CLAIM_MS = 60_000;
const SNIPPET = 512;

export const secretBinding = (tenantId: string, endpointId: string) => ({ tenantId, record: `webhook_secret/${endpointId}` });
registerSealedColumn({ table: 'webhook_endpoints', column: 'secret_sealed', keyColumns: ['id'], record: (r) => `webhook_secret/${String(r.id)}` });

/** Retry delay after `attempts` failed attempts, with ±20% jitter from `rand` (0..1). */
export function retryDelay(attempts: number, rand: () => number = Math.random): number {
  const base = RETRY_DELAYS_MS[Math.min(attempts, RETRY_DELAYS_MS.length) - 1]!;
  return Math.round(base * (0.8 + 0.4 * rand()));
}

export interface WebhookSettings {
  allowPrivateCidrs: string[];
}

/** settings.webhooks.allow_private_cidrs of the tenant (CIDRs an admin allowed as targets). */
export async function webhookSettings(q: Queryable): Promise<WebhookSettings> {
  const s = (await q.query<{ settings: { webhooks?: { allow_private_cidrs?: unknown } } }>(`SELECT settings FROM tenants`)).rows[0]?.settings;
  const list = s?.webhooks?.allow_private_cidrs;
  return { allowPrivateCidrs: Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [] };
}

/**
 * Writes one message per enabled endpoint subscribed to `type`, in the caller's transaction,
 * and kicks the drainer after commit. The body is the Standard Webhooks envelope
 * `{type, timestamp, data}`; OCSF metadata.uid is the message id.
 */
export async function enqueue(q: Queryable, tenantId: string, type: WebhookEventType, at: Date, build: (uid: string) => OcsfEvent): Promise<string[]> {
  const eps = await q.query<{ id: string }>(`SELECT id FROM webhook_endpoints WHERE enabled AND (cardinality(events) = 0 OR $1 = ANY(events))`, [type]);
  const ids: string[] = [];
  for (const ep of eps.rows) {
    const id = newMessageId();
    const body = JSON.stringify({ type, timestamp: at.toISOString(), data: build(id) });
    await q.query(`INSERT INTO webhook_messages (tenant_id, id, endpoint_id, event_type, body, state, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)`, [tenantId, id, ep.id, type, body, at]);
    ids.push(id);
  }
  if (ids.length) q.afterCommit?.(() => kick());
  return ids;
}

export interface AttemptResult {
  status: number | null;
  latencyMs: number;
  snippet: string;
  /** Why the attempt failed without a usable response: webhook_redirect_refused, webhook_target_*, connect_error, timeout. */
  errorCode: string | null;
}

export interface SendOptions {
  allowPrivateCidrs: readonly string[];
  /** Extra trusted CA certificates (PEM) for receivers with a private CA. */
  ca?: string | undefined;
  lookup?: Lookup | undefined;
  timeoutMs?: number | undefined;
}

/**
 * Keep-alive agents per checked (address, port, server name, CA): connections are reused
 * only for the address that was checked, so reuse never bypasses the SSRF rules.
 */
const agents = new Map<string, Agent>();
function agentFor(address: string, port: string, servername: string | undefined, ca: string | undefined): Agent {
  const key = `${address}|${port}|${servername ?? ''}|${ca ? createHash('sha256').update(ca).digest('hex') : ''}`;
  let a = agents.get(key);
  if (!a) {
    if (agents.size > 256) for (const [k, old] of agents) (old.destroy(), agents.delete(k));
    a = new Agent({ keepAlive: true, maxSockets: 16, timeout: ATTEMPT_TIMEOUT_MS, ...(ca ? { ca } : {}) });
    agents.set(key, a);
  }
  return a;
}

/** One HTTPS POST of a signed message to the endpoint; never throws. */
export async function sendOnce(url: string, secret: string, id: string, body: string, o: SendOptions): Promise<AttemptResult> {
  const t0 = performance.now();
  let target;
  try {
    target = await checkTarget(url, o.allowPrivateCidrs, o.lookup);
  } catch (e) {
    if (e instanceof SsrfError) return { status: null, latencyMs: 0, snippet: e.detail, errorCode: e.code };
    throw e;
  }
  // Wall-clock time, never an injected clock: receivers reject timestamps more than a few minutes off.
  const ts = Math.floor(Date.now() / 1000);
  const headers = { ...signHeaders(secret, id, ts, body), 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Parapet-Webhooks/1' };
  const servername = /^[\d.]+$|:/.test(target.url.hostname) ? undefined : target.url.hostname;
  const port = target.url.port || '443';
  return new Promise<AttemptResult>((resolve) => {
    const done = (r: Omit<AttemptResult, 'latencyMs'>) => resolve({ ...r, latencyMs: Math.round(performance.now() - t0) });
    const req = request(
      {
        host: target.address,
        family: target.family,
        port,
        path: target.url.pathname + target.url.search,
        method: 'POST',
        headers: { ...headers, host: target.url.host },
        servername,
        ...(o.ca ? { ca: o.ca } : {}),
        // host is the checked address itself, so no second DNS lookup happens.
        agent: agentFor(target.address, port, servername, o.ca),
        timeout: o.timeoutMs ?? ATTEMPT_TIMEOUT_MS,
      },
      (res) => {
        let got = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (got.length < SNIPPET) got += c;
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          done({ status, snippet: got.slice(0, SNIPPET), errorCode: status >= 300 && status < 400 ? 'webhook_redirect_refused' : null });
        });
        res.on('error', (e) => done({ status: res.statusCode ?? null, snippet: e.message.slice(0, SNIPPET), errorCode: 'connect_error' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => done({ status: null, snippet: e.message.slice(0, SNIPPET), errorCode: e.message === 'timeout' ? 'timeout' : 'connect_error' }));
    req.end(body);
  });
}

export interface DrainOptions {
  db: Database;
  keys: KeyProvider;
  tenantIds: () => Promise<string[]>;
  now: () => Date;
  ca?: string | undefined;
  lookup?: Lookup | undefined;
  /** Messages claimed per tenant per round. */
  batch?: number;
  /** Parallel sends per round. */
  concurrency?: number;
  rand?: () => number;
}

interface Claimed {
  id: string;
  endpoint_id: string;
  body: string;
  attempts: number;
  url: string;
  secret_sealed: string;
}

/** Records an attempt and moves the message on; 410 disables the endpoint. */
async function settle(q: Queryable, tenantId: string, m: Claimed, r: AttemptResult, at: Date, rand: () => number): Promise<void> {
  const n = m.attempts + 1;
  // The log numbers attempts over the message's life (a replay continues it); `attempts` counts the current schedule.
  await q.query(
    `INSERT INTO webhook_attempts (tenant_id, message_id, n, endpoint_id, at, status, latency_ms, response_snippet, error_code)
     VALUES ($1, $2, (SELECT coalesce(max(n), 0) + 1 FROM webhook_attempts WHERE message_id = $2), $3, $4, $5, $6, $7, $8)`,
    [tenantId, m.id, m.endpoint_id, at, r.status, r.latencyMs, r.snippet, r.errorCode],
  );
  const ok = r.status !== null && r.status >= 200 && r.status < 300;
  if (ok) {
    await q.query(`UPDATE webhook_messages SET state = 'delivered', attempts = $2, finished_at = $3, locked_until = NULL WHERE id = $1`, [m.id, n, at]);
  } else if (r.status === 410) {
    await q.query(`UPDATE webhook_messages SET state = 'cancelled', attempts = $2, finished_at = $3, locked_until = NULL WHERE id = $1`, [m.id, n, at]);
    await q.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'The receiver answered 410 Gone.', disabled_at = $2, updated_at = $2 WHERE id = $1 AND enabled`, [m.endpoint_id, at]);
  } else if (n >= MAX_ATTEMPTS) {
    await q.query(`UPDATE webhook_messages SET state = 'dead', attempts = $2, finished_at = $3, locked_until = NULL WHERE id = $1`, [m.id, n, at]);
  } else {
    await q.query(`UPDATE webhook_messages SET attempts = $2, next_attempt_at = $3, locked_until = NULL WHERE id = $1`, [m.id, n, new Date(at.getTime() + retryDelay(n, rand))]);
  }
}

/**
 * One round: for each tenant, claim up to `batch` due messages of enabled endpoints, send
 * them (up to `concurrency` at once) and record each attempt. Returns the number of attempts.
 */
export async function drain(o: DrainOptions): Promise<number> {
  let attempts = 0;
  for (const tenantId of await o.tenantIds()) {
    const now = o.now();
    const claimed = await o.db.tx({ tenantId, actor: 'system:webhooks' }, async (q) => {
      const { rows } = await q.query<Claimed>(
        `SELECT m.id, m.endpoint_id, m.body, m.attempts, e.url, e.secret_sealed
           FROM webhook_messages m JOIN webhook_endpoints e ON e.tenant_id = m.tenant_id AND e.id = m.endpoint_id
          WHERE m.state = 'pending' AND m.next_attempt_at <= $1 AND (m.locked_until IS NULL OR m.locked_until < $1) AND e.enabled
          ORDER BY m.next_attempt_at LIMIT $2 FOR UPDATE OF m SKIP LOCKED`,
        [now, o.batch ?? 100],
      );
      if (rows.length) await q.query(`UPDATE webhook_messages SET locked_until = $2 WHERE id = ANY($1::text[])`, [rows.map((r) => r.id), new Date(now.getTime() + CLAIM_MS)]);
      return rows;
    });
    if (!claimed.length) continue;
    const settings = await o.db.tx({ tenantId }, (q) => webhookSettings(q));
    const secrets = new Map<string, string>();
    for (const m of claimed) if (!secrets.has(m.endpoint_id)) secrets.set(m.endpoint_id, (await envelope.open(o.keys, m.secret_sealed, secretBinding(tenantId, m.endpoint_id))).toString('utf8'));
    const queue = [...claimed];
    const results: Array<[Claimed, AttemptResult, Date]> = [];
    const worker = async () => {
      for (let m = queue.shift(); m; m = queue.shift()) {
        const r = await sendOnce(m.url, secrets.get(m.endpoint_id)!, m.id, m.body, { allowPrivateCidrs: settings.allowPrivateCidrs, ca: o.ca, lookup: o.lookup });
        results.push([m, r, o.now()]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 16, claimed.length) }, worker));
    await o.db.tx({ tenantId, actor: 'system:webhooks' }, async (q) => {
      for (const [m, r, at] of results) await settle(q, tenantId, m, r, at, o.rand ?? Math.random);
    });
    attempts += results.length;
  }
  return attempts;
}

// ---- the drainer loop of this process ----

let wake: (() => void) | undefined;
/** Wakes the running drainer (called after a commit that enqueued messages). */
export function kick(): void {
  wake?.();
}

/** Runs drain() whenever kicked and at least every `intervalMs`; returns a stop function. */
export function startDrainer(o: DrainOptions & { intervalMs: number; onError?: (e: unknown) => void }): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await drain(o);
        } while (again && !stopped);
      } catch (e) {
        o.onError?.(e);
      } finally {
        running = undefined;
      }
    })();
  };
  wake = run;
  const t = setInterval(run, o.intervalMs);
  t.unref();
  return async () => {
    stopped = true;
    clearInterval(t);
    if (wake === run) wake = undefined;
    await running;
  };
}
