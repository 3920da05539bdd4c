import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import fc from 'fast-check';
import { generateEd25519 } from '../src/crypto/dsse.js';
import { buildPredicate, buildStatement, evidenceBundle, fingerprint, IN_TOTO_PAYLOAD_TYPE, REPORT_PREDICATE_TYPE, signReport, verifyReport, ReportVerifyError, type ReportPredicate } from '../src/probe/report.js';
import { exampleReportInput } from '../src/probe/report-example.js';

const key = generateEd25519();
const pdf = Buffer.from('%PDF-1.7 not really a pdf but bytes to hash\n');

function make(mut?: (p: ReportPredicate) => void) {
  const { input, logPublicKey } = exampleReportInput({ probes: 40, hosts: 8 });
  const pred = buildPredicate(input, '2026-11-30T02:30:00.000Z', key.publicKeyPem);
  mut?.(pred);
  const env = signReport(buildStatement(pred, pdf), key.privateKeyPem);
  return { env, logPublicKey, pred };
}

/** Re-signs a modified statement: the signature is then valid, so the later checks must catch it. */
function resign(env: ReturnType<typeof make>['env'], edit: (st: any) => void) {
  const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  edit(st);
  return signReport(st, key.privateKeyPem);
}

const failsAt = (f: () => unknown, step: string, re?: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof ReportVerifyError && e.step === step && (!re || re.test(e.message)) && /^[A-Z].*\.$/.test(e.message));

test('a report verifies with its key, the PDF and the log key; the result says what was checked', () => {
  const { env, logPublicKey, pred } = make();
  const r = verifyReport(env, { publicKeyPem: key.publicKeyPem, pdf, logKey: logPublicKey });
  assert.equal(r.keyPinned, true);
  assert.equal(r.pdfChecked, true);
  assert.equal(r.entries, 6);
  assert.equal(r.statement.predicateType, REPORT_PREDICATE_TYPE);
  assert.equal(r.statement.subject[0]!.digest.sha256, createHash('sha256').update(pdf).digest('hex'));
  assert.equal(pred.verdict, 'fail');
  assert.equal(pred.summary.probes, 40);
  assert.equal(pred.summary.hosts, 8);
  assert.equal(fingerprint('00112233445566778899'), '0011 2233 4455 6677 8899');
});

test('a stock DSSE check (PAE per the spec, plain node:crypto) verifies the envelope, independent of our code', () => {
  const { env } = make();
  const body = Buffer.from(env.payload, 'base64');
  const type = env.payloadType;
  const paeBytes = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
  assert.equal(type, 'application/vnd.in-toto+json');
  assert.ok(verify(null, paeBytes, createPublicKey(key.publicKeyPem), Buffer.from(env.signatures[0]!.sig, 'base64')));
  const st = JSON.parse(body.toString('utf8'));
  assert.equal(st._type, 'https://in-toto.io/Statement/v1');
  assert.deepEqual(st.subject.map((s: any) => s.name), ['report.pdf', 'evidence-bundle.json']);
  assert.match(st.subject[1].digest.sha256, /^[0-9a-f]{64}$/);
});

test('another key, a tampered payload or a wrong payload type fail at the signature or envelope', () => {
  const { env } = make();
  const other = generateEd25519();
  failsAt(() => verifyReport(env, { publicKeyPem: other.publicKeyPem }), 'signature', /given report key/);
  const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  st.predicate.verdict = 'pass';
  failsAt(() => verifyReport({ ...env, payload: Buffer.from(JSON.stringify(st)).toString('base64') }), 'signature');
  failsAt(() => verifyReport({ ...env, payloadType: 'application/json' }), 'envelope', /payload type/);
  failsAt(() => verifyReport({ payload: 'x' }), 'envelope');
  // A forger's key named in the report: integrity alone holds, the pinned key does not.
  const st2 = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  st2.predicate.report_key.public_key_pem = other.publicKeyPem;
  const forged = signReport(st2, other.privateKeyPem);
  assert.equal(verifyReport(forged).keyPinned, false);
  failsAt(() => verifyReport(forged, { publicKeyPem: key.publicKeyPem }), 'signature', /given report key/);
});

test('a changed PDF fails with one sentence naming the PDF', () => {
  const { env } = make();
  const bad = Buffer.from(pdf);
  bad[3] = bad[3]! ^ 1;
  failsAt(() => verifyReport(env, { pdf: bad }), 'pdf', /PDF does not match/);
});

test('evidence edited and re-signed no longer matches the bundle subject', () => {
  const { env } = make();
  failsAt(() => verifyReport(resign(env, (st) => (st.predicate.evidence[0].sha256 = '00'.repeat(32)))), 'evidence');
});

test('a checkpoint not signed by the log key, or with another origin, fails at the checkpoint', () => {
  const { env, logPublicKey } = make();
  const other = exampleReportInput({ tenantId: '11111111-2222-4333-8444-555555555555' });
  failsAt(() => verifyReport(env, { logKey: other.logPublicKey }), 'checkpoint');
  failsAt(() => verifyReport(resign(env, (st) => (st.predicate.audit.checkpoint = st.predicate.audit.checkpoint.replace(/\n(\d+)\n/, (_m: string, n: string) => `\n${Number(n) + 1}\n`))), { logKey: logPublicKey }), 'checkpoint', /not signed/);
});

test('every changed proof hash, leaf byte or position fails the inclusion check (property)', () => {
  const { env } = make();
  const st0 = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  const entries = st0.predicate.audit.entries as Array<{ seq: number; leaf: string; proof: string[] }>;
  fc.assert(
    fc.property(fc.nat(entries.length - 1), fc.nat(1000), fc.constantFrom('proof', 'leaf', 'seq'), (i, j, what) => {
      const e = entries[i]!;
      const bad = resign(env, (st) => {
        const x = st.predicate.audit.entries[i];
        if (what === 'proof') {
          const b = Buffer.from(x.proof[j % x.proof.length], 'base64');
          b[j % 32] = b[j % 32]! ^ (1 << (j % 8));
          x.proof[j % x.proof.length] = b.toString('base64');
        } else if (what === 'leaf') {
          const b = Buffer.from(x.leaf, 'base64');
          b[j % b.length] = b[j % b.length]! ^ 1;
          x.leaf = b.toString('base64');
        } else x.seq = e.seq === 1 ? 2 : e.seq - 1;
      });
      failsAt(() => verifyReport(bad), 'inclusion');
    }),
    { numRuns: 60 },
  );
});

test('the evidence bundle is canonical and order-independent', () => {
  const ev = [{ key: 'b', sha256: '1'.repeat(64), size: 1, media_type: 'x' }, { key: 'a', sha256: '2'.repeat(64), size: 2, media_type: 'y' }];
  assert.deepEqual(evidenceBundle('s', ev), evidenceBundle('s', [...ev].reverse()));
  assert.equal(evidenceBundle('s', ev).toString(), '{"objects":[{"key":"a","media_type":"y","sha256":"2222222222222222222222222222222222222222222222222222222222222222","size":2},{"key":"b","media_type":"x","sha256":"1111111111111111111111111111111111111111111111111111111111111111","size":1}],"scan_id":"s"}');
  assert.equal(IN_TOTO_PAYLOAD_TYPE, 'application/vnd.in-toto+json');
});
