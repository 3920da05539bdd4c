/**
 * Probe area: scopes (signers, versions, expected policy), scans with approvals, open findings
 * (ProbePage), and one scan live (ProbeScanPage): every probe result as it commits, through
 * the server-sent events of /api/v1/probe/scans/:id/events, a progress bar with rate and ETA,
 * and the scan's findings with first/last seen.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, ok, type ResponseBody } from '../api';
import { useAsync, formatTime } from '../useAsync';
import { DataTable } from '../components/DataTable';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { Link } from '../components/Link';
import { usePath } from '../router';
import { Notice } from '../components/States';
import { ProbeSetup, ScanDecision } from './ProbeSetup';

// Scopes, scans and findings are the API's own answer types; scan results arrive as server-sent
// events, whose shape is kept here.
type Scope = ResponseBody<'/api/v1/probe/scopes', 'get'>[number];
type Scan = ResponseBody<'/api/v1/probe/scans/{id}', 'get'>;
interface Result { id: string; address: string; port: number; probe_type: string; outcome: string; reason: string; started_at: string; duration_ms: number; received_at: string; evidence_sha256: string | null }
type Finding = ResponseBody<'/api/v1/probe/findings', 'get'>[number];

const SEVERITY_ORDER: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

function FindingsTable({ findings, caption }: { findings: Finding[]; caption: string }) {
  return (
    <DataTable<Finding>
      caption={caption}
      filterLabel="Filter findings"
      rows={findings}
      rowKey={(f) => f.id}
      initialSort={{ key: 'severity', dir: 'asc' }}
      empty={<EmptyState title="No findings.">Nothing observed differs from the scope's expected policy.</EmptyState>}
      columns={[
        { key: 'severity', header: 'Severity', sortValue: (f) => SEVERITY_ORDER[f.severity] ?? 9, filterValue: (f) => f.severity, render: (f) => <span className={`badge sev-${f.severity}`}>{f.severity}</span> },
        { key: 'target', header: 'Target', sortValue: (f) => `${f.address}:${String(f.port).padStart(5, '0')}`, render: (f) => <code>{f.address}:{f.port}</code> },
        { key: 'title', header: 'Finding', sortValue: (f) => f.title, render: (f) => <span data-kind={f.kind}>{f.title}</span> },
        { key: 'status', header: 'Status', sortValue: (f) => f.status, render: (f) => <span className={f.status === 'open' ? 'badge' : 'badge badge-ok'}>{f.status}</span> },
        { key: 'first', header: 'First seen', sortValue: (f) => f.first_seen_at, filterValue: () => '', render: (f) => formatTime(f.first_seen_at) },
        { key: 'last', header: 'Last seen', sortValue: (f) => f.last_seen_at, filterValue: () => '', render: (f) => `${formatTime(f.last_seen_at)} (${f.times_seen}×)` },
      ]}
    />
  );
}

export function ProbePage() {
  const [decided, setDecided] = useState<string | null>(null);
  const [state, reload] = useAsync(async (signal) => {
    const [scopes, scans, findings] = await Promise.all([
      ok(api.GET('/api/v1/probe/scopes', { signal })),
      ok(api.GET('/api/v1/probe/scans', { signal })),
      ok(api.GET('/api/v1/probe/findings', { params: { query: { status: 'open' } }, signal })),
    ]);
    return { scopes, scans, findings };
  }, []);
  // A reload after a form keeps the page (and the form's message) on screen with the last data.
  const last = useRef<{ scopes: Scope[]; scans: Scan[]; findings: Finding[] } | null>(null);
  if (state.status === 'ok') last.current = state.data;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} />;
  if (!last.current) return <Loading label="Loading Probe…" />;
  const { scopes, scans, findings } = last.current;
  return (
    <div className="stack">
      <p className="muted page-intro">Authorised perimeter validation: signed scopes, approved scans and what they found.</p>
      <ProbeSetup scopes={scopes} onChange={reload} />
      {decided ? <Notice kind="info">{decided}</Notice> : null}
      <DataTable<Scan>
        caption="Scans"
        filterLabel="Filter scans"
        rows={scans}
        rowKey={(s) => s.id}
        initialSort={{ key: 'created', dir: 'desc' }}
        empty={<EmptyState title="No scans yet.">Request one above or with <code>parapet scan request</code>.</EmptyState>}
        columns={[
          { key: 'scan', header: 'Scan', sortValue: (s) => s.id, render: (s) => <Link href={`/probe/scans/${s.id}`}>{s.id.slice(0, 8)}</Link> },
          { key: 'state', header: 'State', sortValue: (s) => s.state, render: (s) => <span className="badge">{s.state}</span> },
          { key: 'scope', header: 'Scope', sortValue: (s) => `${s.scope.scope_id} v${s.scope.version}`, render: (s) => `${s.scope.scope_id} v${s.scope.version} (${s.scope.environment})` },
          { key: 'targets', header: 'Targets', sortValue: (s) => s.targets.join(','), render: (s) => s.targets.join(', ') },
          { key: 'approvals', header: 'Approvals', sortValue: (s) => s.approvals.length, render: (s) => (s.approvals_required ? `${s.approvals.filter((a) => a.decision === 'approve').length}/${s.approvals_required} ${s.approvals.map((a) => a.email).join(', ')}` : 'not needed') },
          { key: 'created', header: 'Requested', sortValue: (s) => s.created_at, filterValue: () => '', render: (s) => formatTime(s.created_at) },
          { key: 'decide', header: 'Decision', sortValue: (s) => s.state, filterValue: () => '', render: (s) => <ScanDecision scan={s} onDecided={(t) => { setDecided(t); reload(); }} /> },
        ]}
      />
      <FindingsTable caption="Open findings" findings={findings} />
      <DataTable<Scope>
        caption="Scopes"
        filterLabel="Filter scopes"
        rows={scopes}
        rowKey={(s) => s.id}
        initialSort={{ key: 'scope', dir: 'asc' }}
        empty={<EmptyState title="No scopes yet.">A security lead signs one with <code>parapet scope sign</code> and uploads it above.</EmptyState>}
        columns={[
          { key: 'scope', header: 'Scope', sortValue: (s) => `${s.scope_id} ${String(s.version).padStart(6, '0')}`, render: (s) => <span className="strong">{s.scope_id} v{s.version}</span> },
          { key: 'env', header: 'Environment', sortValue: (s) => s.environment, render: (s) => s.environment },
          { key: 'include', header: 'Include / exclude', sortValue: (s) => s.document.include.join(','), render: (s) => `${s.document.include.join(', ')}${s.document.exclude.length ? ` minus ${s.document.exclude.join(', ')}` : ''}` },
          { key: 'expected', header: 'Expected open', sortValue: (s) => s.document.expected_policy.length, render: (s) => s.document.expected_policy.map((e) => `${e.cidr}: ${e.open_ports.join(',')}`).join('; ') || '—' },
          { key: 'valid', header: 'Valid until', sortValue: (s) => s.valid_until, filterValue: () => '', render: (s) => (s.revoked_at ? 'revoked' : formatTime(s.valid_until)) },
        ]}
      />
    </div>
  );
}

export function ProbeScanPage({ id }: { id: string }) {
  const [scan, setScan] = useState<Scan | null>(null);
  const [results, setResults] = useState<Result[]>([]);
  const [planned, setPlanned] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [findings, setFindings] = useState<Finding[] | null>(null);
  const [live, setLive] = useState(false);

  useEffect(() => {
    const es = new EventSource(`/api/v1/probe/scans/${encodeURIComponent(id)}/events`);
    const add = (rs: Result[]) => setResults((prev) => {
      const have = new Set(prev.map((r) => r.id));
      return [...prev, ...rs.filter((r) => !have.has(r.id))];
    });
    es.addEventListener('open', () => setLive(true));
    es.addEventListener('snapshot', (e) => {
      const d = JSON.parse((e as MessageEvent).data) as { scan: Scan; results: Result[]; progress: { planned: number } };
      setScan(d.scan);
      add(d.results);
      setPlanned(d.progress.planned);
    });
    es.addEventListener('results', (e) => add((JSON.parse((e as MessageEvent).data) as { results: Result[] }).results));
    es.addEventListener('state', (e) => {
      const d = JSON.parse((e as MessageEvent).data) as { state: Scan['state']; planned_probes?: number };
      setScan((s) => (s ? { ...s, state: d.state } : s));
      if (d.planned_probes !== undefined) setPlanned(d.planned_probes);
    });
    es.addEventListener('error', () => {
      setLive(false);
      if (es.readyState === EventSource.CLOSED) setError(new Error('The live connection to this scan was closed.'));
    });
    return () => es.close();
  }, [id]);

  const state = scan?.state;
  // A state change may mean a new lease: reload the scan for its workers and their safety profiles.
  useEffect(() => {
    if (state && state !== 'requested' && state !== 'approved' && state !== 'queued') void ok(api.GET('/api/v1/probe/scans/{id}', { params: { path: { id } } })).then((s) => setScan((prev) => (prev ? { ...prev, leases: s.leases } : s)), () => undefined);
  }, [state, id]);
  useEffect(() => {
    if (state === 'finished' || state === 'failed') void ok(api.GET('/api/v1/probe/findings', { params: { query: { scan_id: id } } })).then(setFindings, setError);
  }, [state, id]);

  const stats = useMemo(() => {
    const done = results.length;
    const times = results.map((r) => Date.parse(r.received_at));
    const elapsed = times.length > 1 ? (Math.max(...times) - Math.min(...results.map((r) => Date.parse(r.started_at)))) / 1000 : 0;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const total = Math.max(planned, done);
    const eta = rate > 0 && total > done ? Math.ceil((total - done) / rate) : null;
    return { done, total, rate, eta };
  }, [results, planned]);

  if (error && !scan) return <ErrorState error={error} onRetry={() => location.reload()} />;
  if (!scan) return <Loading label="Connecting to the scan…" />;
  return (
    <div className="stack">
      <p className="muted page-intro">
        <Link href="/probe">Probe</Link> · scan <code>{scan.id}</code> of {scan.scope.scope_id} v{scan.scope.version} · targets {scan.targets.join(', ')} · ports {scan.ports.join(', ')} · {scan.rate_pps}/s
      </p>
      <p>
        State: <span className="badge" data-testid="scan-state">{scan.state}</span> {live ? <span className="muted">live</span> : null}
      </p>
      {scan.leases?.length ? (
        <p className="muted" data-testid="scan-workers">
          Workers:{' '}
          {scan.leases.map((l, i) => (
            <span key={`${l.device_id}-${l.leased_at}`}>
              {i ? '; ' : ''}<code>{l.device_id.slice(0, 8)}</code> from {formatTime(l.leased_at)} under safety profile {l.safety_profile_version === null ? 'not reported' : `v${l.safety_profile_version}`}{l.end_reason ? ` (${l.end_reason})` : ''}
            </span>
          ))}
        </p>
      ) : null}
      {scan.state === 'finished' || scan.state === 'failed' ? (
        <p data-testid="scan-report">
          Signed report:{' '}
          <a className="btn btn-small" href={`/api/v1/probe/scans/${scan.id}/report.pdf`} download>PDF</a>{' '}
          <a className="btn btn-small" href={`/api/v1/probe/scans/${scan.id}/report.json`} download>Signed JSON</a>{' '}
          <Link href={`/probe/reports?scan=${scan.id}`}>reports of this scope</Link>
        </p>
      ) : null}
      <div>
        <progress max={Math.max(stats.total, 1)} value={stats.done} aria-label="Scan progress" />
        <span data-testid="scan-progress"> {stats.done}/{stats.total || '?'} probes · {stats.rate.toFixed(1)}/s · ETA {stats.eta === null ? '—' : `${stats.eta}s`}</span>
      </div>
      <DataTable<Result>
        caption="Probe results"
        filterLabel="Filter results"
        rows={results}
        rowKey={(r) => r.id}
        initialSort={{ key: 'time', dir: 'asc' }}
        empty={<EmptyState title="No results yet.">Results appear here as the worker reports them.</EmptyState>}
        columns={[
          { key: 'time', header: 'Time', sortValue: (r) => r.received_at, filterValue: () => '', render: (r) => formatTime(r.started_at) },
          { key: 'target', header: 'Target', sortValue: (r) => `${r.address}:${String(r.port).padStart(5, '0')}`, render: (r) => <code>{r.address}:{r.port}</code> },
          { key: 'type', header: 'Probe', sortValue: (r) => r.probe_type },
          { key: 'outcome', header: 'Outcome', sortValue: (r) => r.outcome, render: (r) => <span className="badge" data-outcome={r.outcome}>{r.outcome}</span> },
          { key: 'reason', header: 'Why', sortValue: (r) => r.reason },
          { key: 'duration', header: 'ms', sortValue: (r) => r.duration_ms },
        ]}
      />
      {findings ? <FindingsTable caption="Findings of this scan" findings={findings} /> : null}
    </div>
  );
}

/** /probe/scans/:id */
export function ProbeScanRoute() {
  const id = usePath().split('/').pop() ?? '';
  return <ProbeScanPage key={id} id={id} />;
}
