/**
 * The Probe area in a real browser (CONSOLE, PROBE-VISIBILITY): the scan page follows a scan
 * live over server-sent events while a real enrolled worker device reports results (rows
 * appear without a reload, the progress bar and state move), then shows the findings; the
 * Probe page lists scans, open findings and scopes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson } from '@parapet/core';
import { screenshot, sessionCookie } from './harness.js';
import { consoleSuite } from './fixtures.js';
import { enrollWorker, newOrg, requestScan, scopeDoc, uploadScope, type Org } from '../../packages/worker/test/harness.js';

let org: Org;
const suite = consoleSuite({
  setup: async (s) => {
    org = await newOrg(s);
  },
});
const missing = suite.skip;

const result = (port: number, outcome: string) => {
  const transcript = { port, outcome };
  return { target: '10.0.0.20', address: '10.0.0.20', port, probe_type: 'tcp_connect', outcome, reason: outcome === 'open' ? 'syn_ack' : 'econnrefused', started_at: new Date().toISOString(), duration_ms: 2, observed: {}, transcript, transcript_sha256: createHash('sha256').update(canonicalJson(transcript)).digest('hex') };
};

test('an operator watches a scan live: results appear as the worker reports them, then the findings', { skip: missing ?? false }, async () => {
  const { s } = suite;
  await uploadScope(org, scopeDoc(org, 'console-live', { expected_policy: [{ cidr: '10.0.0.20/32', open_ports: [443] }] }));
  const scanId = await requestScan(org, { scope_id: 'console-live', targets: ['10.0.0.20'], ports: [22, 80, 443], probe_types: ['tcp_connect'], rate_pps: 10 });
  const t = await suite.tab(await sessionCookie(s, org.tenantId, org.operator.userId));
  const { page, problems } = t;
  await page.goto(`${s.url}/probe/scans/${scanId}`);
  await page.getByTestId('scan-state').filter({ hasText: 'queued' }).waitFor();
  await page.getByText('No results yet.').waitFor();

  const w = await enrollWorker(s, org, 'console-worker');
  const post = async (path: string, body: unknown) => (await w.client.request('POST', path, body)).json();
  const l = await post('/api/v1/probe/jobs/lease', { safety_profile: { version: 1, sha256: 'ab'.repeat(32) } });
  assert.equal(l.scan.id, scanId);
  await post(`/api/v1/probe/jobs/${l.lease_id}/renew`, { planned_probes: 3 });
  await post(`/api/v1/probe/jobs/${l.lease_id}/results`, { batch_id: randomUUID(), results: [result(22, 'open')] });
  await page.locator('[data-outcome="open"]').waitFor();
  await page.getByTestId('scan-state').filter({ hasText: 'running' }).waitFor();
  await page.getByTestId('scan-progress').filter({ hasText: '1/3 probes' }).waitFor();
  // The worker and the safety profile it reported with its lease.
  await page.getByTestId('scan-workers').filter({ hasText: `${w.client.state.deviceId.slice(0, 8)}` }).filter({ hasText: 'under safety profile v1' }).waitFor();
  await screenshot(page, 'probe-scan-live');
  await post(`/api/v1/probe/jobs/${l.lease_id}/results`, { batch_id: randomUUID(), results: [result(80, 'closed'), result(443, 'closed')] });
  await page.getByTestId('scan-progress').filter({ hasText: '3/3 probes' }).waitFor();
  await post(`/api/v1/probe/jobs/${l.lease_id}/finish`, { outcome: 'finished' });
  await page.getByTestId('scan-state').filter({ hasText: 'finished' }).waitFor();
  await page.getByText('Port open that the expected policy does not list').waitFor();
  await page.getByText('Port the expected policy lists as open is not open').waitFor();
  assert.equal(await page.locator('[data-outcome]').count(), 3);
  await screenshot(page, 'probe-scan-finished');

  // The Probe page: the scan (linked), its open findings, the scope with its expected policy.
  await page.getByRole('link', { name: 'Scopes, scans, findings' }).click();
  await page.getByRole('link', { name: scanId.slice(0, 8) }).waitFor();
  await page.getByText('10.0.0.20/32: 443').waitFor();
  assert.ok((await page.locator('[data-kind="unexpected_open_port"]').count()) >= 1);
  assert.deepEqual(problems, []);
});
