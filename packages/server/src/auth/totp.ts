/**
 * TOTP (RFC 6238) and one-time recovery codes (CORE-MFA). otplib does the HOTP/TOTP maths;
 * this module keeps the secrets sealed (CORE-CRYPTO envelope bound to the user) and the
 * replay state (the last accepted time step) in the database.
 */
import { createHash, randomBytes } from 'node:crypto';
import { generate, generateSecret, generateURI, verify } from 'otplib';
import { envelope, type KeyProvider } from '@parapet/core';
import type { Queryable } from '@parapet/db';
import { registerSealedColumn } from '../platform/sealed.js';

export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
/** Accept the previous and next step too (clock drift of ±30 s). */
export const TOTP_TOLERANCE_SECONDS = 30;
export const RECOVERY_CODE_COUNT = 10;

const binding = (tenantId: string, userId: string) => ({ tenantId, record: `mfa_totp/${userId}` });
registerSealedColumn({ table: 'mfa_totp', column: 'secret_sealed', keyColumns: ['user_id'], record: (r) => `mfa_totp/${String(r.user_id)}` });

export function newTotpSecret(): string {
  return generateSecret({ length: 20 }); // 160 bits, RFC 4226's recommendation
}

export function otpauthUri(secret: string, issuer: string, label: string): string {
  return generateURI({ issuer, label, secret, algorithm: 'sha1', digits: TOTP_DIGITS, period: TOTP_PERIOD });
}

export function totpCode(secret: string | Uint8Array, epochSeconds: number, o: { digits?: 6 | 8; algorithm?: 'sha1' | 'sha256' | 'sha512' } = {}): Promise<string> {
  return generate({ secret, epoch: epochSeconds, period: TOTP_PERIOD, digits: o.digits ?? TOTP_DIGITS, algorithm: o.algorithm ?? 'sha1' });
}

/** Checks a code; returns the matched time step, or null. Steps at or before `afterTimeStep` are refused (replay). */
export async function checkTotp(secret: string, code: string, epochSeconds: number, afterTimeStep: number | null): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  try {
    const r = await verify({
      secret,
      token: code,
      epoch: epochSeconds,
      period: TOTP_PERIOD,
      digits: TOTP_DIGITS,
      algorithm: 'sha1',
      epochTolerance: TOTP_TOLERANCE_SECONDS,
      ...(afterTimeStep !== null ? { afterTimeStep } : {}),
    });
    // The functional API types TOTP and HOTP results together; a TOTP result carries timeStep.
    return r.valid ? (r as { timeStep: number }).timeStep : null;
  } catch {
    return null;
  }
}

export interface TotpRow {
  secret_sealed: string;
  confirmed_at: Date | null;
  last_time_step: number | null;
}

export async function getTotp(q: Queryable, userId: string): Promise<TotpRow | undefined> {
  const { rows } = await q.query<TotpRow>(`SELECT secret_sealed, confirmed_at, last_time_step FROM mfa_totp WHERE user_id = $1`, [userId]);
  return rows[0];
}

/** Starts (or restarts) an unconfirmed enrolment; returns the plain secret for the QR code. */
export async function beginTotpEnrolment(q: Queryable, keys: KeyProvider, tenantId: string, userId: string): Promise<string> {
  const secret = newTotpSecret();
  const sealed = await envelope.seal(keys, secret, binding(tenantId, userId));
  await q.query(
    `INSERT INTO mfa_totp (tenant_id, user_id, secret_sealed) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id, user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, confirmed_at = NULL, last_time_step = NULL, created_at = now()`,
    [tenantId, userId, sealed],
  );
  return secret;
}

/**
 * Verifies a TOTP code for a user and records its time step so the same code (or an older
 * one) is refused afterwards. `requireConfirmed` false is the enrolment confirmation.
 * The row is locked (FOR UPDATE) so two concurrent requests cannot both accept one code.
 */
export async function verifyUserTotp(q: Queryable, keys: KeyProvider, tenantId: string, userId: string, code: string, now: Date, requireConfirmed = true): Promise<boolean> {
  const { rows } = await q.query<TotpRow>(`SELECT secret_sealed, confirmed_at, last_time_step FROM mfa_totp WHERE user_id = $1 FOR UPDATE`, [userId]);
  const row = rows[0];
  if (!row || (requireConfirmed && !row.confirmed_at)) return false;
  const secret = (await envelope.open(keys, row.secret_sealed, binding(tenantId, userId))).toString('utf8');
  const step = await checkTotp(secret, code, Math.floor(now.getTime() / 1000), row.last_time_step);
  if (step === null) return false;
  await q.query(`UPDATE mfa_totp SET last_time_step = $2, confirmed_at = COALESCE(confirmed_at, now()) WHERE user_id = $1`, [userId, step]);
  return true;
}

// Recovery codes: 80 random bits as four groups of four Crockford-ish base32 characters.
const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789'; // 32 symbols, no I/L/O/U
const normaliseCode = (c: string) => c.toUpperCase().replace(/[^A-Z0-9]/g, '');
const hashCode = (userId: string, code: string) => createHash('sha256').update(`parapet/recovery/${userId}/${normaliseCode(code)}`).digest();

export function newRecoveryCode(): string {
  const b = randomBytes(16);
  let s = '';
  for (let i = 0; i < 16; i++) s += ALPHABET[b[i]! & 31];
  return s.match(/.{4}/g)!.join('-');
}

/** Replaces the user's recovery codes; returns the plain codes (shown once). */
export async function issueRecoveryCodes(q: Queryable, tenantId: string, userId: string): Promise<string[]> {
  await q.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  for (const c of codes) {
    await q.query(`INSERT INTO mfa_recovery_codes (tenant_id, user_id, code_hash) VALUES ($1, $2, $3)`, [tenantId, userId, hashCode(userId, c)]);
  }
  return codes;
}

/** Consumes a recovery code; true once per code. */
export async function useRecoveryCode(q: Queryable, userId: string, code: string): Promise<boolean> {
  if (normaliseCode(code).length !== 16) return false;
  const r = await q.query(`UPDATE mfa_recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, [userId, hashCode(userId, code)]);
  return r.rowCount === 1;
}

export async function remainingRecoveryCodes(q: Queryable, userId: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL`, [userId]);
  return rows[0]!.n;
}

/** True when the user has any second factor (a confirmed TOTP or a WebAuthn credential). */
export async function hasConfirmedMfa(q: Queryable, userId: string): Promise<boolean> {
  const { rows } = await q.query(
    `SELECT 1 FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL UNION ALL SELECT 1 FROM webauthn_credentials WHERE user_id = $1 LIMIT 1`,
    [userId],
  );
  return rows.length > 0;
}
