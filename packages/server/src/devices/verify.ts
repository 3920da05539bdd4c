/**
 * Device request authentication (CORE-ENROLL): every device request carries an RFC 9421
 * ed25519 signature. Registered on the root instance (app.ts), so any domain's routes can
 * call guardDevice(req) (platform/guard.ts):
 *   resolver    (platform/principal.ts, asked after the session cookie's) parse the
 *               signature, check coverage and time window, look the device up by
 *               keyid `<tenantId>.<deviceId>`, refuse revoked devices, verify, record the nonce
 *               (a second use of a nonce fails on the unique key: replay);
 *   preParsing  read the body and check it against the signed Content-Digest; a body without
 *               a covered Content-Digest is refused.
 * Every refusal is a 401 problem with a stable code and an audit entry in the named tenant.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { httpsig } from '@parapet/core';
import type { Database } from '@parapet/db';
import type { AppDeps } from '../deps.js';
import { ProblemError, type ProblemCode } from '../http/problem.js';
import { recordUnauthenticated } from '../audit/index.js';
import { actorOf, registerPrincipalResolver } from '../platform/principal.js';
import { AcceptBatcher } from './accept-batcher.js';

export const SKEW_SECONDS = 60;
export const MAX_AGE_SECONDS = 300;
export const REQUIRED_COMPONENTS = ['@method', '@authority', '@path', '@query'];
const MAX_SIGNED_BODY = 10 * 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'enroll': the route verifies the signature itself with the key from the body. */
    deviceAuth?: 'enroll';
  }
  interface FastifyRequest {
    deviceSignature?: { parsed: httpsig.ParsedSignature; tenantId?: string; deviceId?: string };
  }
}

/** Raw 32-byte Ed25519 public key → KeyObject (via its fixed SPKI prefix). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
export function ed25519PublicKey(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function signableOf(req: FastifyRequest): httpsig.SignableRequest {
  return { method: req.method, authority: req.headers.host ?? '', target: req.url, scheme: 'https', headers: req.headers };
}

export function parseKeyId(keyid: string | undefined): { tenantId: string; deviceId: string } | undefined {
  const [t, d, ...rest] = (keyid ?? '').split('.');
  return t && d && rest.length === 0 && UUID.test(t) && UUID.test(d) ? { tenantId: t, deviceId: d } : undefined;
}

/**
 * Audits a refused device request in the named tenant: only when that tenant exists, and
 * within the per-tenant budget for unauthenticated traffic (audit/unauthenticated.ts).
 */
export async function auditRefusal(db: Database, req: FastifyRequest, tenantId: string | undefined, action: 'device.request.refused' | 'device.enrolled', code: string, target?: { type: string; id: string }, actor?: { type: 'device'; id: string }): Promise<void> {
  if (!tenantId || !UUID.test(tenantId)) return;
  try {
    await recordUnauthenticated(db, tenantId, { ...actorOf(req), ...(actor ?? {}) }, { action, outcome: 'denied', ...(target ? { target } : {}), details: { code, method: req.method, path: req.url.split('?')[0] } });
  } catch (e) {
    req.log.warn({ err: e, tenantId }, 'could not audit a refused device request');
  }
}

export function policy(now: Date, requireParams: Array<'expires' | 'nonce' | 'keyid'>): httpsig.VerifyPolicy {
  return { required: REQUIRED_COMPONENTS, now: Math.floor(now.getTime() / 1000), skewSeconds: SKEW_SECONDS, maxAgeSeconds: MAX_AGE_SECONDS, requireParams };
}

export function refuse(code: ProblemCode, detail: string): ProblemError {
  return new ProblemError(401, code, detail, {}, { 'www-authenticate': 'Signature' });
}

/** What a device request is accepted as, or why it is refused (a stable problem code). */
type Outcome =
  | { principal: { kind: 'device'; tenantId: string; deviceId: string; deviceKind: 'agent' | 'worker'; name: string }; code?: undefined; detail?: undefined }
  | { principal?: undefined; code: ProblemCode; detail: string };

/** A device's immutable fields (a device's kind, name and key never change; a new key is a new device). */
interface CachedDevice {
  kind: 'agent' | 'worker';
  name: string;
  rawKey: Buffer;
  key: KeyObject;
}

/** Entries kept in the per-process device cache; past this, the least recently used goes. */
export const DEVICE_CACHE_SIZE = 10_000;

export async function registerDeviceAuth(app: FastifyInstance, deps: AppDeps): Promise<void> {
  // Device lookups are cached in this process, and the cache is only a hint: the statement
  // that records the nonce (device_request_accept, migration 0020) also checks that the device
  // still exists, is active and has exactly the cached key. So revocation, erasure and a
  // replaced key take effect on the next request on every replica without any invalidation
  // message, and an accepted request costs one database round trip, shared with the requests
  // that arrive at the same time.
  const cache = new Map<string, CachedDevice>();
  // Concurrent requests share one statement (devices/accept-batcher.ts, migration 0021).
  const batcher = new AcceptBatcher(deps.db);

  async function lookup(tenantId: string, deviceId: string): Promise<CachedDevice | undefined> {
    const id = `${tenantId}.${deviceId}`;
    const hit = cache.get(id);
    if (hit) {
      cache.delete(id); // re-insert: Map order is recency order
      cache.set(id, hit);
      return hit;
    }
    const { rows } = await deps.db.tx({ tenantId, actor: `device:${deviceId}` }, (q) =>
      q.query<{ kind: 'agent' | 'worker'; name: string; public_key: Buffer }>(`SELECT kind, name, public_key FROM devices WHERE id = $1`, [deviceId]),
    );
    const d = rows[0];
    if (!d) return undefined;
    const rawKey = Buffer.from(d.public_key);
    const entry = { kind: d.kind, name: d.name, rawKey, key: ed25519PublicKey(rawKey) };
    cache.set(id, entry);
    if (cache.size > DEVICE_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    return entry;
  }

  async function accept(msg: httpsig.SignableRequest, parsed: httpsig.ParsedSignature, tenantId: string, deviceId: string): Promise<Outcome> {
    const d = await lookup(tenantId, deviceId);
    if (!d) return { code: 'device_unknown', detail: 'No enrolled device has this keyid.' };
    try {
      // On the thread pool: the event loop serves other requests meanwhile.
      await httpsig.verifySignatureAsync(msg, parsed, d.key);
    } catch (e) {
      if (!(e instanceof httpsig.SignatureError)) throw e;
      return { code: e.code, detail: e.message };
    }
    const nonce = parsed.params.nonce!;
    if (nonce.length < 16 || nonce.length > 128) return { code: 'signature_nonce_invalid', detail: 'The nonce must be 16 to 128 characters.' };
    const created = parsed.params.created!;
    // Keep the nonce until a signature created with it could no longer pass the window.
    const verdict = await batcher.accept({ tenantId, deviceId, publicKey: d.rawKey, nonce, created, expires: created + MAX_AGE_SECONDS + 2 * SKEW_SECONDS });
    switch (verdict) {
      case 'accepted':
        return { principal: { kind: 'device', tenantId, deviceId, deviceKind: d.kind, name: d.name } };
      case 'replayed':
        return { code: 'signature_replayed', detail: 'This signature nonce has been used before; the request looks replayed.' };
      case 'stale':
        // Nonces recorded in the last moments before a database crash may be lost (migration
        // 0020), so nothing signed before the database started counts.
        return { code: 'signature_stale', detail: 'This request was signed before the server\'s database last started; sign it again.' };
      case 'revoked':
        return { code: 'device_revoked', detail: 'This device has been revoked; enroll it again with a new token.' };
      default:
        cache.delete(`${tenantId}.${deviceId}`);
        return { code: 'device_unknown', detail: 'No enrolled device has this keyid.' };
    }
  }

  // Asked only when no session cookie resolved the request: signatures are for devices.
  registerPrincipalResolver(app, async (req) => {
    if (req.headers['signature-input'] === undefined && req.headers.signature === undefined) return null;
    const enroll = req.routeOptions.config?.deviceAuth === 'enroll';
    const msg = signableOf(req);
    let parsed: httpsig.ParsedSignature;
    let named: { tenantId: string; deviceId: string } | undefined;
    try {
      parsed = httpsig.parseSignature(msg);
      if (enroll) {
        // The enroll route checks the window and verifies with the key in the body, where
        // the token tells which tenant to audit in.
        req.deviceSignature = { parsed };
        return null;
      }
      named = parseKeyId(parsed.params.keyid);
      httpsig.checkPolicy(parsed, policy(deps.now(), ['expires', 'nonce', 'keyid']));
    } catch (e) {
      if (!(e instanceof httpsig.SignatureError)) throw e;
      await auditRefusal(deps.db, req, named?.tenantId, 'device.request.refused', e.code, named && { type: 'device', id: named.deviceId });
      throw refuse(e.code, e.message);
    }
    if (!named) {
      throw refuse('signature_keyid_invalid', 'The keyid must be <tenant id>.<device id>.');
    }
    const { tenantId, deviceId } = named;
    const outcome = await accept(msg, parsed, tenantId, deviceId);
    if (!outcome.principal) {
      await auditRefusal(deps.db, req, tenantId, 'device.request.refused', outcome.code!, { type: 'device', id: deviceId });
      throw refuse(outcome.code!, outcome.detail!);
    }
    req.deviceSignature = { parsed, tenantId, deviceId };
    return outcome.principal;
  });

  app.addHook('preParsing', async (req, _reply, payload) => {
    const sig = req.deviceSignature;
    if (!sig) return payload;
    const body = await readBody(payload as Readable);
    const covered = sig.parsed.components.includes('content-digest');
    const digestHeader = req.headers['content-digest'];
    const code = body.length > 0 && !covered ? 'content_digest_missing' : covered && !httpsig.verifyContentDigest(Array.isArray(digestHeader) ? digestHeader.join(', ') : digestHeader, body) ? 'content_digest_mismatch' : undefined;
    if (code !== undefined) {
      const tenantId = sig.tenantId ?? parseKeyId(sig.parsed.params.keyid)?.tenantId;
      await auditRefusal(deps.db, req, tenantId, 'device.request.refused', code, sig.deviceId ? { type: 'device', id: sig.deviceId } : undefined);
      throw refuse(code, code === 'content_digest_missing' ? 'A signed request with a body must cover a Content-Digest.' : 'The body does not match the signed Content-Digest; it was changed after signing.');
    }
    // A plain Readable holding the body (Readable.from would iterate it asynchronously).
    const out = new Readable({ read() {} }) as Readable & { receivedEncodedLength?: number };
    if (body.length) out.push(body);
    out.push(null);
    out.receivedEncodedLength = body.length;
    return out;
  });
}

/**
 * The whole request body, read with stream events (cheaper per request than an async
 * iterator). Rejects with a 413 problem past MAX_SIGNED_BODY bytes, or with the stream's error.
 */
function readBody(payload: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer | string) => {
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      size += b.length;
      if (size > MAX_SIGNED_BODY) {
        done();
        payload.resume(); // the rest is read and dropped, so the 413 reaches the client
        reject(new ProblemError(413, 'body_too_large', 'The signed body is too large.'));
        return;
      }
      chunks.push(b);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (e: unknown) => {
      done();
      reject(e);
    };
    const done = () => {
      payload.off('data', onData).off('end', onEnd).off('error', onError);
      payload.pause();
    };
    payload.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
