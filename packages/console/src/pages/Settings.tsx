import { useState, type FormEvent } from 'react';
import { api, describe, ok, type ResponseBody } from '../api';
import { hasRole, useSession } from '../session';
import { useAsync } from '../useAsync';
import { ErrorState, Loading, Notice } from '../components/States';
import { Link } from '../components/Link';

type Retention = ResponseBody<'/api/v1/audit/settings', 'get'>;
type AuthSettings = ResponseBody<'/api/v1/auth/settings', 'get'>;

export function SettingsPage() {
  const { session } = useSession();
  const isAdmin = hasRole(session, 'admin');
  return (
    <div className="stack-lg">
      <OrganisationCard />
      <SignInSettings />
      <section className="card stack" aria-labelledby="sso-h">
        <h2 id="sso-h">Single sign-on and SCIM</h2>
        {isAdmin ? (
          <>
            <p className="muted">Connect your identity provider for sign-in and provisioning.</p>
            <div className="button-row">
              <Link className="btn" href="/sso">
                Single sign-on settings
              </Link>
              <Link className="btn" href="/scim">
                SCIM tokens
              </Link>
            </div>
          </>
        ) : (
          <p className="muted">Only admins can see and change the identity provider and SCIM tokens.</p>
        )}
      </section>
      <RetentionSettings />
      <SupportGrantSettings />
    </div>
  );
}

/** Name, slug and id; read-only because the API has no way to change them. */
function OrganisationCard() {
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/organisation', { signal })), []);
  let body;
  if (state.status === 'loading') body = <Loading />;
  else if (state.status === 'error') body = <ErrorState error={state.error} onRetry={reload} />;
  else
    body = (
      <>
        <dl className="dl-grid" data-testid="org-details">
          <dt>Name</dt>
          <dd>{state.data.name || <span className="muted">—</span>}</dd>
          <dt>Sign-in name (slug)</dt>
          <dd>
            <code>{state.data.slug}</code>
          </dd>
          <dt>Organisation id</dt>
          <dd>
            <code>{state.data.id}</code>
          </dd>
        </dl>
        <p className="muted small">Read-only: these are set when the organisation is created, and the server has no API to change them.</p>
      </>
    );
  return (
    <section className="card stack" aria-labelledby="org-h">
      <h2 id="org-h">Organisation</h2>
      {body}
    </section>
  );
}

function SignInSettings() {
  const { session } = useSession();
  const canEdit = hasRole(session, 'admin');
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/auth/settings', { signal })), []);
  const [draft, setDraft] = useState<AuthSettings | null>(null);
  const [msg, setMsg] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  // What the admin typed, kept as typed: a value out of range is refused with a message, never
  // silently replaced by the nearest allowed one.
  const [ageText, setAgeText] = useState<string | null>(null);

  let body;
  if (state.status === 'loading') body = <Loading />;
  else if (state.status === 'error') body = <ErrorState error={state.error} onRetry={reload} />;
  else {
    const v = draft ?? state.data;
    const shownAge = ageText ?? String(Math.round(v.step_up_max_age_seconds / 60));
    const save = async (e: FormEvent) => {
      e.preventDefault();
      setMsg(null);
      const minutes = Number(shownAge.trim());
      if (!/^\d+$/.test(shownAge.trim()) || minutes < 1 || minutes > 1440) {
        setMsg({ kind: 'error', text: `The step-up age must be a whole number of minutes from 1 to 1440; "${shownAge}" is not. Nothing was saved.` });
        return;
      }
      try {
        const saved = await ok(api.PUT('/api/v1/auth/settings', { body: { ...v, step_up_max_age_seconds: minutes * 60 } }));
        setDraft(saved);
        setAgeText(null);
        setMsg({ kind: 'success', text: 'Settings saved.' });
      } catch (err) {
        setMsg({ kind: 'error', text: describe(err) });
      }
    };
    body = (
      <form onSubmit={save} className="stack" noValidate>
        <div className="field field-check">
          <input id="mfa-required" type="checkbox" checked={v.mfa_required} disabled={!canEdit} onChange={(e) => setDraft({ ...v, mfa_required: e.target.checked })} aria-describedby="mfa-required-hint" />
          <label htmlFor="mfa-required">Require two-step verification for everyone</label>
        </div>
        <p id="mfa-required-hint" className="field-hint field-hint-after-check">
          People without an authenticator must set one up at their next sign-in.
        </p>
        <div className="field">
          <label htmlFor="stepup-age">Step-up age (minutes)</label>
          <input
            id="stepup-age"
            type="number"
            min={1}
            max={1440}
            step={1}
            value={shownAge}
            disabled={!canEdit}
            onChange={(e) => setAgeText(e.target.value)}
            aria-describedby="stepup-age-hint"
          />
          <p id="stepup-age-hint" className="field-hint">
            Sensitive actions (revoking devices, tokens, single sign-on, these settings) ask for a fresh code when the last one is older than this. Default: 5 minutes; at most 24 hours.
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

/** How long audit snapshots stay locked in the WORM vault (admin, with step-up). */
function RetentionSettings() {
  const { session } = useSession();
  const canEdit = hasRole(session, 'admin');
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/audit/settings', { signal })), []);
  const [months, setMonths] = useState<number | null>(null);
  const [msg, setMsg] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  let body;
  if (state.status === 'loading') body = <Loading />;
  else if (state.status === 'error') body = <ErrorState error={state.error} onRetry={reload} />;
  else {
    const r = state.data;
    const value = months ?? r.retention_months;
    const save = async (e: FormEvent) => {
      e.preventDefault();
      setMsg(null);
      try {
        const saved = await ok(api.PUT('/api/v1/audit/settings', { body: { retention_months: value } }));
        setMonths(saved.retention_months);
        setMsg({ kind: 'success', text: 'Retention saved.' });
      } catch (err) {
        setMsg({ kind: 'error', text: describe(err) });
      }
    };
    body = (
      <form onSubmit={save} className="stack">
        <div className="field">
          <label htmlFor="retention-months">Audit snapshot retention (months)</label>
          <input
            id="retention-months"
            type="number"
            min={r.minimum_months}
            max={1200}
            value={value}
            disabled={!canEdit}
            onChange={(e) => setMonths(Number(e.target.value))}
            aria-describedby="retention-hint"
          />
          <p id="retention-hint" className="field-hint" data-testid="retention-note">
            Daily audit snapshots are written to write-once storage and cannot be deleted before this period ends. Default {r.default_months} months (7 years); at least {r.minimum_months}.
            A change applies to snapshots written from now on.
          </p>
        </div>
        {canEdit ? (
          <div>
            <button type="submit" className="btn btn-primary">
              Save retention
            </button>
          </div>
        ) : (
          <p className="muted small">Only admins can change retention.</p>
        )}
      </form>
    );
  }
  return (
    <section className="card" aria-labelledby="retention-h">
      <h2 id="retention-h">Data retention</h2>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      {body}
    </section>
  );
}

type OrganisationSettings = ResponseBody<'/api/v1/organisation/settings', 'get'>;

/** The longest support grant an admin may open (admin, with step-up). */
function SupportGrantSettings() {
  const { session } = useSession();
  const canEdit = hasRole(session, 'admin');
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/organisation/settings', { signal })), []);
  // Kept as typed: an out-of-range value is refused with a message, never clamped.
  const [text, setText] = useState<string | null>(null);
  const [saved, setSaved] = useState<OrganisationSettings | null>(null);
  const [msg, setMsg] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  let body;
  if (state.status === 'loading') body = <Loading />;
  else if (state.status === 'error') body = <ErrorState error={state.error} onRetry={reload} />;
  else {
    const v = saved ?? state.data;
    const shown = text ?? String(v.support_grant_max_hours);
    const save = async (e: FormEvent) => {
      e.preventDefault();
      setMsg(null);
      const h = Number(shown.trim());
      if (!/^\d+$/.test(shown.trim()) || h < v.support_grant_max_hours_minimum || h > v.support_grant_max_hours_maximum) {
        setMsg({ kind: 'error', text: `The longest support grant must be a whole number of hours from ${v.support_grant_max_hours_minimum} to ${v.support_grant_max_hours_maximum}; "${shown}" is not. Nothing was saved.` });
        return;
      }
      try {
        const r = await ok(api.PUT('/api/v1/organisation/settings', { body: { support_grant_max_hours: h } }));
        setSaved(r);
        setText(null);
        setMsg({ kind: 'success', text: `Support grants may now last at most ${r.support_grant_max_hours} hours.` });
      } catch (err) {
        setMsg({ kind: 'error', text: describe(err) });
      }
    };
    body = (
      <form onSubmit={save} className="stack" noValidate>
        <div className="field">
          <label htmlFor="support-max-hours">Longest support grant (hours)</label>
          <input
            id="support-max-hours"
            type="number"
            min={v.support_grant_max_hours_minimum}
            max={v.support_grant_max_hours_maximum}
            step={1}
            value={shown}
            disabled={!canEdit}
            onChange={(e) => setText(e.target.value)}
            aria-describedby="support-max-hours-hint"
          />
          <p id="support-max-hours-hint" className="field-hint">
            An admin opening a grant for vendor support may choose at most this duration. Default {v.support_grant_max_hours_default} hours; from {v.support_grant_max_hours_minimum} to{' '}
            {v.support_grant_max_hours_maximum}. Grants already open keep their end; revoke one to end it sooner.
          </p>
        </div>
        {canEdit ? (
          <div>
            <button type="submit" className="btn btn-primary">
              Save support access
            </button>
          </div>
        ) : (
          <p className="muted small">Only admins can change this setting.</p>
        )}
      </form>
    );
  }
  return (
    <section className="card" aria-labelledby="support-settings-h">
      <h2 id="support-settings-h">Support access</h2>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      {body}
    </section>
  );
}
