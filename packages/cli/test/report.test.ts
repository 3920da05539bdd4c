import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPredicate, buildStatement, dsse, exampleReportInput, signReport } from '@parapet/core';
import { renderReportPdf } from '@parapet/server/probe/report-pdf';
import { runCli as run } from './run-cli.js';

let dir: string;
const key = dsse.generateEd25519();
let statement: any;
let logKey: string;

const oneSentence = (s: string) => {
  const t = s.trim();
  assert.equal(t.split('\n').length, 1, t);
  assert.match(t, /^[A-Z][^\n]*\.$/);
  return t;
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-report-'));
  const ex = exampleReportInput({ probes: 30, hosts: 5 });
  logKey = ex.logPublicKey;
  const p = buildPredicate(ex.input, '2026-11-30T02:30:00.000Z', key.publicKeyPem);
  const pdf = await renderReportPdf(p);
  statement = buildStatement(p, pdf);
  await writeFile(join(dir, 'r.pdf'), pdf);
  await writeFile(join(dir, 'r.json'), JSON.stringify(signReport(statement, key.privateKeyPem)));
  await writeFile(join(dir, 'key.pem'), key.publicKeyPem);
  await writeFile(join(dir, 'other.pem'), dsse.generateEd25519().publicKeyPem);
  const bad = Buffer.from(pdf);
  bad[bad.length - 100] = bad[bad.length - 100]! ^ 1;
  await writeFile(join(dir, 'bad.pdf'), bad);
});

test('report verify: a good report and PDF exit 0 with a confirmation; --json says what was checked', async () => {
  const r = await run(['report', 'verify', join(dir, 'r.json'), '--pdf', join(dir, 'r.pdf'), '--key', join(dir, 'key.pem'), '--log-key', logKey]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Valid: scan .* verdict FAIL; signed by report key [0-9a-f]{64}; PDF matches; 6 audit entries proven/);
  const j = await run(['report', 'verify', join(dir, 'r.json'), '--json']);
  assert.equal(j.code, 0, j.err);
  assert.deepEqual({ ...JSON.parse(j.out), key_id: 'x', scan: 'x', checkpoint: 'x' }, { valid: true, key_id: 'x', key_pinned: false, pdf_checked: false, scan: 'x', verdict: 'fail', checkpoint: 'x', audit_entries: 6 });
});

test('report verify: tampered PDF, tampered report, wrong key and a tampered proof each exit 1 with one sentence', async () => {
  const pdf = await run(['report', 'verify', join(dir, 'r.json'), '--pdf', join(dir, 'bad.pdf'), '--key', join(dir, 'key.pem')]);
  assert.equal(pdf.code, 1);
  assert.match(oneSentence(pdf.err), /PDF does not match/);

  const env = JSON.parse(JSON.stringify(signReport(statement, key.privateKeyPem)));
  const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  st.predicate.findings[0].severity = 'info';
  await writeFile(join(dir, 'edited.json'), JSON.stringify({ ...env, payload: Buffer.from(JSON.stringify(st)).toString('base64') }));
  const edited = await run(['report', 'verify', join(dir, 'edited.json'), '--key', join(dir, 'key.pem')]);
  assert.equal(edited.code, 1);
  assert.match(oneSentence(edited.err), /signature does not verify/);

  const wrongKey = await run(['report', 'verify', join(dir, 'r.json'), '--key', join(dir, 'other.pem')]);
  assert.equal(wrongKey.code, 1);
  assert.match(oneSentence(wrongKey.err), /does not verify with the given report key/);

  // Signed again by the real key, so only the proof check can catch it.
  const st2 = JSON.parse(JSON.stringify(statement));
  const proof = Buffer.from(st2.predicate.audit.entries[2].proof[0], 'base64');
  proof[0] = proof[0]! ^ 0x80;
  st2.predicate.audit.entries[2].proof[0] = proof.toString('base64');
  await writeFile(join(dir, 'proof.json'), JSON.stringify(signReport(st2, key.privateKeyPem)));
  const pr = await run(['report', 'verify', join(dir, 'proof.json'), '--key', join(dir, 'key.pem')]);
  assert.equal(pr.code, 1);
  assert.match(oneSentence(pr.err), new RegExp(`inclusion proof of audit entry ${st2.predicate.audit.entries[2].seq} does not lead`));

  const missing = await run(['report', 'verify', join(dir, 'nope.json')]);
  assert.equal(missing.code, 1);
  assert.match(oneSentence(missing.err), /Cannot read the report/);
});
