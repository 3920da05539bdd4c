import { useState, type FormEvent } from 'react';
import { api, describe, ok, type ResponseBody } from '../api';
import { hasRole, useSession } from '../session';
import { formatTime, useAsync } from '../useAsync';
import { DataTable } from '../components/DataTable';
import { ConfirmDialog } from '../components/Dialog';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';

type Grant = ResponseBody<'/api/v1/support/grants', 'get'>['grants'][number];

/**
 * Support access (CORE-SUPPORT): admins open a time-boxed grant for vendor support (step-up),
 * see who from support is signed in under it, and revoke it (their sessions end at once).
 */
export function SupportAccessPage() {
  const { session } = useSession();
  const canManage = hasRole(session, 'admin');
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/support/grants', { signal })), []);
  const [reason, setReason] = useState('');
  const [ticket, setTicket] = useState('');
  const [hours, setHours] = useState(4);
  const [scope, setScope] = useState<'read_only' | 'read_write'>('read_only');
  const [msg, setMsg] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [revoking, setRevoking] = useState<Grant | null>(null);

  async function create(e: FormEvent) {
    e.preventDefault();
    setMsg(null);
    try {
      const g = await ok(api.POST('/api/v1/support/grants', { body: { reason, ticket, hours, scope } }));
      setMsg({ kind: 'success', text: `Grant opened for ticket ${g.ticket} until ${formatTime(g.expires_at)}. Give support the grant id ${g.id}.` });
      setReason('');
      setTicket('');
      reload();
    } catch (err) {
      setMsg({ kind: 'error', text: describe(err) });
    }
  }
  async function revoke(g: Grant) {
    await ok(api.POST('/api/v1/support/grants/{id}/revoke', { params: { path: { id: g.id } } }));
    setMsg({ kind: 'success', text: `Grant for ticket ${g.ticket} revoked; its support sessions have ended.` });
    reload();
  }

  let list;
  if (state.status === 'loading') list = <Loading label="Loading support grants…" />;
  else if (state.status === 'error') list = <ErrorState error={state.error} onRetry={reload} />;
  else
    list = (
      <DataTable<Grant>
        caption="Support grants"
        filterLabel="Filter grants"
        rows={state.data.grants}
        rowKey={(g) => g.id}
        empty={<EmptyState title="No support grants.">Vendor support has no access to this organisation.</EmptyState>}
        columns={[
          { key: 'ticket', header: 'Ticket', sortValue: (g) => g.ticket, render: (g) => <span><strong>{g.ticket}</strong><br /><span className="muted small">{g.reason}</span></span> },
          { key: 'scope', header: 'Scope', render: (g) => (g.scope === 'read_write' ? 'Read and write' : 'Read only') },
          { key: 'status', header: 'Status', sortValue: (g) => g.status, render: (g) => (g.status === 'open' ? <span className="badge badge-warn">Open</span> : g.status === 'revoked' ? <span className="badge">Revoked</span> : <span className="badge">Expired</span>) },
          { key: 'expires', header: 'Ends', className: 'nowrap', sortValue: (g) => g.expires_at, render: (g) => formatTime(g.expires_at) },
          { key: 'sessions', header: 'Signed in now', render: (g) => (g.sessions.length ? g.sessions.map((x) => `${x.staff_email} (since ${formatTime(x.created_at)})`).join(', ') : <span className="muted">nobody</span>) },
          { key: 'id', header: 'Grant id', render: (g) => <code className="small">{g.id}</code> },
          ...(canManage
            ? [{ key: 'actions', header: 'Actions', className: 'nowrap', render: (g: Grant) => (g.status === 'open' ? <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(g)} aria-label={`Revoke grant ${g.ticket}`}>Revoke…</button> : null) }]
            : []),
        ]}
      />
    );

  return (
    <div className="stack-lg">
      <p className="muted page-intro">Vendor support has no standing access. A grant lets support staff, signed in with a security key, into this organisation only, until it ends or you revoke it. Every request they make is in your audit log with the grant id.</p>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      {canManage ? (
        <section className="card" aria-labelledby="grant-h">
          <h2 id="grant-h">Open a support grant</h2>
          <form onSubmit={(e) => void create(e)} className="stack">
            <div className="field">
              <label htmlFor="sg-ticket">Ticket reference</label>
              <input id="sg-ticket" required maxLength={200} value={ticket} onChange={(e) => setTicket(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="sg-reason">Reason</label>
              <input id="sg-reason" required maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="sg-hours">Duration (hours{state.status === 'ok' ? `, at most ${state.data.max_hours}` : ''})</label>
              <input id="sg-hours" type="number" min={1} required value={hours} onChange={(e) => setHours(Number(e.target.value))} />
            </div>
            <div className="field">
              <label htmlFor="sg-scope">Scope</label>
              <select id="sg-scope" value={scope} onChange={(e) => setScope(e.target.value as 'read_only' | 'read_write')}>
                <option value="read_only">Read only</option>
                <option value="read_write">Read and write</option>
              </select>
            </div>
            <div>
              <button type="submit" className="btn btn-primary">Open grant</button>
            </div>
          </form>
        </section>
      ) : null}
      <section aria-labelledby="grants-h" className="stack">
        <h2 id="grants-h">Grants</h2>
        {list}
      </section>
      {revoking ? (
        <ConfirmDialog title={`Revoke the grant for ${revoking.ticket}`} confirmLabel="Revoke now" busyLabel="Revoking…" onConfirm={() => revoke(revoking)} onClose={() => setRevoking(null)}>
          Support sessions under this grant end at once. The grant cannot be reopened; open a new one if needed.
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
