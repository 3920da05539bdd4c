/**
 * Personal data in audit entries, crypto-shredded on erasure (CORE-PRIVACY).
 *
 * A person's name (email), IP address and user agent in entries they cause are written to the
 * log as ciphertext under a per-subject key: `pii1.<subject>.<iv>.<ciphertext+tag>` (base64url
 * parts, AES-256-GCM, AAD `tenant/subject`). The leaf hashes that ciphertext, so the chain, the
 * Merkle tree and every checkpoint verify with or without the key. Each subject key is a random
 * 256-bit key kept sealed under the key-encryption key (`audit_subject_keys.key_sealed`);
 * erasing the person destroys it (the column becomes NULL), after which no replica, export or
 * view can read those fields again: readers check the key's row on every read, not a cache.
 *
 * Entries written before subject keys existed keep their plaintext fields (the log is
 * immutable); they verify as before.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Queryable } from '@parapet/db';
import { envelope, type KeyProvider } from '@parapet/core';
import { registerSealedColumn } from '../platform/sealed.js';
import { registerAuditActorSealer } from '../platform/audit.js';

export const PII_PREFIX = 'pii1.';
/** What a reader sees in place of a field whose subject was erased. */
export const ERASED = '[erased]';

let provider: KeyProvider | undefined;
/**
 * The key provider subject keys are sealed with. The server sets it when it builds its app and
 * the CLI when it opens the data dir; with none set (pure database tests), fields stay plaintext.
 */
export function configureAuditPii(keys: KeyProvider | undefined): void {
  provider = keys;
}

const binding = (tenantId: string, subject: string) => ({ tenantId, record: `audit_subject_key/${subject}` });
registerSealedColumn({ table: 'audit_subject_keys', column: 'key_sealed', keyColumns: ['subject_id'], record: (r) => `audit_subject_key/${String(r.subject_id)}` });
const aad = (tenantId: string, subject: string) => Buffer.from(`${tenantId}/${subject}`, 'utf8');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Write-path cache of opened subject keys (ms): reads never use it. */
const CACHE_MS = 60_000;
const cache = new Map<string, { key: Buffer; at: number }>();

async function subjectKey(q: Queryable, keys: KeyProvider, tenantId: string, subject: string): Promise<Buffer | undefined> {
  const ck = `${tenantId}/${subject}`;
  const hit = cache.get(ck);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.key;
  let { rows } = await q.query<{ key_sealed: string | null }>(`SELECT key_sealed FROM audit_subject_keys WHERE subject_id = $1`, [subject]);
  if (!rows.length) {
    const fresh = randomBytes(32);
    const sealed = await envelope.seal(keys, fresh, binding(tenantId, subject));
    await q.query(`INSERT INTO audit_subject_keys (tenant_id, subject_id, key_sealed) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, subject_id) DO NOTHING`, [tenantId, subject, sealed]);
    ({ rows } = await q.query<{ key_sealed: string | null }>(`SELECT key_sealed FROM audit_subject_keys WHERE subject_id = $1`, [subject]));
  }
  const sealed = rows[0]?.key_sealed;
  if (!sealed) return undefined; // erased: nothing more is written readable about them
  const key = await envelope.open(keys, sealed, binding(tenantId, subject));
  cache.set(ck, { key, at: Date.now() });
  return key;
}

const owners = new Map<string, { owner: string | null; at: number }>();
async function deviceOwner(q: Queryable, tenantId: string, deviceId: string): Promise<string | null> {
  const ck = `${tenantId}/${deviceId}`;
  const hit = owners.get(ck);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.owner;
  const owner = (await q.query<{ owner_user_id: string | null }>(`SELECT owner_user_id FROM devices WHERE id = $1`, [deviceId])).rows[0]?.owner_user_id ?? null;
  owners.set(ck, { owner, at: Date.now() });
  return owner;
}

function encrypt(key: Buffer, tenantId: string, subject: string, value: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad(tenantId, subject));
  const ct = Buffer.concat([c.update(value, 'utf8'), c.final(), c.getAuthTag()]);
  return `${PII_PREFIX}${subject}.${iv.toString('base64url')}.${ct.toString('base64url')}`;
}

/**
 * Seals a user actor's personal fields for the log. Non-user actors (devices, system jobs) and
 * an unconfigured provider pass through unchanged; an erased subject's fields become {@link ERASED}.
 */
export async function sealActorPii<T extends { type: string; id: string; name?: string | undefined; ip?: string | undefined; userAgent?: string | undefined }>(q: Queryable, tenantId: string, actor: T): Promise<T> {
  if (!provider || !UUID.test(actor.id) || (actor.type !== 'user' && actor.type !== 'device')) return actor;
  if (actor.name === undefined && actor.ip === undefined && actor.userAgent === undefined) return actor;
  // A person's own device (a Pulse agent on their laptop) speaks for them: its name and address
  // are theirs. Fleet devices (Probe workers) have no owner and stay readable.
  const subject = actor.type === 'user' ? actor.id : await deviceOwner(q, tenantId, actor.id);
  if (!subject) return actor;
  const key = await subjectKey(q, provider, tenantId, subject);
  const seal = (v: string | undefined) => (v === undefined ? undefined : key ? encrypt(key, tenantId, subject, v) : ERASED);
  return { ...actor, name: seal(actor.name), ip: seal(actor.ip), userAgent: seal(actor.userAgent) };
}

registerAuditActorSealer(sealActorPii);

/**
 * Opens sealed fields for display, in place, for rows with `actor_name`, `ip`, `user_agent`.
 * Keys are read from the database on every call, so an erasure on any replica holds at once.
 */
export async function revealPii<R extends { actor_name?: unknown; ip?: unknown; user_agent?: unknown }>(q: Queryable, tenantId: string, rows: R[]): Promise<R[]> {
  const subjects = new Set<string>();
  for (const r of rows) for (const v of [r.actor_name, r.ip, r.user_agent]) if (typeof v === 'string' && v.startsWith(PII_PREFIX)) subjects.add(v.split('.')[1]!);
  if (!subjects.size) return rows;
  const { rows: ks } = await q.query<{ subject_id: string; key_sealed: string | null }>(`SELECT subject_id::text, key_sealed FROM audit_subject_keys WHERE subject_id = ANY ($1::uuid[])`, [[...subjects]]);
  const opened = new Map<string, Buffer | undefined>();
  for (const k of ks) opened.set(k.subject_id, k.key_sealed && provider ? await envelope.open(provider, k.key_sealed, binding(tenantId, k.subject_id)).catch(() => undefined) : undefined);
  const open = (v: unknown): unknown => {
    if (typeof v !== 'string' || !v.startsWith(PII_PREFIX)) return v;
    const [, subject, iv, ct] = v.split('.');
    const key = opened.get(subject!);
    if (!key) return ERASED;
    try {
      const body = Buffer.from(ct!, 'base64url');
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64url'));
      d.setAAD(aad(tenantId, subject!));
      d.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString('utf8');
    } catch {
      return ERASED;
    }
  };
  for (const r of rows) {
    r.actor_name = open(r.actor_name);
    r.ip = open(r.ip);
    r.user_agent = open(r.user_agent);
  }
  return rows;
}

/** Destroys a subject's key (erasure); returns whether one existed. Forgets any cached copy. */
export async function destroySubjectKey(q: Queryable, tenantId: string, subject: string): Promise<boolean> {
  cache.delete(`${tenantId}/${subject}`);
  const r = await q.query(`UPDATE audit_subject_keys SET key_sealed = NULL, destroyed_at = now() WHERE subject_id = $1 AND key_sealed IS NOT NULL`, [subject]);
  // A subject erased before any entry named them still gets a tombstone, so nothing new is readable.
  await q.query(`INSERT INTO audit_subject_keys (tenant_id, subject_id, key_sealed, destroyed_at) VALUES ($1, $2, NULL, now()) ON CONFLICT (tenant_id, subject_id) DO NOTHING`, [tenantId, subject]);
  return (r.rowCount ?? 0) > 0;
}
