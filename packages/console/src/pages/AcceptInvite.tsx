import { useEffect, useState, type FormEvent } from 'react';
import { apiQuiet, describe, ok, setCsrfToken, type ResponseBody } from '../api';
import { rememberOrg } from '../session';
import { navigate } from '../router';
import { Notice } from '../components/States';
import { SignInCard } from '../components/SignInCard';
import { roleName } from '../components/Shell';
import { TotpEnrolment } from './SignIn';
import { useSubmit } from '../useSubmit';

type InvitationInfo = ResponseBody<'/api/v1/invitations/lookup', 'post'>;

/**
 * The page an invitation link opens (`/invite#pinv_…`). The token is in the fragment, which
 * the browser never sends to a server; the page posts it to the accept API. Choosing a
 * password opens a session; admins and security leads (or everyone, when the organisation
 * requires it) set up an authenticator before going on.
 */
export function AcceptInvitePage({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const [token] = useState(() => decodeURIComponent(location.hash.replace(/^#/, '')));
  const [info, setInfo] = useState<InvitationInfo | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const { busy, message, setMessage, run } = useSubmit();
  const [step, setStep] = useState<'password' | 'enrol'>('password');

  useEffect(() => {
    document.title = 'Accept invitation · Parapet';
    // Keep the token out of the address bar (history, screenshots) once read.
    history.replaceState(null, '', '/invite');
    if (!token) {
      setProblem('This page needs the whole invitation link, including the part after “#”.');
      return;
    }
    ok(apiQuiet.POST('/api/v1/invitations/lookup', { body: { token } })).then(setInfo, (e) => setProblem(describe(e)));
  }, [token]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password !== again) return setMessage({ kind: 'error', text: 'The two passwords differ.' });
    void run(async () => {
      const r = await ok(apiQuiet.POST('/api/v1/invitations/accept', { body: { token, password, ...(name.trim() ? { display_name: name.trim() } : {}) } }));
      setCsrfToken(r.csrf_token);
      rememberOrg(r.org_slug);
      setPassword('');
      setAgain('');
      if (r.state === 'mfa_enrollment_required') setStep('enrol');
      else await done();
    });
  };

  const done = async () => {
    navigate('/', { replace: true });
    await onSignedIn();
  };

  return (
    <SignInCard title={step === 'enrol' ? 'Set up two-step verification' : 'Accept your invitation'}>
      {problem ? (
        <Notice kind="error">
          <span data-testid="invite-error">{problem}</span>
        </Notice>
      ) : null}
      {!problem && !info ? <p className="muted">Checking the invitation…</p> : null}
      {info && step === 'password' ? (
        <form onSubmit={submit} className="stack">
          <p>
            You are invited to <strong>{info.org_name}</strong> (organisation <code>{info.org_slug}</code>) as <strong>{info.email}</strong>, with the role{info.roles.length > 1 ? 's' : ''} {info.roles.map(roleName).join(', ')}.
          </p>
          {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
          <input type="email" autoComplete="username" value={info.email} readOnly hidden />
          <div className="field">
            <label htmlFor="invite-name">Your name</label>
            <input id="invite-name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
          </div>
          <div className="field">
            <label htmlFor="invite-password">Choose a password</label>
            <input id="invite-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={12} aria-describedby="invite-password-hint" />
            <p id="invite-password-hint" className="field-hint">
              At least 12 characters; a few unrelated words work well.
            </p>
          </div>
          <div className="field">
            <label htmlFor="invite-password2">Password again</label>
            <input id="invite-password2" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required minLength={12} />
          </div>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Creating your account…' : 'Create my account'}
          </button>
        </form>
      ) : null}
      {step === 'enrol' ? (
        <div className="stack">
          <p>Your role needs two-step verification. Set up an authenticator app to finish.</p>
          <TotpEnrolment onEnrolled={done} />
        </div>
      ) : null}
    </SignInCard>
  );
}
