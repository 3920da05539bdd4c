/**
 * CORE-POSTURE: the deployment re-checks its own controls, live, and signs what it found.
 * Each check answers {id, title, status, detail}; the whole result is a DSSE envelope (payload
 * type {@link POSTURE_PAYLOAD_TYPE}) over canonical JSON, signed with the tenant's audit log key
 * (Ed25519) whose public key GET /api/v1/audit/key publishes, so a third party can verify it.
 */
import { connect as tlsConnect, Server as TlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { canonicalJsonBytes, dsse, type KeyProvider } from '@parapet/core';
import { unsafeRoleReasons, type Database, type Queryable } from '@parapet/db';
import { recordAudit, type AuditActor } from '../platform/audit.js';
import { ensureLogKey, openLogSigner } from '../audit/index.js';
import type { AuditStatus } from '../audit/index.js';

export const POSTURE_PAYLOAD_TYPE = 'application/vnd.parapet.posture+json';
export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One re-checked control. `id` is stable (`tls.protocol`, `rls`, `db.role`, ...). */
export interface PostureCheck {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
}

/** The signed statement (the DSSE payload, before canonicalisation). */
export interface PostureStatement {
  schema: 'parapet.posture/v1';
  tenant: string;
  checked_at: string;
  overall: CheckStatus;
  checks: PostureCheck[];
}

/** Age after which a checkpoint counts as stale (ms): two days, twice the daily witness round. */
export const CHECKPOINT_STALE_MS = 2 * 86_400_000;
/** Age after which a signing key should be rotated (ms): one year. */
export const KEY_ROTATE_MS = 365 * 86_400_000;

const DAY = 86_400_000;
// The database's clock and this process's may differ by milliseconds: never report negative ages.
const days = (ms: number) => `${Math.floor(Math.max(0, ms) / DAY)} day(s)`;

/** The worst status of a list: fail over warn over pass. */
export function overallOf(checks: PostureCheck[]): CheckStatus {
  return checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
}

/** Resolves the negotiated protocol of one TLS handshake with the listener, or the error. */
function handshake(port: number, host: string, o: { minVersion?: 'TLSv1.3'; maxVersion?: 'TLSv1.2' }): Promise<{ protocol: string | null } | { error: string }> {
  return new Promise((resolve) => {
    // Identity is not what is checked here (the listener is our own), only the protocol.
    const s = tlsConnect({ port, host, rejectUnauthorized: false, ...o, timeout: 3000 });
    const done = (v: { protocol: string | null } | { error: string }) => {
      s.destroy();
      resolve(v);
    };
    s.once('secureConnect', () => done({ protocol: s.getProtocol() }));
    s.once('error', (e) => done({ error: e.message }));
    s.once('timeout', () => done({ error: 'timed out' }));
  });
}

/**
 * TLS of this process's own listener: a real handshake over loopback must negotiate TLS 1.3 and
 * one capped at TLS 1.2 must be refused; the response headers must carry HSTS and a CSP.
 */
export async function tlsChecks(server: Server | undefined, headers: { hsts: unknown; csp: unknown }): Promise<PostureCheck[]> {
  const out: PostureCheck[] = [];
  const addr = server?.listening ? (server.address() as AddressInfo | null) : null;
  if (!(server instanceof TlsServer) || !addr || typeof addr !== 'object') {
    out.push({ id: 'tls.protocol', title: 'TLS 1.3 minimum on the listener', status: 'warn', detail: 'This process does not serve TLS itself (TLS ends in front of it); check the terminating proxy.' });
  } else {
    const host = addr.address === '0.0.0.0' || addr.address === '' ? '127.0.0.1' : addr.address === '::' ? '::1' : addr.address;
    const modern = await handshake(addr.port, host, { minVersion: 'TLSv1.3' });
    const legacy = await handshake(addr.port, host, { maxVersion: 'TLSv1.2' });
    const ok13 = 'protocol' in modern && modern.protocol === 'TLSv1.3';
    const refused12 = 'error' in legacy;
    out.push({
      id: 'tls.protocol',
      title: 'TLS 1.3 minimum on the listener',
      status: ok13 && refused12 ? 'pass' : 'fail',
      detail: `${host}:${addr.port}: TLS 1.3 handshake ${ok13 ? 'succeeded' : `failed (${'error' in modern ? modern.error : modern.protocol})`}; TLS 1.2 handshake ${refused12 ? 'refused' : `accepted (${(legacy as { protocol: string | null }).protocol})`}.`,
    });
  }
  const hsts = typeof headers.hsts === 'string' ? headers.hsts : '';
  const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1] ?? 0);
  out.push({ id: 'tls.hsts', title: 'Strict-Transport-Security header', status: maxAge >= 31_536_000 ? 'pass' : hsts ? 'warn' : 'fail', detail: hsts ? `Strict-Transport-Security: ${hsts}` : 'No Strict-Transport-Security header on responses.' });
  const csp = typeof headers.csp === 'string' ? headers.csp : '';
  const strict = /default-src 'self'/.test(csp) && /script-src 'self'(;|$)/.test(csp) && /frame-ancestors 'none'/.test(csp);
  out.push({ id: 'tls.csp', title: 'Content-Security-Policy header', status: strict ? 'pass' : csp ? 'warn' : 'fail', detail: csp ? `Content-Security-Policy: ${csp}` : 'No Content-Security-Policy header on responses.' });
  return out;
}

/** RLS enabled and forced on every table with a tenant_id column (read from the catalogue). */
export async function rlsCheck(q: Queryable): Promise<PostureCheck> {
  const { rows } = await q.query<{ t: string; rls: boolean; force: boolean }>(
    `SELECT c.relname AS t, c.relrowsecurity AS rls, c.relforcerowsecurity AS force FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
     WHERE n.nspname = 'public' AND c.relkind IN ('r','p') ORDER BY 1`,
  );
  const off = rows.filter((r) => !r.rls).map((r) => r.t);
  const unforced = rows.filter((r) => r.rls && !r.force).map((r) => r.t);
  const bad = [...off.map((t) => `${t} (RLS not enabled)`), ...unforced.map((t) => `${t} (RLS not forced)`)];
  return {
    id: 'rls',
    title: 'Row-level security on every tenant table',
    status: rows.length && !bad.length ? 'pass' : 'fail',
    detail: !rows.length ? 'No tenant tables found in the catalogue.' : bad.length ? `${bad.length} of ${rows.length} tenant table(s) unprotected: ${bad.join(', ')}.` : `${rows.length} tenant tables: RLS enabled and forced on each.`,
  };
}

/** The application role cannot see past RLS (PostgreSQL); PGlite is no isolation boundary. */
export async function roleCheck(engine: Database['engine'], q: Queryable): Promise<PostureCheck> {
  const title = 'Application database role';
  if (engine === 'pglite') return { id: 'db.role', title, status: 'warn', detail: 'Embedded PGlite: the database runs inside the server process, so it is not an isolation boundary; use PostgreSQL in production.' };
  const why = await unsafeRoleReasons(q);
  return { id: 'db.role', title, status: why.length ? 'fail' : 'pass', detail: why.length ? `${why.join('; ')}.` : 'Not a superuser, no BYPASSRLS, owns no table, cannot become the owner role.' };
}

/** The audit log re-verified, its latest checkpoint's age and witness cosignatures. */
export function auditChecks(s: AuditStatus, witnessesConfigured: number, now: Date): PostureCheck[] {
  const log: PostureCheck = {
    id: 'audit.log',
    title: 'Audit log verified',
    status: s.state === 'verified' ? 'pass' : s.state === 'failed' ? 'fail' : 'warn',
    detail: s.state === 'verified' ? `${s.entries} entries, ${s.checkpoints} checkpoint(s): chain, tree and signatures hold.` : s.state === 'failed' ? `Verification failed at entry ${s.first_bad_entry ?? '?'}: ${s.reason}.` : `Nothing signed yet (${s.entries} entries, no checkpoint).`,
  };
  const age = s.latest_checkpoint ? now.getTime() - Date.parse(s.latest_checkpoint.created_at) : undefined;
  const cp: PostureCheck = {
    id: 'audit.checkpoint',
    title: 'Latest audit checkpoint is recent',
    status: age === undefined ? 'warn' : age > CHECKPOINT_STALE_MS ? 'warn' : 'pass',
    detail: age === undefined ? 'No checkpoint yet.' : `Tree size ${s.latest_checkpoint!.tree_size}, signed ${s.latest_checkpoint!.created_at} (${days(age)} ago).`,
  };
  const wit: PostureCheck = {
    id: 'audit.witness',
    title: 'Latest checkpoint cosigned by witnesses',
    status: witnessesConfigured === 0 ? 'warn' : s.witnesses.length > 0 ? 'pass' : 'warn',
    detail: witnessesConfigured === 0 ? 'No witness configured: nobody outside this deployment holds the log to its history.' : `${s.witnesses.length} of ${witnessesConfigured} witness(es) cosigned the latest checkpoint${s.witnesses.length ? `: ${s.witnesses.join(', ')}` : ''}.`,
  };
  return [log, cp, wit];
}

/** Key identities and ages: the active KEK, the audit log key and the report key. */
export async function keyChecks(q: Queryable, keys: KeyProvider, now: Date): Promise<PostureCheck[]> {
  const out: PostureCheck[] = [{ id: 'keys.kek', title: 'Key-encryption key', status: 'pass', detail: `Active KEK id ${keys.activeKeyId()}.` }];
  const aged = (id: string, title: string, row: { key_id: string; created_at: Date } | undefined, none: string): PostureCheck => {
    if (!row) return { id, title, status: 'warn', detail: none };
    const age = now.getTime() - row.created_at.getTime();
    return { id, title, status: age > KEY_ROTATE_MS ? 'warn' : 'pass', detail: `Key ${row.key_id}, created ${row.created_at.toISOString()} (${days(age)} old${age > KEY_ROTATE_MS ? '; rotate it' : ''}).` };
  };
  const log = (await q.query<{ key_id: string; created_at: Date }>(`SELECT key_id, created_at FROM audit_log_keys ORDER BY created_at DESC, key_id LIMIT 1`)).rows[0];
  out.push(aged('keys.audit_log', 'Audit log signing key', log, 'No audit log key yet.'));
  const rep = (await q.query<{ key_id: string; created_at: Date }>(`SELECT key_id, created_at FROM probe_report_keys ORDER BY created_at DESC, key_id LIMIT 1`)).rows[0];
  out.push(rep ? aged('keys.report', 'Report signing key', rep, '') : { id: 'keys.report', title: 'Report signing key', status: 'pass', detail: 'No report key yet: it is made when the first report is signed.' });
  return out;
}

/** Admins and security leads without a confirmed factor (TOTP confirmed or a passkey). */
export async function mfaCheck(q: Queryable): Promise<PostureCheck> {
  const { rows } = await q.query<{ email: string; roles: string[] }>(
    `SELECT u.email, u.roles FROM users u
      WHERE u.status = 'active' AND u.roles && ARRAY['admin','security_lead']::text[]
        AND NOT EXISTS (SELECT 1 FROM mfa_totp m WHERE m.tenant_id = u.tenant_id AND m.user_id = u.id AND m.confirmed_at IS NOT NULL)
        AND NOT EXISTS (SELECT 1 FROM webauthn_credentials w WHERE w.tenant_id = u.tenant_id AND w.user_id = u.id)
      ORDER BY u.email`,
  );
  const total = Number((await q.query<{ n: string }>(`SELECT count(*)::text AS n FROM users WHERE status = 'active' AND roles && ARRAY['admin','security_lead']::text[]`)).rows[0]!.n);
  const admins = rows.filter((r) => r.roles.includes('admin'));
  return {
    id: 'mfa.privileged',
    title: 'MFA on every admin and security lead',
    // An admin without a factor is a failed control; a security lead alone is a warning.
    status: admins.length ? 'fail' : rows.length ? 'warn' : 'pass',
    detail: rows.length ? `${rows.length} of ${total} privileged account(s) without a confirmed factor: ${rows.map((r) => r.email).join(', ')}.` : `All ${total} privileged account(s) have a confirmed factor.`,
  };
}

/**
 * Support access (CORE-SUPPORT): vendor support grants open now in the caller's tenant. None is a
 * pass; any is a warning naming each ticket, scope, end and the support sessions live under it.
 */
export async function supportGrantCheck(q: Queryable, now: Date): Promise<PostureCheck> {
  const { rows } = await q.query<{ ticket: string; scope: string; expires_at: Date; live: number }>(
    `SELECT g.ticket, g.scope, g.expires_at,
            (SELECT count(*)::int FROM support_sessions s WHERE s.tenant_id = g.tenant_id AND s.grant_id = g.id AND s.ended_at IS NULL AND s.expires_at > $1) AS live
       FROM support_grants g WHERE g.revoked_at IS NULL AND g.expires_at > $1 ORDER BY g.expires_at`,
    [now],
  );
  if (!rows.length) return { id: 'support.grants', title: 'Open support grants', status: 'pass', detail: 'No open support grants: vendor support has no access to this organisation.' };
  const list = rows.map((r) => `${r.ticket} (${r.scope}, until ${r.expires_at.toISOString()}, ${r.live} live session(s))`).join('; ');
  return { id: 'support.grants', title: 'Open support grants', status: 'warn', detail: `${rows.length} open support grant(s): ${list}.` };
}

/**
 * Signs the statement with the tenant's audit log key and audits the run, in the caller's
 * transaction. Returns the envelope and the key id (the signed-note key id, hex).
 */
export async function signPosture(q: Queryable, keys: KeyProvider, tenantId: string, actor: AuditActor, checks: PostureCheck[], now: Date): Promise<{ statement: PostureStatement; envelope: dsse.DsseEnvelope }> {
  const statement: PostureStatement = { schema: 'parapet.posture/v1', tenant: tenantId, checked_at: now.toISOString(), overall: overallOf(checks), checks };
  const key = await ensureLogKey(q, keys, tenantId);
  const signer = await openLogSigner(keys, tenantId, key);
  const envelope = dsse.signEnvelope(POSTURE_PAYLOAD_TYPE, canonicalJsonBytes(statement), signer.export({ type: 'pkcs8', format: 'pem' }) as string);
  await recordAudit(q, tenantId, actor, {
    action: 'posture.checked',
    outcome: 'success',
    target: { type: 'tenant', id: tenantId },
    details: { overall: statement.overall, failed: checks.filter((c) => c.status === 'fail').map((c) => c.id), warned: checks.filter((c) => c.status === 'warn').map((c) => c.id), keyid: envelope.signatures[0]!.keyid },
  });
  return { statement, envelope };
}
