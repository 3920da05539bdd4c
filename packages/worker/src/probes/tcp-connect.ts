/**
 * tcp_connect: a full TCP connect (nmap -sT semantics). open: the handshake completed (the
 * socket is then reset, sending nothing); closed: the host answered RST (ECONNREFUSED, which
 * is also how Linux reports an ICMP port unreachable); filtered: no answer before the connect
 * timeout, or ICMP host/net unreachable or administratively prohibited (EHOSTUNREACH,
 * ENETUNREACH, EACCES/EPERM from a local reject rule). Anything else is inconclusive.
 */
import { Socket } from 'node:net';
import type { BeforeConnect, ProbeLimits, ProbeOutput } from './types.js';

const FILTERED = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'EPERM']);

export async function tcpConnect(address: string, port: number, limits: ProbeLimits, before: BeforeConnect): Promise<ProbeOutput> {
  await before();
  const started = Date.now();
  return new Promise((resolve) => {
    const s = new Socket();
    let settled = false;
    const finish = (outcome: ProbeOutput['outcome'], reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Connected: an RST instead of FIN (no TIME_WAIT, nothing sent to the service). Still
      // connecting: destroy closes the descriptor, so the kernel stops retransmitting the SYN
      // (resetAndDestroy would wait for a connection that never comes).
      if (!s.destroyed) {
        if (outcome === 'open') s.resetAndDestroy();
        else s.destroy();
      }
      resolve({ outcome, reason, observed: {}, transcript: { probe: 'tcp_connect', address, port, state: outcome, reason, elapsed_ms: Date.now() - started } });
    };
    const timer = setTimeout(() => finish('filtered', 'timeout'), limits.connectTimeoutMs);
    s.once('connect', () => finish('open', 'syn_ack'));
    s.once('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? 'error';
      if (code === 'ECONNREFUSED') finish('closed', 'econnrefused');
      else if (FILTERED.has(code)) finish('filtered', code.toLowerCase());
      else finish('inconclusive', code.toLowerCase());
    });
    s.connect({ host: address, port });
  });
}
