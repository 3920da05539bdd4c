import { useState, type FormEvent } from 'react';
import { api, ok, type ResponseBody } from '../api';
import { hasRole, useSession } from '../session';
import { formatTime, useAsync } from '../useAsync';
import { useSubmit } from '../useSubmit';
import { DataTable } from '../components/DataTable';
import { ConfirmDialog, OneTimeSecret } from '../components/Dialog';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';
import { ExpirySelect } from '../components/ExpirySelect';

export type Device = ResponseBody<'/api/v1/devices', 'get'>['devices'][number];

/** A new enrollment token, with the server's key pin, and its certificate when self-signed. */
type CreatedToken = ResponseBody<'/api/v1/devices/enrollment-tokens', 'post'>;

/** The exact command for the machine: with --pin, and --ca when the certificate is self-signed. */
export function enrollCommand(t: CreatedToken, origin: string): string {
  const parts = [`npx parapet-${t.kind} enroll --server ${origin} --token ${t.token}`];
  if (t.server_ca_pem) parts.push('--ca parapet-server.crt');
  if (t.server_pin) parts.push(`--pin ${t.server_pin}`);
  return parts.join(' ');
}

function downloadCertificate(pem: string): void {
  const url = URL.createObjectURL(new Blob([pem], { type: 'application/x-pem-file' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'parapet-server.crt';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Token lifetimes offered; the API takes 60 s to 7 days. */
const EXPIRIES = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 24 * 3600, label: '1 day' },
  { seconds: 7 * 24 * 3600, label: '7 days' },
];

export function DevicesPage() {
  const { session } = useSession();
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/devices', { signal })), []);
  const canEnroll = hasRole(session, 'admin');
  const canRevoke = hasRole(session, 'admin', 'security_lead');
  const [revoking, setRevoking] = useState<Device | null>(null);
  const [msg, setMsg] = useState<string | null>(null);

  let fleet;
  if (state.status === 'loading') fleet = <Loading label="Loading the fleet…" />;
  else if (state.status === 'error') fleet = <ErrorState error={state.error} onRetry={reload} />;
  else {
    const fileStores = state.data.devices.filter((d) => d.status === 'active' && d.key_store === 'file').length;
    fleet = (
      <div className="stack">
        {fileStores ? (
          <Notice kind="warning">
            {fileStores === 1 ? '1 active device keeps its private key' : `${fileStores} active devices keep their private keys`} in a file, not in the operating system's key store: anyone who can read that file can act as the device. They are marked “File” below.
          </Notice>
        ) : null}
        <DataTable<Device>
          caption="Devices"
          filterLabel="Filter devices"
          rows={state.data.devices}
          rowKey={(d) => d.id}
          initialSort={{ key: 'name', dir: 'asc' }}
          empty={
            <EmptyState title="No devices enrolled yet.">
              {canEnroll ? 'Create an enrollment token above, then run ' : 'Ask an admin for an enrollment token, then run '}
              <code>parapet-agent enroll --server {location.origin} --token …</code> on the machine (or <code>parapet-worker enroll</code> for a worker).
            </EmptyState>
          }
          columns={[
            { key: 'name', header: 'Name', className: 'nowrap', sortValue: (d) => d.name, render: (d) => <span className="strong">{d.name}</span> },
            { key: 'kind', header: 'Kind', sortValue: (d) => d.kind, render: (d) => (d.kind === 'agent' ? 'Agent' : 'Worker') },
            {
              key: 'status',
              header: 'Status',
              sortValue: (d) => d.status,
              render: (d) =>
                d.status === 'active' ? <span className="badge badge-ok">Active</span> : <span className="badge badge-bad" title={`Revoked ${formatTime(d.revoked_at)}`}>Revoked</span>,
            },
            { key: 'last_seen', header: 'Last seen', className: 'nowrap', sortValue: (d) => d.last_seen_at ?? '', filterValue: () => '', render: (d) => (d.last_seen_at ? formatTime(d.last_seen_at) : <span className="muted">Never</span>) },
            { key: 'version', header: 'Version', sortValue: (d) => d.version ?? '', render: (d) => d.version ?? <span className="muted">—</span> },
            { key: 'platform', header: 'Platform', sortValue: (d) => d.platform ?? '', render: (d) => d.platform ?? <span className="muted">—</span> },
            {
              key: 'key_store',
              header: 'Key store',
              sortValue: (d) => d.key_store ?? '',
              filterValue: (d) => (d.key_store === 'file' ? 'file key store' : d.key_store === 'os' ? 'os key store' : ''),
              render: (d) =>
                d.key_store === 'file' ? (
                  <span className="badge badge-warn" title="The private key is in a file on disk, not in the operating system's key store.">
                    File <span className="visually-hidden">(weaker: key on disk)</span>
                  </span>
                ) : d.key_store === 'os' ? (
                  <span className="badge">OS key store</span>
                ) : (
                  <span className="muted">—</span>
                ),
            },
            ...(canRevoke
              ? [
                  {
                    key: 'actions',
                    header: 'Actions',
                    className: 'nowrap',
                    render: (d: Device) =>
                      d.status === 'active' ? (
                        <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(d)} aria-label={`Revoke ${d.name}`}>
                          Revoke…
                        </button>
                      ) : (
                        <span className="muted small">Revoked {formatTime(d.revoked_at)}</span>
                      ),
                  },
                ]
              : []),
          ]}
        />
      </div>
    );
  }

  return (
    <div className="stack-lg">
      <p className="muted page-intro">Agents on people's machines and workers that run scans. Every device signs its requests with its own key; revoking one refuses its next request.</p>
      {canEnroll ? <EnrollmentTokenCard /> : null}
      <section aria-labelledby="fleet-h" className="stack">
        <div className="card-head">
          <h2 id="fleet-h">Fleet</h2>
          <button type="button" className="btn btn-small" onClick={reload}>
            Refresh
          </button>
        </div>
        {msg ? <Notice kind="success">{msg}</Notice> : null}
        {fleet}
      </section>
      {revoking ? (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          confirmLabel="Revoke device"
          busyLabel="Revoking…"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await ok(api.POST('/api/v1/devices/{id}/revoke', { params: { path: { id: revoking.id } } }));
            setMsg(`${revoking.name} is revoked; its next request will be refused.`);
            reload();
          }}
        >
          <p>
            The {revoking.kind} <strong>{revoking.name}</strong> will be refused from its next request on. This cannot be undone: to use the machine again, enroll it with a new token.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

function EnrollmentTokenCard() {
  const [kind, setKind] = useState<'agent' | 'worker'>('agent');
  const [expires, setExpires] = useState(EXPIRIES[0]!.seconds);
  const { busy, message, run } = useSubmit();
  const [created, setCreated] = useState<CreatedToken | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => setCreated(await ok(api.POST('/api/v1/devices/enrollment-tokens', { body: { kind, expires_in_seconds: expires } }))));
  };

  return (
    <section className="card" aria-labelledby="enroll-h">
      <h2 id="enroll-h">Enroll a device</h2>
      <p className="muted">A token enrolls one device, once. Give it to whoever installs the agent or worker.</p>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      {created ? (
        <OneTimeSecret label={`Enrollment token for ${created.kind === 'agent' ? 'an agent' : 'a worker'}`} value={created.token} onDone={() => setCreated(null)}>
          <p className="small">Valid until {formatTime(created.expires_at)}. On the machine, run:</p>
          <pre className="json" data-testid="enroll-command">{enrollCommand(created, location.origin)}</pre>
          {created.server_ca_pem ? (
            <p className="small">
              This server uses a self-signed certificate: copy it to the machine as <code>parapet-server.crt</code>.{' '}
              <button type="button" className="btn btn-small" onClick={() => downloadCertificate(created.server_ca_pem!)}>
                Download parapet-server.crt
              </button>
            </p>
          ) : null}
          {created.server_pin ? <p className="small muted">The pin is this server's key (SPKI SHA-256); the device talks only to a server holding that key.</p> : null}
        </OneTimeSecret>
      ) : (
        <form onSubmit={submit} className="form-row">
          <div className="field" role="radiogroup" aria-labelledby="token-kind-label">
            <span id="token-kind-label" className="field-label">
              Kind
            </span>
            <div className="radio-row">
              <label>
                <input type="radio" name="kind" value="agent" checked={kind === 'agent'} onChange={() => setKind('agent')} /> Agent (a person's machine)
              </label>
              <label>
                <input type="radio" name="kind" value="worker" checked={kind === 'worker'} onChange={() => setKind('worker')} /> Worker (runs scans)
              </label>
            </div>
          </div>
          <ExpirySelect id="token-expiry" label="Expires after" options={EXPIRIES} value={expires} onChange={setExpires} />
          <div className="field">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Creating…' : 'Create enrollment token'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
