import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { describe } from '../api';

/** Keeps Tab inside `root` (the dialog); shared by the dialogs. */
export function trapTab(e: KeyboardEvent<HTMLElement>): void {
  if (e.key !== 'Tab') return;
  const f = e.currentTarget.querySelectorAll<HTMLElement>('input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled]), a[href]');
  const first = f[0];
  const last = f[f.length - 1];
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last?.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first?.focus();
  }
}

/**
 * A confirmation for a destructive action: role `alertdialog`, focus on Cancel (the safe
 * choice), Tab kept inside, Escape cancels. While the action runs the dialog stays open (the
 * step-up dialog may appear above it); an error is shown inside. Focus then returns to the
 * opener, or to the page heading when the opener is gone (a revoked row loses its button).
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  busyLabel = 'Working…',
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busyLabel?: string;
  /** Runs the action; resolves when done (the dialog then closes), rejects to show the error. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const titleId = useId();
  const descId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(document.activeElement);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    cancel.current?.focus();
    const back = opener.current;
    return () => {
      // After the commit that removed the dialog: the opener may have gone with the change.
      queueMicrotask(() => {
        if (back instanceof HTMLElement && back.isConnected) back.focus();
        else document.querySelector<HTMLElement>('.page-title')?.focus();
      });
    };
  }, []);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (e) {
      setError(describe(e));
      setBusy(false);
    }
  };

  return (
    <div className="dialog-backdrop">
      <div
        className="dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={descId}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && !busy) onClose();
          trapTab(e);
        }}
      >
        <h2 id={titleId}>{title}</h2>
        <div id={descId} className="muted">
          {children}
        </div>
        {error ? (
          <p className="field-error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button ref={cancel} type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="btn btn-danger-solid" onClick={() => void confirm()} aria-busy={busy || undefined}>
            {busy ? busyLabel : confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

/**
 * A secret the server shows only once (enrollment and SCIM tokens): the value, a copy button,
 * and a plain note that it cannot be shown again.
 */
export function OneTimeSecret({ label, value, children, onDone, note }: { label: string; value: string; children?: ReactNode; onDone: () => void; note?: ReactNode }) {
  const id = useId();
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const box = useRef<HTMLElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      // No clipboard permission: select the text so Ctrl+C works.
      const sel = window.getSelection();
      if (box.current && sel) {
        sel.selectAllChildren(box.current);
      }
      setCopied('failed');
    }
  };
  return (
    <section className="secret-panel" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>{label}</h3>
      <p className="secret-note">
        {note ?? (
          <>
            <strong>Shown once.</strong> Copy it now: Parapet keeps only a hash and cannot show it again. If it is lost, create a new one.
          </>
        )}
      </p>
      <div className="secret-row">
        <code ref={box} className="secret" data-testid="one-time-secret" aria-label={label}>
          {value}
        </code>
        <button type="button" className="btn btn-small" onClick={() => void copy()}>
          Copy
        </button>
        <span className="small" role="status">
          {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Copying is blocked here; the text is selected, press Ctrl+C.' : ''}
        </span>
      </div>
      {children}
      <div>
        <button type="button" className="btn btn-small" onClick={onDone}>
          I have copied it, hide it
        </button>
      </div>
    </section>
  );
}
