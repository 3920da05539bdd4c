/**
 * The one pinned HTTPS transport of Parapet's Node clients (agent, worker, CLI):
 *
 * - `httpsRequest`: public-key pinning on top of chain validation: every connection's server
 *   certificate must have an SPKI SHA-256 in the pin set, checked in checkServerIdentity (after
 *   the usual chain and name checks), so a certificate that chains to a trusted CA but carries
 *   another key is refused. An empty pin set is chain validation alone.
 * - `httpsRequestPinnedKey`: the key pin alone, checked on `secureConnect` before one byte of
 *   the request is written (a local server with a self-signed certificate).
 * - `send` picks one of them for a `Trust`; `fetchOver` makes a fetch-compatible function of it
 *   for the generated typed client (@parapet/api-client), optionally signing each request; it
 *   answers with a LiteResponse, so it works without undici (and without WebAssembly).
 *
 * No connection reuse and no TLS session cache: each request is a fresh, fully checked handshake.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Transport } from '@parapet/api-client';
import { LiteResponse } from '@parapet/api-client/fetch-lite';

export class PinMismatchError extends Error {
  override name = 'PinMismatchError';
  readonly code = 'server_pin_mismatch';
  constructor(readonly host: string, readonly got: string, readonly pins: string[]) {
    super(`The server ${host} presented a certificate whose key (sha256/${got}) is not pinned; refusing to talk to it. If the server's key really changed, re-enroll this device.`);
  }
}

export const spkiSha256OfDer = (spkiDer: Buffer) => createHash('sha256').update(spkiDer).digest('base64');

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The server certificate's public key on this connection. */
  serverKey: KeyObject;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface TransportOptions {
  /** Extra trust anchors (PEM); default the system store. */
  ca?: string | string[] | undefined;
  /** Pins (base64 SHA-256 of SPKI). Empty: chain validation only (first contact at enrollment). */
  pins: string[];
  /** TLS server name when the URL has an IP address. */
  servername?: string | undefined;
  /** Gives up on a silent server (connect or response) after this long; default 30 s. */
  timeoutMs?: number | undefined;
}

export function httpsRequest(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, o: TransportOptions): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let pinError: PinMismatchError | undefined;
    const req = request(
      url,
      {
        method,
        headers: { ...headers, host: url.host, ...(body ? { 'content-length': String(body.length) } : {}) },
        ...(o.ca ? { ca: o.ca } : {}),
        ...(o.servername ? { servername: o.servername } : {}),
        agent: false,
        minVersion: 'TLSv1.3',
        checkServerIdentity: (host: string, cert: PeerCertificate) => {
          const err = checkServerIdentity(host, cert);
          if (err) return err;
          if (o.pins.length === 0) return undefined;
          const got = spkiSha256OfDer(new X509Certificate(cert.raw).publicKey.export({ type: 'spki', format: 'der' }));
          if (!o.pins.includes(got)) return (pinError = new PinMismatchError(url.host, got, o.pins));
          return undefined;
        },
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        const serverKey = new X509Certificate(peer.raw).publicKey;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, serverKey, json: () => (b.length ? JSON.parse(b.toString('utf8')) : undefined) });
        });
      },
    );
    // Without a timeout a black-holed server would hang a heartbeat forever.
    req.setTimeout(o.timeoutMs ?? 30_000, () => req.destroy(Object.assign(new Error(`No answer from ${url.host} in time.`), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => reject(pinError ?? e));
    req.end(body);
  });
}

export interface PinnedKeyOptions {
  /** The one accepted server key: base64 SHA-256 of its SPKI (as `spkiSha256` computes). */
  pin: string;
  /** Gives up on a silent server (connect or response) after this long; default 30 s. */
  timeoutMs?: number | undefined;
}

/**
 * HTTPS to a server known only by its key pin, such as a local server with a self-signed
 * certificate whose pin it recorded in the data dir. No chain or name check (there is no CA to
 * check against); instead the TLS connection is made first and its key is compared with the
 * pin on `secureConnect`, before the request is handed the socket. So a process holding the
 * port with another key receives the TLS handshake and not one byte of the request.
 * @throws PinMismatchError when the server's key is not the pinned one.
 */
export async function httpsRequestPinnedKey(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, o: PinnedKeyOptions): Promise<HttpResponse> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const socket = tlsConnect({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 443),
    ...(isIP(url.hostname.replace(/^\[|\]$/g, '')) ? {} : { servername: url.hostname }),
    rejectUnauthorized: false, // the pin below is the only trust decision
    minVersion: 'TLSv1.3',
    ALPNProtocols: ['http/1.1'],
    session: undefined,
  });
  socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error(`No answer from ${url.host} in time.`), { code: 'ETIMEDOUT' })));
  await new Promise<void>((ok, fail) => {
    socket.once('secureConnect', ok);
    socket.once('error', fail);
  });
  const peer = socket.getPeerCertificate();
  const serverKey = new X509Certificate(peer.raw).publicKey;
  const got = spkiSha256OfDer(serverKey.export({ type: 'spki', format: 'der' }));
  if (got !== o.pin) {
    socket.destroy();
    throw new PinMismatchError(url.host, got, [o.pin]);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        method,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { ...headers, host: url.host, connection: 'close', ...(body ? { 'content-length': String(body.length) } : {}) },
        createConnection: () => socket,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, serverKey, json: () => (b.length ? JSON.parse(b.toString('utf8')) : undefined) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** How a request's server is trusted: a key pin alone (`pin`), or pins on top of a chain. */
export type Trust = PinnedKeyOptions | TransportOptions;

/**
 * One HTTPS request under `trust`: `httpsRequestPinnedKey` for `{ pin }`, else `httpsRequest`.
 * @throws PinMismatchError when the server's key is not pinned; the socket's errors otherwise.
 */
export function send(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, trust: Trust): Promise<HttpResponse> {
  return 'pin' in trust ? httpsRequestPinnedKey(url, method, headers, body, trust) : httpsRequest(url, method, headers, body, trust);
}

/** Headers to add to a request (for example an RFC 9421 signature), given its final bytes. */
export type RequestSigner = (url: URL, method: string, body: Buffer | undefined) => Record<string, string>;

const serverKeys = new WeakMap<object, KeyObject>();

/** The server certificate's public key of the connection a `fetchOver` response came over. */
export function serverKeyOf(res: object): KeyObject | undefined {
  return serverKeys.get(res);
}

/**
 * A fetch-compatible function (Request → Response) that sends each request with `send` under
 * `trust` (or what `trust()` answers at that request), after adding the headers `sign` returns
 * for its method, URL and body bytes. This is the transport the typed client
 * (@parapet/api-client) runs over in Node; `serverKeyOf` gives the key each answer came with.
 *
 * It reads only `url`, `method`, `headers.forEach` and `arrayBuffer()` of the request (a
 * Request or a LiteRequest), and answers with a LiteResponse (@parapet/api-client/fetch-lite:
 * status, ok, statusText, headers, arrayBuffer() / text() / json(); no stream body), so this
 * path never loads undici, whose HTTP parser needs WebAssembly.
 */
export function fetchOver(trust: Trust | (() => Trust), sign?: RequestSigner): Transport {
  return async (request) => {
    const url = new URL(request.url);
    const bytes = Buffer.from(await request.arrayBuffer());
    const body = bytes.length ? bytes : undefined;
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => {
      headers[k] = v;
    });
    Object.assign(headers, sign?.(url, request.method, body));
    const r = await send(url, request.method, headers, body, typeof trust === 'function' ? trust() : trust);
    // A 204/205/304 answer must not carry a body.
    const res = new LiteResponse(r.status === 204 || r.status === 205 || r.status === 304 ? null : r.body, { status: r.status, statusText: '', headers: r.headers });
    serverKeys.set(res, r.serverKey);
    // LiteResponse has the members openapi-fetch and Parapet's callers read, not all of Response's.
    return res as unknown as Response;
  };
}
