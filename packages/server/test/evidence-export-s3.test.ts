/**
 * Evidence export when the server's vault is S3 (PARAPET_VAULT=s3), end to end over HTTP: the
 * server runs against the S3 stand-in of fixtures/s3-stand-in.ts (Object Lock answered,
 * objects kept in memory; header-signed SDK requests are served without checking their
 * signatures), the
 * scan's evidence is sealed in that vault, an auditor with step-up gets 5-minute URLs, and
 * they are presigned S3 GETs of export copies that the stand-in verifies with the SigV4
 * verifier of fixtures/sigv4.ts (checked against AWS's published example) before serving.
 * A real S3-compatible server cannot run here (see vault-s3-presign.test.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { FileKeyProvider } from '../src/crypto/keyfile.js';
import { dataPaths } from '../src/datadir.js';
import { openVault } from '../src/platform/vault.js';
import { putSealed } from '../src/vault/sealed.js';
import { finishedScan } from './probe-finished-scan.js';
import { fetchUrl } from './fixtures/sigv4.js';
import { startS3StandIn, type S3StandIn } from './fixtures/s3-stand-in.js';

const CREDS = { id: 'PARAPETS3TEST', secret: 'stand-in/secret+key' };
let stand: S3StandIn;
let s: TestServer;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

before(async () => {
  stand = await startS3StandIn({ [CREDS.id]: CREDS.secret });
  process.env.AWS_ACCESS_KEY_ID = CREDS.id; // the SDK's default credential chain reads the process environment
  process.env.AWS_SECRET_ACCESS_KEY = CREDS.secret;
  s = await startTestServer({ PARAPET_VAULT: 's3', PARAPET_S3_BUCKET: 'evidence', PARAPET_S3_PREFIX: 'srv/', PARAPET_S3_ENDPOINT: stand.endpoint, PARAPET_S3_FORCE_PATH_STYLE: '1', PARAPET_S3_REGION: 'eu-west-1' });
});
after(async () => {
  await s?.close();
  await stand?.close();
  if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  else process.env.AWS_ACCESS_KEY_ID = saved.id;
  if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
});

test('on the S3 vault the export URLs are presigned S3 GETs (5 minutes) of plaintext export copies; each verifies and returns the opened object', async () => {
  const { tenantId, scanId } = await finishedScan(s);
  const keys = await FileKeyProvider.open(dataPaths(s.dataDir).keyFile);
  const vault = await openVault(s.config.vault);
  const objs = await s.asAdmin(async (a) => (await a.query<{ object_key: string; sha256: string }>(`SELECT object_key, sha256 FROM probe_evidence WHERE tenant_id = $1 AND scan_id = $2`, [tenantId, scanId])).rows);
  // The helper wrote rows; seal matching objects into the S3 vault as the worker would.
  const plain = new Map<string, Buffer>();
  for (const o of objs) {
    const body = Buffer.from(`{"evidence":"${o.object_key}"}`);
    plain.set(o.object_key, body);
    await putSealed(vault, keys, tenantId, o.object_key, body, new Date(Date.now() + 86400_000));
    assert.ok(!stand.objects.get(`/evidence/srv/tenants/${tenantId}/${o.object_key}`)!.body.includes(body), 'sealed in the bucket');
  }
  const aud = await loginAs(s, { roles: ['auditor'], tenantId, mfaFresh: true });
  const x = await aud.client.post(`/api/v1/probe/scans/${scanId}/evidence-exports`, { reason: 'SOC 2 sample' });
  assert.equal(x.status, 201, x.text);
  const t0 = Date.now();
  const urls = await aud.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/urls`, {});
  assert.equal(urls.status, 200, urls.text);
  assert.equal(urls.json.objects.length, objs.length);
  for (const o of urls.json.objects as Array<{ key: string; url: string; sha256: string }>) {
    const u = new URL(o.url);
    assert.equal(u.origin, stand.endpoint, 'a URL of the bucket, not of this server');
    assert.equal(decodeURIComponent(u.pathname), `/evidence/srv/tenants/${tenantId}/exports/${x.json.id}/${o.key}`);
    assert.equal(u.searchParams.get('X-Amz-Expires'), '300');
    // The copy is locked until the URL expires, and holds the opened object.
    const copy = stand.objects.get(decodeURIComponent(u.pathname))!;
    assert.equal(copy.headers['x-amz-object-lock-mode'], 'COMPLIANCE');
    const until = Date.parse(String(copy.headers['x-amz-object-lock-retain-until-date']));
    assert.ok(until >= t0 + 299_000 && until <= Date.now() + 301_000, String(copy.headers['x-amz-object-lock-retain-until-date']));
    const r = await fetchUrl(o.url);
    assert.equal(r.status, 200, stand.verdicts.at(-1)?.reason);
    assert.ok(r.body.equals(plain.get(o.key)!));
    const forged = new URL(o.url);
    forged.searchParams.set('X-Amz-Signature', 'f'.repeat(64));
    assert.equal((await fetchUrl(forged.toString())).status, 403);
  }
  const b = await fetchUrl(urls.json.bundle.url);
  assert.equal(b.status, 200);
  const bundle = JSON.parse(b.body.toString('utf8'));
  assert.deepEqual(bundle.objects.map((o: { key: string }) => o.key).sort(), objs.map((o) => o.object_key).sort());
  // Issuing twice reuses the copies (write-once) and signs new URLs.
  const again = await aud.client.post(`/api/v1/probe/evidence-exports/${x.json.id}/urls`, {});
  assert.equal(again.status, 200, again.text);
  assert.equal((await fetchUrl(again.json.objects[0].url)).status, 200);
  const issued = await s.asAdmin(async (a) => (await a.query<{ details: { via: string } }>(`SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'probe.evidence.url_issued' ORDER BY seq`, [tenantId])).rows);
  assert.deepEqual(issued.map((r) => r.details.via), ['s3_presigned', 's3_presigned']);
  // Report PDFs on this server went to the same bucket, sealed.
  const rep = await aud.client.get(`/api/v1/probe/scans/${scanId}/report`);
  assert.equal(rep.status, 200, rep.text);
  const pdfObj = stand.objects.get(`/evidence/srv/tenants/${tenantId}/probe/reports/${scanId}/${rep.json.pdf_sha256}.pdf`);
  assert.ok(pdfObj, 'the report PDF is in the S3 vault');
  assert.ok(!pdfObj.body.includes(Buffer.from('%PDF-')));
});
