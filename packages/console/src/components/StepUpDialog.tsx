import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { describe, setStepUpHandler, stepUp, type Problem } from '../api';
import { trapTab } from './Dialog';
import { passkeyOptions, verifyWithPasskey, webauthnMessage, webauthnSupported, type PasskeyOptions } from '../webauthn';

interface Pending {
  resolve: (ok: boolean) => void;
}

/**
 * Registers the step-up handler with the API client and renders the dialog when an action
 * needs a fresh MFA verification. On success the API client repeats the original request.
 */
export function StepUpProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const queue = useRef<Promise<boolean> | null>(null);

  useEffect(() => {
    setStepUpHandler((_p: Problem) => {
      // Parallel requests that all need step-up share one dialog.
      queue.current ??= new Promise<boolean>((resolve) => setPending({ resolve })).finally(() => (queue.current = null));
      return queue.current;
    });
    return () => setStepUpHandler(null);
  }, []);

  const close = (ok: boolean) => {
    pending?.resolve(ok);
    setPending(null);
  };

  return (
    <>
      {children}
      {pending ? <StepUpDialog onDone={close} /> : null}
    </>
  );
}

function StepUpDialog({ onDone }: { onDone: (ok: boolean) => void }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const opener = useRef<Element | null>(document.activeElement);
  // Assertion options when the user has a passkey or security key: the dialog then offers it.
  const [passkey, setPasskey] = useState<PasskeyOptions | null>(null);

  useEffect(() => {
    let live = true;
    if (webauthnSupported())
      passkeyOptions()
        .then((o) => live && setPasskey(o))
        .catch(() => undefined); // no passkey option; the code still works
    return () => {
      live = false;
    };
  }, []);

  const usePasskey = async () => {
    setBusy(true);
    setError(null);
    const options = passkey;
    try {
      await verifyWithPasskey({ options });
      onDone(true);
    } catch (err) {
      setError(webauthnMessage(err) ?? describe(err));
      setBusy(false);
      // A challenge is single use: the next try gets fresh options.
      setPasskey(await passkeyOptions().catch(() => options));
    }
  };

  useEffect(() => {
    input.current?.focus();
    const back = opener.current;
    return () => {
      if (back instanceof HTMLElement) back.focus();
    };
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await stepUp(code.trim());
      onDone(true);
    } catch (err) {
      setError(describe(err));
      setBusy(false);
      input.current?.select();
    }
  };

  return (
    <div className="dialog-backdrop">
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="stepup-title"
        aria-describedby="stepup-desc"
        onKeyDown={(e) => {
          if (e.key === 'Escape') onDone(false);
          trapTab(e);
        }}
      >
        <h2 id="stepup-title">Confirm it's you</h2>
        <p id="stepup-desc" className="muted">
          This action needs a fresh verification. {passkey ? 'Use your passkey or security key, or enter' : 'Enter'} the 6-digit code from your authenticator app, or a recovery code.
        </p>
        {passkey ? (
          <div className="passkey-option">
            <button type="button" className="btn btn-block" onClick={() => void usePasskey()} disabled={busy}>
              Use a passkey or security key
            </button>
            <p className="divider-text muted small">or enter a code</p>
          </div>
        ) : null}
        <form onSubmit={submit}>
          <div className="field">
            <label htmlFor="stepup-code">Verification code</label>
            <input
              ref={input}
              id="stepup-code"
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              value={code}
              onChange={(e) => setCode(e.target.value)}
              required
              minLength={6}
              maxLength={32}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? 'stepup-error' : undefined}
            />
          </div>
          {error ? (
            <p id="stepup-error" className="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={() => onDone(false)}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy || code.trim().length < 6}>
              {busy ? 'Verifying…' : 'Verify and continue'}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
