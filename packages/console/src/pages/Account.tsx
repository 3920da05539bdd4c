import { useState } from 'react';
import { api, describe, ok, type ResponseBody } from '../api';
import { useSession } from '../session';
import { formatTime, useAsync } from '../useAsync';
import { DataTable } from '../components/DataTable';
import { EmptyState, ErrorState, Loading, Notice } from '../components/States';
import { RecoveryCodeList } from '../components/RecoveryCodes';
import { roleName } from '../components/Shell';
import { TotpEnrolment } from './SignIn';
import { navigate } from '../router';
import { PasskeysSection } from './AccountPasskeys';

type SessionRow = ResponseBody<'/api/v1/auth/sessions', 'get'>['sessions'][number];

export function AccountPage() {
  const { session } = useSession();
  // A passkey added or removed changes what the two-step card says: it reloads.
  const [factorsVersion, setFactorsVersion] = useState(0);
  return (
    <div className="stack-lg">
      <section className="card" aria-labelledby="profile-h">
        <h2 id="profile-h">Profile</h2>
        <dl className="dl-grid">
          <dt>Email</dt>
          <dd>{session.email}</dd>
          <dt>Roles</dt>
          <dd>{session.roles.map(roleName).join(', ') || 'None'}</dd>
          <dt>Last verification</dt>
          <dd>{session.mfa_verified_at ? formatTime(session.mfa_verified_at) : 'Not verified with a second factor in this session'}</dd>
        </dl>
      </section>
      <MfaSection key={factorsVersion} />
      <PasskeysSection onChange={() => setFactorsVersion((v) => v + 1)} />
      <SessionsSection />
    </div>
  );
}

function MfaSection() {
  const { refresh } = useSession();
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/auth/mfa', { signal })), []);
  const [enrolling, setEnrolling] = useState(false);
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [newCodes, setNewCodes] = useState<string[] | null>(null);

  const act = async (fn: () => Promise<unknown>, done: string) => {
    setMessage(null);
    try {
      await fn();
      setMessage({ kind: 'success', text: done });
      reload();
    } catch (e) {
      setMessage({ kind: 'error', text: describe(e) });
    }
  };

  let body;
  if (state.status === 'loading') body = <Loading label="Loading your sign-in methods…" />;
  else if (state.status === 'error') body = <ErrorState error={state.error} onRetry={reload} />;
  else {
    const totp = state.data.factors.find((f) => f.type === 'totp' && f.confirmed_at);
    body = totp ? (
      <div className="stack">
        <p>
          <span className="badge badge-ok">On</span> Authenticator app, added {formatTime(totp.confirmed_at)}. {state.data.recovery_codes_remaining} recovery codes left.
        </p>
        {newCodes ? (
          <RecoveryCodeList codes={newCodes} label="New recovery codes" />
        ) : null}
        <div className="button-row">
          <button type="button" className="btn" onClick={() => void act(async () => setNewCodes((await ok(api.POST('/api/v1/auth/mfa/recovery-codes'))).recovery_codes), 'New recovery codes issued; the old ones no longer work.')}>
            New recovery codes
          </button>
          <button type="button" className="btn btn-danger" onClick={() => void act(() => ok(api.DELETE('/api/v1/auth/mfa/totp')), 'Authenticator removed.')}>
            Remove authenticator
          </button>
        </div>
      </div>
    ) : enrolling ? (
      <TotpEnrolment
        autoStart
        onEnrolled={async () => {
          setEnrolling(false);
          reload();
          await refresh();
        }}
      />
    ) : state.data.factors.some((f) => f.type === 'webauthn') ? (
      <EmptyState title="No authenticator app." action={<button type="button" className="btn" onClick={() => setEnrolling(true)}>Set up an authenticator app</button>}>
        Two-step verification is on with your passkey or security key (below). An authenticator app is a second way in if the key is lost.
      </EmptyState>
    ) : (
      <EmptyState title="Two-step verification is off." action={<button type="button" className="btn btn-primary" onClick={() => setEnrolling(true)}>Set up an authenticator app</button>}>
        Add an authenticator app so a stolen password is not enough to sign in as you. Some actions (changing settings, exports) ask for a code.
      </EmptyState>
    );
  }
  return (
    <section className="card" aria-labelledby="mfa-h">
      <h2 id="mfa-h">Two-step verification</h2>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      {body}
    </section>
  );
}

function SessionsSection() {
  const [state, reload] = useAsync((signal) => ok(api.GET('/api/v1/auth/sessions', { signal })), []);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  const everywhere = async () => {
    setError(null);
    try {
      await ok(api.POST('/api/v1/auth/logout-all'));
      navigate('/sign-in');
      location.reload();
    } catch (e) {
      setError(describe(e));
      setConfirming(false);
    }
  };

  let body;
  if (state.status === 'loading') body = <Loading label="Loading your sessions…" />;
  else if (state.status === 'error') body = <ErrorState error={state.error} onRetry={reload} />;
  else
    body = (
      <DataTable<SessionRow>
        caption="Your sessions"
        rows={state.data.sessions}
        rowKey={(r) => r.id}
        filterable={false}
        initialSort={{ key: 'last_seen', dir: 'desc' }}
        empty={<EmptyState title="No active sessions." />}
        columns={[
          { key: 'device', header: 'Browser', render: (r) => <span title={r.user_agent ?? ''}>{shortAgent(r.user_agent)}{r.current ? <span className="badge badge-info">This session</span> : null}</span> },
          { key: 'ip', header: 'IP address', render: (r) => r.ip ?? '—', sortValue: (r) => r.ip ?? '' },
          { key: 'created', header: 'Signed in', render: (r) => formatTime(r.created_at), sortValue: (r) => r.created_at },
          { key: 'last_seen', header: 'Last active', render: (r) => formatTime(r.last_seen_at), sortValue: (r) => r.last_seen_at },
        ]}
      />
    );
  return (
    <section className="card" aria-labelledby="sessions-h">
      <div className="card-head">
        <h2 id="sessions-h">Sessions</h2>
        {confirming ? (
          <div className="button-row" role="group" aria-label="Confirm sign out everywhere">
            <span className="small">Sign out on every device, this one included?</span>
            <button type="button" className="btn btn-small" onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button type="button" className="btn btn-small btn-danger" onClick={() => void everywhere()}>
              Sign out everywhere
            </button>
          </div>
        ) : (
          <button type="button" className="btn btn-small" onClick={() => setConfirming(true)}>
            Sign out everywhere…
          </button>
        )}
      </div>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {body}
    </section>
  );
}

function shortAgent(ua: string | null): string {
  if (!ua) return 'Unknown browser';
  const m = /(Firefox|Edg|Chrome|Chromium|Safari)\/[\d.]+/.exec(ua);
  const os = /(Windows|Mac OS X|Linux|Android|iPhone)/.exec(ua)?.[1];
  const name = m ? { Edg: 'Edge' }[m[1]!] ?? m[1] : 'Browser';
  return os ? `${name} on ${os.replace('Mac OS X', 'macOS')}` : (name as string);
}
