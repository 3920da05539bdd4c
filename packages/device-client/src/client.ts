/**
 * The device side of CORE-ENROLL, shared by parapet-agent and parapet-worker: make a key pair
 * on the device, keep the private key in the key store, enroll with a token (the request signed
 * by the new key), then sign every request (RFC 9421, ed25519) and send it over pinned TLS.
 * Requests go through the generated typed client (`DeviceClient.api`, @parapet/api-client)
 * over `fetchOver` (transport.ts), which signs each request's final bytes.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
// The httpsig module alone (not the core index), so the single-file worker carries only what it uses.
import * as httpsig from '@parapet/core/httpsig/index';
import type { KeyStore, KeyStoreKind } from './keystore.js';
import { createApiClient, type ApiClient } from '@parapet/api-client';
import { LiteRequest } from '@parapet/api-client/fetch-lite';
import { fetchOver, send, serverKeyOf, spkiSha256OfDer, type HttpResponse, type TransportOptions } from './transport.js';

export type DeviceKind = 'agent' | 'worker';

/** What the device remembers between runs (not secret; the key is in the key store). */
export interface DeviceState {
  server: string;
  tenantId: string;
  deviceId: string;
  keyid: string;
  kind: DeviceKind;
  pins: string[];
  /** issued_at of the last accepted pin announcement (no rollback to an older one). */
  pinsIssuedAt?: string | undefined;
  servername?: string | undefined;
  /** Where the private key is ('os' or 'file'), so later runs open the same store. */
  keyStore?: KeyStoreKind | undefined;
  /** Why the OS store was not used, when keyStore is 'file' (shown by `status`). */
  keyStoreNote?: string | undefined;
  /** Trust anchor file given with --ca at enrollment, copied into the state directory. */
  caFile?: string | undefined;
  /**
   * The person whose machine this is, as the server said at enrollment (the token's owner); null
   * when the token named nobody; absent in states written before servers said it.
   */
  ownerUserId?: string | null | undefined;
}

export class DeviceRequestError extends Error {
  override name = 'DeviceRequestError';
  constructor(readonly status: number, readonly code: string, detail: string) {
    super(detail);
  }
}

export async function saveState(path: string, s: DeviceState): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export async function loadState(path: string): Promise<DeviceState> {
  return JSON.parse(await readFile(path, 'utf8')) as DeviceState;
}

/**
 * The headers of a device request signed as every Parapet device signs (RFC 9421 with ed25519):
 * components `@method @authority @path @query`, plus `content-digest` (RFC 9530, sha-256) and
 * `content-type: application/json` when there is a body; `created` is `now` (ms since the epoch)
 * in seconds, `expires` 60 s later, a fresh 128-bit nonce. Returns the headers to send.
 */
export function signHeaders(url: URL, method: string, body: Buffer | undefined, key: KeyObject, keyid: string, now = Date.now()): Record<string, string> {
  const created = Math.floor(now / 1000);
  const headers: Record<string, string> = {};
  const components = ['@method', '@authority', '@path', '@query'];
  if (body) {
    headers['content-digest'] = httpsig.contentDigest(body);
    headers['content-type'] = 'application/json';
    components.push('content-digest');
  }
  const sig = httpsig.signRequest(
    { method, authority: url.host, target: url.pathname + url.search, headers },
    { components, params: { created, expires: created + 60, nonce: randomBytes(16).toString('base64url'), keyid, alg: 'ed25519' }, privateKey: key },
  );
  return { ...headers, ...sig };
}

/** Throws a typed client's problem answer (`error`, RFC 9457) as DeviceRequestError. */
function fail(r: { response: Response; error?: unknown }): never {
  const j = (r.error && typeof r.error === 'object' ? r.error : {}) as { code?: string; detail?: string };
  throw new DeviceRequestError(r.response.status, j.code ?? `http_${r.response.status}`, j.detail ?? `The server answered ${r.response.status}.`);
}

/** The typed client of a device: every request signed by `key` as `keyid` and sent under `trust`. */
function deviceApi(server: string, key: KeyObject, keyid: string, trust: TransportOptions | (() => TransportOptions)): ApiClient {
  // LiteRequest and fetchOver's LiteResponse: a device process never loads undici (see fetch-lite.ts).
  return createApiClient({ baseUrl: new URL(server).origin, Request: LiteRequest, fetch: fetchOver(trust, (url, method, body) => signHeaders(url, method, body, key, keyid)) });
}

export interface EnrollOptions {
  server: string;
  token: string;
  kind: DeviceKind;
  name: string;
  store: KeyStore;
  statePath: string;
  version?: string;
  platform?: string;
  /** Trust anchors for first contact (e.g. the server's self-signed certificate). */
  ca?: string | string[];
  /** Pin given out of band with the token; when set, first contact is pinned too. */
  expectPin?: string;
  servername?: string;
}

export class DeviceClient {
  private typed: { server: string; api: ApiClient } | undefined;

  private constructor(
    readonly state: DeviceState,
    private readonly key: KeyObject,
    readonly store: KeyStore,
    private readonly statePath: string,
    private readonly ca?: string | string[],
  ) {}

  /**
   * The typed API client of this device (@parapet/api-client) for `state.server`: requests
   * signed by the device key, sent over TLS pinned to `state.pins` (read at each request, so
   * refreshed pins apply at once).
   */
  get api(): ApiClient {
    if (this.typed?.server !== this.state.server) {
      const trust = () => ({ ca: this.ca, pins: this.state.pins, servername: this.state.servername });
      this.typed = { server: this.state.server, api: deviceApi(this.state.server, this.key, this.state.keyid, trust) };
    }
    return this.typed.api;
  }

  /** Loads an enrolled device (state file plus key from the store). */
  static async open(o: { statePath: string; store: KeyStore; ca?: string | string[] }): Promise<DeviceClient> {
    const state = await loadState(o.statePath);
    const der = await o.store.load();
    if (!der) throw new Error('The device key is missing from its key store; enroll this device again.');
    return new DeviceClient(state, createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }), o.store, o.statePath, o.ca);
  }

  /** Makes the key pair here, stores it, and enrolls with a signed request. */
  static async enroll(o: EnrollOptions): Promise<DeviceClient> {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'jwk' }).x!;
    const transport: TransportOptions = { ca: o.ca, pins: o.expectPin ? [o.expectPin] : [], servername: o.servername };
    const r = await deviceApi(o.server, privateKey, 'enroll', transport).POST('/api/v1/devices/enroll', {
      body: { token: o.token, kind: o.kind, name: o.name, public_key: raw, key_store: o.store.kind, ...(o.version ? { version: o.version } : {}), ...(o.platform ? { platform: o.platform } : {}) },
    });
    if (r.response.status !== 201 || !r.data) fail(r);
    const j = r.data as { device_id: string; tenant_id: string; keyid: string; pins: { current: string; backup: string }; owner_user_id?: string | null };
    // The pins must describe the key we just talked to; otherwise something sits in between.
    const seen = spkiSha256OfDer(serverKeyOf(r.response)!.export({ type: 'spki', format: 'der' }));
    if (j.pins?.current !== seen) throw new Error('The server sent a pin that does not match the certificate of this connection; refusing to enroll.');
    await o.store.save(privateKey.export({ type: 'pkcs8', format: 'der' }));
    const state: DeviceState = { server: o.server, tenantId: j.tenant_id, deviceId: j.device_id, keyid: j.keyid, kind: o.kind, pins: [j.pins.current, j.pins.backup], servername: o.servername, keyStore: o.store.kind, keyStoreNote: o.store.fallbackReason, ownerUserId: j.owner_user_id };
    await saveState(o.statePath, state);
    return new DeviceClient(state, privateKey, o.store, o.statePath, o.ca);
  }

  /**
   * A signed request over pinned TLS to a path given whole, with any JSON body: for callers
   * that must send what the typed client would not (tests of the server's refusals). Everything
   * else uses `api`. Throws PinMismatchError or the socket's errors.
   */
  async request(method: string, path: string, json?: unknown): Promise<HttpResponse> {
    const url = new URL(path, this.state.server);
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    return send(url, method, signHeaders(url, method, body, this.key, this.state.keyid), body, { ca: this.ca, pins: this.state.pins, servername: this.state.servername });
  }

  async heartbeat(status: { version?: string; platform?: string } = {}): Promise<{ device_id: string; status: string; server_time: string }> {
    const r = await this.api.POST('/api/v1/devices/heartbeat', { body: { ...status, key_store: this.store.kind } });
    if (r.response.status !== 200 || !r.data) fail(r);
    return r.data as { device_id: string; status: string; server_time: string };
  }

  /**
   * Fetches the pin announcement and accepts it only when signed by the key of this (already
   * pinned) connection, newer than the last one, and still containing that key's pin.
   */
  async refreshPins(): Promise<string[]> {
    const r = await this.api.GET('/api/v1/devices/pins');
    if (r.response.status !== 200 || !r.data) fail(r);
    const a = r.data as { payload: string; signature: string };
    this.state.pins = acceptPinAnnouncement(a, serverKeyOf(r.response)!, this.state.pinsIssuedAt);
    this.state.pinsIssuedAt = JSON.parse(Buffer.from(a.payload, 'base64').toString('utf8')).issued_at;
    await saveState(this.statePath, this.state);
    return this.state.pins;
  }
}

export class PinAnnouncementError extends Error {
  override name = 'PinAnnouncementError';
  readonly code = 'pin_announcement_rejected';
}

/** Verifies a pin announcement against the current server key; returns the new pin set. */
export function acceptPinAnnouncement(a: { payload: string; signature: string }, serverKey: KeyObject, lastIssuedAt?: string): string[] {
  const bytes = Buffer.from(a.payload, 'base64');
  const alg = serverKey.asymmetricKeyType === 'ed25519' || serverKey.asymmetricKeyType === 'ed448' ? null : 'sha256';
  let ok = false;
  try {
    ok = verify(alg, bytes, serverKey, Buffer.from(a.signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) throw new PinAnnouncementError('The pin announcement is not signed by the current server key.');
  const body = JSON.parse(bytes.toString('utf8')) as { pins?: unknown; issued_at?: unknown };
  if (!Array.isArray(body.pins) || body.pins.length === 0 || !body.pins.every((p) => typeof p === 'string' && /^[A-Za-z0-9+/]{43}=$/.test(p)) || typeof body.issued_at !== 'string') {
    throw new PinAnnouncementError('The pin announcement is malformed.');
  }
  if (lastIssuedAt && !(Date.parse(body.issued_at) > Date.parse(lastIssuedAt))) throw new PinAnnouncementError('The pin announcement is older than the one already accepted.');
  const current = spkiSha256OfDer(serverKey.export({ type: 'spki', format: 'der' }));
  if (!body.pins.includes(current)) throw new PinAnnouncementError("The pin announcement drops the server's current key; refusing to lock this device out.");
  return body.pins as string[];
}
