/**
 * Webhook delivery (CORE-WEBHOOK) on the platform outbox (platform/outbox.ts): `enqueue`
 * writes one outbox message (topic `webhook.delivery`) per subscribed endpoint in the
 * transaction of the change it reports; `consumeWebhooks` registers the consumer that signs
 * (Standard Webhooks) and POSTs it after commit and records every attempt in
 * webhook_attempts (the delivery log).
 *
 * Guarantees: at least once, with the same webhook-id (the outbox message's dedupe key) on
 * every retry, so receivers deduplicate on it; no ordering per endpoint. Retries follow
 * WEBHOOK_BACKOFF (capped exponential, ±20 % jitter, about three days over MAX_ATTEMPTS),
 * then the message is dead (kept, replayable). A 410 answer cancels the message and disables
 * the endpoint; messages for a disabled or deleted endpoint are cancelled unsent. Redirects
 * are not followed: a 3xx is a failed attempt.
 */
import { Agent, request } from 'node:https';
import { createHash } from 'node:crypto';
import type { Queryable } from '@parapet/db';
import { envelope, type KeyProvider } from '@parapet/core';
import { checkTarget, SsrfError, type CheckedTarget, type Lookup } from './ssrf.js';
import { registerSealedColumn } from '../platform/sealed.js';
import { recordAudit } from '../platform/audit.js';
import { newMessageId, signHeaders } from './signing.js';
import { enqueueOutbox, type BackoffPolicy, type Outbox, type OutboxMessage, type OutboxOutcome } from '../platform/outbox.js';
import { storedWebhookEventTypes, type OcsfEvent, type WebhookEventType } from './ocsf.js';
import { listSetting, readSetting } from '../platform/settings.js';

/** The outbox topic of webhook deliveries. */
export const WEBHOOK_TOPIC = 'webhook.delivery';
/**
 * Retry schedule: 5 s × 5^(n-1), at most 24 h, ±20 % jitter. Nominal delays 5 s, 25 s, 2 min,
 * 10 min, 52 min, 4.3 h, 21.7 h, 24 h, 24 h: about 75 h (3.1 days) from first to last attempt.
 */
export const WEBHOOK_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({ baseMs: 5_000, factor: 5, capMs: 86_400_000, jitter: 0.2 });
/** Attempts per message before it is dead-lettered. */
export const MAX_ATTEMPTS = 10;
/** Per-attempt timeout, ms. */
export const ATTEMPT_TIMEOUT_MS = 15_000;
/** Sends at once per drain batch. */
export const DELIVERY_CONCURRENCY = 16;
const SNIPPET = 512;

/** The outbox payload of one delivery; `body` is the exact JSON sent, so a retry sends the same bytes. */
export interface WebhookDelivery {
  webhook_id: string;
  endpoint_id: string;
  event_type: string;
  body: string;
}

export const secretBinding = (tenantId: string, endpointId: string) => ({ tenantId, record: `webhook_secret/${endpointId}` });
registerSealedColumn({ table: 'webhook_endpoints', column: 'secret_sealed', keyColumns: ['id'], record: (r) => `webhook_secret/${String(r.id)}` });

export interface WebhookSettings {
  allowPrivateCidrs: string[];
}

/** Tenant setting `webhooks.allow_private_cidrs`: non-public ranges an admin allowed as webhook targets (CIDR text). */
export const WEBHOOK_ALLOW_PRIVATE_CIDRS = listSetting<string>({ key: 'webhooks.allow_private_cidrs', owner: 'webhooks', default: [], maxItems: 32, item: (x) => (typeof x === 'string' ? x : undefined) });

/** The transaction's tenant's webhook settings. */
export async function webhookSettings(q: Queryable): Promise<WebhookSettings> {
  return { allowPrivateCidrs: await readSetting(q, WEBHOOK_ALLOW_PRIVATE_CIDRS) };
}

/**
 * Writes one outbox message per enabled endpoint subscribed to `type` (under its current or
 * a former name, ocsf.ts WEBHOOK_EVENT_RENAMES), in the caller's
 * transaction (delivered after commit). The body is the Standard Webhooks envelope
 * `{type, timestamp, data}`; OCSF metadata.uid is the webhook-id. Returns the webhook-ids.
 */
export async function enqueue(q: Queryable, tenantId: string, type: WebhookEventType, at: Date, build: (uid: string) => OcsfEvent): Promise<string[]> {
  const eps = await q.query<{ id: string }>(`SELECT id FROM webhook_endpoints WHERE enabled AND (cardinality(events) = 0 OR events && $1::text[])`, [storedWebhookEventTypes(type)]);
  const ids: string[] = [];
  for (const ep of eps.rows) {
    const id = newMessageId();
    const body = JSON.stringify({ type, timestamp: at.toISOString(), data: build(id) });
    const payload: WebhookDelivery = { webhook_id: id, endpoint_id: ep.id, event_type: type, body };
    await enqueueOutbox(q, tenantId, WEBHOOK_TOPIC, payload, { dedupeKey: id, maxAttempts: MAX_ATTEMPTS });
    ids.push(id);
  }
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
  /**
   * The SSRF check of the URL (default `checkTarget` with the allow-list and lookup above).
   * The drainer shares one check per endpoint URL across a batch; the request still goes to
   * the address that check returned, so sharing it cannot let another address through.
   */
  check?: ((url: string) => Promise<CheckedTarget>) | undefined;
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
    target = await (o.check ? o.check(url) : checkTarget(url, o.allowPrivateCidrs, o.lookup));
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

/** Inserts one row of the delivery log; `n` numbers attempts over the message's life (a replay continues it). */
export async function recordAttempt(q: Queryable, tenantId: string, webhookId: string, endpointId: string, at: Date, r: AttemptResult): Promise<void> {
  await q.query(
    `INSERT INTO webhook_attempts (tenant_id, message_id, n, endpoint_id, at, status, latency_ms, response_snippet, error_code)
     VALUES ($1, $2, (SELECT coalesce(max(n), 0) + 1 FROM webhook_attempts WHERE message_id = $2), $3, $4, $5, $6, $7, $8)`,
    [tenantId, webhookId, endpointId, at, r.status, r.latencyMs, r.snippet, r.errorCode],
  );
}

export interface ConsumerOptions {
  keys: KeyProvider;
  /** Extra trusted CA certificates (PEM) for receivers with a private CA. */
  ca?: string | undefined;
  lookup?: Lookup | undefined;
  /** Sends at once per batch (default DELIVERY_CONCURRENCY). */
  concurrency?: number;
}

interface Batch {
  endpoints: Map<string, { url: string; secret: string; enabled: boolean }>;
  settings: WebhookSettings;
  /** SSRF checks (DNS lookup included) by URL, one per batch. */
  checked: Map<string, Promise<CheckedTarget>>;
}

/** An outcome that carries its attempt, written to the delivery log with the batch's others (`recordAttempts`). */
interface WebhookOutcome extends OutboxOutcome {
  attempt?: { d: WebhookDelivery; r: AttemptResult; at: Date };
}

/**
 * Inserts the delivery-log rows of a batch in one statement; `n` continues each message's
 * numbering (a message occurs once per batch, its row is locked by the drainer).
 */
export async function recordAttempts(q: Queryable, tenantId: string, xs: ReadonlyArray<{ d: WebhookDelivery; r: AttemptResult; at: Date }>): Promise<void> {
  if (!xs.length) return;
  await q.query(
    `INSERT INTO webhook_attempts (tenant_id, message_id, n, endpoint_id, at, status, latency_ms, response_snippet, error_code)
     SELECT $1, u.message_id, (SELECT coalesce(max(w.n), 0) + 1 FROM webhook_attempts w WHERE w.message_id = u.message_id), u.endpoint_id, u.at, u.status, u.latency_ms, u.snippet, u.error_code
       FROM unnest($2::text[], $3::uuid[], $4::timestamptz[], $5::int[], $6::int[], $7::text[], $8::text[]) AS u(message_id, endpoint_id, at, status, latency_ms, snippet, error_code)`,
    [tenantId, xs.map((x) => x.d.webhook_id), xs.map((x) => x.d.endpoint_id), xs.map((x) => x.at.toISOString()), xs.map((x) => x.r.status), xs.map((x) => x.r.latencyMs), xs.map((x) => x.r.snippet), xs.map((x) => x.r.errorCode)],
  );
}

/** The outcome of one attempt, with its delivery-log row (and the endpoint disabled on 410). */
function outcome(tenantId: string, d: WebhookDelivery, r: AttemptResult, at: Date): WebhookOutcome {
  const attempt = { d, r, at };
  if (r.status !== null && r.status >= 200 && r.status < 300) return { result: 'delivered', attempt };
  if (r.status === 410) {
    return {
      result: 'cancelled',
      error: 'The receiver answered 410 Gone; the endpoint was disabled.',
      attempt,
      record: async (q) => {
        const off = await q.query(`UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'The receiver answered 410 Gone.', disabled_at = $2, updated_at = $2 WHERE id = $1 AND enabled`, [d.endpoint_id, at]);
        if (off.rowCount) {
          await recordAudit(q, tenantId, { type: 'system', id: 'webhooks' }, { action: 'webhook.endpoint.disabled', outcome: 'success', target: { type: 'webhook_endpoint', id: d.endpoint_id }, details: { reason: 'The receiver answered 410 Gone.', message_id: d.webhook_id } });
        }
      },
    };
  }
  return { result: 'retry', error: `${r.status ?? r.errorCode}: ${r.snippet}`, attempt };
}

/**
 * Registers the webhook consumer on a database's outbox: endpoints, secrets and the tenant's
 * SSRF allow-list are read once per batch; sends run DELIVERY_CONCURRENCY at once.
 */
export function consumeWebhooks(outbox: Outbox, o: ConsumerOptions): void {
  // Opened secrets by (tenant, endpoint, sealed value): a rotated or replaced secret has another sealed value.
  const opened = new Map<string, string>();
  outbox.consume<WebhookDelivery, Batch>(
    WEBHOOK_TOPIC,
    async (m: OutboxMessage<WebhookDelivery>, b: Batch) => {
      const d = m.payload;
      const ep = b.endpoints.get(d.endpoint_id);
      if (!ep) return { result: 'cancelled', error: 'The endpoint was deleted.' };
      if (!ep.enabled) return { result: 'cancelled', error: 'The endpoint is disabled; replay the message after enabling it.' };
      const check = (url: string) => {
        let c = b.checked.get(url);
        if (!c) b.checked.set(url, (c = checkTarget(url, b.settings.allowPrivateCidrs, o.lookup)));
        return c;
      };
      const r = await sendOnce(ep.url, ep.secret, d.webhook_id, d.body, { allowPrivateCidrs: b.settings.allowPrivateCidrs, ca: o.ca, lookup: o.lookup, check });
      return outcome(m.tenantId, d, r, outbox.now()); // the outbox's clock, as its schedule
    },
    {
      backoff: WEBHOOK_BACKOFF,
      concurrency: o.concurrency ?? DELIVERY_CONCURRENCY,
      // The batch's delivery-log rows in one INSERT: per-message writes were most of a
      // drain's time (bench/probe-report).
      recordBatch: (q, done) => recordAttempts(q, done[0]!.message.tenantId, done.flatMap((x) => ((x.outcome as WebhookOutcome).attempt ? [(x.outcome as WebhookOutcome).attempt!] : []))),
      prepare: async (q, ms) => {
        const ids = [...new Set(ms.map((m) => m.payload.endpoint_id))];
        const rows = (await q.query<{ id: string; url: string; secret_sealed: string; enabled: boolean }>(`SELECT id, url, secret_sealed, enabled FROM webhook_endpoints WHERE id = ANY($1::uuid[])`, [ids])).rows;
        const endpoints: Batch['endpoints'] = new Map();
        const tenantId = ms[0]!.tenantId;
        for (const r of rows) {
          const key = `${tenantId}|${r.id}|${r.secret_sealed}`;
          let secret = opened.get(key);
          if (secret === undefined) {
            secret = (await envelope.open(o.keys, r.secret_sealed, secretBinding(tenantId, r.id))).toString('utf8');
            if (opened.size > 1000) opened.clear();
            opened.set(key, secret);
          }
          endpoints.set(r.id, { url: r.url, secret, enabled: r.enabled });
        }
        return { endpoints, settings: await webhookSettings(q), checked: new Map() };
      },
    },
  );
}
