/**
 * RFC 9530 Content-Digest with sha-256. Other algorithms in a received header are ignored;
 * sha-256 must be present, so a sender cannot pick a weaker one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseDictionary, serializeDictionary } from 'structured-headers';

export function contentDigest(body: Uint8Array): string {
  const digest = createHash('sha256').update(body).digest();
  return serializeDictionary(new Map([['sha-256', [digest, new Map()]]]));
}

/** True when `header` carries a sha-256 member equal to SHA-256(body). Malformed: false. */
export function verifyContentDigest(header: string | undefined, body: Uint8Array): boolean {
  if (!header) return false;
  let dict;
  try {
    dict = parseDictionary(header);
  } catch {
    return false;
  }
  const member = dict.get('sha-256');
  if (!member || Array.isArray(member[0]) || !(member[0] instanceof ArrayBuffer)) return false;
  const sent = Buffer.from(member[0]);
  const actual = createHash('sha256').update(body).digest();
  return sent.length === actual.length && timingSafeEqual(sent, actual);
}
