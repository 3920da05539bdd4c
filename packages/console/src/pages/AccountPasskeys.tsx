import { useState, type FormEvent } from 'react';
import { api, describe, ok } from '../api';
import { useSession } from '../session';
import { formatTime, useAsync } from '../useAsync';
import { DataTable } from '../components/DataTable';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';
import { RecoveryCodeList } from '../components/RecoveryCodes';
import { useSubmit } from '../useSubmit';
import { isWebauthn, registerPasskey, webauthnMessage, webauthnSupported, type WebauthnFactor } from '../webauthn';

/** My account: "Passkeys and security keys": list, register (WebAuthn create), remove (step-up). */
export function PasskeysSection({ onChange }: { onChange?: () => void }) {
  const { refresh } = useSession();
  const [state, reload] = useAsync(
    async (signal) => (await ok(api.GET('/api/v1/auth/mfa', { signal }))).factors.filter(isWebauthn),
    [],
  );
  const [name, setName] = useState('');
  const { busy, message, setMessage, run } = useSubmit((err) => webauthnMessage(err) ?? describe(err));
  const [codes, setCodes] = useState<string[] | null>(null);
  // The key whose removal waits for a second click (removal is not undoable).
  const [confirming, setConfirming] = useState<string | null>(null);
  const supported = webauthnSupported();

  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await registerPasskey(name.trim());
      setName('');
      setCodes(r.recovery_codes ?? null);
      setMessage({ kind: 'success', text: 'Passkey added. You can use it to sign in and to confirm sensitive actions.' });
      reload();
      onChange?.();
      await refresh(); // registering verified this session (new CSRF token, fresh MFA time)
    });
  };

  const remove = async (k: WebauthnFactor) => {
    setMessage(null);
    setConfirming(null);
    try {
      // Needs step-up: the API client opens the dialog on step_up_required and repeats this.
      await ok(api.DELETE('/api/v1/auth/webauthn/credentials/{id}', { params: { path: { id: k.id } } }));
      setMessage({ kind: 'success', text: `Removed ${k.name || 'the key'}.` });
      reload();
      onChange?.();
    } catch (err) {
      setMessage({ kind: 'error', text: describe(err) });
    }
  };

  let body;
  if (state.status === 'loading') body = <Loading label="Loading your passkeys…" />;
  else if (state.status === 'error') body = <ErrorState error={state.error} onRetry={reload} />;
  else
    body = (
      <DataTable<WebauthnFactor>
        caption="Your passkeys and security keys"
        rows={state.data}
        rowKey={(r) => r.id}
        filterable={false}
        initialSort={{ key: 'added', dir: 'asc' }}
        empty={<EmptyState title="No passkeys or security keys yet.">Add one below: a passkey on this device or a USB/NFC security key signs you in without a code and cannot be phished.</EmptyState>}
        columns={[
          { key: 'name', header: 'Name', render: (r) => r.name || 'Unnamed key', sortValue: (r) => r.name },
          { key: 'added', header: 'Added', render: (r) => formatTime(r.created_at), sortValue: (r) => r.created_at },
          { key: 'used', header: 'Last used', render: (r) => (r.last_used_at ? formatTime(r.last_used_at) : 'Never'), sortValue: (r) => r.last_used_at ?? '' },
          {
            key: 'actions',
            header: 'Actions',
            render: (r) =>
              confirming === r.id ? (
                <div className="button-row" role="group" aria-label={`Confirm removing ${r.name || 'unnamed key'}`}>
                  <button type="button" className="btn btn-small" onClick={() => setConfirming(null)}>
                    Cancel
                  </button>
                  <button type="button" className="btn btn-small btn-danger" onClick={() => void remove(r)}>
                    Remove key
                  </button>
                </div>
              ) : (
                <button type="button" className="btn btn-small btn-danger" aria-label={`Remove ${r.name || 'unnamed key'}`} onClick={() => setConfirming(r.id)}>
                  Remove…
                </button>
              ),
          },
        ]}
      />
    );

  return (
    <section className="card stack" aria-labelledby="passkeys-h">
      <h2 id="passkeys-h">Passkeys and security keys</h2>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      {codes ? (
        <div className="stack">
          <p>
            Save these recovery codes somewhere safe. Each works once if you lose your key; <strong>they are shown only now</strong>.
          </p>
          <RecoveryCodeList codes={codes} />
          <div>
            <button type="button" className="btn" onClick={() => setCodes(null)}>
              I saved them
            </button>
          </div>
        </div>
      ) : null}
      {body}
      {supported ? (
        <form onSubmit={add} className="button-row passkey-add">
          <div className="field-inline">
            <label htmlFor="passkey-name">Name for the new key</label>
            <input id="passkey-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} placeholder="e.g. YubiKey, work laptop" />
          </div>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Waiting for your key…' : 'Add a passkey or security key'}
          </button>
        </form>
      ) : (
        <p className="muted">This browser does not support passkeys or security keys.</p>
      )}
    </section>
  );
}
