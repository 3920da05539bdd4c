import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkTotp, newRecoveryCode, newTotpSecret, otpauthUri, totpCode } from '../src/auth/totp.js';

// RFC 6238 Appendix B: T0 = 0, X = 30 s, 8 digits; the seeds are ASCII "1234567890" repeated.
const seed = (n: number) => new TextEncoder().encode('1234567890'.repeat(7).slice(0, n));
const VECTORS: Array<[number, string, string, string]> = [
  // time, SHA1, SHA256, SHA512
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

test('RFC 6238 Appendix B test vectors (SHA1 with the 20-byte key, SHA256, SHA512)', async () => {
  for (const [t, sha1, sha256, sha512] of VECTORS) {
    assert.equal(await totpCode(seed(20), t, { digits: 8, algorithm: 'sha1' }), sha1, `SHA1 at ${t}`);
    assert.equal(await totpCode(seed(32), t, { digits: 8, algorithm: 'sha256' }), sha256, `SHA256 at ${t}`);
    assert.equal(await totpCode(seed(64), t, { digits: 8, algorithm: 'sha512' }), sha512, `SHA512 at ${t}`);
  }
});

test('a code verifies in its step and the neighbours, not further; a used step is refused (replay)', async () => {
  const secret = newTotpSecret();
  const t = 1_700_000_015;
  const code = await totpCode(secret, t);
  const step = Math.floor(t / 30);
  assert.equal(await checkTotp(secret, code, t, null), step);
  assert.equal(await checkTotp(secret, code, t + 30, null), step, 'one step late is tolerated');
  assert.equal(await checkTotp(secret, code, t + 95, null), null, 'three steps late is refused');
  assert.equal(await checkTotp(secret, code, t, step), null, 'the same step again is a replay');
  assert.equal(await checkTotp(secret, await totpCode(secret, t - 30), t, step), null, 'an older step after a newer one is refused');
  assert.equal(await checkTotp(secret, await totpCode(secret, t + 30), t, step), step + 1, 'the next step is fine');
  assert.equal(await checkTotp(secret, 'abcdef', t, null), null);
});

test('a wrong code is refused (property: any other 6 digits at the same time)', async () => {
  const secret = newTotpSecret();
  const t = 1_800_000_000;
  const valid = new Set([await totpCode(secret, t - 30), await totpCode(secret, t), await totpCode(secret, t + 30)]);
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 999_999 }), async (n) => {
      const c = String(n).padStart(6, '0');
      assert.equal((await checkTotp(secret, c, t, null)) !== null, valid.has(c));
    }),
    { numRuns: 200 },
  );
});

test('otpauth URI names issuer, account and secret; recovery codes have 80 random bits', () => {
  const secret = newTotpSecret();
  const uri = new URL(otpauthUri(secret, 'Parapet (acme)', 'a@example.test'));
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.searchParams.get('secret'), secret);
  assert.equal(uri.searchParams.get('issuer'), 'Parapet (acme)');
  assert.equal(Buffer.from(secret.replace(/=+$/, ''), 'ascii').length >= 32, true, '20 bytes encode to 32 base32 chars');
  const codes = new Set(Array.from({ length: 1000 }, newRecoveryCode));
  assert.equal(codes.size, 1000);
  for (const c of codes) assert.match(c, /^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
});
