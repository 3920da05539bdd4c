/**
 * The passkey choice above a verification-code form (sign-in, step-up), shown when the person
 * has a passkey or security key: one button that starts the WebAuthn assertion (`onUse`,
 * disabled while `busy`), then the words that lead to the code field.
 */
export function PasskeyOption({ onUse, busy }: { onUse: () => void; busy: boolean }) {
  return (
    <div className="passkey-option">
      <button type="button" className="btn btn-block" onClick={onUse} disabled={busy}>
        Use a passkey or security key
      </button>
      <p className="divider-text muted small">or enter a code</p>
    </div>
  );
}
