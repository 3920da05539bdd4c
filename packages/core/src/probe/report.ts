/**
 * Probe compliance reports (PROBE-REPORT): an in-toto Statement v1
 * (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md) whose subjects are
 * the PDF and the evidence bundle, with a Parapet predicate, in a DSSE envelope signed with
 * the tenant's Ed25519 report key. The predicate carries the audit checkpoint (C2SP signed
 * note) that covers the scan's audit entries, with an RFC 9162 inclusion proof per entry, so
 * one file can be checked offline: envelope signature, PDF hash, checkpoint signature, proofs.
 *
 * Pure functions only (no I/O): the server builds, the CLI and tests verify.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { canonicalJson } from '../crypto/canonical-json.js';
import * as dsse from '../crypto/dsse.js';
import { leafHash, verifyInclusion } from '../merkle/tree.js';
import { noteSignedBy, parseCheckpoint, parseNote, parseVerifierKey, NoteError } from '../merkle/note.js';
import { parseLeaf } from '../audit/leaf.js';

/** DSSE payload type for in-toto statements (in-toto attestation spec, envelope.md). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** The Parapet predicate type; the version is part of the URI. */
export const REPORT_PREDICATE_TYPE = 'https://parapet.dev/attestations/probe-report/v1';
export const REPORT_PDF_NAME = 'report.pdf';
export const EVIDENCE_BUNDLE_NAME = 'evidence-bundle.json';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One probe as summarised in the report (a probe is one host, port and probe type). */
export interface ReportProbe {
  host: string;
  port: number;
  probe_type: string;
  /** open | closed | filtered | error, or a probe-specific outcome */
  status: string;
  /** One line a person can read: banner, TLS version, header set. */
  summary: string;
  /** Hex SHA-256 of the evidence object this probe produced, if any. */
  evidence_sha256: string | null;
}

export interface ReportFinding {
  id: string;
  host: string;
  port: number | null;
  rule: string;
  title: string;
  severity: Severity;
  status: 'open' | 'resolved';
  /** Compared with the previous finished scan of the same scope. */
  trend: 'new' | 'recurring' | 'resolved';
  evidence_sha256: string[];
}

export interface ReportEvidence {
  key: string;
  sha256: string;
  /** bytes */
  size: number;
  media_type: string;
}

export interface ReportApproval {
  user_id: string;
  email: string;
  decision: 'approve' | 'reject';
  at: string;
  /** When the approver last passed MFA before deciding (RFC 3339), null if never. */
  mfa_verified_at: string | null;
  comment: string;
}

/** An audit entry with its exact leaf bytes (base64) and its inclusion proof (base64 hashes). */
export interface ReportAuditEntry {
  seq: number;
  leaf: string;
  proof: string[];
}

/**
 * Everything a report is made of, gathered by the server from its tables (an adapter over
 * scans, scopes, approvals, probe results, findings and evidence). Times are RFC 3339.
 */
export interface ReportInput {
  tenant: { id: string; name: string };
  scan: {
    id: string;
    state: string;
    requested_by: string;
    requested_at: string;
    started_at: string | null;
    finished_at: string | null;
    targets: string[];
    ports: number[];
    probe_types: string[];
    rate_pps: number;
    note: string;
  };
  scope: { id: string; version: number; name: string; environment: string; signer_key_id: string; signer: string; payload_sha256: string; expected_policy: Array<{ cidr: string; open_ports: number[] }> };
  approvals: ReportApproval[];
  operators: Array<{ user_id: string; email: string }>;
  worker: { id: string; name: string; version: string; safety_profile_version: string };
  probes: ReportProbe[];
  findings: ReportFinding[];
  evidence: ReportEvidence[];
  audit: { origin: string; log_key: string; checkpoint: string; entries: ReportAuditEntry[] };
}

export type Verdict = 'pass' | 'fail';

export interface ReportPredicate extends ReportInput {
  report_version: 1;
  generated_at: string;
  /** fail when any open finding is critical, high or medium. */
  verdict: Verdict;
  summary: { probes: number; hosts: number; open_ports: number; findings_open: Record<Severity, number>; findings_resolved: number };
  report_key: { key_id: string; public_key_pem: string };
}

export interface InTotoStatement {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: Array<{ name: string; digest: { sha256: string } }>;
  predicateType: typeof REPORT_PREDICATE_TYPE;
  predicate: ReportPredicate;
}

const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The verdict rule: an open critical, high or medium finding fails the scan. */
export function verdictOf(findings: readonly ReportFinding[]): Verdict {
  return findings.some((f) => f.status === 'open' && (f.severity === 'critical' || f.severity === 'high' || f.severity === 'medium')) ? 'fail' : 'pass';
}

/** Fills in the derived parts (verdict, summary, key) of a predicate. `generatedAt` is RFC 3339. */
export function buildPredicate(input: ReportInput, generatedAt: string, reportPublicKeyPem: string): ReportPredicate {
  const open = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let resolved = 0;
  for (const f of input.findings) {
    if (f.status === 'open') open[f.severity]++;
    else resolved++;
  }
  const k = dsse.ed25519PublicKey(reportPublicKeyPem);
  return {
    report_version: 1,
    generated_at: generatedAt,
    verdict: verdictOf(input.findings),
    summary: {
      probes: input.probes.length,
      hosts: new Set(input.probes.map((p) => p.host)).size,
      open_ports: new Set(input.probes.filter((p) => p.status === 'open').map((p) => `${p.host}|${p.port}`)).size,
      findings_open: open,
      findings_resolved: resolved,
    },
    report_key: { key_id: dsse.keyId(k), public_key_pem: k.export({ type: 'spki', format: 'pem' }) as string },
    ...input,
  };
}

/**
 * The evidence bundle: RFC 8785 JSON listing every evidence object by key, SHA-256, size and
 * media type. Each object is fetched separately (signed URL) and checked against this list;
 * the bundle's own SHA-256 is a subject of the statement.
 */
export function evidenceBundle(scanId: string, evidence: readonly ReportEvidence[]): Buffer {
  return Buffer.from(canonicalJson({ scan_id: scanId, objects: [...evidence].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) }), 'utf8');
}

/** The statement binding the PDF and the evidence bundle (their bytes) to the predicate. */
export function buildStatement(predicate: ReportPredicate, pdf: Uint8Array): InTotoStatement {
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [
      { name: REPORT_PDF_NAME, digest: { sha256: sha256hex(pdf) } },
      { name: EVIDENCE_BUNDLE_NAME, digest: { sha256: sha256hex(evidenceBundle(predicate.scan.id, predicate.evidence)) } },
    ],
    predicateType: REPORT_PREDICATE_TYPE,
    predicate,
  };
}

/** Signs the statement (RFC 8785 payload) as a DSSE envelope with an Ed25519 PKCS#8 PEM key. */
export function signReport(statement: InTotoStatement, privateKeyPem: string): dsse.DsseEnvelope {
  return dsse.signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(canonicalJson(statement), 'utf8'), privateKeyPem);
}

/** The fingerprint printed in the PDF: the DSSE key id (hex SHA-256 of the SPKI DER) in groups of four. */
export function fingerprint(keyIdHex: string): string {
  return keyIdHex.match(/.{1,4}/g)!.join(' ');
}

export type VerifyStep = 'envelope' | 'signature' | 'statement' | 'pdf' | 'evidence' | 'checkpoint' | 'inclusion';

export class ReportVerifyError extends Error {
  override name = 'ReportVerifyError';
  constructor(readonly step: VerifyStep, message: string) {
    super(message);
  }
}

export interface ReportVerifyOptions {
  /** The report public key (SPKI PEM) to require; without it the key in the report is used and only integrity is shown. */
  publicKeyPem?: string | undefined;
  /** The PDF bytes to compare with the statement's subject. */
  pdf?: Uint8Array | undefined;
  /** The audit log verifier key to require (C2SP vkey); without it the one in the report is used. */
  logKey?: string | undefined;
}

export interface ReportVerifyResult {
  statement: InTotoStatement;
  keyId: string;
  /** True when the signature was checked against a key the caller supplied. */
  keyPinned: boolean;
  pdfChecked: boolean;
  checkpoint: { origin: string; size: number };
  entries: number;
}

/**
 * Verifies a report envelope offline, in order: envelope shape and payload type, signature,
 * statement shape, PDF hash (when given), evidence bundle hash, checkpoint signature and
 * origin, then every inclusion proof (and that each leaf is an entry about this scan).
 * Throws ReportVerifyError naming the first failure in one sentence.
 */
export function verifyReport(envelope: unknown, o: ReportVerifyOptions = {}): ReportVerifyResult {
  let env;
  try {
    env = dsse.parseEnvelope(envelope);
  } catch (e) {
    throw new ReportVerifyError('envelope', `The report is not a DSSE envelope: ${(e as Error).message}`);
  }
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) throw new ReportVerifyError('envelope', `The envelope's payload type is ${JSON.stringify(env.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}.`);
  let st: InTotoStatement;
  try {
    st = JSON.parse(env.payload.toString('utf8')) as InTotoStatement;
  } catch {
    throw new ReportVerifyError('envelope', 'The envelope payload is not JSON.');
  }
  const embedded = st?.predicate?.report_key?.public_key_pem;
  const keyPem = o.publicKeyPem ?? embedded;
  if (typeof keyPem !== 'string') throw new ReportVerifyError('signature', 'No report key was given and the report names none.');
  let keyId: string;
  try {
    keyId = dsse.verifyEnvelope(envelope, IN_TOTO_PAYLOAD_TYPE, keyPem).keyid;
  } catch (e) {
    if (e instanceof dsse.DsseError && e.code === 'bad_signature') {
      throw new ReportVerifyError('signature', o.publicKeyPem ? 'The envelope signature does not verify with the given report key.' : 'The envelope signature does not verify with the report key it names.');
    }
    throw new ReportVerifyError('signature', `The report key cannot be used: ${(e as Error).message}`);
  }
  if (o.publicKeyPem && embedded && dsse.keyId(createPublicKey(embedded)) !== keyId) throw new ReportVerifyError('signature', 'The report names a different key from the one that signed it.');
  if (canonicalJson(st) !== env.payload.toString('utf8')) throw new ReportVerifyError('statement', 'The signed statement is not in RFC 8785 canonical form.');
  if (st._type !== IN_TOTO_STATEMENT_V1 || st.predicateType !== REPORT_PREDICATE_TYPE || !Array.isArray(st.subject) || typeof st.predicate !== 'object' || st.predicate === null) {
    throw new ReportVerifyError('statement', `The payload is not an in-toto Statement v1 with predicate type ${REPORT_PREDICATE_TYPE}.`);
  }
  const p = st.predicate;
  const subject = (name: string) => st.subject.find((s) => s?.name === name)?.digest?.sha256;
  const pdfDigest = subject(REPORT_PDF_NAME);
  const bundleDigest = subject(EVIDENCE_BUNDLE_NAME);
  if (typeof pdfDigest !== 'string' || typeof bundleDigest !== 'string') throw new ReportVerifyError('statement', 'The statement lacks the PDF or evidence bundle subject.');
  if (o.pdf && sha256hex(o.pdf) !== pdfDigest) throw new ReportVerifyError('pdf', 'The PDF does not match the SHA-256 the signed report names; it was altered or belongs to another report.');
  if (!Array.isArray(p.evidence) || sha256hex(evidenceBundle(p.scan?.id, p.evidence)) !== bundleDigest) throw new ReportVerifyError('evidence', "The evidence list does not match the evidence bundle's signed SHA-256.");

  const a = p.audit;
  if (!a || typeof a.checkpoint !== 'string' || typeof a.log_key !== 'string' || !Array.isArray(a.entries)) throw new ReportVerifyError('checkpoint', 'The report has no audit checkpoint.');
  let size: number;
  let root: Buffer;
  let origin: string;
  try {
    const v = parseVerifierKey(o.logKey ?? a.log_key);
    const note = parseNote(a.checkpoint);
    if (!noteSignedBy(note, v)) throw new NoteError(`The audit checkpoint is not signed by the log key ${v.name}.`);
    const cp = parseCheckpoint(note.text);
    if (cp.origin !== a.origin || cp.origin !== v.name) throw new NoteError(`The audit checkpoint's origin ${cp.origin} is not the log ${a.origin}.`);
    ({ size, root, origin } = cp);
  } catch (e) {
    if (e instanceof NoteError) throw new ReportVerifyError('checkpoint', e.message.endsWith('.') ? e.message : `${e.message}.`);
    throw e;
  }
  if (a.entries.length === 0) throw new ReportVerifyError('inclusion', 'The report proves no audit entries for the scan.');
  for (const e of a.entries) {
    const leaf = Buffer.from(String(e?.leaf), 'base64');
    if (!Number.isSafeInteger(e?.seq) || !Array.isArray(e.proof)) throw new ReportVerifyError('inclusion', 'An audit entry in the report is malformed.');
    const proof = e.proof.map((h) => Buffer.from(String(h), 'base64'));
    if (!verifyInclusion(leafHash(leaf), e.seq - 1, size, proof, root)) throw new ReportVerifyError('inclusion', `The inclusion proof of audit entry ${e.seq} does not lead to the checkpoint's root hash.`);
    let rec;
    try {
      rec = parseLeaf(leaf).record;
    } catch (x) {
      throw new ReportVerifyError('inclusion', `Audit entry ${e.seq} is not a valid entry: ${(x as Error).message}.`);
    }
    if (rec.seq !== e.seq || rec.tenant_id !== p.tenant?.id) throw new ReportVerifyError('inclusion', `Audit entry ${e.seq} belongs to another tenant or position.`);
  }
  return { statement: st, keyId, keyPinned: o.publicKeyPem !== undefined, pdfChecked: o.pdf !== undefined, checkpoint: { origin, size }, entries: a.entries.length };
}
