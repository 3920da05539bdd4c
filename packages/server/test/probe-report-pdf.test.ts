import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { buildPredicate, exampleReportInput, probeReport } from '@parapet/core';
import { renderReportPdf } from '../src/probe/report-pdf.js';

// A fixed key (RFC 8032 TEST 1) so the fingerprint in the text is known.
const priv = createPrivateKey({ key: Buffer.from('302e020100300506032b657004220420' + '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'), format: 'der', type: 'pkcs8' });
const pubPem = createPublicKey(priv).export({ type: 'spki', format: 'pem' }) as string;

test('the PDF is byte-identical for the same report, and poppler reads the verdict, findings and fingerprint', async () => {
  const { input } = exampleReportInput({ probes: 60, hosts: 9 });
  const p = buildPredicate(input, '2026-11-30T02:30:00.000Z', pubPem);
  const a = await renderReportPdf(p);
  const b = await renderReportPdf(p);
  assert.ok(a.equals(b), 'same input, same bytes');
  assert.equal(a.subarray(0, 5).toString(), '%PDF-');
  const other = await renderReportPdf({ ...p, generated_at: '2026-11-30T02:31:00.000Z' });
  assert.ok(!other.equals(a));

  const dir = mkdtempSync(join(tmpdir(), 'report-pdf-'));
  writeFileSync(join(dir, 'r.pdf'), a);
  const text = execFileSync('pdftotext', ['-layout', join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
  assert.match(text, /Perimeter Validation Report/);
  assert.match(text, /VERDICT\s+5 open findings/);
  assert.match(text, /FAIL/);
  assert.ok(text.includes(probeReport.fingerprint(p.report_key.key_id)), 'fingerprint printed');
  // Titles may wrap in the table's column; their start and the rule id are on one line.
  for (const f of p.findings) assert.ok(text.includes(f.title.slice(0, 24)) && text.includes(f.rule), f.title);
  assert.ok(text.includes('lead@example.org') && text.includes('ciso@example.org'), 'approvers listed');
  assert.ok(text.includes('probe.scan.finished'), 'audit trail listed');
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [join(dir, 'r.pdf')], { encoding: 'utf8' }))![1]);
  assert.ok(pages >= 4);
  assert.ok(text.includes(`Page ${pages} of ${pages}`));
  execFileSync('pdftoppm', ['-r', '40', '-png', join(dir, 'r.pdf'), join(dir, 'p')]);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.png')).length, pages);
});

test('a clean scan passes: no blocking findings gives a PASS cover', async () => {
  const { input } = exampleReportInput({ probes: 8, hosts: 2 });
  input.findings = input.findings.map((f) => ({ ...f, severity: 'low' as const }));
  const p = buildPredicate(input, '2026-11-30T02:30:00.000Z', pubPem);
  assert.equal(p.verdict, 'pass');
  const dir = mkdtempSync(join(tmpdir(), 'report-pdf-'));
  writeFileSync(join(dir, 'r.pdf'), await renderReportPdf(p));
  const text = execFileSync('pdftotext', [join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
  assert.match(text, /PASS/);
  assert.doesNotMatch(text, /FAIL/);
});
