/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec v1): the signed content is
 * `${webhook-id}.${webhook-timestamp}.${body}`, signed with HMAC-SHA256 under the endpoint
 * secret (`whsec_` + base64 of 24 random bytes); `webhook-signature` is `v1,<base64 MAC>`.
 * Receivers verify with any Standard Webhooks library (the tests use the `standardwebhooks`
 * npm package, an independent implementation).
 */
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: `whsec_` + base64 of 24 random bytes (the spec allows 24 to 64). */
export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

/** A webhook-id: `msg_` + 24 base62-ish characters, unique per logical message. */
export function newMessageId(): string {
  return 'msg_' + randomBytes(18).toString('base64').replace(/[+/=]/g, '').padEnd(24, '0').slice(0, 24);
}

/**
 * The three Standard Webhooks headers for one attempt. `timestamp` is Unix seconds; the id
 * stays the same on every retry of a message, the timestamp and signature are fresh.
 */
export function signHeaders(secret: string, id: string, timestamp: number, body: string): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  if (!secret.startsWith(SECRET_PREFIX)) throw new TypeError('A webhook secret starts with whsec_.');
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${mac}` };
}
