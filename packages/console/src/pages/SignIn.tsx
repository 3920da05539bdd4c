import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, apiQuiet, ApiError, describe, ok, PROBLEM, setCsrfToken, type ResponseBody } from '../api';
import { rememberOrg, rememberedOrg } from '../session';
import { Notice } from '../components/States';
import { RecoveryCodeList } from '../components/RecoveryCodes';
import { QrCode } from '../components/QrCode';
import { PasskeyOption } from '../components/PasskeyOption';
import { SignInCard } from '../components/SignInCard';
import { useSubmit, type Message } from '../useSubmit';
import { passkeyOptions, verifyWithPasskey, webauthnMessage, webauthnSupported, type PasskeyOptions } from '../webauthn';

/** Lockout and throttling answers get a sentence with the wait, from retry_after. */
function loginError(e: unknown): string {
  if (e instanceof ApiError && e.code === PROBLEM.too_many_attempts) {
    const secs = Number(e.problem.retry_after ?? e.problem.retry_after_seconds ?? 0);
    const wait = secs > 0 ? ` Try again in ${secs >= 90 ? `${Math.ceil(secs / 60)} minutes` : `${secs} seconds`}.` : '';
    return `${describe(e)}${wait && !/try again/i.test(describe(e)) ? wait : ''}`;
  }
  return describe(e);
}

/**
 * A failed sign-in step as the page shows it: a lockout or throttle as a warning with its wait,
 * a WebAuthn refusal in words, anything else as the server's detail.
 */
const signInMessage = (e: unknown): Message => ({
  kind: e instanceof ApiError && e.code === PROBLEM.too_many_attempts ? 'warning' : 'error',
  text: webauthnMessage(e) ?? loginError(e),
});

type Step = { kind: 'password' } | { kind: 'mfa' } | { kind: 'enrol' };

export function SignInPage({ onSignedIn, notice }: { onSignedIn: () => Promise<void>; notice?: string | null }) {
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [org, setOrg] = useState(rememberedOrg() ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const { busy, message: error, run } = useSubmit(signInMessage);
  // Assertion options when the user has a passkey (fetched at mfa_required; null = none).
  const [passkey, setPasskey] = useState<PasskeyOptions | null>(null);
  const codeInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Parapet';
  }, []);
  useEffect(() => {
    if (step.kind === 'mfa') codeInput.current?.focus();
  }, [step, useRecovery]);

  const submitPassword = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await ok(apiQuiet.POST('/api/v1/auth/login', { body: { org: org.trim().toLowerCase(), email: email.trim().toLowerCase(), password } }));
      rememberOrg(org.trim().toLowerCase());
      setCsrfToken(r.csrf_token);
      setPassword('');
      if (r.state === 'authenticated') await onSignedIn();
      else {
        // Offer the passkey only to someone who has one (409 no_webauthn_credentials -> null).
        if (r.state === 'mfa_required' && webauthnSupported()) setPasskey(await passkeyOptions({ quiet401: true }).catch(() => null));
        setStep({ kind: r.state === 'mfa_required' ? 'mfa' : 'enrol' });
      }
    });
  };

  const submitCode = (e: FormEvent) => {
    e.preventDefault();
    void run(
      async () => {
        const body = useRecovery ? { recovery_code: code.trim() } : { code: code.trim() };
        const r = await ok(apiQuiet.POST('/api/v1/auth/mfa/verify', { body }));
        setCsrfToken(r.csrf_token);
        await onSignedIn();
      },
      () => setCode(''),
    );
  };

  const submitPasskey = () => {
    const options = passkey;
    return run(
      async () => {
        await verifyWithPasskey({ quiet401: true, options });
        await onSignedIn();
      },
      // The next try asks for fresh options (a challenge is single use).
      async () => setPasskey(options ? await passkeyOptions({ quiet401: true }).catch(() => options) : null),
    );
  };

  return (
    <SignInCard
      title={step.kind === 'mfa' ? 'Two-step verification' : step.kind === 'enrol' ? 'Set up two-step verification' : 'Sign in'}
      footer={<p className="signin-footer muted small">Parapet · security platform. Sessions end after 30 minutes of inactivity.</p>}
    >
      {error ? (
        <Notice kind={error.kind}>
          <span data-testid="signin-error">{error.text}</span>
        </Notice>
      ) : null}
      {notice && !error && step.kind === 'password' ? (
        <Notice kind="success">
          <span data-testid="signed-out-notice">{notice}</span>
        </Notice>
      ) : null}

      {step.kind === 'password' ? (
        <form onSubmit={submitPassword} noValidate={false}>
          <div className="field">
            <label htmlFor="signin-org">Organisation</label>
            <input id="signin-org" name="org" autoComplete="organization" value={org} onChange={(e) => setOrg(e.target.value)} required pattern="[A-Za-z0-9\-]+" aria-describedby="signin-org-hint" />
            <p id="signin-org-hint" className="field-hint">
              Your organisation's short name, as in your invitation.
            </p>
          </div>
          <div className="field">
            <label htmlFor="signin-email">Email</label>
            <input id="signin-email" name="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
          </div>
          <div className="field">
            <label htmlFor="signin-password">Password</label>
            <input id="signin-password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
          </div>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          <SsoOptions org={org} />
        </form>
      ) : null}

      {step.kind === 'mfa' && passkey ? <PasskeyOption onUse={() => void submitPasskey()} busy={busy} /> : null}

      {step.kind === 'mfa' ? (
        <form onSubmit={submitCode}>
          <p className="muted">{useRecovery ? 'Enter one of your recovery codes. Each code works once.' : 'Enter the 6-digit code from your authenticator app.'}</p>
          <div className="field">
            <label htmlFor="signin-code">{useRecovery ? 'Recovery code' : 'Verification code'}</label>
            <input
              ref={codeInput}
              id="signin-code"
              name="code"
              inputMode={useRecovery ? 'text' : 'numeric'}
              autoComplete="one-time-code"
              value={code}
              onChange={(e) => setCode(e.target.value)}
              required
              minLength={6}
              maxLength={useRecovery ? 32 : 6}
            />
          </div>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Verifying…' : 'Verify'}
          </button>
          <button
            type="button"
            className="btn-link"
            onClick={() => {
              setUseRecovery(!useRecovery);
              setCode('');
            }}
          >
            {useRecovery ? 'Use your authenticator app instead' : 'Use a recovery code instead'}
          </button>
        </form>
      ) : null}

      {step.kind === 'enrol' ? (
        <div>
          <p>Your organisation requires two-step verification. Set up an authenticator app to finish signing in.</p>
          <EnrolAfterLogin onDone={onSignedIn} />
        </div>
      ) : null}
    </SignInCard>
  );
}

/**
 * Single sign-on buttons for the organisation's identity providers. Shown only when the
 * server has the SSO module (GET /api/v1/sso/providers?org=) and the organisation has some.
 */
function SsoOptions({ org }: { org: string }) {
  const [providers, setProviders] = useState<ResponseBody<'/api/v1/sso/providers', 'get'>['providers']>([]);
  useEffect(() => {
    const slug = org.trim().toLowerCase();
    setProviders([]);
    if (!/^[a-z0-9-]{2,63}$/.test(slug)) return;
    const ac = new AbortController();
    const t = setTimeout(() => {
      ok(apiQuiet.GET('/api/v1/sso/providers', { params: { query: { org: slug } }, signal: ac.signal }))
        .then((r) => setProviders(r.providers))
        .catch(() => setProviders([])); // none configured, or not answered: password only
    }, 300);
    return () => {
      clearTimeout(t);
      ac.abort();
    };
  }, [org]);
  if (!providers.length) return null;
  return (
    <div className="sso-options" aria-label="Single sign-on">
      <p className="divider-text muted small">or</p>
      {providers.map((p) => (
        <a key={p.id} className="btn btn-block" href={p.login_url}>
          Continue with {p.name}
        </a>
      ))}
    </div>
  );
}

/** TOTP enrolment for a session that may only enrol (the tenant requires MFA). */
function EnrolAfterLogin({ onDone }: { onDone: () => Promise<void> }) {
  return <TotpEnrolment onEnrolled={onDone} />;
}

export function TotpEnrolment({ onEnrolled, autoStart = false }: { onEnrolled: () => Promise<void> | void; autoStart?: boolean }) {
  const [secret, setSecret] = useState<{ secret: string; otpauth_uri: string } | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const { busy, message: error, run } = useSubmit();

  const start = () => run(async () => setSecret(await ok(api.POST('/api/v1/auth/mfa/totp/enroll'))));
  // Opened from a button that already said "set up": start at once.
  useEffect(() => {
    if (autoStart) void start();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const confirm = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await ok(api.POST('/api/v1/auth/mfa/totp/confirm', { body: { code: code.trim() } }));
      setCsrfToken(r.csrf_token);
      setCodes(r.recovery_codes);
    });
  };

  if (codes) {
    return (
      <div className="stack">
        <Notice kind="success">Your authenticator is set up.</Notice>
        <p>
          Save these recovery codes somewhere safe. Each works once if you lose your authenticator; <strong>they are shown only now</strong>.
        </p>
        <RecoveryCodeList codes={codes} />
        <button type="button" className="btn btn-primary" onClick={() => void onEnrolled()}>
          I saved them, continue
        </button>
      </div>
    );
  }
  return (
    <div className="stack">
      {error ? <Notice kind={error.kind}>{error.text}</Notice> : null}
      {!secret && autoStart && !error ? (
        <p className="muted">Preparing a new key…</p>
      ) : !secret ? (
        <button type="button" className="btn btn-primary" onClick={() => void start()} disabled={busy}>
          Set up an authenticator app
        </button>
      ) : (
        <form onSubmit={confirm} className="stack">
          <p>Scan this code with your authenticator app (Aegis, 1Password, Google Authenticator…), or enter the key below, then type the code the app shows.</p>
          <QrCode value={secret.otpauth_uri} label="QR code for your authenticator app" />
          <div className="field">
            <span className="field-label">Setup key</span>
            <code className="secret" data-testid="totp-secret">
              {secret.secret.replace(/(.{4})/g, '$1 ').trim()}
            </code>
            <p className="field-hint">
              Or open this link on the device with the app: <a href={secret.otpauth_uri}>otpauth link</a>
            </p>
          </div>
          <div className="field">
            <label htmlFor="enrol-code">Code from the app</label>
            <input id="enrol-code" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)} required minLength={6} maxLength={6} />
          </div>
          <button type="submit" className="btn btn-primary" disabled={busy || code.trim().length !== 6}>
            Confirm
          </button>
        </form>
      )}
    </div>
  );
}
