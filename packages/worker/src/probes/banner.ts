/**
 * banner: connects and reads what the service sends first, never writing a byte. Bounded by
 * the read timeout and max bytes (at most 4 KiB kept). ok with the bytes, no_data when the
 * service stays silent or closes without sending.
 */
import { Socket } from 'node:net';
import type { BeforeConnect, ProbeLimits, ProbeOutput } from './types.js';

const KEEP = 4096;

/** Printable ASCII kept, every other byte as \xNN; at most `max` characters. */
export function printable(b: Buffer, max = 256): string {
  let out = '';
  for (const c of b) {
    out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : `\\x${c.toString(16).padStart(2, '0')}`;
    if (out.length >= max) break;
  }
  return out.slice(0, max);
}

export async function banner(address: string, port: number, limits: ProbeLimits, before: BeforeConnect): Promise<ProbeOutput> {
  await before();
  const cap = Math.min(KEEP, limits.maxReadBytes);
  return new Promise((resolve) => {
    const s = new Socket();
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let connected = false;
    const finish = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(readTimer);
      if (!s.destroyed) {
        if (connected) s.resetAndDestroy();
        else s.destroy(); // still connecting: closing the descriptor stops SYN retransmits
      }
      const bytes = Buffer.concat(chunks).subarray(0, cap);
      const transcript = { probe: 'banner', address, port, read_b64: bytes.toString('base64'), bytes: bytes.length, ended_by: reason };
      if (!connected) resolve({ outcome: reason === 'econnrefused' ? 'error' : 'inconclusive', reason, observed: {}, transcript });
      else if (bytes.length === 0) resolve({ outcome: 'no_data', reason, observed: {}, transcript });
      else resolve({ outcome: 'ok', reason, observed: { banner: { banner: printable(bytes), bytes: bytes.length } }, transcript });
    };
    const connectTimer = setTimeout(() => finish('connect_timeout'), limits.connectTimeoutMs);
    let readTimer: NodeJS.Timeout | undefined;
    s.once('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      readTimer = setTimeout(() => finish('read_timeout'), limits.readTimeoutMs);
    });
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size >= cap) finish('max_bytes');
    });
    s.once('end', () => finish('closed_by_peer'));
    s.once('error', (e: NodeJS.ErrnoException) => finish((e.code ?? 'error').toLowerCase()));
    s.connect({ host: address, port });
  });
}
