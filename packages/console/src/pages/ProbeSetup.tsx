/**
 * Probe's first steps in the console, in the order a newcomer takes them: register a
 * scope-signing key (security lead, step-up), upload a scope signed offline with `parapet scope
 * sign` (a starter scope for this organisation is shown to copy), request a scan inside it, and
 * approve or reject scans waiting for approval (lead/admin, MFA verified within 5 minutes; the
 * api module opens the step-up dialog when the server asks for it). The server decides every
 * rule; these forms only send what the person typed and show the problem detail it answers.
 */
import { useId, useMemo, useState, type ChangeEvent, type FormEvent } from 'react';
import { api, describe, ok, type RequestBody, type ResponseBody } from '../api';
import { hasRole, useSession } from '../session';
import { useAsync, formatTime } from '../useAsync';
import { useSubmit } from '../useSubmit';
import { DataTable } from '../components/DataTable';
import { EmptyState, Notice } from '../components/States';

// GET /api/v1/probe/keys and the scope and scan answers are free-form in places, so the shapes
// read here are kept here.
type SigningKey = ResponseBody<'/api/v1/probe/keys', 'get'>[number];
/** The fields of a stored scope this page needs (GET /api/v1/probe/scopes). */
type ProbeType = RequestBody<'/api/v1/probe/scans', 'post'>['probe_types'][number];
export interface ScopeSummary { id: string; scope_id: string; version: number; environment: string; revoked_at: string | null; document: { ports?: Array<number | string>; probe_types?: string[]; max_packets_per_second?: number; include: string[] } }
/** The fields of a scan this page needs (GET /api/v1/probe/scans). */
export interface ScanSummary { id: string; state: string; requested_by: string; approvals: Array<{ user_id?: string; email: string; decision: string }> }

const PROBE_TYPES = ['tcp_connect', 'banner', 'tls', 'http_headers'] as const;

/** A valid starter scope for this organisation: this machine only, 30 days, any time (UTC). */
export function starterScope(tenantId: string, now = new Date()): string {
  const day = (n: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + n)).toISOString().replace('.000', '');
  return JSON.stringify(
    {
      tenant: tenantId,
      id: 'first-scope',
      version: 1,
      name: 'First scope: this machine only',
      environment: 'production',
      include: ['127.0.0.1/32'],
      exclude: [],
      ports: [22, 443, 8443],
      probe_types: ['tcp_connect', 'tls'],
      max_packets_per_second: 50,
      time_windows: { time_zone: 'UTC', allowed: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' }], blackouts: [] },
      valid_from: day(0),
      valid_until: day(30),
      expected_policy: [{ cidr: '127.0.0.1/32', open_ports: [443] }],
    },
    null,
    2,
  );
}

function SigningKeys({ canRegister }: { canRegister: boolean }) {
  const id = useId();
  const [tick, setTick] = useState(0);
  const [state] = useAsync(async (signal) => await ok(api.GET('/api/v1/probe/keys', { signal })), [tick]);
  const [name, setName] = useState('');
  const [pem, setPem] = useState('');
  const { busy, message: msg, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await ok(api.POST('/api/v1/probe/keys', { body: { name: name.trim(), public_key_pem: pem.trim() + '\n' } }));
      setName('');
      setPem('');
      setTick((t) => t + 1);
      return `Registered "${name.trim()}" (key id ${r.key_id.slice(0, 16)}…). Scopes signed with its private key can now be uploaded.`;
    });
  };
  return (
    <section className="card stack" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Scope-signing keys</h2>
      <p className="muted">
        A security lead makes a key pair on their own machine with <code>npx parapet keygen --out lead.key</code> and registers the public half (<code>lead.key.pub</code>) here. The private key never leaves that machine.
      </p>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      {state.status === 'ok' ? (
        <DataTable<SigningKey>
          caption="Registered keys"
          rows={state.data}
          rowKey={(k) => k.id}
          initialSort={{ key: 'added', dir: 'desc' }}
          empty={<EmptyState title="No signing keys yet.">Scopes can be uploaded once a security lead registered a key.</EmptyState>}
          columns={[
            { key: 'name', header: 'Name', sortValue: (k) => k.name },
            { key: 'owner', header: 'Owner', sortValue: (k) => k.owner_email, render: (k) => k.owner_email },
            { key: 'keyid', header: 'Key id', sortValue: (k) => k.key_id, render: (k) => <code>{k.key_id.slice(0, 16)}…</code> },
            { key: 'added', header: 'Added', sortValue: (k) => k.created_at, filterValue: () => '', render: (k) => (k.revoked_at ? `revoked ${formatTime(k.revoked_at)}` : formatTime(k.created_at)) },
          ]}
        />
      ) : null}
      {canRegister ? (
        <form onSubmit={submit} className="stack" aria-label="Register a signing key">
          <div className="field">
            <label htmlFor={`${id}-name`}>Key name</label>
            <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} autoComplete="off" placeholder="Lea's laptop, 2026" />
          </div>
          <div className="field">
            <label htmlFor={`${id}-pem`}>Public key (contents of KEY.pub)</label>
            <textarea id={`${id}-pem`} value={pem} onChange={(e) => setPem(e.target.value)} required rows={4} spellCheck={false} placeholder={'-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----'} />
          </div>
          <div>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Registering…' : 'Register key'}
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}

function ScopeUpload({ onUploaded }: { onUploaded: () => void }) {
  const id = useId();
  const { session } = useSession();
  const template = useMemo(() => starterScope(session.tenant_id), [session.tenant_id]);
  const [text, setText] = useState('');
  const { busy, message: msg, setMessage: setMsg, run } = useSubmit();
  const pick = async (e: ChangeEvent<HTMLInputElement>) => {
    const f = e.target.files?.[0];
    if (f) setText(await f.text());
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMsg(null);
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      setMsg({ kind: 'error', text: 'That is not JSON: paste the whole SCOPE.dsse.json that `parapet scope sign` wrote, or choose the file.' });
      return;
    }
    await run(async () => {
      // The server checks the envelope's shape and signature; a malformed one is its 400.
      const r = await ok(api.POST('/api/v1/probe/scopes', { body: { envelope: envelope as RequestBody<'/api/v1/probe/scopes', 'post'>['envelope'] } }));
      setText('');
      onUploaded();
      return `Scope ${r.scope_id} v${r.version} uploaded; scans can now be requested inside it.`;
    });
  };
  return (
    <section className="card stack" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Upload a signed scope</h2>
      <p className="muted">
        A scope says what may be scanned, when and how fast. Start from this one (this organisation&apos;s id is filled in; it covers only this machine), save it as <code>scope.json</code>, edit it, then sign it where your private key is:{' '}
        <code>npx parapet scope sign scope.json --key lead.key --out scope.dsse.json</code>. A signed scope never changes: to change it, sign a higher <code>version</code>.
      </p>
      <details>
        <summary>Starter scope for this organisation</summary>
        <pre data-testid="scope-template">{template}</pre>
      </details>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      <form onSubmit={submit} className="stack" aria-label="Upload a signed scope">
        <div className="field">
          <label htmlFor={`${id}-file`}>Signed scope file (SCOPE.dsse.json)</label>
          <input id={`${id}-file`} type="file" accept=".json,application/json" onChange={(e) => void pick(e)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-text`}>Or paste it</label>
          <textarea id={`${id}-text`} value={text} onChange={(e) => setText(e.target.value)} rows={3} spellCheck={false} required />
        </div>
        <div>
          <button type="submit" className="btn btn-primary" disabled={busy || !text.trim()}>
            {busy ? 'Uploading…' : 'Upload scope'}
          </button>
        </div>
      </form>
    </section>
  );
}

const words = (s: string) => s.split(/[\s,]+/).filter(Boolean);

function ScanRequest({ scopes, onRequested }: { scopes: ScopeSummary[]; onRequested: () => void }) {
  const id = useId();
  const usable = scopes.filter((s) => !s.revoked_at);
  const [scopeKey, setScopeKey] = useState('');
  const chosen = usable.find((s) => `${s.scope_id}@${s.version}` === scopeKey) ?? usable[0];
  const [targets, setTargets] = useState('');
  const [ports, setPorts] = useState('');
  const [types, setTypes] = useState<string[]>(['tcp_connect']);
  const [rate, setRate] = useState('10');
  const [note, setNote] = useState('');
  const { busy, message: msg, setMessage: setMsg, run } = useSubmit();
  if (!chosen) return null;
  const allowedTypes = PROBE_TYPES.filter((t) => !chosen.document.probe_types || chosen.document.probe_types.includes(t));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMsg(null);
    const portList = words(ports).map(Number);
    if (portList.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
      setMsg({ kind: 'error', text: `Ports are whole numbers from 1 to 65535, separated by spaces or commas; "${ports}" is not. Nothing was requested.` });
      return;
    }
    await run(async () => {
      const r = await ok(api.POST('/api/v1/probe/scans', {
        body: { scope_id: chosen.scope_id, version: chosen.version, targets: words(targets), ports: portList, probe_types: types as ProbeType[], rate_pps: Number(rate), ...(note.trim() ? { note: note.trim() } : {}) },
      }));
      onRequested();
      return r.approvals_required ? `Scan ${r.id.slice(0, 8)} requested; it waits for ${r.approvals_required} approvals by other security leads or admins.` : `Scan ${r.id.slice(0, 8)} requested and queued for a worker.`;
    });
  };
  return (
    <section className="card stack" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Request a scan</h2>
      <p className="muted">Everything must lie inside the scope; the server refuses anything else before a scan exists. Production scopes need two approvals by other people.</p>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      <form onSubmit={submit} className="stack" aria-label="Request a scan">
        <div className="field">
          <label htmlFor={`${id}-scope`}>Scope</label>
          <select id={`${id}-scope`} value={`${chosen.scope_id}@${chosen.version}`} onChange={(e) => setScopeKey(e.target.value)}>
            {usable.map((s) => (
              <option key={s.id} value={`${s.scope_id}@${s.version}`}>
                {s.scope_id} v{s.version} ({s.environment}: {s.document.include.join(', ')})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-targets`}>Targets (addresses, CIDRs or host names)</label>
          <input id={`${id}-targets`} value={targets} onChange={(e) => setTargets(e.target.value)} required autoComplete="off" placeholder={chosen.document.include[0]} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-ports`}>Ports</label>
          <input id={`${id}-ports`} value={ports} onChange={(e) => setPorts(e.target.value)} required autoComplete="off" placeholder={(chosen.document.ports ?? []).join(', ')} />
        </div>
        <fieldset className="field">
          <legend>Probes</legend>
          {allowedTypes.map((t) => (
            <label key={t} className="check-row">
              <input type="checkbox" checked={types.includes(t)} onChange={(e) => setTypes(e.target.checked ? [...types, t] : types.filter((x) => x !== t))} /> {t}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-rate`}>Rate (packets per second, at most {chosen.document.max_packets_per_second ?? '—'})</label>
          <input id={`${id}-rate`} type="number" min={1} value={rate} onChange={(e) => setRate(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor={`${id}-note`}>Note for the approvers</label>
          <input id={`${id}-note`} value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} autoComplete="off" />
        </div>
        <div>
          <button type="submit" className="btn btn-primary" disabled={busy || !types.length}>
            {busy ? 'Requesting…' : 'Request scan'}
          </button>
        </div>
      </form>
    </section>
  );
}

/** Approve / Reject for one scan, when this person may decide it (the server checks again). */
export function ScanDecision({ scan, onDecided }: { scan: ScanSummary; onDecided: (text: string) => void }) {
  const { session } = useSession();
  const { busy, run } = useSubmit();
  if (scan.state !== 'requested' || !hasRole(session, 'security_lead', 'admin')) return null;
  if (scan.requested_by === session.user_id) return <span className="muted small">Yours: others approve</span>;
  const mine = scan.approvals.find((a) => a.user_id === session.user_id || a.email === session.email);
  if (mine) return <span className="muted small">You {mine.decision === 'approve' ? 'approved' : 'rejected'}</span>;
  // The page shows the outcome (onDecided), success or the server's refusal.
  const decide = (word: 'approve' | 'reject') =>
    run(
      async () => {
        const at = { params: { path: { id: scan.id } }, body: {} };
        const r = await ok(word === 'approve' ? api.POST('/api/v1/probe/scans/{id}/approve', at) : api.POST('/api/v1/probe/scans/{id}/reject', at));
        onDecided(`Scan ${scan.id.slice(0, 8)} ${word === 'approve' ? 'approved' : 'rejected'}; it is now ${r.state}.`);
      },
      (err) => onDecided(describe(err)),
    );
  return (
    <span className="row-actions">
      <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={() => void decide('approve')} aria-label={`Approve scan ${scan.id.slice(0, 8)}`}>
        Approve
      </button>{' '}
      <button type="button" className="btn btn-small" disabled={busy} onClick={() => void decide('reject')} aria-label={`Reject scan ${scan.id.slice(0, 8)}`}>
        Reject
      </button>
    </span>
  );
}

/** The setup cards shown above the Probe tables, each only to the roles that can use it. */
export function ProbeSetup({ scopes, onChange }: { scopes: ScopeSummary[]; onChange: () => void }) {
  const { session } = useSession();
  const lead = hasRole(session, 'security_lead');
  const manage = hasRole(session, 'security_lead', 'admin');
  const request = hasRole(session, 'operator', 'security_lead', 'admin');
  return (
    <>
      {manage ? <SigningKeys canRegister={lead} /> : null}
      {manage ? <ScopeUpload onUploaded={onChange} /> : null}
      {request ? <ScanRequest scopes={scopes} onRequested={onChange} /> : null}
    </>
  );
}
