/**
 * bench/probe-report. Run: npm run bench -- probe-report [--probes 1000] [--messages 2000] [--concurrency 16]
 *
 * 1. Report for a scan of --probes probes (50 hosts): time to build the predicate, render the
 *    PDF (pdfkit), make the in-toto statement and sign the DSSE envelope, then to verify it
 *    offline; sizes of the PDF and the JSON. Reference: canonical JSON + SHA-256 + Ed25519 of
 *    the same statement alone, so the ratio shows what the PDF costs.
 * 2. Webhook throughput: --messages messages enqueued in the platform outbox and delivered by
 *    its drainer (SKIP LOCKED batches of 200, HTTPS POST signed per Standard Webhooks, attempt
 *    recorded) to
 *    the receiver process of the tests, which verifies each with the standardwebhooks package.
 *    Reference: the same number of signed HTTPS POSTs from this process to the same receiver
 *    with the same concurrency and no database. PGlite by default; real PostgreSQL when
 *    DATABASE_URL/DATABASE_ADMIN_URL are set.
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, Agent } from 'node:https';
import { fileURLToPath } from 'node:url';
import { buildPredicate, buildStatement, canonicalJson, dsse, envelope, exampleReportInput, KeyRing, signReport, verifyReport } from '@parapet/core';
import { createTestDatabase, usingPostgres } from '@parapet/db/testing';
import { renderReportPdf } from '@parapet/server/probe/report-pdf';
import { createTenant } from '@parapet/server/testing';
import { createSelfSigned } from '@parapet/server/tls/certificate';
import { consumeWebhooks, enqueue, secretBinding } from '@parapet/server/webhooks/deliver';
import { outboxFor } from '@parapet/server/platform/outbox';
import { newSecret, signHeaders, newMessageId } from '@parapet/server/webhooks/signing';
import { scanActivity } from '@parapet/server/webhooks/ocsf';

const { values } = parseArgs({ options: { probes: { type: 'string', default: '1000' }, messages: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '16' } } });
const PROBES = Number(values.probes);
const MESSAGES = Number(values.messages);
const CONC = Number(values.concurrency);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function report() {
  const key = dsse.generateEd25519();
  const { input, logPublicKey } = exampleReportInput({ probes: PROBES, hosts: 50 });
  const build: number[] = [];
  const ref: number[] = [];
  const ver: number[] = [];
  let pdfBytes = 0;
  let jsonBytes = 0;
  let pdf: Buffer = Buffer.alloc(0);
  let env;
  for (let i = 0; i < 5; i++) {
    let t = performance.now();
    const p = buildPredicate(input, '2026-11-30T02:30:00.000Z', key.publicKeyPem);
    pdf = await renderReportPdf(p);
    const st = buildStatement(p, pdf);
    env = signReport(st, key.privateKeyPem);
    build.push(performance.now() - t);
    pdfBytes = pdf.length;
    jsonBytes = Buffer.byteLength(JSON.stringify(env));
    t = performance.now();
    signReport(st, key.privateKeyPem);
    ref.push(performance.now() - t);
    t = performance.now();
    verifyReport(env, { publicKeyPem: key.publicKeyPem, pdf, logKey: logPublicKey });
    ver.push(performance.now() - t);
  }
  const pages = (pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;
  console.log(`report, ${PROBES} probes / 50 hosts / ${input.findings.length} findings / ${input.evidence.length} evidence objects / ${input.audit.entries.length} proven audit entries:`);
  console.log(`  build (predicate + PDF + statement + DSSE signature): median ${median(build).toFixed(0)} ms over 5 runs`);
  console.log(`  reference (canonical JSON + Ed25519 of the statement only): median ${median(ref).toFixed(1)} ms; ratio ${(median(build) / median(ref)).toFixed(1)}x`);
  console.log(`  offline verify (signature, PDF hash, evidence digest, checkpoint, proofs): median ${median(ver).toFixed(1)} ms`);
  console.log(`  sizes: PDF ${(pdfBytes / 1024).toFixed(1)} KiB, ${pages} pages; JSON report ${(jsonBytes / 1024).toFixed(1)} KiB (canonical statement ${(Buffer.byteLength(canonicalJson(JSON.parse(Buffer.from(env!.payload, 'base64').toString()))) / 1024).toFixed(1)} KiB)`);
}

async function webhooks() {
  const dir = await mkdtemp(join(tmpdir(), 'bench-webhooks-'));
  const tls = await createSelfSigned(['localhost']);
  await writeFile(join(dir, 'cert.pem'), tls.cert);
  await writeFile(join(dir, 'key.pem'), tls.key);
  const rx = spawn(process.execPath, [fileURLToPath(new URL('../../packages/server/test/fixtures/webhook-receiver.mjs', import.meta.url))], { env: { ...process.env, CERT: join(dir, 'cert.pem'), KEY: join(dir, 'key.pem'), PORT: '0', QUIET: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port: number = JSON.parse(await new Promise<string>((r) => rx.stdout!.once('data', (d: Buffer) => r(d.toString())))).port;
  const call = (method: string, path: string, body?: string, headers: Record<string, string> = {}, agent?: Agent) =>
    new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, ca: tls.cert, servername: 'localhost', headers: { 'content-type': 'application/json', ...headers }, ...(agent ? { agent } : { agent: false }) }, (res) => {
        let t = '';
        res.on('data', (c) => (t += c));
        res.on('end', () => resolve(t));
      });
      req.on('error', reject);
      req.end(body);
    });
  const secret = newSecret();
  await call('POST', '/_config', JSON.stringify({ path: '/ok', secret }));

  const t = await createTestDatabase();
  const keys = new KeyRing([{ id: 'bench', key: Buffer.alloc(32, 7) }], 'bench');
  try {
    const tenantId = await createTenant(t.db);
    await t.asAdmin(async (a) => {
      await a.query(`UPDATE tenants SET settings = '{"webhooks":{"allow_private_cidrs":["127.0.0.0/8"]}}' WHERE id = $1`, [tenantId]);
      const u = (await a.query<{ id: string }>(`INSERT INTO users (tenant_id, email) VALUES ($1, 'bench@example.org') RETURNING id`, [tenantId])).rows[0]!.id;
      const epId = '00000000-0000-4000-8000-00000000b001';
      const sealed = await envelope.seal(keys, Buffer.from(secret), secretBinding(tenantId, epId));
      await a.query(`INSERT INTO webhook_endpoints (tenant_id, id, url, secret_sealed, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, now(), now())`, [tenantId, epId, `https://localhost:${port}/ok`, sealed, u]);
    });
    const ob = outboxFor(t.db);
    ob.automatic = false; // enqueue everything first, then time the drain alone
    ob.batch = 200;
    consumeWebhooks(ob, { keys, ca: tls.cert, concurrency: CONC });
    const at = new Date();
    for (let i = 0; i < MESSAGES; i += 500) {
      await t.db.tx({ tenantId }, async (q) => {
        for (let j = i; j < Math.min(MESSAGES, i + 500); j++) await enqueue(q, tenantId, 'probe.scan.progressed', at, (uid) => scanActivity('probe.scan.progressed', { tenantId, scanId: '0b6e3c1d-2f4a-4e8b-9c7d-5a1e3f2b4c6d', scopeId: 'dmz', scopeVersion: 1, state: 'running', at, progress: { done: j, planned: MESSAGES } }, uid));
      });
    }
    const t0 = performance.now();
    await ob.drainTenant(tenantId);
    const outboxMs = performance.now() - t0;
    const delivered = await t.asAdmin(async (a) => Number((await a.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE tenant_id = $1 AND topic = 'webhook.delivery' AND state = 'delivered'`, [tenantId])).rows[0]!.n));
    const log = JSON.parse(await call('GET', '/_log')) as Array<{ verified: boolean }>;

    // Reference: the same signed POSTs, same concurrency, keep-alive connections (as the consumer uses), no database.
    const agent = new Agent({ keepAlive: true, maxSockets: CONC, ca: tls.cert });
    // The same bodies as the outbox sent (OCSF Scan Activity, about 1 KiB each), so the
    // receiver's work per request is the same on both sides.
    const bodies = Array.from({ length: MESSAGES }, (_, j) => {
      const id = newMessageId();
      return { id, body: JSON.stringify({ type: 'probe.scan.progressed', timestamp: at.toISOString(), data: scanActivity('probe.scan.progressed', { tenantId, scanId: '0b6e3c1d-2f4a-4e8b-9c7d-5a1e3f2b4c6d', scopeId: 'dmz', scopeVersion: 1, state: 'running', at, progress: { done: j, planned: MESSAGES } }, id) }) };
    });
    const r0 = performance.now();
    let k = 0;
    await Promise.all(Array.from({ length: CONC }, async () => {
      while (k < MESSAGES) {
        const { id, body } = bodies[k++]!;
        await call('POST', '/ok', body, signHeaders(secret, id, Math.floor(Date.now() / 1000), body), agent);
      }
    }));
    const refMs = performance.now() - r0;
    agent.destroy();
    const engine = usingPostgres() ? 'PostgreSQL' : 'PGlite';
    console.log(`webhooks (${engine}), ${MESSAGES} messages, concurrency ${CONC}:`);
    console.log(`  outbox -> receiver: ${(MESSAGES / (outboxMs / 1000)).toFixed(0)} deliveries/s (${delivered} delivered, ${log.filter((l) => l.verified).length} verified by standardwebhooks)`);
    console.log(`  reference, signed HTTPS POSTs without the outbox: ${(MESSAGES / (refMs / 1000)).toFixed(0)} /s; outbox/reference ${(refMs / outboxMs).toFixed(2)}`);
  } finally {
    rx.kill('SIGTERM');
    await t.close();
  }
}

await report();
await webhooks();
