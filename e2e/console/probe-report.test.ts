/**
 * Probe reports and SIEM webhooks in a real browser: the reports page lists a finished scan's
 * report with its trend chart and serves the PDF and the signed JSON, which verify; an admin
 * (MFA fresh) adds a webhook endpoint, sees the secret once, sends a test event to a real
 * HTTPS receiver that verifies it with `standardwebhooks`, and reads the delivery log.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { fileURLToPath } from 'node:url';
import { verifyReport } from '@parapet/core';
import { loginAs } from '@parapet/server/testing';
import { createSelfSigned } from '@parapet/server/tls/certificate';
import { finishedScan } from '../../packages/server/test/probe-finished-scan.js';
import { screenshot, sessionCookie } from './harness.js';
import { consoleSuite } from './fixtures.js';

let rx: ChildProcess | undefined;
let rxPort = 0;
let tls: { cert: string; key: string };
let dir: string;
const suite = consoleSuite({
  prepare: async () => {
    dir = await mkdtemp(join(tmpdir(), 'parapet-console-report-'));
    tls = await createSelfSigned(['localhost']);
    await writeFile(join(dir, 'cert.pem'), tls.cert);
    await writeFile(join(dir, 'key.pem'), tls.key);
    process.env.PARAPET_WEBHOOK_CA_FILE = join(dir, 'cert.pem');
  },
  setup: async () => {
    rx = spawn(process.execPath, [fileURLToPath(new URL('../../packages/server/test/fixtures/webhook-receiver.mjs', import.meta.url))], { env: { ...process.env, CERT: join(dir, 'cert.pem'), KEY: join(dir, 'key.pem'), PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    rxPort = JSON.parse(await new Promise<string>((r) => rx!.stdout!.once('data', (d: Buffer) => r(d.toString())))).port;
  },
  teardown: async () => {
    rx?.kill('SIGTERM');
  },
});
const missing = suite.skip;

const rxCall = (method: string, path: string, body?: unknown) =>
  new Promise<any>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: rxPort, path, method, ca: tls.cert, servername: 'localhost', headers: { 'content-type': 'application/json' } }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve(t ? JSON.parse(t) : undefined));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });

test('reports page: trend chart, PDF and signed JSON downloads that verify with the published key', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const { tenantId, scanId, op } = await finishedScan(s, { scopeId: 'dmz' });
  assert.equal((await op.client.get(`/api/v1/probe/scans/${scanId}/report`)).status, 200);
  const t = await suite.tab(await sessionCookie(s, tenantId, op.userId));
  await t.page.goto(`${s.url}/probe/reports?scan=${scanId}`);
  const table = t.page.getByRole('table', { name: 'Reports' });
  await table.waitFor();
  const row = table.locator('tbody tr', { hasText: scanId.slice(0, 8) });
  assert.match(await row.innerText(), /Fail/);
  assert.match(await row.innerText(), /1 high/);
  await t.page.getByRole('img', { name: /Open findings by severity across 1 reports/ }).waitFor();
  await t.page.getByText(/Fingerprint/).waitFor();
  await screenshot(t.page, 'console-probe-reports');
  const pdfHref = await row.getByRole('link', { name: /PDF report/ }).getAttribute('href');
  const jsonHref = await row.getByRole('link', { name: /Signed JSON/ }).getAttribute('href');
  const pdf = await t.page.request.get(`${s.url}${pdfHref}`);
  const json = await t.page.request.get(`${s.url}${jsonHref}`);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  const key = await (await t.page.request.get(`${s.url}/api/v1/probe/report-key`)).json();
  const r = verifyReport(await json.json(), { publicKeyPem: key.public_key_pem, pdf: await pdf.body() });
  assert.equal(r.statement.predicate.scan.id, scanId);
  assert.deepEqual(t.problems, []);
});

test('webhooks page: add an endpoint, secret shown once, send a test event the receiver verifies, delivery log', { skip: missing ?? false }, async () => {
  const { s } = suite;
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  assert.equal((await admin.client.request('PUT', '/api/v1/webhooks/settings', { json: { allow_private_cidrs: ['127.0.0.0/8'] } })).status, 200);
  const t = await suite.tab(await sessionCookie(s, admin.tenantId, admin.userId, { mfaFresh: true }));
  await t.page.goto(`${s.url}/webhooks`);
  await t.page.getByLabel('HTTPS URL').fill(`https://localhost:${rxPort}/ok`);
  await t.page.getByRole('button', { name: 'Add endpoint' }).click();
  const secret = t.page.getByTestId('one-time-secret');
  await secret.waitFor();
  const value = (await secret.innerText()).trim();
  assert.match(value, /^whsec_/);
  await rxCall('POST', '/_config', { path: '/ok', secret: value });
  await screenshot(t.page, 'console-webhooks-secret');
  await t.page.getByRole('button', { name: 'I have copied it, hide it' }).click();
  const table = t.page.getByRole('table', { name: 'Webhook endpoints' });
  await table.locator('tbody tr', { hasText: `localhost:${rxPort}` }).waitFor();
  assert.equal(await t.page.getByTestId('one-time-secret').count(), 0, 'the secret is gone once dismissed');
  await table.getByRole('button', { name: 'Send test event' }).click();
  await t.page.getByText(/Test event delivered: 200/).waitFor();
  const log = await rxCall('GET', '/_log');
  assert.equal(log.length, 1);
  assert.equal(log[0].verified, true);
  assert.equal(JSON.parse(log[0].body).type, 'webhook.test.sent');
  await table.getByRole('button', { name: 'Delivery log' }).click();
  const deliveries = t.page.getByRole('table', { name: /Deliveries to/ });
  await deliveries.locator('tbody tr', { hasText: 'webhook.test.sent' }).waitFor();
  assert.match(await deliveries.innerText(), /delivered/);
  await screenshot(t.page, 'console-webhooks-log');
  assert.deepEqual(t.problems, []);
});
