import { useState, type FormEvent } from 'react';
import { api, describe, ok, type RequestBody, type ResponseBody } from '../api';
import { hasRole, useSession } from '../session';
import { formatTime, useAsync } from '../useAsync';
import { DataTable } from '../components/DataTable';
import { OneTimeSecret } from '../components/Dialog';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';

const EVENTS = ['probe.scan.requested', 'probe.scan.approved', 'probe.scan.rejected', 'probe.scan.started', 'probe.scan.progressed', 'probe.scan.finished', 'probe.finding.opened', 'probe.finding.resolved', 'audit.integrity.failed', 'governance.anomaly.detected'];

type Endpoint = ResponseBody<'/api/v1/webhooks/endpoints', 'get'>[number];
type EventType = NonNullable<RequestBody<'/api/v1/webhooks/endpoints', 'post'>['events']>[number];

type Message = ResponseBody<'/api/v1/webhooks/endpoints/{id}/messages', 'get'>[number];

const STATE_BADGE: Record<Message['state'], string> = { pending: 'badge', delivered: 'badge badge-ok', dead: 'badge badge-bad', cancelled: 'badge badge-warn' };

function DeliveryLog({ endpoint, canManage }: { endpoint: Endpoint; canManage: boolean }) {
  const [state, reload] = useAsync(async (signal) => await ok(api.GET('/api/v1/webhooks/endpoints/{id}/messages', { params: { path: { id: endpoint.id }, query: { limit: 100 } }, signal })), [endpoint.id]);
  const [msg, setMsg] = useState<string | null>(null);
  if (state.status === 'loading') return <Loading label="Loading deliveries…" />;
  if (state.status === 'error') return <ErrorState error={state.error} onRetry={reload} />;
  return (
    <div className="stack">
      {msg ? <Notice kind="info">{msg}</Notice> : null}
      <DataTable<Message>
        caption={`Deliveries to ${endpoint.url}`}
        filterLabel="Filter deliveries"
        rows={state.data}
        rowKey={(m) => m.id}
        initialSort={{ key: 'created', dir: 'desc' }}
        empty={<EmptyState title="Nothing sent yet." />}
        columns={[
          { key: 'created', header: 'Queued', className: 'nowrap', sortValue: (m) => m.created_at, render: (m) => formatTime(m.created_at) },
          { key: 'type', header: 'Event', sortValue: (m) => m.event_type, render: (m) => <code>{m.event_type}</code> },
          { key: 'state', header: 'State', sortValue: (m) => m.state, render: (m) => <span className={STATE_BADGE[m.state]}>{m.state}</span> },
          {
            key: 'attempts',
            header: 'Attempts (status, latency, answer)',
            render: (m) => (
              <ol className="small">
                {m.attempts.map((a) => (
                  <li key={a.n}>
                    {formatTime(a.at)}: {a.status ?? a.error_code ?? 'no answer'} in {a.latency_ms} ms{a.response_snippet ? <> — <code>{a.response_snippet.slice(0, 80)}</code></> : null}
                  </li>
                ))}
                {m.next_attempt_at ? <li className="muted">next attempt {formatTime(m.next_attempt_at)}</li> : null}
              </ol>
            ),
          },
          {
            key: 'id',
            header: 'webhook-id',
            render: (m) =>
              canManage && (m.state === 'dead' || m.state === 'cancelled') ? (
                <button type="button" className="btn btn-small" onClick={async () => {
                  try {
                    await ok(api.POST('/api/v1/webhooks/messages/{id}/replay', { params: { path: { id: m.id } }, body: {} }));
                    setMsg(`Message ${m.id} is queued again with the same webhook-id.`);
                    reload();
                  } catch (e) {
                    setMsg(describe(e));
                  }
                }}>Replay {m.id.slice(0, 10)}…</button>
              ) : <code className="small">{m.id}</code>,
          },
        ]}
      />
    </div>
  );
}

/** SIEM webhooks: endpoints, the secret shown once, test events, the delivery log with replay of dead letters, the private-range allow-list. */
export function WebhooksPage() {
  const { session } = useSession();
  const canManage = hasRole(session, 'admin');
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/webhooks/endpoints', { signal })), []);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await ok(api.POST('/api/v1/webhooks/endpoints', { body: { url, events: events as EventType[] } }));
      setCreated({ url: r.url, secret: r.secret });
      setUrl('');
      reload();
    } catch (err) {
      setError(describe(err));
    }
  };
  const act = async (fn: () => Promise<string>) => {
    setNote(null);
    try {
      setNote(await fn());
      reload();
    } catch (err) {
      setNote(describe(err));
    }
  };

  let list;
  if (state.status === 'loading') list = <Loading label="Loading endpoints…" />;
  else if (state.status === 'error') list = <ErrorState error={state.error} onRetry={reload} />;
  else
    list = (
      <DataTable<Endpoint>
        caption="Webhook endpoints"
        filterLabel="Filter endpoints"
        rows={state.data}
        rowKey={(e) => e.id}
        initialSort={{ key: 'url', dir: 'asc' }}
        empty={<EmptyState title="No endpoints yet.">Add your SIEM's HTTPS collector URL above.</EmptyState>}
        columns={[
          { key: 'url', header: 'URL', sortValue: (e) => e.url, render: (e) => <code>{e.url}</code> },
          { key: 'events', header: 'Events', render: (e) => (e.events.length ? e.events.join(', ') : 'all') },
          { key: 'status', header: 'Status', sortValue: (e) => String(e.enabled), render: (e) => (e.enabled ? <span className="badge badge-ok">Enabled</span> : <span className="badge badge-bad" title={e.disabled_reason ?? ''}>Disabled{e.disabled_reason ? `: ${e.disabled_reason}` : ''}</span>) },
          {
            key: 'actions',
            header: 'Actions',
            className: 'nowrap',
            render: (e) => (
              <span>
                <button type="button" className="btn btn-small" onClick={() => setOpen(open === e.id ? null : e.id)} aria-expanded={open === e.id}>Delivery log</button>{' '}
                {canManage ? (
                  <>
                    <button type="button" className="btn btn-small" onClick={() => act(async () => {
                      const r = await ok(api.POST('/api/v1/webhooks/endpoints/{id}/test', { params: { path: { id: e.id } }, body: {} }));
                      return r.delivered ? `Test event delivered: ${r.status} in ${r.latency_ms} ms.` : `Test event not delivered: ${r.status ?? r.error_code}.`;
                    })}>Send test event</button>{' '}
                    {!e.enabled ? <button type="button" className="btn btn-small" onClick={() => act(async () => (await ok(api.PATCH('/api/v1/webhooks/endpoints/{id}', { params: { path: { id: e.id } }, body: { enabled: true } })), 'Endpoint enabled.'))}>Enable</button> : null}{' '}
                    <button type="button" className="btn btn-small btn-danger" onClick={() => act(async () => (await ok(api.DELETE('/api/v1/webhooks/endpoints/{id}', { params: { path: { id: e.id } } })), 'Endpoint deleted.'))}>Delete</button>
                  </>
                ) : null}
              </span>
            ),
          },
        ]}
      />
    );

  const current = state.status === 'ok' ? state.data.find((e) => e.id === open) : undefined;
  return (
    <div className="stack-lg">
      <p className="muted page-intro">Probe events go to your SIEM as OCSF events signed per Standard Webhooks. Delivery is at least once (deduplicate on <code>webhook-id</code>), in no guaranteed order, retried for about three days.</p>
      {canManage ? (
        <section className="card" aria-labelledby="new-h">
          <h2 id="new-h">Add an endpoint</h2>
          {error ? <Notice kind="error">{error}</Notice> : null}
          {created ? (
            <OneTimeSecret
              label={`Signing secret for ${created.url}`}
              value={created.secret}
              onDone={() => setCreated(null)}
              note={<><strong>Shown once.</strong> Configure it in your receiver now: Parapet stores it encrypted for signing and never shows it again. If it is lost, delete the endpoint and add it again.</>}
            />
          ) : (
            <form onSubmit={create} className="stack">
              <div className="field">
                <label htmlFor="wh-url">HTTPS URL</label>
                <input id="wh-url" type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://siem.example.com/collector" />
              </div>
              <fieldset className="field">
                <legend className="field-label">Events (none ticked: all)</legend>
                {EVENTS.map((ev) => (
                  <label key={ev} style={{ display: 'block' }}>
                    <input type="checkbox" checked={events.includes(ev)} onChange={(e) => setEvents(e.target.checked ? [...events, ev] : events.filter((x) => x !== ev))} /> <code>{ev}</code>
                  </label>
                ))}
              </fieldset>
              <div>
                <button type="submit" className="btn btn-primary">Add endpoint</button>
              </div>
            </form>
          )}
        </section>
      ) : null}
      <section aria-labelledby="eps-h" className="stack">
        <h2 id="eps-h">Endpoints</h2>
        {note ? <Notice kind="info">{note}</Notice> : null}
        {list}
      </section>
      {current ? (
        <section aria-labelledby="log-h" className="stack">
          <h2 id="log-h">Delivery log</h2>
          <DeliveryLog endpoint={current} canManage={canManage} />
        </section>
      ) : null}
    </div>
  );
}
