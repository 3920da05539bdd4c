/**
 * The S3 driver against the S3 stand-in of fixtures/s3-stand-in.ts on 127.0.0.1. No S3-compatible server with
 * Object Lock is available offline here, so this asserts the exact requests and headers the
 * driver sends (Object Lock COMPLIANCE, retain-until, SHA-256 checksum, If-None-Match,
 * SSE-KMS) and its refusals, rather than the storage's enforcement; and that the server
 * opens this driver at start when PARAPET_VAULT=s3.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Vault } from '../src/vault/s3.js';
import { VaultError } from '../src/vault/vault.js';
import { loadConfig } from '../src/config.js';
import { openVault } from '../src/platform/vault.js';
import { startTestServer } from '../src/testing.js';
import { startS3StandIn, type S3StandIn } from './fixtures/s3-stand-in.js';

let stand: S3StandIn;
before(async () => {
  stand = await startS3StandIn();
});
after(() => stand.close());

const client = () => new S3Client({ endpoint: stand.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

test('refuses to start against a bucket without Object Lock', async () => {
  stand.lockEnabled = false;
  try {
    await assert.rejects(S3Vault.open({ client: client(), bucket: 'plain' }), /does not have S3 Object Lock enabled/);
  } finally {
    stand.lockEnabled = true;
  }
});

test('PutObject carries COMPLIANCE lock, retain-until, SHA-256 checksum, If-None-Match and SSE-KMS; reads are checked', async () => {
  const v = await S3Vault.open({ client: client(), bucket: 'evidence', prefix: 'parapet/', kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/test' });
  const data = Buffer.from('sealed bytes');
  const until = new Date('2033-01-01T00:00:00Z');
  stand.seen.length = 0;
  await v.put('tenants/t1/obj', data, { retainUntil: until });
  const put = stand.seen.find((r) => r.method === 'PUT')!;
  assert.equal(put.url.split('?')[0], '/evidence/parapet/tenants/t1/obj');
  assert.equal(put.headers['x-amz-object-lock-mode'], 'COMPLIANCE');
  assert.equal(put.headers['x-amz-object-lock-retain-until-date'], until.toISOString().replace('.000Z', 'Z'));
  assert.equal(put.headers['x-amz-checksum-sha256'], createHash('sha256').update(data).digest('base64'));
  assert.equal(put.headers['if-none-match'], '*');
  assert.equal(put.headers['x-amz-server-side-encryption'], 'aws:kms');
  assert.equal(put.headers['x-amz-server-side-encryption-aws-kms-key-id'], 'arn:aws:kms:eu-west-1:111122223333:key/test');
  assert.ok(put.body.equals(data));
  // Write-once: a second put of the key is refused before any PUT is sent.
  stand.seen.length = 0;
  await assert.rejects(v.put('tenants/t1/obj', data, { retainUntil: until }), (e: unknown) => e instanceof VaultError && e.code === 'exists');
  assert.ok(!stand.seen.some((r) => r.method === 'PUT'));
  assert.ok((await v.get('tenants/t1/obj')).equals(data));
  await assert.rejects(v.delete('tenants/t1/obj'), (e: unknown) => e instanceof VaultError && e.code === 'retained');
  // Altered content is caught on read.
  stand.objects.get('/evidence/parapet/tenants/t1/obj')!.body = Buffer.from('sealed bytez');
  await assert.rejects(v.get('tenants/t1/obj'), (e: unknown) => e instanceof VaultError && e.code === 'integrity');
});

test('PARAPET_VAULT=s3 is what the server opens at start (npm start path): bad settings and a bucket without Object Lock stop it', async () => {
  assert.throws(() => loadConfig({ PARAPET_VAULT: 's3' }), /PARAPET_S3_BUCKET/);
  assert.throws(() => loadConfig({ PARAPET_VAULT: 'tape' }), /"fs" or "s3"/);
  assert.throws(() => loadConfig({ PARAPET_VAULT: 's3', PARAPET_S3_BUCKET: 'b', PARAPET_S3_ENDPOINT: 'ftp://x' }), /http\(s\) URL/);
  assert.deepEqual(loadConfig({ PARAPET_DATA_DIR: '/srv/p' }).vault, { driver: 'fs', dir: '/srv/p/vault' });
  const env = { PARAPET_VAULT: 's3', PARAPET_S3_BUCKET: 'evidence', PARAPET_S3_PREFIX: 'srv/', PARAPET_S3_ENDPOINT: stand.endpoint, PARAPET_S3_FORCE_PATH_STYLE: '1', PARAPET_S3_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = 'test'; // the SDK's default credential chain reads the process environment
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  try {
    stand.lockEnabled = false;
    await assert.rejects(startTestServer(env), /does not have S3 Object Lock enabled/);
    stand.lockEnabled = true;
    stand.seen.length = 0;
    const s = await startTestServer(env);
    try {
      assert.ok(stand.seen.some((r) => r.method === 'GET' && /^\/evidence\/?\?object-lock/.test(r.url)), 'the server asked the bucket for its Object Lock configuration');
      const v = await openVault(s.config.vault);
      assert.ok(v instanceof S3Vault);
    } finally {
      await s.close();
    }
  } finally {
    stand.lockEnabled = true;
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  }
});
