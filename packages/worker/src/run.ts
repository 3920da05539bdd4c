/**
 * `parapet-worker run`: lease a job, check it (job-checks.ts), probe under the safety profile's
 * limits, report results in idempotent batches while renewing the lease, finish.
 *
 * Limits: one RateLimiter for every new connection of the job at min(profile, scope, scan)
 * attempts per second; a global and a per-address concurrency bound from the profile. Before
 * every connection a host-name target is resolved again and every address re-checked against
 * the scope (DNS rebinding); a failure refuses the whole job and nothing more is sent.
 *
 * Timeouts: the connect timeout of an address is RTT-based once it has answered (nmap's
 * approach, RttTimeout), the profile's connect timeout until then. A timeout shorter than the
 * profile's is never final: the port is held back. Interference: when an address that
 * answered before times out on many ports in a row, those timeouts are held back too. After the connect phase the worker backs off, re-probes one port of
 * that address that answered (the canary): if the canary answers, the held ports are probed
 * once more and a second timeout is 'filtered'; if the canary is silent too, the held ports
 * are 'inconclusive' (rate_limited_or_interfered), never 'closed'.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalJson } from '@parapet/core/crypto/canonical-json';
import type { SafetyProfile } from '@parapet/core/probe/profile';
import type { ProbeResultInput } from '@parapet/core/probe/results';
import type { ProbeType } from '@parapet/core/probe/scope';
import { parseCidr } from '@parapet/core/probe/cidr';
import type { DeviceClient } from '@parapet/device-client/client';
import { checkAddress, checkJob, JobRefused, systemResolver, type CheckedJob, type LeasedJob, type PlannedTarget, type Resolver } from './job-checks.js';
import { RateLimiter, RttTimeout, runPool, Semaphore } from './limiter.js';
import { tcpConnect } from './probes/tcp-connect.js';
import { banner } from './probes/banner.js';
import { tlsProbe } from './probes/tls.js';
import { httpHeaders } from './probes/http-headers.js';
import type { ProbeLimits, ProbeOutput } from './probes/types.js';

/** What the runner needs from the device client: its typed, signing API client and the device's tenant. */
export interface JobClient {
  state: { tenantId: string; deviceId: string };
  api: DeviceClient['api'];
}

export interface RunOptions {
  client: JobClient;
  profile: SafetyProfile;
  resolve?: Resolver;
  /** Lease length asked for (s); renewed every third of it. */
  leaseSeconds?: number;
  /** Results per batch and the longest a result waits before it is sent (ms). */
  batchSize?: number;
  flushMs?: number;
  /** Consecutive timeouts on an address that answered before that count as a burst. */
  burstThreshold?: number;
  /** Aborting stops the job at once, reporting nothing more (as if the worker were killed). */
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Called after each accepted batch (tests use it to stop a worker midway). */
  onBatch?: (accepted: number, total: number) => void;
}

export interface RunOutcome {
  status: 'idle' | 'finished' | 'refused' | 'lost' | 'failed' | 'killed';
  scanId?: string;
  probes?: number;
  detail?: string;
  /** Connection attempts released by the rate limiter. */
  attempts?: number;
}

class LeaseLost extends Error {
  override name = 'LeaseLost';
}

/** A typed call's status and body (the 2xx body, or the problem document). */
async function answer(call: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await call;
  return { status: r.response.status, json: r.data ?? r.error };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Leases and runs one job. Returns 'idle' when the queue is empty. */
export async function runJob(o: RunOptions): Promise<RunOutcome> {
  const log = o.log ?? (() => undefined);
  const leaseSeconds = o.leaseSeconds ?? 60;
  // The profile this worker runs under goes with every lease; the server records it with the run.
  const lease = await answer(o.client.api.POST('/api/v1/probe/jobs/lease', { body: { lease_seconds: leaseSeconds, safety_profile: { version: o.profile.version, sha256: sha256(canonicalJson(o.profile)) } } }));
  if (lease.status === 204) return { status: 'idle' };
  if (lease.status !== 200) throw new Error(`The server refused the lease request (${lease.json?.code ?? lease.status}).`);
  const job = lease.json as LeasedJob;
  const at = { params: { path: { lease: job.lease_id } } };
  const resolve = o.resolve ?? systemResolver;
  log(`Leased scan ${job.scan.id} (lease ${job.lease_id}).`);

  let checked: CheckedJob;
  try {
    checked = await checkJob(job, o.client.state.tenantId, o.profile, resolve);
  } catch (e) {
    if (!(e instanceof JobRefused)) throw e;
    await answer(o.client.api.POST('/api/v1/probe/jobs/{lease}/refuse', { ...at, body: { code: e.code, detail: e.message } }));
    log(`Refused scan ${job.scan.id}: ${e.message}`);
    return { status: 'refused', scanId: job.scan.id, detail: e.message };
  }

  const stop = new AbortController();
  const killed = () => o.signal?.aborted === true;
  o.signal?.addEventListener('abort', () => stop.abort(new LeaseLost('killed')), { once: true });
  const limiter = new RateLimiter(checked.rate);
  const global = new Semaphore(o.profile.max_concurrency);
  const perHost = new Map<string, Semaphore>();
  const limits: ProbeLimits = { connectTimeoutMs: o.profile.connect_timeout_ms, readTimeoutMs: o.profile.read_timeout_ms, maxReadBytes: o.profile.max_read_bytes };
  const done = new Map(job.done.map((d) => [`${d.address}|${d.port}|${d.probe_type}`, d.outcome]));
  let planned = 0;
  let refusal: JobRefused | undefined;

  // ---- reporting: batches with a fixed id, retried as they are until accepted ----
  const pending: ProbeResultInput[] = [];
  let reported = 0;
  let flushing: Promise<void> = Promise.resolve();
  const sendBatch = async (results: ProbeResultInput[]) => {
    const batchId = randomUUID();
    for (let attempt = 0; ; attempt++) {
      if (killed()) return;
      let r;
      try {
        r = await answer(o.client.api.POST('/api/v1/probe/jobs/{lease}/results', { ...at, body: { batch_id: batchId, results } }));
      } catch (e) {
        if (attempt >= 5) throw e;
        await sleep(200 * 2 ** attempt);
        continue;
      }
      if (r.status === 200) {
        reported += results.length;
        o.onBatch?.(r.json.accepted, reported);
        return;
      }
      if (r.status === 409 || r.status === 404) {
        stop.abort(new LeaseLost(r.json?.detail ?? 'lease lost'));
        return;
      }
      throw new Error(`The server refused a result batch (${r.json?.code ?? r.status}: ${r.json?.detail ?? ''}).`);
    }
  };
  const flush = (all: boolean) => {
    flushing = flushing.then(async () => {
      while (pending.length && (all || pending.length >= (o.batchSize ?? 50)) && !stop.signal.aborted) await sendBatch(pending.splice(0, o.batchSize ?? 50));
    });
    return flushing;
  };
  const flushTimer = setInterval(() => void flush(true).catch(() => undefined), o.flushMs ?? 250);
  const renewTimer = setInterval(() => {
    void answer(o.client.api.POST('/api/v1/probe/jobs/{lease}/renew', { ...at, body: { lease_seconds: leaseSeconds, planned_probes: planned } }))
      .then((r) => {
        if (r.status !== 200) stop.abort(new LeaseLost(r.json?.detail ?? 'lease lost'));
      })
      .catch(() => undefined);
  }, (leaseSeconds * 1000) / 3);

  // ---- every connection passes here ----
  const resolvedAt = new Map<string, { at: number; addresses: Set<string> }>();
  const beforeConnect = (t: PlannedTarget) => async () => {
    if (stop.signal.aborted) throw stop.signal.reason;
    if (t.name) {
      let r = resolvedAt.get(t.name);
      if (!r || Date.now() - r.at > 1000) {
        let addrs: string[] = [];
        try {
          addrs = await resolve(t.name);
        } catch {
          addrs = [];
        }
        r = { at: Date.now(), addresses: new Set(addrs.map((a) => parseCidr(a).text.replace(/\/(32|128)$/, ''))) };
        resolvedAt.set(t.name, r);
        try {
          for (const a of addrs) checkAddress(checked.matcher, a, `Target ${t.name} (now resolves to ${a})`);
        } catch (e) {
          refusal ??= e as JobRefused;
          stop.abort(e);
          throw e;
        }
      }
      if (!r.addresses.has(t.address)) {
        const e = new JobRefused('target_dns_changed', `Target ${t.name} no longer resolves to ${t.address}; refusing to probe it.`);
        refusal ??= e;
        stop.abort(e);
        throw e;
      }
    }
    checkAddress(checked.matcher, t.address, `Target ${t.target}`);
    return limiter.acquire(stop.signal);
  };

  const record = (t: PlannedTarget, port: number, type: ProbeType, startedAt: Date, out: ProbeOutput) => {
    const transcript = { ...out.transcript, target: t.target, worker: o.client.state.deviceId, scan: job.scan.id };
    pending.push({
      target: t.target, address: t.address, port, probe_type: type, outcome: out.outcome, reason: out.reason, started_at: startedAt.toISOString(),
      duration_ms: Date.now() - startedAt.getTime(), observed: out.observed, transcript, transcript_sha256: sha256(canonicalJson(transcript)),
    });
    done.set(`${t.address}|${port}|${type}`, out.outcome);
    if (pending.length >= (o.batchSize ?? 50)) void flush(false).catch(() => undefined);
  };

  const slot = async <T>(address: string, fn: () => Promise<T>): Promise<T> => {
    let h = perHost.get(address);
    if (!h) perHost.set(address, (h = new Semaphore(o.profile.per_host_concurrency)));
    const releaseGlobal = await global.acquire();
    const releaseHost = await h.acquire();
    try {
      return await fn();
    } finally {
      releaseHost();
      releaseGlobal();
    }
  };

  const hostState = new Map<string, { answered: number[]; streak: number; held: number[]; rtt: RttTimeout }>();
  const stateOf = (a: string) => {
    let s = hostState.get(a);
    if (!s) hostState.set(a, (s = { answered: [], streak: 0, held: [], rtt: new RttTimeout(o.profile.connect_timeout_ms) }));
    return s;
  };
  const burst = o.burstThreshold ?? 8;

  try {
    const wants = (t: ProbeType) => checked.probeTypes.includes(t);
    const phase2Types = (['banner', 'tls', 'http_headers'] as const).filter(wants);
    planned = checked.targets.length * checked.ports.length * (wants('tcp_connect') ? 1 : 0);
    // The plan goes to the server at once, so progress and ETA show from the first result.
    if (planned) void answer(o.client.api.POST('/api/v1/probe/jobs/{lease}/renew', { ...at, body: { lease_seconds: leaseSeconds, planned_probes: planned } })).catch(() => undefined);

    // ---- connect phase ----
    if (wants('tcp_connect')) {
      // Port-major order (every address's first port, then every address's second...), so
      // consecutive attempts go to different addresses and the per-address bound rarely stalls
      // a runner; a fixed pool of max_concurrency runners pulls from it.
      function* pending() {
        for (const port of checked.ports) for (const t of checked.targets) if (!done.has(`${t.address}|${port}|tcp_connect`)) yield { t, port };
      }
      // Every closed port is an ECONNREFUSED error object; capturing a stack trace for each
      // was a tenth of the scan's CPU time. The worker prints one sentence per failure anyway.
      const stackLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      await runPool(pending(), o.profile.max_concurrency, ({ t, port }) =>
        slot(t.address, async () => {
          if (stop.signal.aborted) return;
          const at = new Date();
          const hs = stateOf(t.address);
          const out = await tcpConnect(t.address, port, limits, beforeConnect(t), hs.rtt);
          if (out.outcome === 'open' || out.outcome === 'closed') {
            hs.answered.push(port);
            hs.streak = 0;
          } else if (out.reason === 'timeout') {
            hs.streak++;
            // Below the profile's timeout (RTT-based), or part of a burst after answers: probe
            // again later with the full timeout rather than call it filtered now.
            if ((hs.answered.length > 0 && hs.streak >= burst) || (out.transcript.timeout_ms as number) < limits.connectTimeoutMs) {
              hs.held.push(port);
              return;
            }
          }
          record(t, port, 'tcp_connect', at, out);
        }).catch((e) => {
          if (!stop.signal.aborted) throw e;
        }),
      ).finally(() => (Error.stackTraceLimit = stackLimit));
      // Held timeouts: back off, ask a canary, then decide (every address at once; the
      // per-address and global bounds still apply).
      await Promise.all(
        checked.targets.map(async (t) => {
          const hs = hostState.get(t.address);
          if (!hs || hs.held.length === 0 || stop.signal.aborted) return;
          await sleep(500, undefined, { signal: stop.signal }).catch(() => undefined);
          if (stop.signal.aborted) return;
          const canaryPort = hs.answered[0]!;
          const canary = await slot(t.address, () => tcpConnect(t.address, canaryPort, limits, beforeConnect(t)));
          const responsive = canary.outcome === 'open' || canary.outcome === 'closed';
          log(`Address ${t.address}: ${hs.held.length} ports timed out (RTT-based timeout or a burst); canary port ${canaryPort} ${responsive ? 'answered' : 'was silent too'}.`);
          await runPool(hs.held, o.profile.per_host_concurrency, (port) =>
            slot(t.address, async () => {
              if (stop.signal.aborted) return;
              const at = new Date();
              if (!responsive) {
                record(t, port, 'tcp_connect', at, { outcome: 'inconclusive', reason: 'rate_limited_or_interfered', observed: {}, transcript: { probe: 'tcp_connect', address: t.address, port, state: 'inconclusive', canary: { port: canaryPort, outcome: canary.outcome } } });
                return;
              }
              const out = await tcpConnect(t.address, port, limits, beforeConnect(t));
              record(t, port, 'tcp_connect', at, { ...out, transcript: { ...out.transcript, retried_after_burst: true } });
            }),
          );
        }),
      ).catch((e) => {
        if (!stop.signal.aborted) throw e;
      });
    }

    // ---- service phase: banner, TLS, then HTTP on open ports ----
    if (phase2Types.length && !stop.signal.aborted) {
      const open: Array<{ t: PlannedTarget; port: number }> = [];
      for (const t of checked.targets) for (const port of checked.ports) if (!wants('tcp_connect') || done.get(`${t.address}|${port}|tcp_connect`) === 'open') open.push({ t, port });
      planned += open.length * phase2Types.length;
      void answer(o.client.api.POST('/api/v1/probe/jobs/{lease}/renew', { ...at, body: { lease_seconds: leaseSeconds, planned_probes: planned } })).catch(() => undefined);
      await Promise.all(
        open.map(async ({ t, port }) => {
          const key = (type: string) => `${t.address}|${port}|${type}`;
          const run = (type: ProbeType, fn: () => Promise<ProbeOutput>) =>
            done.has(key(type))
              ? Promise.resolve()
              : slot(t.address, async () => {
                  if (stop.signal.aborted) return;
                  const at = new Date();
                  record(t, port, type, at, await fn());
                });
          const jobs: Array<Promise<void>> = [];
          if (wants('banner')) jobs.push(run('banner', () => banner(t.address, port, limits, beforeConnect(t))));
          if (wants('tls')) jobs.push(run('tls', () => tlsProbe(t.address, port, t.name, limits, beforeConnect(t))));
          await Promise.all(jobs);
          if (wants('http_headers')) {
            const scheme = done.get(key('tls')) === 'ok' ? 'https' : 'http';
            await run('http_headers', () =>
              httpHeaders(t.address, port, scheme, t.name ?? t.address, limits, beforeConnect(t), async (url) => {
                const p = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
                if (!checked.ports.includes(p)) return { ok: false, why: 'port_not_in_scan' };
                const host = url.hostname.replace(/^\[|\]$/g, '');
                const same = host === t.address || host === t.name;
                if (!same) return { ok: false, why: 'other_host' };
                return { ok: true, address: t.address, port: p };
              }),
            );
          }
        }).map((p) => p.catch((e) => {
          if (!stop.signal.aborted) throw e;
        })),
      );
    }
    if (refusal) throw refusal;
    if (stop.signal.aborted) throw stop.signal.reason;
    await flush(true);
    if (stop.signal.aborted) throw stop.signal.reason;
    const fin = await answer(o.client.api.POST('/api/v1/probe/jobs/{lease}/finish', { ...at, body: { outcome: 'finished' } }));
    if (fin.status !== 200) throw new LeaseLost(fin.json?.detail ?? `finish answered ${fin.status}`);
    log(`Finished scan ${job.scan.id}: ${reported} results, ${fin.json.findings} findings.`);
    return { status: 'finished', scanId: job.scan.id, probes: reported, attempts: limiter.released };
  } catch (e) {
    if (killed()) return { status: 'killed', scanId: job.scan.id, probes: reported, attempts: limiter.released };
    if (e instanceof JobRefused || refusal) {
      const r = refusal ?? (e as JobRefused);
      await flushing.catch(() => undefined);
      await answer(o.client.api.POST('/api/v1/probe/jobs/{lease}/refuse', { ...at, body: { code: r.code, detail: r.message } })).catch(() => undefined);
      log(`Refused scan ${job.scan.id} at probe time: ${r.message}`);
      return { status: 'refused', scanId: job.scan.id, detail: r.message, probes: reported };
    }
    if (e instanceof LeaseLost || stop.signal.aborted) return { status: 'lost', scanId: job.scan.id, detail: (e as Error).message, probes: reported };
    await answer(o.client.api.POST('/api/v1/probe/jobs/{lease}/finish', { ...at, body: { outcome: 'failed', reason: (e as Error).message.slice(0, 900) } })).catch(() => undefined);
    return { status: 'failed', scanId: job.scan.id, detail: (e as Error).message, probes: reported };
  } finally {
    clearInterval(flushTimer);
    clearInterval(renewTimer);
    stop.abort(new LeaseLost('job over'));
  }
}
