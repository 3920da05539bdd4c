/**
 * The report PDF for people (PROBE-REPORT), drawn with pdfkit and its built-in Helvetica, so
 * no font files are needed. Output is byte-identical for the same predicate: the document
 * dates come from `generated_at` and pdfkit derives the file ID from them.
 *
 * Layout (A4 portrait, points): cover with verdict, summary and severity chart; findings
 * table; approvals, operators, scope and worker; per-host probe detail; audit trail;
 * verification instructions with the report key fingerprint. Every page has a footer with the
 * scan id and "page X of Y".
 */
import PDFDocument from 'pdfkit';
import { probeReport, type ReportPredicate, type Severity } from '@parapet/core';

const SEVERITIES = probeReport.SEVERITIES;

const A4 = { w: 595.28, h: 841.89 };
const M = 50;
const CONTENT_W = A4.w - 2 * M;
const BOTTOM = A4.h - M - 24;

const INK = '#1f2933';
const MUTED = '#616e7c';
const RULE = '#cbd2d9';
const BAND = '#f0f4f8';
const ACCENT = '#243b53';
export const SEVERITY_COLOUR: Record<Severity, string> = { critical: '#8e1b1b', high: '#d64545', medium: '#e8833a', low: '#d9b310', info: '#627d98' };
const SEVERITY_LABEL: Record<Severity, string> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', info: 'Info' };

type Doc = PDFKit.PDFDocument;

interface Column {
  title: string;
  width: number;
  align?: 'left' | 'right' | 'center';
  font?: string;
}

/** Formats an RFC 3339 instant as "2026-11-30 02:00 UTC" (reports are read across time zones). */
function utc(iso: string | null): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function heading(doc: Doc, text: string): void {
  if (doc.y > BOTTOM - 80) doc.addPage();
  doc.moveDown(0.6).font('Helvetica-Bold').fontSize(14).fillColor(ACCENT).text(text, M, doc.y);
  const y = doc.y + 2;
  doc.moveTo(M, y).lineTo(M + CONTENT_W, y).lineWidth(0.8).strokeColor(ACCENT).stroke();
  doc.y = y + 8;
  doc.font('Helvetica').fontSize(9.5).fillColor(INK);
}

function para(doc: Doc, text: string, o: { size?: number; colour?: string; font?: string } = {}): void {
  doc.font(o.font ?? 'Helvetica').fontSize(o.size ?? 9.5).fillColor(o.colour ?? INK).text(text, M, doc.y, { width: CONTENT_W });
}

/** Label/value pairs in two columns. */
function facts(doc: Doc, rows: Array<[string, string]>): void {
  for (const [k, v] of rows) {
    // Keep label and value on one page (pdfkit would move only the value).
    doc.font('Helvetica').fontSize(9.5);
    if (doc.y + doc.heightOfString(v, { width: CONTENT_W - 135 }) + 4 > BOTTOM) doc.addPage();
    const y = doc.y;
    doc.font('Helvetica-Bold').fontSize(9).fillColor(MUTED).text(k, M, y, { width: 130 });
    doc.font('Helvetica').fontSize(9.5).fillColor(INK).text(v, M + 135, y, { width: CONTENT_W - 135 });
    doc.y = Math.max(doc.y, y + 12) + 3;
  }
}

/**
 * A table that breaks across pages and repeats its header. `cell` may return a severity to
 * draw as a coloured chip instead of text.
 */
function table(doc: Doc, cols: Column[], rows: string[][], o: { chipColumn?: number } = {}): void {
  const pad = 4;
  const header = () => {
    // A header never sits alone at the foot of a page.
    if (doc.y + 16 + 20 > BOTTOM) doc.addPage();
    const y = doc.y;
    doc.rect(M, y, CONTENT_W, 16).fill(ACCENT);
    let x = M;
    for (const c of cols) {
      doc.font('Helvetica-Bold').fontSize(8.5).fillColor('#ffffff').text(c.title, x + pad, y + 4.5, { width: c.width - 2 * pad, align: c.align ?? 'left', lineBreak: false });
      x += c.width;
    }
    doc.y = y + 16;
  };
  header();
  rows.forEach((r, i) => {
    doc.font('Helvetica').fontSize(8.5);
    const h = Math.max(15, ...r.map((v, j) => doc.font(cols[j]!.font ?? 'Helvetica').heightOfString(v, { width: cols[j]!.width - 2 * pad }) + 6));
    if (doc.y + h > BOTTOM) {
      doc.addPage();
      header();
    }
    const y = doc.y;
    if (i % 2 === 1) doc.rect(M, y, CONTENT_W, h).fill(BAND);
    let x = M;
    r.forEach((v, j) => {
      const c = cols[j]!;
      if (j === o.chipColumn && v in SEVERITY_COLOUR) {
        doc.roundedRect(x + pad, y + 3, c.width - 2 * pad, 10, 2).fill(SEVERITY_COLOUR[v as Severity]);
        doc.font('Helvetica-Bold').fontSize(7.5).fillColor('#ffffff').text(SEVERITY_LABEL[v as Severity].toUpperCase(), x + pad, y + 5, { width: c.width - 2 * pad, align: 'center', lineBreak: false });
      } else {
        doc.font(c.font ?? 'Helvetica').fontSize(8.5).fillColor(INK).text(v, x + pad, y + 3.5, { width: c.width - 2 * pad, align: c.align ?? 'left' });
      }
      x += c.width;
    });
    doc.moveTo(M, y + h).lineTo(M + CONTENT_W, y + h).lineWidth(0.4).strokeColor(RULE).stroke();
    doc.y = y + h;
  });
  doc.y += 6;
}

/** Horizontal bars, one per severity, scaled to the largest count. */
function severityChart(doc: Doc, counts: Record<Severity, number>, x0: number, y0: number, w: number): number {
  const max = Math.max(1, ...SEVERITIES.map((s) => counts[s]));
  const labelW = 60;
  const barW = w - labelW - 30;
  let y = y0;
  for (const s of SEVERITIES) {
    doc.font('Helvetica').fontSize(9).fillColor(INK).text(SEVERITY_LABEL[s], x0, y + 2, { width: labelW, lineBreak: false });
    doc.rect(x0 + labelW, y, barW, 12).fill(BAND);
    const len = (counts[s] / max) * barW;
    if (len > 0) doc.rect(x0 + labelW, y, len, 12).fill(SEVERITY_COLOUR[s]);
    doc.font('Helvetica-Bold').fontSize(9).fillColor(INK).text(String(counts[s]), x0 + labelW + barW + 6, y + 2, { width: 24, lineBreak: false });
    y += 18;
  }
  return y;
}

function cover(doc: Doc, p: ReportPredicate): void {
  doc.rect(0, 0, A4.w, 120).fill(ACCENT);
  doc.font('Helvetica').fontSize(10).fillColor('#bcccdc').text('PARAPET PROBE  ·  AUTHORISED PERIMETER VALIDATION', M, 38, { characterSpacing: 1 });
  doc.font('Helvetica-Bold').fontSize(24).fillColor('#ffffff').text('Perimeter Validation Report', M, 56);
  doc.font('Helvetica').fontSize(11).fillColor('#d9e2ec').text(`${p.tenant.name}  ·  ${p.scope.name}`, M, 88);
  doc.y = 145;
  const fail = p.verdict === 'fail';
  const open = p.summary.findings_open;
  const blocking = open.critical + open.high + open.medium;
  const boxY = doc.y;
  doc.rect(M, boxY, CONTENT_W, 70).fill(fail ? '#fde8e8' : '#e3f9e5');
  doc.rect(M, boxY, 6, 70).fill(fail ? '#ab091e' : '#0e7c3a');
  doc.font('Helvetica-Bold').fontSize(10).fillColor(MUTED).text('VERDICT', M + 20, boxY + 12);
  doc.font('Helvetica-Bold').fontSize(26).fillColor(fail ? '#ab091e' : '#0e7c3a').text(fail ? 'FAIL' : 'PASS', M + 20, boxY + 28);
  doc.font('Helvetica').fontSize(10).fillColor(INK).text(
    fail ? `${blocking} open finding${blocking === 1 ? '' : 's'} of medium severity or above. Remediation is required before this perimeter conforms to its expected policy.` : 'No open finding of medium severity or above. The perimeter conforms to the expected policy for the probes run.',
    M + 130, boxY + 18, { width: CONTENT_W - 150 },
  );
  doc.y = boxY + 88;
  facts(doc, [
    ['Organisation', `${p.tenant.name} (${p.tenant.id})`],
    ['Scope', `${p.scope.name} — ${p.scope.id} version ${p.scope.version} (${p.scope.environment})`],
    ['Scan', p.scan.id],
    ['Requested', `${utc(p.scan.requested_at)} by ${p.scan.requested_by}`],
    ['Ran', `${utc(p.scan.started_at)} to ${utc(p.scan.finished_at)}`],
    ['Targets', p.scan.targets.join(', ')],
    ['Approved by', p.approvals.filter((a) => a.decision === 'approve').map((a) => `${a.email} (MFA ${utc(a.mfa_verified_at)})`).join('; ') || 'no approval required (non-production scope)'],
    ['Worker', `${p.worker.name}, safety profile ${p.worker.safety_profile_version}`],
    ['Report generated', utc(p.generated_at)],
  ]);
  const y0 = doc.y + 10;
  doc.font('Helvetica-Bold').fontSize(11).fillColor(ACCENT).text('At a glance', M, y0);
  const stats: Array<[string, number]> = [['Probes run', p.summary.probes], ['Hosts', p.summary.hosts], ['Open ports', p.summary.open_ports], ['Open findings', SEVERITIES.reduce((a, s) => a + open[s], 0)], ['Resolved', p.summary.findings_resolved]];
  const boxW = (CONTENT_W - 4 * 8) / 5;
  stats.forEach(([k, v], i) => {
    const x = M + i * (boxW + 8);
    doc.rect(x, y0 + 18, boxW, 50).fill(BAND);
    doc.font('Helvetica-Bold').fontSize(18).fillColor(INK).text(String(v), x, y0 + 26, { width: boxW, align: 'center' });
    doc.font('Helvetica').fontSize(8.5).fillColor(MUTED).text(k, x, y0 + 50, { width: boxW, align: 'center' });
  });
  const cy = y0 + 90;
  doc.font('Helvetica-Bold').fontSize(11).fillColor(ACCENT).text('Open findings by severity', M, cy);
  const end = severityChart(doc, open, M, cy + 20, CONTENT_W * 0.62);
  doc.font('Helvetica').fontSize(8.5).fillColor(MUTED).text(
    'Verdict rule: any open finding of critical, high or medium severity fails the scan. Low and informational findings are reported but do not fail it.',
    M + CONTENT_W * 0.66, cy + 22, { width: CONTENT_W * 0.34 },
  );
  doc.y = end + 16;
  doc.rect(M, doc.y, CONTENT_W, 44).lineWidth(0.6).strokeColor(RULE).stroke();
  const ky = doc.y;
  doc.font('Helvetica-Bold').fontSize(9).fillColor(MUTED).text('REPORT SIGNING KEY (Ed25519, SHA-256 of SubjectPublicKeyInfo)', M + 10, ky + 8);
  doc.font('Courier-Bold').fontSize(9.5).fillColor(INK).text(probeReport.fingerprint(p.report_key.key_id), M + 10, ky + 24);
  doc.y = ky + 56;
}

/** Renders the predicate to PDF bytes. Deterministic for equal input. */
export function renderReportPdf(p: ReportPredicate): Promise<Buffer> {
  const when = new Date(p.generated_at);
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: M, bottom: M, left: M, right: M },
    bufferPages: true,
    info: { Title: `Perimeter validation report — ${p.scope.name} — scan ${p.scan.id}`, Author: 'Parapet Probe', Subject: `Scan ${p.scan.id}, verdict ${p.verdict}`, Creator: 'Parapet', Producer: 'Parapet (pdfkit)', CreationDate: when, ModDate: when },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  cover(doc, p);

  doc.addPage();
  heading(doc, 'Findings');
  const order = (s: Severity) => SEVERITIES.indexOf(s);
  const findings = [...p.findings].sort((a, b) => (a.status === b.status ? 0 : a.status === 'open' ? -1 : 1) || order(a.severity) - order(b.severity) || a.host.localeCompare(b.host, 'en', { numeric: true }));
  if (findings.length === 0) para(doc, 'No findings.');
  else
    table(
      doc,
      [{ title: 'Severity', width: 62 }, { title: 'Host', width: 78 }, { title: 'Port', width: 38, align: 'right' }, { title: 'Finding', width: 187 }, { title: 'Status', width: 60 }, { title: 'Trend', width: CONTENT_W - 425 }],
      findings.map((f) => [f.severity, f.host, f.port === null ? '-' : String(f.port), `${f.title}\n${f.rule}`, f.status, f.trend]),
      { chipColumn: 0 },
    );
  para(doc, 'Trend compares with the previous finished scan of the same scope: new (not seen before), recurring (seen before and still open), resolved (seen before, not found now).', { size: 8, colour: MUTED });

  heading(doc, 'Authorisation');
  facts(doc, [
    ['Scope document', `${p.scope.id} v${p.scope.version}, payload SHA-256 ${p.scope.payload_sha256.slice(0, 16)}…`],
    ['Scope signed by', `${p.scope.signer} (key ${p.scope.signer_key_id.slice(0, 16)}…)`],
    ['Environment', p.scope.environment === 'production' ? 'production (two approvals with fresh MFA required)' : p.scope.environment],
    ['Ports / probe types', `${p.scan.ports.join(', ')} / ${p.scan.probe_types.join(', ')}`],
    ['Rate limit', `${p.scan.rate_pps} packets per second`],
    ['Note', p.scan.note || '-'],
  ]);
  doc.moveDown(0.3);
  if (p.approvals.length === 0) para(doc, 'No approvals were required for this non-production scope.');
  else
    table(
      doc,
      [{ title: 'Approver', width: 130 }, { title: 'Decision', width: 60 }, { title: 'Decided', width: 100 }, { title: 'MFA verified', width: 100 }, { title: 'Comment', width: CONTENT_W - 390 }],
      p.approvals.map((a) => [a.email, a.decision, utc(a.at), utc(a.mfa_verified_at), a.comment || '-']),
    );
  facts(doc, [
    ['Operators', p.operators.map((o) => o.email).join(', ') || '-'],
    ['Worker', `${p.worker.name} (${p.worker.id}), version ${p.worker.version}`],
    ['Safety profile', p.worker.safety_profile_version],
  ]);
  if (p.scope.expected_policy.length) {
    doc.moveDown(0.3);
    table(doc, [{ title: 'Expected policy: network', width: 200 }, { title: 'Ports expected open', width: CONTENT_W - 200 }], p.scope.expected_policy.map((e) => [e.cidr, e.open_ports.join(', ') || 'none']));
  }

  heading(doc, 'Per-host detail');
  const hosts = [...new Set(p.probes.map((x) => x.host))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const h of hosts) {
    if (doc.y > BOTTOM - 60) doc.addPage();
    const hf = p.findings.filter((f) => f.host === h && f.status === 'open');
    doc.font('Helvetica-Bold').fontSize(10.5).fillColor(INK).text(h, M, doc.y, { continued: true }).font('Helvetica').fontSize(9).fillColor(MUTED).text(`   ${hf.length} open finding${hf.length === 1 ? '' : 's'}${hf.length ? ' (' + SEVERITIES.filter((sv) => hf.some((f) => f.severity === sv)).map((sv) => `${hf.filter((f) => f.severity === sv).length} ${sv}`).join(', ') + ')' : ''}`);
    doc.moveDown(0.2);
    const probes = p.probes.filter((x) => x.host === h).sort((a, b) => a.port - b.port || a.probe_type.localeCompare(b.probe_type));
    table(
      doc,
      [{ title: 'Port', width: 40, align: 'right' }, { title: 'Probe', width: 78 }, { title: 'Result', width: 52 }, { title: 'Observation', width: 215 }, { title: 'Evidence SHA-256', width: CONTENT_W - 385, font: 'Courier' }],
      probes.map((x) => [String(x.port), x.probe_type, x.status, x.summary || '-', x.evidence_sha256 ? x.evidence_sha256.slice(0, 16) + '…' : '-']),
    );
  }

  heading(doc, 'Audit trail');
  para(doc, `Every step of this scan is recorded in the organisation's hash-chained audit log. The signed checkpoint below covers the log up to entry ${/\n(\d+)\n/.exec(p.audit.checkpoint)?.[1] ?? '?'}; the JSON report carries an RFC 9162 inclusion proof for each entry listed.`);
  doc.moveDown(0.4);
  table(
    doc,
    [{ title: 'Entry', width: 50, align: 'right' }, { title: 'Time', width: 110 }, { title: 'Action', width: 140 }, { title: 'Actor', width: CONTENT_W - 300 }],
    p.audit.entries.map((e) => {
      let r: { at?: string; action?: string; actor?: { id?: string; name?: string | null } } = {};
      try {
        r = JSON.parse(Buffer.from(e.leaf, 'base64').toString('utf8')) as typeof r;
      } catch {
        /* shown as '-' */
      }
      return [String(e.seq), utc(r.at ?? null), r.action ?? '-', r.actor?.name ?? r.actor?.id ?? '-'];
    }),
  );
  doc.font('Courier').fontSize(7.5).fillColor(INK).text(p.audit.checkpoint.trimEnd(), M, doc.y, { width: CONTENT_W });

  doc.addPage();
  heading(doc, 'How to verify this report');
  para(doc, 'This PDF is one of two files. The other, the JSON report, is a DSSE envelope holding an in-toto Statement v1 whose subjects are the SHA-256 of this PDF and of the evidence bundle. It is signed with the organisation\'s Ed25519 report key. Anyone can check it offline:');
  doc.moveDown(0.5);
  const cmd = `parapet report verify report-${p.scan.id.slice(0, 8)}.json \\\n    --pdf report-${p.scan.id.slice(0, 8)}.pdf --key report-key.pem`;
  const cy = doc.y;
  doc.font('Courier').fontSize(9);
  const ch = doc.heightOfString(cmd, { width: CONTENT_W - 20 }) + 16;
  doc.rect(M, cy, CONTENT_W, ch).fill(BAND);
  doc.font('Courier').fontSize(9).fillColor(INK).text(cmd, M + 10, cy + 8, { width: CONTENT_W - 20 });
  doc.y = cy + ch + 10;
  para(doc, 'The command checks, in order: the envelope signature against the key; that this PDF\'s SHA-256 is the one signed; the evidence bundle digest; the audit checkpoint\'s signature by the audit log key; and the inclusion proof of every audit entry of the scan. It prints nothing but a confirmation when all hold, or one sentence naming the first check that failed.');
  doc.moveDown(0.5);
  para(doc, 'Obtain the report key from the organisation (GET /api/v1/probe/report-key, or the console) through a channel you trust, and compare its fingerprint with:');
  doc.moveDown(0.4);
  doc.font('Courier-Bold').fontSize(9.5).fillColor(INK).text(probeReport.fingerprint(p.report_key.key_id), M + 10, doc.y);
  doc.moveDown(0.6);
  para(doc, 'Without the parapet tool: the envelope follows DSSE v1 (payload type application/vnd.in-toto+json); the signature is Ed25519 over "DSSEv1 <len(type)> <type> <len(payload)> <payload>". The predicate type is ' + probeReport.REPORT_PREDICATE_TYPE + '. The audit checkpoint is a C2SP signed note; proofs follow RFC 9162 section 2.1.3.');
  doc.moveDown(0.4);
  facts(doc, [
    ['Audit log', p.audit.origin],
    ['Audit log key', p.audit.log_key],
    ['Evidence objects', `${p.evidence.length}, listed by SHA-256 in the evidence bundle`],
  ]);

  // Footers last, on every buffered page.
  const range = doc.bufferedPageRange();
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    // The footer sits inside the bottom margin; without this pdfkit would start a new page.
    doc.page.margins.bottom = 0;
    const y = A4.h - M + 8;
    doc.moveTo(M, y - 6).lineTo(M + CONTENT_W, y - 6).lineWidth(0.4).strokeColor(RULE).stroke();
    doc.font('Helvetica').fontSize(7.5).fillColor(MUTED);
    doc.text(`Parapet Probe · ${p.scope.id} v${p.scope.version} · scan ${p.scan.id}`, M, y, { width: CONTENT_W * 0.8, lineBreak: false, height: 10 });
    doc.text(`Page ${i + 1} of ${range.count}`, M + CONTENT_W * 0.8, y, { width: CONTENT_W * 0.2, align: 'right', lineBreak: false, height: 10 });
  }
  doc.end();
  return done;
}
