import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode, type Ref } from 'react';
import { useSubmit } from '../useSubmit';

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
 * The frame every console dialog shares: a modal over a backdrop with role `dialog` (or
 * `alertdialog` for a destructive one, `alert`), named by its `title` heading and described by
 * `description` (shown muted under the title) when there is one. Tab stays inside; Escape calls
 * `onCancel` unless `busy` (an action is running and must not be abandoned half-way).
 * `children` are the dialog's body: its form, its DialogFoot.
 */
export function DialogFrame({
  title,
  description,
  alert = false,
  busy = false,
  onCancel,
  children,
}: {
  title: ReactNode;
  description?: ReactNode;
  alert?: boolean;
  busy?: boolean;
  onCancel: () => void;
  children: ReactNode;
}) {
  const titleId = useId();
  const descId = useId();
  return (
    <div className="dialog-backdrop">
      <div
        className="dialog"
        role={alert ? 'alertdialog' : 'dialog'}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description ? descId : undefined}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && !busy) onCancel();
          trapTab(e);
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {description ? (
          <div id={descId} className="muted">
            {description}
          </div>
        ) : null}
        {children}
      </div>
    </div>
  );
}

/**
 * The foot of a dialog: the last error as an alert (with `errorId`, for a field's
 * aria-describedby), then Cancel and the dialog's own action button(s) (`children`). Cancel is
 * disabled while `busy`; `cancelRef` lets a dialog focus it first.
 */
export function DialogFoot({
  error,
  errorId,
  busy = false,
  onCancel,
  cancelRef,
  children,
}: {
  error: string | null | undefined;
  errorId?: string;
  busy?: boolean;
  onCancel: () => void;
  cancelRef?: Ref<HTMLButtonElement>;
  children: ReactNode;
}) {
  return (
    <>
      {error ? (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button ref={cancelRef} type="button" className="btn" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        {children}
      </div>
    </>
  );
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
  const cancel = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(document.activeElement);
  const { busy, message, run } = useSubmit();

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

  return (
    <DialogFrame title={title} description={children} alert busy={busy} onCancel={onClose}>
      <DialogFoot error={message?.text} busy={busy} onCancel={onClose} cancelRef={cancel}>
        <button
          type="button"
          className="btn btn-danger-solid"
          onClick={() =>
            void run(async () => {
              await onConfirm();
              onClose();
            })
          }
          aria-busy={busy || undefined}
        >
          {busy ? busyLabel : confirmLabel}
        </button>
      </DialogFoot>
    </DialogFrame>
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
