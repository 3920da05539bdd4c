import { useMemo, useState } from 'react';
import { api, ok, type ResponseBody } from '../api';
import { formatTime, useAsync } from '../useAsync';
import { DataTable } from '../components/DataTable';
import { EmptyState, ErrorState, Loading } from '../components/States';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
type Severity = (typeof SEVERITIES)[number];
const COLOURS: Record<Severity, string> = { critical: '#8e1b1b', high: '#d64545', medium: '#e8833a', low: '#d9b310', info: '#627d98' };

/** One signed report; `findings_open` counts open findings by severity. */
export type ReportRow = ResponseBody<'/api/v1/probe/reports', 'get'>[number];

/** Stacked bars of open findings by severity, one per report, oldest on the left. */
function TrendChart({ rows }: { rows: ReportRow[] }) {
  const data = [...rows].reverse().slice(-24);
  const max = Math.max(1, ...data.map((r) => SEVERITIES.reduce((a, s) => a + (r.findings_open[s] ?? 0), 0)));
  const W = 640;
  const H = 160;
  const bw = Math.min(40, (W - 40) / Math.max(1, data.length) - 6);
  return (
    <figure className="stack">
      <svg role="img" aria-labelledby="trend-title" viewBox={`0 0 ${W} ${H + 24}`} width="100%" style={{ maxWidth: W }}>
        <title id="trend-title">Open findings by severity across {data.length} reports</title>
        <line x1={30} y1={H} x2={W} y2={H} stroke="#cbd2d9" />
        <text x={0} y={12} fontSize={10} fill="#616e7c">{max}</text>
        <text x={0} y={H} fontSize={10} fill="#616e7c">0</text>
        {data.map((r, i) => {
          let y = H;
          const x = 36 + i * (bw + 6);
          return (
            <g key={r.scan_id}>
              {SEVERITIES.map((s) => {
                const h = ((r.findings_open[s] ?? 0) / max) * (H - 8);
                y -= h;
                return h > 0 ? <rect key={s} x={x} y={y} width={bw} height={h} fill={COLOURS[s]}><title>{`${s}: ${r.findings_open[s]}`}</title></rect> : null;
              })}
              <text x={x + bw / 2} y={H + 14} fontSize={9} textAnchor="middle" fill="#616e7c">{new Date(r.created_at).toISOString().slice(5, 10)}</text>
            </g>
          );
        })}
      </svg>
      <figcaption className="small muted">
        {SEVERITIES.map((s) => (
          <span key={s} style={{ marginRight: 12 }}>
            <span aria-hidden="true" style={{ display: 'inline-block', width: 10, height: 10, background: COLOURS[s], marginRight: 4 }} />
            {s}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

/** Probe reports: per-scope list with a findings trend, downloads of the signed JSON and the PDF, and the report key. */
export function ProbeReportsPage() {
  const [scope, setScope] = useState('');
  const [all] = useAsync((signal) => ok(api.GET('/api/v1/probe/reports', { params: { query: { limit: 500 } }, signal })), []);
  const [key] = useAsync((signal) => ok(api.GET('/api/v1/probe/report-key', { signal })), []);
  const scopes = useMemo(() => (all.status === 'ok' ? [...new Set(all.data.map((r) => r.scope_id))].sort() : []), [all]);
  const rows = all.status === 'ok' ? all.data.filter((r) => !scope || r.scope_id === scope) : [];
  const scanParam = new URLSearchParams(location.search).get('scan');

  let body;
  if (all.status === 'loading') body = <Loading label="Loading reports…" />;
  else if (all.status === 'error') body = <ErrorState error={all.error} />;
  else if (all.data.length === 0) body = <EmptyState title="No reports yet.">A signed report is made when a scan finishes.</EmptyState>;
  else
    body = (
      <div className="stack">
        <div className="field">
          <label htmlFor="scope-filter">Scope</label>
          <select id="scope-filter" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="">All scopes</option>
            {scopes.map((s) => (
              <option key={s} value={s}>{s}</option>
            ))}
          </select>
        </div>
        <TrendChart rows={rows} />
        <DataTable<ReportRow>
          caption="Reports"
          filterLabel="Filter reports"
          rows={rows}
          rowKey={(r) => r.scan_id}
          empty={<EmptyState title="No reports for this scope." />}
          initialSort={{ key: 'created', dir: 'desc' }}
          columns={[
            { key: 'created', header: 'Made', className: 'nowrap', sortValue: (r) => r.created_at, render: (r) => formatTime(r.created_at) },
            { key: 'scope', header: 'Scope', sortValue: (r) => r.scope_id, render: (r) => r.scope_id },
            { key: 'scan', header: 'Scan', sortValue: (r) => r.scan_id, render: (r) => <code className={r.scan_id === scanParam ? 'strong' : undefined}>{r.scan_id.slice(0, 8)}</code> },
            { key: 'verdict', header: 'Verdict', sortValue: (r) => r.verdict, render: (r) => (r.verdict === 'pass' ? <span className="badge badge-ok">Pass</span> : <span className="badge badge-bad">Fail</span>) },
            { key: 'open', header: 'Open findings', sortValue: (r) => SEVERITIES.reduce((a, s) => a + (r.findings_open[s] ?? 0), 0), render: (r) => SEVERITIES.filter((s) => r.findings_open[s]).map((s) => `${r.findings_open[s]} ${s}`).join(', ') || 'none' },
            {
              key: 'download',
              header: 'Download',
              className: 'nowrap',
              render: (r) => (
                <span>
                  <a className="btn btn-small" href={`/api/v1/probe/scans/${r.scan_id}/report.pdf`} download aria-label={`PDF report of scan ${r.scan_id.slice(0, 8)}`}>PDF</a>{' '}
                  <a className="btn btn-small" href={`/api/v1/probe/scans/${r.scan_id}/report.json`} download aria-label={`Signed JSON report of scan ${r.scan_id.slice(0, 8)}`}>Signed JSON</a>
                </span>
              ),
            },
          ]}
        />
      </div>
    );

  return (
    <div className="stack-lg">
      <p className="muted page-intro">Every finished scan has a signed report: a PDF for people and a DSSE-signed in-toto statement for machines. Anyone can check both offline with <code>parapet report verify</code>.</p>
      <section aria-labelledby="reports-h" className="stack">
        <h2 id="reports-h">Reports</h2>
        {body}
      </section>
      <section aria-labelledby="key-h" className="card">
        <h2 id="key-h">Report signing key</h2>
        {key.status === 'ok' ? (
          <div className="stack">
            <p>Fingerprint (SHA-256 of the public key): <code>{key.data.fingerprint}</code></p>
            <a className="btn btn-small" href={`data:application/x-pem-file;charset=utf-8,${encodeURIComponent(key.data.public_key_pem)}`} download="report-key.pem">Download public key</a>
            <p className="small muted">Verify: <code>parapet report verify report.json --pdf report.pdf --key report-key.pem</code></p>
          </div>
        ) : key.status === 'error' ? <ErrorState error={key.error} /> : <Loading />}
      </section>
    </div>
  );
}
