/**
 * The vendor-support side of the console (CORE-SUPPORT): a separate realm from the tenant's
 * people, with its own pages and its own session cookie (`__Host-parapet_support`).
 *
 * - /support/enrol: a support member registers a security key with the operator's one-time
 *   enrolment code (`parapet support staff add`).
 * - /support/sign-in: WebAuthn only (no password field exists): organisation slug, grant id and
 *   the security key; the member's e-mail only for a key that is not discoverable.
 * - /support: the support view, under a banner naming the organisation, the grant (ticket,
 *   scope, expiry) and the member. It shows what the grant allows: the people list read-only;
 *   "Unlock sign-in" only under a read_write grant. Every request here is recorded in the
 *   customer's audit log by the server.
 *
 * These pages keep their own CSRF token (a client of their own, `support`): the tenant
 * session's token (api.ts) belongs to another cookie and is cleared whenever the tenant session
 * is absent; and a 401 here is not the tenant session ending.
 */
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { apiWith, ApiError, describe, ok, type ResponseBody } from '../api';
import { navigate } from '../router';
import { Loading, Notice } from '../components/States';
import { SignInCard } from '../components/SignInCard';
import { webauthnMessage, webauthnSupported } from '../webauthn';
import { useSubmit } from '../useSubmit';

/** The support session as GET /api/v1/support/session answers it. */
export type SupportSession = ResponseBody<'/api/v1/support/session', 'get'>;

type SupportUser = ResponseBody<'/api/v1/support/tenant/users', 'get'>['users'][number];

let supportCsrf: string | null = null;

/** The typed client for the support realm: its own CSRF token, no step-up, no tenant sign-out. */
const support = apiWith({ csrf: () => supportCsrf, noStepUp: true, quiet401: true });

const SCOPE_TEXT: Record<string, string> = { read_only: 'Read only', read_write: 'Read and write' };

/** True for the paths this module renders (outside the tenant's signed-in shell). */
export function isSupportPath(path: string): boolean {
  return path === '/support' || path.startsWith('/support/');
}

/** Routes /support, /support/sign-in and /support/enrol. */
export function SupportConsole({ path }: { path: string }) {
  if (path === '/support/enrol') return <SupportEnrolPage />;
  if (path === '/support/sign-in') return <SupportSignInPage />;
  return <SupportView />;
}

function Frame({ title, children }: { title: string; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Parapet support`;
  }, [title]);
  return (
    <SignInCard brand="Parapet vendor support" title={title} footer={<p className="signin-footer muted small">For the platform vendor's support staff only. Customers sign in at <a href="/sign-in">the usual sign-in page</a>.</p>}>
      {children}
    </SignInCard>
  );
}

function keyError(e: unknown): string {
  return webauthnMessage(e) ?? describe(e);
}

function SupportSignInPage() {
  const [org, setOrg] = useState('');
  const [grant, setGrant] = useState('');
  const [email, setEmail] = useState('');
  const { busy, message: error, setMessage, run } = useSubmit(keyError);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const g = grant.trim().toLowerCase();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(g)) {
      setMessage({ kind: 'error', text: 'The grant id is the identifier the customer gave you (8-4-4-4-12 hexadecimal digits).' });
      return;
    }
    void run(async () => {
      // Without an e-mail the browser offers any discoverable key registered for this site.
      const e = email.trim().toLowerCase();
      // The options' schema is free-form (WebAuthn's own JSON); @simplewebauthn/browser types it.
      const optionsJSON = (await ok(support.POST('/api/v1/support/auth/options', { body: e ? { email: e } : {} }))) as unknown as PublicKeyCredentialRequestOptionsJSON;
      const response = await startAuthentication({ optionsJSON });
      const r = await ok(support.POST('/api/v1/support/auth/verify', { body: { org: org.trim().toLowerCase(), grant_id: g, response: { ...response } } }));
      supportCsrf = r.csrf_token;
      navigate('/support');
    });
  };
  return (
    <Frame title="Support sign-in">
      <p className="muted">Sign in with your security key under a grant the customer opened for you. There is no password sign-in for support staff.</p>
      {!webauthnSupported() ? <Notice kind="warning">This browser cannot use security keys; support sign-in needs one.</Notice> : null}
      {error ? (
        <div data-testid="support-signin-error">
          <Notice kind={error.kind}>{error.text}</Notice>
        </div>
      ) : null}
      <form onSubmit={submit} className="stack" noValidate>
        <div className="field">
          <label htmlFor="support-org">Organisation</label>
          <input id="support-org" value={org} onChange={(e) => setOrg(e.target.value)} required autoComplete="off" aria-describedby="support-org-hint" />
          <p id="support-org-hint" className="field-hint">
            The customer's sign-in name (slug).
          </p>
        </div>
        <div className="field">
          <label htmlFor="support-grant">Grant id</label>
          <input id="support-grant" value={grant} onChange={(e) => setGrant(e.target.value)} required autoComplete="off" spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor="support-email">Your support e-mail (optional)</label>
          <input id="support-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="username webauthn" aria-describedby="support-email-hint" />
          <p id="support-email-hint" className="field-hint">
            Leave it empty when your key remembers you (a passkey or resident key); give it for a key that does not.
          </p>
        </div>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          Sign in with security key
        </button>
      </form>
      <p className="muted small">
        No key yet? <a href="/support/enrol">Register one with your enrolment code.</a>
      </p>
    </Frame>
  );
}

function SupportEnrolPage() {
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const { busy, message: msg, run } = useSubmit(keyError);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const body = { email: email.trim().toLowerCase(), code: code.trim() };
      const optionsJSON = (await ok(support.POST('/api/v1/support/enrol/options', { body }))) as unknown as PublicKeyCredentialCreationOptionsJSON;
      const response = await startRegistration({ optionsJSON });
      await ok(support.POST('/api/v1/support/enrol/verify', { body: { ...body, response: { ...response } } }));
      setCode('');
      return 'Security key registered. You can now sign in under a customer grant.';
    });
  };
  return (
    <Frame title="Register a security key">
      <p className="muted">Use the one-time enrolment code from your deployment operator. The code works once.</p>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      <form onSubmit={submit} className="stack" noValidate>
        <div className="field">
          <label htmlFor="enrol-email">Your support e-mail</label>
          <input id="enrol-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="enrol-code">Enrolment code</label>
          <input id="enrol-code" value={code} onChange={(e) => setCode(e.target.value)} required autoComplete="one-time-code" spellCheck={false} />
        </div>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          Register security key
        </button>
      </form>
      <p className="muted small">
        <a href="/support/sign-in">Support sign-in</a>
      </p>
    </Frame>
  );
}

function SupportView() {
  const [session, setSession] = useState<SupportSession | null | 'loading'>('loading');
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      const s = await ok(support.GET('/api/v1/support/session'));
      supportCsrf = s.csrf_token;
      setSession(s);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        supportCsrf = null;
        navigate('/support/sign-in', { replace: true });
      } else setError(describe(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    document.title = 'Support session · Parapet support';
  }, []);
  if (error) return <div className="center-page"><Notice kind="error">{error}</Notice></div>;
  if (session === 'loading' || !session) return <div className="center-page"><Loading label="Loading the support session…" /></div>;
  const signOut = async () => {
    try {
      await ok(support.POST('/api/v1/support/auth/logout'));
    } finally {
      supportCsrf = null;
      navigate('/support/sign-in');
    }
  };
  const until = new Date(session.expires_at);
  return (
    <div className="support-view">
      <section className="support-banner" role="region" aria-label="Support session" data-testid="support-banner">
        <p>
          <strong>Vendor support session</strong> in <strong>{session.org_name || session.org}</strong> ({session.org}) as {session.staff_email}
        </p>
        <p>
          Grant <code>{session.grant_id}</code> for ticket <strong>{session.ticket}</strong> · scope <strong>{SCOPE_TEXT[session.scope] ?? session.scope}</strong> · ends{' '}
          <time dateTime={session.expires_at}>{until.toISOString().replace('T', ' ').slice(0, 16)} UTC</time>
        </p>
        <p className="small">Every request you make here is recorded in the customer's audit log with this grant id.</p>
        <button type="button" className="btn" onClick={() => void signOut()}>
          End support session
        </button>
      </section>
      <main className="support-main stack" aria-labelledby="support-people-h">
        <h1 id="support-people-h">People</h1>
        <SupportPeople session={session} />
      </main>
    </div>
  );
}

function SupportPeople({ session }: { session: SupportSession }) {
  const [users, setUsers] = useState<SupportUser[] | null>(null);
  const [msg, setMsg] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const writable = session.scope === 'read_write';
  useEffect(() => {
    ok(support.GET('/api/v1/support/tenant/users')).then(
      (r) => setUsers(r.users),
      (e) => setMsg({ kind: 'error', text: describe(e) }),
    );
  }, []);
  const unlock = async (u: SupportUser) => {
    setMsg(null);
    try {
      const r = await ok(support.POST('/api/v1/support/tenant/users/{id}/unlock', { params: { path: { id: u.id } } }));
      setMsg({ kind: 'success', text: `Sign-in delays cleared for ${u.email} (${r.cleared} cleared).` });
    } catch (e) {
      setMsg({ kind: 'error', text: describe(e) });
    }
  };
  return (
    <>
      <p className="muted">{writable ? 'This grant allows reading the people list and clearing sign-in delays.' : 'This grant is read-only: you can see the people list and change nothing.'}</p>
      {msg ? <Notice kind={msg.kind}>{msg.text}</Notice> : null}
      {!users ? (
        <Loading />
      ) : (
        <table className="table" aria-label="People in this organisation">
          <thead>
            <tr>
              <th scope="col">E-mail</th>
              <th scope="col">Roles</th>
              <th scope="col">Status</th>
              {writable ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>{u.roles.join(', ')}</td>
                <td>{u.status}</td>
                {writable ? (
                  <td>
                    <button type="button" className="btn btn-small" onClick={() => void unlock(u)} aria-label={`Unlock sign-in for ${u.email}`}>
                      Unlock sign-in
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
