/**
 * tcp_connect: a full TCP connect (nmap -sT semantics). open: the handshake completed (the
 * socket is then reset, sending nothing); closed: the host answered RST (ECONNREFUSED, which
 * is also how Linux reports an ICMP port unreachable); filtered: no answer before the connect
 * timeout, or ICMP host/net unreachable or administratively prohibited (EHOSTUNREACH,
 * ENETUNREACH, EACCES/EPERM from a local reject rule). Anything else is inconclusive.
 *
 * The timeout is `limits.connectTimeoutMs` unless `rtt` is given: then it is the RTT-based
 * timeout of that address (nmap's approach, see RttTimeout), and every answer updates it. A
 * timer that fires is judged only after the event loop's next poll phase (setImmediate), so an
 * answer that arrived while this process was not scheduled counts as an answer, not a timeout.
 */
import { Socket } from 'node:net';
import type { RttTimeout } from '../limiter.js';
import type { BeforeConnect, ProbeLimits, ProbeOutput } from './types.js';

const FILTERED = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'EPERM']);

export async function tcpConnect(address: string, port: number, limits: ProbeLimits, before: BeforeConnect, rtt?: RttTimeout): Promise<ProbeOutput> {
  const sent = await before();
  const started = performance.now();
  const timeoutMs = rtt ? rtt.timeoutMs : limits.connectTimeoutMs;
  return new Promise((resolve) => {
    const s = new Socket();
    let settled = false;
    const finish = (outcome: ProbeOutput['outcome'], reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const elapsed = performance.now() - started;
      if (rtt && (outcome === 'open' || outcome === 'closed')) rtt.observe(elapsed);
      // Connected: an RST instead of FIN (no TIME_WAIT, nothing sent to the service). Still
      // connecting: destroy closes the descriptor, so the kernel stops retransmitting the SYN
      // (resetAndDestroy would wait for a connection that never comes).
      if (!s.destroyed) {
        if (outcome === 'open') s.resetAndDestroy();
        else s.destroy();
      }
      const transcript: Record<string, unknown> = { probe: 'tcp_connect', address, port, state: outcome, reason, elapsed_ms: Math.round(elapsed) };
      if (reason === 'timeout') transcript.timeout_ms = timeoutMs;
      resolve({ outcome, reason, observed: {}, transcript });
    };
    const timer = setTimeout(() => setImmediate(() => finish('filtered', 'timeout')), timeoutMs);
    s.once('connect', () => finish('open', 'syn_ack'));
    s.once('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'error';
      if (code === 'ECONNREFUSED') finish('closed', 'econnrefused');
      else if (FILTERED.has(code)) finish('filtered', code.toLowerCase());
      else finish('inconclusive', code.toLowerCase());
    });
    s.connect({ host: address, port });
    // net.connect to an IP address issues the connect(2) call on the next tick; a tick queued
    // now runs after it, so the rate window counts this attempt from after the SYN left.
    process.nextTick(sent);
  });
}
