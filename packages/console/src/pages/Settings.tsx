import { useState, type FormEvent } from 'react';
import { api, describe, isMissingRoute } from '../api';
import { hasRole, useSession } from '../session';
import { useAsync } from '../useAsync';
import { ErrorState, Loading, Notice } from '../components/States';

interface AuthSettings {
  step_up_max_age_seconds: number;
  mfa_required: boolean;
}

export function SettingsPage() {
  return (
    <div className="stack-lg">
      <SignInSettings />
      <section className="card" aria-labelledby="retention-h">
        <h2 id="retention-h">Data retention</h2>
        <p className="muted">Retention periods for Pulse signals and Probe evidence will be set here once those modules are installed.</p>
      </section>
      <section className="card" aria-labelledby="sso-h">
        <h2 id="sso-h">Single sign-on and SCIM</h2>
        <p className="muted">Identity providers (OpenID Connect, SAML) and SCIM tokens will be managed here.</p>
      </section>
    </div>
  );
}

function SignInSettings() {
  const { session } = useSession();
  const canEdit = hasRole(session, 'admin');
  const [state, reload] = useAsync((signal) => api.get<AuthSettings>('/api/v1/auth/settings', { signal }), []);
  const [draft, setDraft] = useState<AuthSettings | null>(null);
  const [msg, setMsg] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);

  let body;
  if (state.status === 'loading') body = <Loading />;
  else if (state.status === 'error' && isMissingRoute(state.error)) body = <p className="muted">Sign-in settings are not available on this server yet.</p>;
  else if (state.status === 'error') body = <ErrorState error={state.error} onRetry={reload} />;
  else {
    const v = draft ?? state.data;
    const save = async (e: FormEvent) => {
      e.preventDefault();
      setMsg(null);
      try {
        const saved = await api.put<AuthSettings>('/api/v1/auth/settings', v);
        setDraft(saved);
        setMsg({ kind: 'success', text: 'Settings saved.' });
      } catch (err) {
        setMsg({ kind: 'error', text: describe(err) });
      }
    };
    body = (
      <form onSubmit={save} className="stack">
        <div className="field field-check">
          <input id="mfa-required" type="checkbox" checked={v.mfa_required} disabled={!canEdit} onChange={(e) => setDraft({ ...v, mfa_required: e.target.checked })} />
          <label htmlFor="mfa-required">Require two-step verification for everyone</label>
        </div>
        <div className="field">
          <label htmlFor="stepup-age">Step-up age (minutes)</label>
          <input
            id="stepup-age"
            type="number"
            min={1}
            max={1440}
            value={Math.round(v.step_up_max_age_seconds / 60)}
            disabled={!canEdit}
            onChange={(e) => setDraft({ ...v, step_up_max_age_seconds: Math.max(1, Number(e.target.value)) * 60 })}
            aria-describedby="stepup-age-hint"
          />
          <p id="stepup-age-hint" className="field-hint">
            Sensitive actions ask for a fresh code when the last one is older than this.
          </p>
        </div>
        {canEdit ? (
          <div>
            <button type="submit" className="btn btn-primary">
              Save
            </button>
          </div>
        ) : (
          <p className="muted small">Only admins can change these settings.</p>
        )}
      </form>
    );
  }
  return (
    <section className="card" aria-labelledby="signin-settings-h">
      <h2 id="signin-settings-h">Sign-in</h2>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      {body}
    </section>
  );
}
