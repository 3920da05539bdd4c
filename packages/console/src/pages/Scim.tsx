import { useState, type FormEvent } from 'react';
import { api, ok, type ResponseBody } from '../api';
import { formatTime, useAsync } from '../useAsync';
import { useSubmit } from '../useSubmit';
import { DataTable } from '../components/DataTable';
import { ConfirmDialog, OneTimeSecret } from '../components/Dialog';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';

type ScimToken = ResponseBody<'/api/v1/scim/tokens', 'get'>['tokens'][number];

export function ScimPage() {
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/scim/tokens', { signal })), []);
  const [revoking, setRevoking] = useState<ScimToken | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const base = `${location.origin}/scim/v2`;

  let list;
  if (state.status === 'loading') list = <Loading label="Loading SCIM tokens…" />;
  else if (state.status === 'error') list = <ErrorState error={state.error} onRetry={reload} />;
  else
    list = (
      <DataTable<ScimToken>
        caption="SCIM tokens"
        filterLabel="Filter tokens"
        rows={state.data.tokens}
        rowKey={(t) => t.id}
        initialSort={{ key: 'created', dir: 'desc' }}
        empty={
          <EmptyState title="No SCIM tokens yet.">
            Create a token above and paste it, with the base URL <code>{base}</code>, into your identity provider's SCIM provisioning settings. People and groups then arrive here by themselves.
          </EmptyState>
        }
        columns={[
          { key: 'name', header: 'Name', className: 'nowrap', sortValue: (t) => t.name, render: (t) => <span className="strong">{t.name}</span> },
          {
            key: 'status',
            header: 'Status',
            sortValue: (t) => (t.revoked_at ? 'revoked' : 'active'),
            render: (t) => (t.revoked_at ? <span className="badge badge-bad">Revoked</span> : <span className="badge badge-ok">Active</span>),
          },
          { key: 'created', header: 'Created', className: 'nowrap', sortValue: (t) => t.created_at, filterValue: () => '', render: (t) => formatTime(t.created_at) },
          {
            key: 'used',
            header: 'Last used',
            className: 'nowrap',
            sortValue: (t) => t.last_used_at ?? '',
            filterValue: () => '',
            render: (t) => (t.last_used_at ? formatTime(t.last_used_at) : <span className="muted">Never</span>),
          },
          {
            key: 'actions',
            header: 'Actions',
            className: 'nowrap',
            render: (t) =>
              t.revoked_at ? (
                <span className="muted small">Revoked {formatTime(t.revoked_at)}</span>
              ) : (
                <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
                  Revoke…
                </button>
              ),
          },
        ]}
      />
    );

  return (
    <div className="stack-lg">
      <p className="muted page-intro">
        SCIM lets your identity provider create, update and deactivate people and groups here. Deactivating someone in the identity provider ends their sessions and revokes their devices.
      </p>
      <CreateToken base={base} onCreated={reload} />
      <section aria-labelledby="scim-list-h" className="stack">
        <h2 id="scim-list-h">Tokens</h2>
        {msg ? <Notice kind="success">{msg}</Notice> : null}
        {list}
      </section>
      {revoking ? (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirmLabel="Revoke token"
          busyLabel="Revoking…"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await ok(api.DELETE('/api/v1/scim/tokens/{id}', { params: { path: { id: revoking.id } } }));
            setMsg(`${revoking.name} is revoked; provisioning with it stops at once.`);
            reload();
          }}
        >
          <p>Your identity provider's next SCIM request with this token is refused, so people and groups stop syncing until you give it a new token.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

function CreateToken({ base, onCreated }: { base: string; onCreated: () => void }) {
  const [name, setName] = useState('');
  const { busy, message, run } = useSubmit();
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await ok(api.POST('/api/v1/scim/tokens', { body: { name: name.trim() } }));
      setCreated(r);
      setName('');
      onCreated();
    });
  };

  return (
    <section className="card stack" aria-labelledby="scim-create-h">
      <h2 id="scim-create-h">Connect an identity provider</h2>
      <dl className="dl-grid">
        <dt>SCIM base URL</dt>
        <dd>
          <code data-testid="scim-base">{base}</code>
        </dd>
        <dt>Authentication</dt>
        <dd>HTTP header, bearer token (create one below)</dd>
      </dl>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      {created ? (
        <OneTimeSecret label={`SCIM token “${created.name}”`} value={created.token} onDone={() => setCreated(null)} />
      ) : (
        <form onSubmit={submit} className="form-row">
          <div className="field">
            <label htmlFor="scim-name">Token name</label>
            <input id="scim-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} placeholder="e.g. Okta provisioning" aria-describedby="scim-name-hint" />
            <p id="scim-name-hint" className="field-hint">
              Names the identity provider in the audit log.
            </p>
          </div>
          <div className="field">
            <button type="submit" className="btn btn-primary" disabled={busy || !name.trim()}>
              {busy ? 'Creating…' : 'Create token'}
            </button>
            <p className="field-hint">&nbsp;</p>
          </div>
        </form>
      )}
    </section>
  );
}
