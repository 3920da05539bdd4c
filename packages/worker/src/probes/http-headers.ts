/**
 * http_headers: one unauthenticated GET / (HTTP/1.1, or HTTPS when the port speaks TLS),
 * reading the status and the headers Probe judges (HSTS, CSP, X-Frame-Options, Server,
 * X-Powered-By). The body is not kept (at most max_read_bytes are read, then the connection
 * closes). Redirects are followed only when `allowRedirect` says the new location is inside the
 * scope and the scan (at most 3); others are recorded as not followed. A 429 or 503 with
 * Retry-After is reported inconclusive (rate_limited).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { HttpObserved } from '@parapet/core/probe/results';
import type { BeforeConnect, ProbeLimits, ProbeOutput } from './types.js';

const KEEP = ['strict-transport-security', 'content-security-policy', 'x-frame-options', 'server', 'x-powered-by', 'location'] as const;
export const USER_AGENT = 'parapet-worker (authorized perimeter validation; https://parapet.dev/probe)';

interface OneResponse {
  status: number;
  httpVersion: string;
  headers: Array<[string, string]>;
}

function getOnce(scheme: 'http' | 'https', address: string, port: number, host: string, path: string, limits: ProbeLimits): Promise<OneResponse> {
  return new Promise((resolve, reject) => {
    const req = (scheme === 'https' ? httpsRequest : httpRequest)(
      {
        host: address,
        port,
        path,
        method: 'GET',
        agent: false,
        headers: { host: port === (scheme === 'https' ? 443 : 80) ? host : `${isIP(host) === 6 ? `[${host}]` : host}:${port}`, 'user-agent': USER_AGENT, accept: '*/*', connection: 'close' },
        ...(scheme === 'https' ? { rejectUnauthorized: false, ciphers: 'ALL:@SECLEVEL=0', minVersion: 'TLSv1' as const, ...(isIP(host) ? {} : { servername: host }) } : {}),
        timeout: limits.connectTimeoutMs + limits.readTimeoutMs,
      },
      (res: IncomingMessage) => {
        const headers: Array<[string, string]> = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        let read = 0;
        res.on('data', (c: Buffer) => {
          read += c.length;
          if (read >= limits.maxReadBytes) res.destroy();
        });
        const done = () => resolve({ status: res.statusCode ?? 0, httpVersion: res.httpVersion, headers });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

export type RedirectCheck = (url: URL) => Promise<{ ok: true; address: string; port: number } | { ok: false; why: string }>;

export async function httpHeaders(address: string, port: number, scheme: 'http' | 'https', host: string, limits: ProbeLimits, before: BeforeConnect, allowRedirect: RedirectCheck): Promise<ProbeOutput> {
  const exchanges: Array<{ url: string } & OneResponse> = [];
  const redirects: HttpObserved['redirects'] = [];
  let cur = { scheme, address, port, host, path: '/' };
  let last: OneResponse | undefined;
  for (let hop = 0; hop < 4; hop++) {
    await before();
    const url = `${cur.scheme}://${isIP(cur.host) === 6 ? `[${cur.host}]` : cur.host}:${cur.port}${cur.path}`;
    try {
      last = await getOnce(cur.scheme, cur.address, cur.port, cur.host, cur.path, limits);
    } catch (e) {
      const code = ((e as NodeJS.ErrnoException).code ?? 'error').toLowerCase();
      const transcript = { probe: 'http_headers', exchanges, failed: { url, error: code } };
      return { outcome: code === 'etimedout' || code === 'econnreset' ? 'inconclusive' : 'error', reason: code, observed: {}, transcript };
    }
    exchanges.push({ url, ...last });
    const location = last.headers.find(([k]) => k.toLowerCase() === 'location')?.[1];
    if (!(last.status >= 300 && last.status < 400 && location) || hop === 3) break;
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      redirects.push({ location, followed: false, why: 'invalid_location' });
      break;
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      redirects.push({ location: next.href, followed: false, why: 'scheme' });
      break;
    }
    const ok = await allowRedirect(next);
    if (!ok.ok) {
      redirects.push({ location: next.href, followed: false, why: ok.why });
      break;
    }
    redirects.push({ location: next.href, followed: true });
    cur = { scheme: next.protocol === 'https:' ? 'https' : 'http', address: ok.address, port: ok.port, host: next.hostname.replace(/^\[|\]$/g, ''), path: next.pathname + next.search };
  }
  const headers: HttpObserved['headers'] = {};
  for (const k of KEEP) {
    const v = last!.headers.filter(([h]) => h.toLowerCase() === k).map(([, x]) => x);
    if (v.length) headers[k] = v.join(', ').slice(0, 1000);
  }
  const observed: HttpObserved = { scheme: cur.scheme, status: last!.status, headers, redirects };
  const transcript = { probe: 'http_headers', exchanges };
  if (last!.status === 429 || (last!.status === 503 && last!.headers.some(([k]) => k.toLowerCase() === 'retry-after'))) return { outcome: 'inconclusive', reason: 'rate_limited', observed: { http: observed }, transcript };
  return { outcome: 'ok', reason: `status_${last!.status}`, observed: { http: observed }, transcript };
}
