import { useState } from 'react';
import { describe } from './api';

/** A sentence a form shows after it was sent, in a Notice of this kind. */
export interface Message {
  kind: 'success' | 'warning' | 'error';
  text: string;
}

/**
 * The state of a form (or button) that sends one request at a time: `busy` while `run`'s action
 * works (its buttons disable and say "Saving…"), and the `message` the last run left.
 *
 * `run(action, recover?)` clears the message, sets `busy`, awaits `action`; a string it resolves
 * with becomes a success message. What it throws becomes the message `toMessage` makes of it
 * (default: an error with the problem's detail, via `describe`); then `recover(error)` runs, still
 * busy (a fresh WebAuthn challenge, a cleared code field; it must not throw). `busy` ends in
 * every case, and `run` never rejects. `setMessage` shows a sentence without sending anything (a
 * check made before the request); `initial` is the message shown before any run.
 */
export function useSubmit(toMessage: (e: unknown) => Message | string = describe, initial: Message | null = null) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message | null>(initial);
  const run = async (action: () => Promise<string | void>, recover?: (e: unknown) => unknown): Promise<void> => {
    setBusy(true);
    setMessage(null);
    try {
      const text = await action();
      if (text) setMessage({ kind: 'success', text });
    } catch (e) {
      const m = toMessage(e);
      setMessage(typeof m === 'string' ? { kind: 'error', text: m } : m);
      await recover?.(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, message, setMessage, run };
}
