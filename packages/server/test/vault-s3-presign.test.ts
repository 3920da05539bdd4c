/**
 * Presigned S3 GETs (evidence export downloads on PARAPET_VAULT=s3), checked three ways:
 *  1. The AWS SDK presigner the vault uses reproduces AWS's published SigV4 query-string
 *     example (Amazon S3 API reference, "Authenticating Requests: Using Query Parameters":
 *     GET examplebucket/test.txt, 2013-05-24, 86400 s, signature aeeed9bb…).
 *  2. A SigV4 query-auth verifier written for the tests from the specification (fixtures/sigv4.ts), itself checked
 *     against the same published vector (canonical request hash and signature), accepts the
 *     vault's presigned URLs as they arrive over HTTP at a stand-in S3 endpoint on 127.0.0.1,
 *     and refuses a changed key, a changed signature, a wrong secret and an expired URL.
 *  3. The object read through the presigned URL is the object stored.
 * No S3 server that verifies SigV4 can run here (Debian has no MinIO or standalone RGW, and the
 * npm fake S3 servers do not check V4 signatures), hence the verifier of (2).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Vault } from '../src/vault/s3.js';
import { fetchUrl, verifyPresigned } from './fixtures/sigv4.js';
import { startS3StandIn, type S3StandIn } from './fixtures/s3-stand-in.js';

// AWS's published example credentials and expected values.
const AWS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const PUBLISHED_URL =
  'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
const PUBLISHED_CANONICAL_REQUEST_SHA256 = '3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04';

// The checksum constructor the signers are given: SHA-256, or HMAC-SHA256 when keyed (node:crypto).
class Sha256 {
  private readonly h;
  constructor(secret?: string | Uint8Array) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(d: string | Uint8Array) {
    this.h.update(d);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}
const exampleRequest = () => ({ method: 'GET', protocol: 'https:', hostname: 'examplebucket.s3.amazonaws.com', path: '/test.txt', query: {}, headers: { host: 'examplebucket.s3.amazonaws.com' } });
const urlOf = (r: { hostname: string; path: string; query?: Record<string, unknown> }) => {
  const u = new URL(`https://${r.hostname}${r.path}`);
  for (const [k, v] of Object.entries(r.query ?? {})) u.searchParams.set(k, String(v));
  return u;
};

test('the SigV4 signer under the vault\'s presigner reproduces AWS\'s published presigned URL; the presigner\'s own URL verifies', async () => {
  // @smithy/signature-v4 is the signer @aws-sdk/s3-request-presigner drives. With the payload
  // hash given as UNSIGNED-PAYLOAD and kept out of the query, it must give the published URL.
  const signer = new SignatureV4({ credentials: AWS, region: 'us-east-1', service: 's3', sha256: Sha256 as never, uriEscapePath: false, applyChecksum: false });
  const req = { ...exampleRequest(), headers: { host: 'examplebucket.s3.amazonaws.com', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } };
  const signed = await signer.presign(req as never, { signingDate: new Date('2013-05-24T00:00:00Z'), expiresIn: 86400, unsignableHeaders: new Set(['x-amz-content-sha256']), unhoistableHeaders: new Set(['x-amz-content-sha256']) });
  const got = urlOf(signed as never);
  const want = new URL(PUBLISHED_URL);
  assert.equal(got.searchParams.get('X-Amz-Signature'), 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  assert.deepEqual(Object.fromEntries([...got.searchParams].sort()), Object.fromEntries([...want.searchParams].sort()));
  // The S3 presigner adds X-Amz-Content-Sha256=UNSIGNED-PAYLOAD to the query (signed with it),
  // so its URL differs from the example; the verifier below, checked on the example, accepts it.
  const p = await new S3RequestPresigner({ credentials: AWS, region: 'us-east-1', sha256: Sha256 as never }).presign(exampleRequest() as never, { signingDate: new Date('2013-05-24T00:00:00Z'), expiresIn: 86400 });
  const pu = urlOf(p as never);
  assert.equal(pu.searchParams.get('X-Amz-Content-Sha256'), 'UNSIGNED-PAYLOAD');
  assert.ok(verifyPresigned('GET', pu.host, pu.pathname + pu.search, { [AWS.accessKeyId]: AWS.secretAccessKey }, new Date('2013-05-24T01:00:00Z')).ok);
});

test('the test\'s own verifier reproduces the published canonical request hash and signature, and refuses a changed URL', () => {
  const u = new URL(PUBLISHED_URL);
  const v = verifyPresigned('GET', u.host, u.pathname + u.search, { [AWS.accessKeyId]: AWS.secretAccessKey }, new Date('2013-05-24T12:00:00Z'));
  assert.equal(v.canonicalRequestSha256, PUBLISHED_CANONICAL_REQUEST_SHA256);
  assert.equal(v.signature, u.searchParams.get('X-Amz-Signature'));
  assert.ok(v.ok);
  assert.equal(verifyPresigned('GET', u.host, '/test2.txt' + u.search, { [AWS.accessKeyId]: AWS.secretAccessKey }, new Date('2013-05-24T12:00:00Z')).reason, 'SignatureDoesNotMatch');
  assert.equal(verifyPresigned('GET', u.host, u.pathname + u.search, { [AWS.accessKeyId]: AWS.secretAccessKey }, new Date('2013-05-25T00:00:01Z')).reason, 'expired');
});

// ---- the vault's presigned URLs over HTTP ----
const SECRET = { accessKeyId: 'PARAPETTESTKEY', secretAccessKey: 'parapet/test+secret' };
let stand: S3StandIn;
before(async () => {
  stand = await startS3StandIn({ [SECRET.accessKeyId]: SECRET.secretAccessKey });
});
after(() => stand.close());
const store = (path: string, body: Buffer) => stand.objects.set(path, { body, headers: {} });

test('the vault\'s presigned GET: 5 minutes, host-only signature, verified on arrival; a changed key or signature, another secret or a late use is refused', async () => {
  const open = (secretAccessKey: string) => S3Vault.open({ client: new S3Client({ endpoint: stand.endpoint, region: 'eu-west-1', forcePathStyle: true, credentials: { accessKeyId: SECRET.accessKeyId, secretAccessKey } }), bucket: 'evidence', prefix: 'parapet/' });
  const v2 = await open(SECRET.secretAccessKey);
  const key = 'tenants/t1/exports/x1/probe/scan/lease/10.0.0.1_443_tls.json';
  const data = Buffer.from('{"evidence":"bytes"}');
  store(`/evidence/parapet/${key}`, data);
  const at = new Date();
  const url = await v2.presignGet(key, 300, at);
  const u = new URL(url);
  assert.equal(u.pathname, `/evidence/parapet/${key}`);
  assert.equal(u.searchParams.get('X-Amz-Expires'), '300');
  assert.equal(u.searchParams.get('X-Amz-SignedHeaders'), 'host');
  assert.match(u.searchParams.get('X-Amz-Credential')!, /^PARAPETTESTKEY\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
  assert.equal(u.searchParams.get('X-Amz-Security-Token'), null);

  stand.now = () => new Date(at.getTime() + 299_000);
  const ok = await fetchUrl(url);
  assert.equal(ok.status, 200, stand.verdicts.at(-1)?.reason);
  assert.ok(ok.body.equals(data));

  const other = new URL(url);
  other.pathname = other.pathname.replace('10.0.0.1', '10.0.0.2');
  store(decodeURIComponent(other.pathname), data);
  assert.equal((await fetchUrl(other.toString())).status, 403, 'the signature covers the key');
  const forged = new URL(url);
  forged.searchParams.set('X-Amz-Signature', '0'.repeat(64));
  assert.equal((await fetchUrl(forged.toString())).status, 403);
  assert.equal(stand.verdicts.at(-1)?.reason, 'SignatureDoesNotMatch');
  const longer = new URL(url);
  longer.searchParams.set('X-Amz-Expires', '3600');
  assert.equal((await fetchUrl(longer.toString())).status, 403, 'the expiry is signed');

  const wrong = await open('another');
  assert.equal((await fetchUrl(await wrong.presignGet(key, 300, at))).status, 403, 'another secret');

  stand.now = () => new Date(at.getTime() + 301_000);
  assert.equal((await fetchUrl(url)).status, 403);
  assert.equal(stand.verdicts.at(-1)?.reason, 'expired');
  await assert.rejects(v2.presignGet(key, 0), RangeError);
  await assert.rejects(v2.presignGet('../escape', 300), /not a valid vault key/);
});
