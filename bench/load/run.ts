/**
 * The load run (OPS Load): server replicas behind HAProxy on one PostgreSQL, N simulated Pulse
 * agents (each owned by its own person) sending heartbeats and Pulse batch uploads, and M
 * simulated scan workers polling the lease endpoint, for a fixed duration; then the audit log
 * must verify and every acknowledged interval must be stored exactly once.
 *
 * Every simulated device is a real `DeviceClient` (the one parapet-agent and parapet-worker
 * use): every request is signed (RFC 9421, Ed25519, fresh nonce) and goes over a fresh, pinned
 * TLS 1.3 connection, as the real binaries do, so HAProxy balances each request.
 *
 * Used by `bench/load/index.ts` (the long run) and `e2e/load.test.ts` (the CI run).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PULSE_BATCH_SCHEMA_ID, type PulseBatch, type PulseInterval } from '@parapet/core';
import { createTestDatabase } from '@parapet/db/testing';
import { PostgresDatabase } from '@parapet/db';
import { createSession, CSRF_HEADER, SESSION_COOKIE } from '@parapet/server/auth/sessions';
import { DeviceClient, type KeyStore } from '@parapet/device-client';
import { call, startCluster, type Cluster } from '../../e2e/cluster.js';

export interface LoadOptions {
  /** Simulated agents (default 2,000). */
  agents?: number;
  /** Simulated scan workers (default 20). */
  workers?: number;
  /** Length of the measured phase in ms (default 10 min). */
  durationMs?: number;
  /** Mean time between one agent's batch uploads, ms (default 30 s; ±20 % jitter). */
  batchEveryMs?: number;
  /** Intervals per batch (default 30). */
  intervalsPerBatch?: number;
  /** Mean time between one agent's heartbeats, ms (default 60 s; ±20 % jitter). */
  heartbeatEveryMs?: number;
  /** Mean time between one worker's lease polls, ms (default 2 s; ±20 % jitter). */
  leaseEveryMs?: number;
  /** Server replicas behind HAProxy (default 2). */
  replicas?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export type RequestKind = 'batch' | 'heartbeat' | 'lease';

export interface KindStats {
  requests: number;
  errors: number;
  /** Latency percentiles in ms. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  agents: number;
  workers: number;
  replicas: number;
  /** Measured phase length, ms (from the first scheduled request to the last answer). */
  elapsedMs: number;
  /** Enrollment phase length, ms (people, tokens, 2 requests per device). */
  enrollMs: number;
  kinds: Record<RequestKind, KindStats>;
  total: KindStats;
  /** Requests per second over the measured phase. */
  throughput: number;
  /** First few error descriptions (status and problem code, or the transport error). */
  errorSamples: string[];
  /** Intervals acknowledged (201 or 409 pulse_batch_replayed). */
  intervalsAcked: number;
  /** Interval rows stored for the tenant. */
  intervalsStored: number;
  /** Acknowledged intervals missing from the store. */
  intervalsMissing: number;
  /** Interval ids stored more than once. */
  intervalsDuplicated: number;
  /** CPU seconds used during the measured phase by the load generator (this process), by each replica and by HAProxy. */
  cpuSeconds: { generator: number; replicas: number[]; haproxy: number };
  /** GET /api/v1/audit/status after the run. */
  audit: { verified: boolean; entries?: number; body: unknown };
}

/** Keeps the device key in memory: the key store is not what this run measures. */
class MemoryKeyStore implements KeyStore {
  readonly kind = 'file' as const;
  private secret: Buffer | undefined;
  async load() {
    return this.secret;
  }
  async save(s: Buffer) {
    this.secret = s;
  }
  async remove() {
    this.secret = undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 elsewhere. */
function procCpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

const jitter = (mean: number) => mean * (0.8 + Math.random() * 0.4);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function stats(lat: number[], errors: number): KindStats {
  const s = Float64Array.from(lat).sort();
  const a = Array.from(s);
  return { requests: lat.length, errors, p50: percentile(a, 50), p95: percentile(a, 95), p99: percentile(a, 99), max: a.length ? a[a.length - 1]! : 0 };
}

/** Runs `n` async tasks with at most `width` in flight. */
async function pool(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) await task(next++);
  }));
}

const APPS: Array<Pick<PulseInterval, 'app' | 'category' | 'domain'>> = [
  { app: 'code', category: 'development', domain: null },
  { app: 'firefox', category: 'uncategorized', domain: 'example.com' },
  { app: 'terminal', category: 'development', domain: null },
];

/**
 * Runs the whole load scenario on a fresh database (needs DATABASE_URL/DATABASE_ADMIN_URL for
 * PostgreSQL and the `haproxy` binary) and returns what it measured. Throws only when setting
 * up fails (enrollment, bootstrap); request errors during the run are counted, not thrown.
 */
export async function runLoad(o: LoadOptions = {}): Promise<LoadResult> {
  const N = o.agents ?? 2000;
  const M = o.workers ?? 20;
  const durationMs = o.durationMs ?? 10 * 60_000;
  const batchEvery = o.batchEveryMs ?? 30_000;
  const perBatch = o.intervalsPerBatch ?? 30;
  const hbEvery = o.heartbeatEveryMs ?? 60_000;
  const leaseEvery = o.leaseEveryMs ?? 2_000;
  const log = o.log ?? (() => undefined);

  const tdb = await createTestDatabase();
  const app = new PostgresDatabase({ url: tdb.urls!.app, max: 2 });
  let cluster: Cluster | undefined;
  const stateDir = await mkdtemp(join(tmpdir(), 'parapet-load-'));
  try {
    cluster = await startCluster({ app: tdb.urls!.app, admin: tdb.urls!.admin }, { count: o.replicas ?? 2, maxconn: 8192, logTail: 64_000 });
    const { base, ca } = cluster;
    const org = await call(base, ca, 'POST', '/api/v1/bootstrap/organisations', { json: { name: 'Load Corp', admin_email: 'admin@load.test', admin_password: 'correct horse battery staple 42' }, headers: { authorization: `Bearer ${cluster.bootstrapToken}` } });
    if (org.status !== 201) throw new Error(`bootstrap failed: ${org.status} ${JSON.stringify(org.json)}`);
    const tenantId = org.json.tenant_id as string;
    const sess = await app.tx({ tenantId }, (q) => createSession(q, { tenantId, userId: org.json.admin_id, mfaVerifiedAt: new Date() }));
    const admin = { cookie: `${SESSION_COOKIE}=${sess.cookie}`, [CSRF_HEADER]: sess.csrfToken };

    // People straight into the database (one statement), devices through the real API.
    const t0 = performance.now();
    const people = await app.tx({ tenantId }, (q) =>
      q.query<{ id: string }>(`INSERT INTO users (tenant_id, email, roles) SELECT $1, 'person-' || g || '@load.test', '{employee}' FROM generate_series(1, $2::int) g RETURNING id`, [tenantId, N]),
    );
    const enroll = async (kind: 'agent' | 'worker', owner: string | undefined, name: string): Promise<DeviceClient> => {
      const t = await call(base, ca, 'POST', '/api/v1/devices/enrollment-tokens', { json: { kind, ...(owner ? { owner_user_id: owner } : {}) }, headers: admin });
      if (t.status !== 201) throw new Error(`enrollment token refused: ${t.status} ${JSON.stringify(t.json)}`);
      return DeviceClient.enroll({ server: base, servername: 'localhost', ca, token: t.json.token, kind, name, store: new MemoryKeyStore(), statePath: join(stateDir, `${name}.json`), version: 'load', platform: 'linux' });
    };
    const agents: DeviceClient[] = new Array(N);
    const workers: DeviceClient[] = new Array(M);
    await pool(N, 16, async (i) => {
      agents[i] = await enroll('agent', people.rows[i]!.id, `load-agent-${i}`);
      if ((i + 1) % 500 === 0) log(`enrolled ${i + 1}/${N} agents`);
    });
    await pool(M, 8, async (i) => {
      workers[i] = await enroll('worker', undefined, `load-worker-${i}`);
    });
    const enrollMs = performance.now() - t0;
    log(`enrolled ${N} agents and ${M} workers in ${(enrollMs / 1000).toFixed(1)} s; running for ${(durationMs / 1000).toFixed(0)} s`);

    const lat: Record<RequestKind, number[]> = { batch: [], heartbeat: [], lease: [] };
    /** Latencies since the last progress line, all kinds. */
    const windowLat: number[] = [];
    const errs: Record<RequestKind, number> = { batch: 0, heartbeat: 0, lease: 0 };
    const errorSamples: string[] = [];
    const acked: string[] = [];
    const fail = (kind: RequestKind, what: string) => {
      errs[kind]++;
      if (errorSamples.length < 10) errorSamples.push(`${kind}: ${what}`);
    };
    /** Records one latency (ms) for its kind and for the current progress window. */
    const took = (kind: RequestKind, ms: number) => {
      lat[kind].push(ms);
      windowLat.push(ms);
    };
    /** One timed request; returns the status, or undefined on a transport error. */
    const timed = async (kind: RequestKind, d: DeviceClient, path: string, body: unknown): Promise<{ status: number; json: any } | undefined> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const s = performance.now();
      try {
        const r = await d.request('POST', path, body);
        took(kind, performance.now() - s);
        let json: unknown;
        try {
          json = r.json();
        } catch {
          json = undefined;
        }
        return { status: r.status, json };
      } catch (e) {
        took(kind, performance.now() - s);
        fail(kind, (e as Error).message);
        return undefined;
      }
    };

    const cpuPids = [...cluster.replicas.map((r) => r.child.pid), cluster.haproxy.pid];
    const cpuBefore = cpuPids.map(procCpuSeconds);
    const genBefore = process.cpuUsage();
    const start = performance.now();
    const end = start + durationMs;
    const startWall = Date.now();

    const agentLoop = async (d: DeviceClient) => {
      let lastEnd = startWall - batchEvery;
      let appIx = Math.floor(Math.random() * APPS.length);
      let nextBatch = start + Math.random() * batchEvery;
      let nextHb = start + Math.random() * hbEvery;
      for (;;) {
        const due = Math.min(nextBatch, nextHb);
        if (due >= end) return;
        await sleep(Math.max(0, due - performance.now()));
        if (nextBatch <= nextHb) {
          nextBatch += jitter(batchEvery);
          // Contiguous intervals from the last batch's end to now; neighbours always differ
          // in app, so the server neither merges nor clips them.
          const now = Date.now();
          const span = Math.max(perBatch, now - lastEnd);
          const intervals: PulseInterval[] = [];
          for (let k = 0; k < perBatch; k++) {
            const a = lastEnd + Math.floor((span * k) / perBatch);
            const b = lastEnd + Math.floor((span * (k + 1)) / perBatch);
            const look = APPS[appIx++ % APPS.length]!;
            const state = k % 10 === 9 ? 'idle' : 'active';
            intervals.push({ id: randomUUID(), start: new Date(a).toISOString(), end: new Date(b).toISOString(), state, ...look });
          }
          lastEnd = lastEnd + span;
          const batch: PulseBatch = { schema: PULSE_BATCH_SCHEMA_ID, batch_id: randomUUID(), created_at: new Date(now).toISOString(), intervals };
          // A transport error leaves the outcome unknown; the agent resends the same batch
          // (idempotent by batch_id) until it hears an answer.
          for (let attempt = 0; attempt < 5; attempt++) {
            const r = await timed('batch', d, '/api/v1/pulse/batches', batch);
            if (!r) continue;
            if (r.status === 201 || (r.status === 409 && r.json?.code === 'pulse_batch_replayed')) for (const iv of intervals) acked.push(iv.id);
            else fail('batch', `${r.status} ${r.json?.code ?? ''}`);
            break;
          }
        } else {
          nextHb += jitter(hbEvery);
          const r = await timed('heartbeat', d, '/api/v1/devices/heartbeat', { version: 'load', platform: 'linux', key_store: 'file' });
          if (r && r.status !== 200) fail('heartbeat', `${r.status} ${r.json?.code ?? ''}`);
        }
      }
    };
    const workerLoop = async (d: DeviceClient) => {
      let next = start + Math.random() * leaseEvery;
      while (next < end) {
        await sleep(Math.max(0, next - performance.now()));
        next += jitter(leaseEvery);
        const r = await timed('lease', d, '/api/v1/probe/jobs/lease', { lease_seconds: 60 });
        if (r && r.status !== 204) fail('lease', `${r.status} ${r.json?.code ?? ''}`);
      }
    };
    // Per-window figures show whether latency grows with the data or comes in bursts, and the
    // generator's own event-loop delay says how much of a latency is the generator being late
    // to read its answer (it shares the cores with the replicas and PostgreSQL).
    const eld = monitorEventLoopDelay({ resolution: 10 });
    eld.enable();
    const progress = setInterval(() => {
      const n = lat.batch.length + lat.heartbeat.length + lat.lease.length;
      const win = Array.from(Float64Array.from(windowLat.splice(0)).sort());
      log(
        `${((performance.now() - start) / 1000).toFixed(0)} s: ${n} requests, ${errs.batch + errs.heartbeat + errs.lease} errors; ` +
          `this window p50 ${percentile(win, 50).toFixed(0)} ms, p99 ${percentile(win, 99).toFixed(0)} ms; generator event-loop delay p99 ${(eld.percentile(99) / 1e6).toFixed(0)} ms, load ${loadavg()[0]!.toFixed(1)}`,
      );
      eld.reset();
    }, 30_000);
    try {
      await Promise.all([...agents.map(agentLoop), ...workers.map(workerLoop)]);
    } finally {
      clearInterval(progress);
      eld.disable();
    }
    const elapsedMs = performance.now() - start;
    const cpuAfter = cpuPids.map(procCpuSeconds);
    const gen = process.cpuUsage(genBefore);
    const used = cpuAfter.map((c, i) => c - cpuBefore[i]!);
    const cpuSeconds = { generator: (gen.user + gen.system) / 1e6, replicas: used.slice(0, -1), haproxy: used[used.length - 1]! };

    // The audit log: wait until every replica's inbox is chained, then verify through the API.
    let audit: LoadResult['audit'] = { verified: false, body: undefined };
    for (let i = 0; i < 120; i++) {
      const inbox = await tdb.asAdmin((s) => s.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_inbox WHERE tenant_id = $1`, [tenantId]));
      if (inbox.rows[0]!.n === '0') break;
      await sleep(500);
    }
    const st = await call(base, ca, 'GET', '/api/v1/audit/status', { headers: admin });
    audit = { verified: st.status === 200 && st.json?.verified === true, entries: st.json?.entries ?? st.json?.count, body: st.json };

    // Every acknowledged interval stored exactly once.
    const stored = await tdb.asAdmin((s) => s.query<{ id: string; n: string }>(`SELECT id::text AS id, count(*)::text AS n FROM pulse_intervals WHERE tenant_id = $1 GROUP BY id`, [tenantId]));
    const counts = new Map(stored.rows.map((r) => [r.id, Number(r.n)]));
    let missing = 0;
    for (const id of acked) if (!counts.has(id)) missing++;
    let duplicated = 0;
    let storedRows = 0;
    for (const n of counts.values()) {
      storedRows += n;
      if (n > 1) duplicated++;
    }

    const kinds = { batch: stats(lat.batch, errs.batch), heartbeat: stats(lat.heartbeat, errs.heartbeat), lease: stats(lat.lease, errs.lease) };
    const total = stats([...lat.batch, ...lat.heartbeat, ...lat.lease], errs.batch + errs.heartbeat + errs.lease);
    return {
      agents: N,
      workers: M,
      replicas: cluster.replicas.length,
      elapsedMs,
      enrollMs,
      kinds,
      total,
      throughput: total.requests / (elapsedMs / 1000),
      errorSamples,
      intervalsAcked: acked.length,
      intervalsStored: storedRows,
      intervalsMissing: missing,
      intervalsDuplicated: duplicated,
      cpuSeconds,
      audit,
    };
  } finally {
    await cluster?.stop();
    await rm(stateDir, { recursive: true, force: true });
    await app.close();
    await tdb.close();
  }
}

/** The result as a plain-text table (one row per request kind, then the checks). */
export function formatLoad(r: LoadResult): string {
  const row = (name: string, s: KindStats) =>
    `${name.padEnd(10)} ${String(s.requests).padStart(9)} ${String(s.errors).padStart(7)} ${s.p50.toFixed(1).padStart(8)} ${s.p95.toFixed(1).padStart(8)} ${s.p99.toFixed(1).padStart(8)} ${s.max.toFixed(1).padStart(8)}`;
  return [
    `${r.agents} agents, ${r.workers} workers, ${r.replicas} replicas behind HAProxy, ${(r.elapsedMs / 1000).toFixed(1)} s measured (enrollment ${(r.enrollMs / 1000).toFixed(1)} s)`,
    `${'kind'.padEnd(10)} ${'requests'.padStart(9)} ${'errors'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`,
    row('batch', r.kinds.batch),
    row('heartbeat', r.kinds.heartbeat),
    row('lease', r.kinds.lease),
    row('all', r.total),
    `throughput ${r.throughput.toFixed(1)} requests/s`,
    `CPU seconds in the measured phase: generator ${r.cpuSeconds.generator.toFixed(1)}, replicas ${r.cpuSeconds.replicas.map((c) => c.toFixed(1)).join(' + ')}, haproxy ${r.cpuSeconds.haproxy.toFixed(1)} (machine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)})`,
    `intervals acknowledged ${r.intervalsAcked}, stored ${r.intervalsStored}, missing ${r.intervalsMissing}, duplicated ${r.intervalsDuplicated}`,
    `audit verified: ${r.audit.verified}`,
    ...(r.errorSamples.length ? ['errors (first 10):', ...r.errorSamples.map((e) => '  ' + e)] : []),
  ].join('\n');
}
