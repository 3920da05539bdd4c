import './deactivation.js'; // registers the user-deactivation hook
import type { FastifyInstance } from 'fastify';
import { httpsig } from '@parapet/core';
import type { AppDeps } from '../deps.js';
import { type ProblemCode, ProblemError } from '../http/problem.js';
import { recordAudit } from '../platform/audit.js';
import { actorOf } from '../platform/principal.js';
import { defineActions } from '../platform/pdp.js';
import { DEFAULT_TOKEN_SECONDS, type DeviceKind, MAX_TOKEN_SECONDS, createEnrollmentToken, hashSecret, parseToken } from './tokens.js';
import { listDevices, revokeDevice } from './fleet.js';
import { announcePins, serverPins } from './pins.js';
import { auditRefusal, ed25519PublicKey, policy, refuse, signableOf } from './verify.js';
import { guard, guardDevice } from '../platform/guard.js';
import type { ApiTypeProvider } from '../http/type-provider.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

defineActions({
  'device.token.create': { roles: ['admin'], stepUp: true },
  'device.list': { roles: ['admin', 'security_lead', 'auditor'] },
  'device.revoke': { roles: ['admin', 'security_lead'], stepUp: true },
});

const problem = { $ref: 'Problem#' } as const;
const kind = { type: 'string', enum: ['agent', 'worker'] } as const;
const deviceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind,
    name: { type: 'string' },
    status: { type: 'string', enum: ['active', 'revoked'] },
    enrolled_at: { type: 'string' },
    revoked_at: { type: ['string', 'null'] },
    last_seen_at: { type: ['string', 'null'] },
    version: { type: ['string', 'null'] },
    platform: { type: ['string', 'null'] },
    key_store: { type: ['string', 'null'] },
  },
  required: ['id', 'kind', 'name', 'status', 'enrolled_at', 'revoked_at', 'last_seen_at', 'version', 'platform', 'key_store'],
  additionalProperties: false,
} as const;
const revokedView = { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string', description: 'revoked' }, revoked_at: { type: 'string' } }, required: ['id', 'status', 'revoked_at'], additionalProperties: false } as const;
const statusBody = {
  version: { type: 'string', maxLength: 64 },
  platform: { type: 'string', maxLength: 64 },
  key_store: { type: 'string', enum: ['os', 'file'] },
} as const;

export async function deviceRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  app.post(
    '/api/v1/devices/enrollment-tokens',
    {
      schema: {
        tags: ['devices'],
        summary: 'Create a single-use enrollment token for an agent or worker; the token is shown only in this response.',
        body: { type: 'object', required: ['kind'], additionalProperties: false, properties: { kind, expires_in_seconds: { type: 'integer', minimum: 60, maximum: MAX_TOKEN_SECONDS, default: DEFAULT_TOKEN_SECONDS }, owner_user_id: { type: 'string', format: 'uuid' } } },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' }, token: { type: 'string' }, kind, expires_at: { type: 'string' },
              // What the enroll command needs to trust this server on first contact: the key pin
              // (SPKI SHA-256, base64) and, for a self-signed certificate, the certificate itself.
              server_pin: { type: ['string', 'null'] },
              server_ca_pem: { type: ['string', 'null'] },
            },
            required: ['id', 'token', 'kind', 'expires_at', 'server_pin', 'server_ca_pem'],
            additionalProperties: false,
          },
          '4xx': problem,
        },
      } as const,
    },
    async (req, reply) => {
      const { principal: p } = await guard(req, 'device.token.create', { type: 'device' });
      const t = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const owner = req.body.owner_user_id;
        if (owner && !(await q.query(`SELECT 1 FROM users WHERE id = $1 AND status = 'active'`, [owner])).rows.length) {
          throw new ProblemError(400, 'owner_not_found', 'The device owner must be an active user of this organisation.');
        }
        const t = await createEnrollmentToken(q, { tenantId: p.tenantId, kind: req.body.kind, expiresInSeconds: req.body.expires_in_seconds, createdBy: `user:${p.userId}`, ownerUserId: owner });
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'device.token.created', outcome: 'success', target: { type: 'enrollment_token', id: t.id }, details: { kind: t.kind, expires_at: t.expiresAt.toISOString(), owner_user_id: owner ?? null } });
        return t;
      });
      reply.code(201);
      return { id: t.id, token: t.token, kind: t.kind, expires_at: t.expiresAt.toISOString(), server_pin: deps.tls?.spkiSha256 ?? null, server_ca_pem: deps.tls?.selfSigned ? deps.tls.cert : null };
    },
  );

  app.post(
    '/api/v1/devices/enroll',
    {
      config: { deviceAuth: 'enroll' },
      schema: {
        tags: ['devices'],
        summary: 'Enroll a device with a token; the request must be signed (RFC 9421, ed25519) by the key being enrolled.',
        body: {
          type: 'object',
          required: ['token', 'kind', 'name', 'public_key', 'key_store'],
          additionalProperties: false,
          properties: { token: { type: 'string', maxLength: 200 }, kind, name: { type: 'string', minLength: 1, maxLength: 200 }, public_key: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' }, ...statusBody },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              device_id: { type: 'string' },
              tenant_id: { type: 'string' },
              keyid: { type: 'string' },
              kind,
              pins: { type: 'object', properties: { current: { type: 'string' }, backup: { type: 'string' } }, required: ['current', 'backup'], additionalProperties: false },
              owner_user_id: { type: ['string', 'null'], description: "The person whose machine this is (the token's owner); null for a worker or an agent enrolled without one." },
            },
            required: ['device_id', 'tenant_id', 'keyid', 'kind', 'pins', 'owner_user_id'],
            additionalProperties: false,
          },
          '4xx': problem,
        },
      } as const,
    },
    async (req, reply) => {
      const b = req.body;
      const parsedToken = parseToken(b.token);
      if (!parsedToken) throw new ProblemError(401, 'enrollment_token_invalid', 'The enrollment token is not valid.');
      const { tenantId, secret } = parsedToken;
      const sig = req.deviceSignature;
      const publicKey = Buffer.from(b.public_key, 'base64url');
      const refusal = (code: ProblemCode, detail: string, status = 401) => ({ refused: new ProblemError(status, code, detail, {}, status === 401 ? { 'www-authenticate': 'Signature' } : {}) });
      const pins = await serverPins(deps);
      const outcome = await deps.db
        .tx({ tenantId, actor: 'system:enroll' }, async (q) => {
          // Proof of possession first: the body (token included) is signed by the new key.
          if (!sig) return refusal('signature_missing', 'Sign the enrollment request with the key being enrolled.');
          try {
            httpsig.checkPolicy(sig.parsed, { ...policy(deps.now(), ['expires']), required: [...policy(deps.now(), []).required, 'content-digest'] });
            httpsig.verifySignature(signableOf(req), sig.parsed, ed25519PublicKey(publicKey));
          } catch (e) {
            if (!(e instanceof httpsig.SignatureError)) throw e;
            return refusal(e.code, e.message);
          }
          const { rows } = await q.query<{ id: string; kind: DeviceKind; used_at: Date | null; expired: boolean; owner_user_id: string | null }>(
            `SELECT id, kind, used_at, expires_at <= now() AS expired, owner_user_id FROM device_enrollment_tokens WHERE token_hash = $1 FOR UPDATE`,
            [hashSecret(secret)],
          );
          const t = rows[0];
          if (!t) return refusal('enrollment_token_invalid', 'The enrollment token is not valid.');
          if (t.used_at) return { ...refusal('enrollment_token_used', 'This enrollment token has already been used; ask for a new one.'), tokenId: t.id };
          if (t.expired) return { ...refusal('enrollment_token_expired', 'This enrollment token has expired; ask for a new one.'), tokenId: t.id };
          if (t.kind !== b.kind) return { ...refusal('enrollment_token_wrong_kind', `This token enrolls a ${t.kind}, not a ${b.kind}.`), tokenId: t.id };
          const dup = await q.query(`SELECT 1 FROM devices WHERE public_key = $1`, [publicKey]);
          if (dup.rowCount) return { ...refusal('device_key_in_use', 'This public key is already enrolled; make a new key pair.', 409), tokenId: t.id };
          const d = await q.query<{ id: string }>(
            `INSERT INTO devices (tenant_id, kind, name, public_key, enrollment_token_id, version, platform, key_store, last_seen_at, owner_user_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), $9) RETURNING id`,
            [tenantId, b.kind, b.name, publicKey, t.id, b.version ?? null, b.platform ?? null, b.key_store, t.owner_user_id],
          );
          const deviceId = d.rows[0]!.id;
          await q.query(`UPDATE device_enrollment_tokens SET used_at = now(), device_id = $2 WHERE id = $1`, [t.id, deviceId]);
          await recordAudit(q, tenantId, { ...actorOf(req), type: 'device', id: deviceId, name: b.name }, {
            action: 'device.enrolled',
            outcome: 'success',
            target: { type: 'device', id: deviceId },
            details: { kind: b.kind, token_id: t.id, key_store: b.key_store, platform: b.platform ?? null, version: b.version ?? null },
          });
          return { deviceId, ownerUserId: t.owner_user_id };
        })
        .catch((e: unknown) => {
          // A token naming a tenant that does not exist fails on RLS/foreign keys: same answer as a bad token.
          if (e instanceof ProblemError) throw e;
          req.log.warn({ err: e }, 'enrollment failed');
          return refusal('enrollment_token_invalid', 'The enrollment token is not valid.');
        });
      if ('refused' in outcome) {
        await auditRefusal(deps.db, req, tenantId, 'device.enrolled', outcome.refused.code, 'tokenId' in outcome && outcome.tokenId ? { type: 'enrollment_token', id: outcome.tokenId } : undefined);
        throw outcome.refused;
      }
      reply.code(201);
      return { device_id: outcome.deviceId, tenant_id: tenantId, keyid: `${tenantId}.${outcome.deviceId}`, kind: b.kind, pins, owner_user_id: outcome.ownerUserId };
    },
  );

  app.post(
    '/api/v1/devices/heartbeat',
    {
      schema: {
        tags: ['devices'],
        summary: 'Device heartbeat (signed): records last seen, version, platform and key store.',
        body: { type: 'object', additionalProperties: false, properties: statusBody },
        response: { 200: { type: 'object', properties: { device_id: { type: 'string' }, status: { type: 'string' }, server_time: { type: 'string' } }, required: ['device_id', 'status', 'server_time'], additionalProperties: false }, '4xx': problem },
      } as const,
    },
    async (req) => {
      const { principal: d } = await guardDevice(req);
      const b = req.body ?? {};
      const gone = await deps.db.tx({ tenantId: d.tenantId, actor: `device:${d.deviceId}` }, async (q) => {
        // One round trip: the row is locked and read (`old`, the values before) and updated by
        // the same statement; RETURNING gives the values the device had before this beat.
        // Only an active device beats: one revoked or erased after its signature was accepted
        // (another request committed in between) is refused like a request signed after it.
        const before = (await q.query<{ version: string | null; platform: string | null; key_store: string | null }>(
          `UPDATE devices d SET last_seen_at = now(), version = COALESCE($2, old.version), platform = COALESCE($3, old.platform), key_store = COALESCE($4, old.key_store)
             FROM (SELECT id, version, platform, key_store FROM devices WHERE id = $1 AND status = 'active' FOR UPDATE) old
            WHERE d.id = old.id
            RETURNING old.version, old.platform, old.key_store`,
          [d.deviceId, b.version ?? null, b.platform ?? null, b.key_store ?? null],
        )).rows[0];
        if (!before) {
          const row = (await q.query(`SELECT 1 FROM devices WHERE id = $1`, [d.deviceId])).rows[0];
          return row ? refuse('device_revoked', 'This device has been revoked; enroll it again with a new token.') : refuse('device_unknown', 'No enrolled device has this keyid.');
        }
        const changed = (['version', 'platform', 'key_store'] as const).filter((k) => b[k] !== undefined && b[k] !== before[k]);
        // Heartbeats are frequent; the audit trail records status changes, not every beat.
        if (changed.length) {
          await recordAudit(q, d.tenantId, actorOf(req), { action: 'device.status.changed', outcome: 'success', target: { type: 'device', id: d.deviceId }, details: Object.fromEntries(changed.map((k) => [k, { from: before[k], to: b[k] }])) });
        }
        return undefined;
      });
      if (gone) {
        await auditRefusal(deps.db, req, d.tenantId, 'device.request.refused', gone.code, { type: 'device', id: d.deviceId });
        throw gone;
      }
      return { device_id: d.deviceId, status: 'active', server_time: deps.now().toISOString() };
    },
  );

  app.get(
    '/api/v1/devices/pins',
    {
      schema: {
        tags: ['devices'],
        summary: 'Pin announcement (signed device request): the pins to hold, signed by the serving key.',
        response: { 200: { type: 'object', properties: { payload: { type: 'string' }, signature: { type: 'string' } }, required: ['payload', 'signature'], additionalProperties: false }, '4xx': problem },
      } as const,
    },
    async (req) => {
      await guardDevice(req);
      return announcePins(deps);
    },
  );

  app.get(
    '/api/v1/devices',
    { schema: { tags: ['devices'], summary: 'The fleet: every enrolled device with its status.', response: { 200: { type: 'object', properties: { devices: { type: 'array', items: deviceSchema } }, required: ['devices'], additionalProperties: false }, '4xx': problem } } as const },
    async (req) => {
      const { principal: p } = await guard(req, 'device.list', { type: 'device' });
      const devices = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const list = await listDevices(q);
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'device.listed', outcome: 'success', details: { count: list.length } });
        return list;
      });
      return { devices };
    },
  );

  app.post(
    '/api/v1/devices/:id/revoke',
    {
      schema: {
        tags: ['devices'],
        summary: 'Revoke a device: its next signed request is refused.',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
        response: { 200: revokedView, '4xx': problem },
      } as const,
    },
    async (req) => {
      const { principal: p } = await guard(req, 'device.revoke', { type: 'device', id: req.params.id });
      const r = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const r = await revokeDevice(q, req.params.id, `user:${p.userId}`);
        await recordAudit(q, p.tenantId, actorOf(req), {
          action: 'device.revoked',
          outcome: r ? 'success' : 'failure',
          target: { type: 'device', id: req.params.id },
          details: r ? { already_revoked: r.alreadyRevoked, name: r.name } : { code: 'device_not_found' },
        });
        return r;
      });
      if (!r) throw new ProblemError(404, 'device_not_found', 'No device with this id in your organisation.');
      return { id: r.id, status: 'revoked', revoked_at: r.revokedAt };
    },
  );

  // A device ends its own identity (signed request): `enroll --force` on a state dir that is
  // already enrolled retires the old identity before making the new one, so no orphan stays.
  app.post(
    '/api/v1/devices/self/revoke',
    {
      schema: {
        tags: ['devices'],
        summary: 'Revoke this device (signed device request), e.g. before re-enrolling its machine.',
        response: { 200: revokedView, '4xx': problem },
      } as const,
    },
    async (req) => {
      const { principal: d } = await guardDevice(req);
      const r = await deps.db.tx({ tenantId: d.tenantId, actor: `device:${d.deviceId}` }, async (q) => {
        const r = await revokeDevice(q, d.deviceId, `device:${d.deviceId}`);
        await recordAudit(q, d.tenantId, actorOf(req), { action: 'device.revoked', outcome: 'success', target: { type: 'device', id: d.deviceId }, details: { name: d.name, reason: 'self', already_revoked: r?.alreadyRevoked ?? false } });
        return r!;
      });
      return { id: r.id, status: 'revoked', revoked_at: r.revokedAt };
    },
  );
}

export { refuse };
