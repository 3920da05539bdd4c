import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { describe, setStepUpHandler, stepUp, type Problem } from '../api';
import { DialogFoot, DialogFrame } from './Dialog';
import { PasskeyOption } from './PasskeyOption';
import { useSubmit } from '../useSubmit';
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
  const { busy, message, run } = useSubmit((err) => webauthnMessage(err) ?? describe(err));
  const error = message?.text;
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

  const usePasskey = () => {
    const options = passkey;
    return run(
      async () => {
        await verifyWithPasskey({ options });
        onDone(true);
      },
      // A challenge is single use: the next try gets fresh options.
      async () => setPasskey(await passkeyOptions().catch(() => options)),
    );
  };

  useEffect(() => {
    input.current?.focus();
    const back = opener.current;
    return () => {
      if (back instanceof HTMLElement) back.focus();
    };
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(
      async () => {
        await stepUp(code.trim());
        onDone(true);
      },
      () => input.current?.select(),
    );
  };

  return (
    <DialogFrame
      title="Confirm it's you"
      description={<p>This action needs a fresh verification. {passkey ? 'Use your passkey or security key, or enter' : 'Enter'} the 6-digit code from your authenticator app, or a recovery code.</p>}
      onCancel={() => onDone(false)}
    >
      {passkey ? <PasskeyOption onUse={() => void usePasskey()} busy={busy} /> : null}
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
        {/* Cancel stays usable while a verification runs: the action then is not done. */}
        <DialogFoot error={error} errorId="stepup-error" onCancel={() => onDone(false)}>
          <button type="submit" className="btn btn-primary" disabled={busy || code.trim().length < 6}>
            {busy ? 'Verifying…' : 'Verify and continue'}
          </button>
        </DialogFoot>
      </form>
    </DialogFrame>
  );
}
