/**
 * Transparency (PULSE-CONTROL): what `parapet-agent show` and the local page display. The
 * pending part is byte for byte what the uploader sends: sealed batches are printed as their
 * stored body, unsealed intervals as the exact JSON they will carry inside a batch.
 */
import { describeHours, readControls } from './control.js';
import { currentPolicy } from './policy.js';
import { uploadForm, type Store, type StoredInterval } from './store.js';
import { HELD_SETTING, holdSentence, type UploadHold } from './upload.js';

export interface ShowData {
  /** Local day shown, [from, to) in ms. */
  from: number;
  to: number;
  intervals: Array<StoredInterval & { upload: string }>;
  pending: { sealed: Array<{ batch_id: string; attempts: number; last_error: string | null; body: string }>; unsealed: string[]; open: string | null };
  rejected: Array<{ batchId: string; rejected: string }>;
  dropped: number;
  /** Intervals dropped unsent because they were older than the tenant's detail retention. */
  expired: number;
  /** Why uploads are held (the device is not personal), one sentence; null when they are not. */
  held: string | null;
  controls: string[];
  keyStore: string;
  policy: { tenant: string; version: number };
}

/** Local midnight of the day containing `now` (the process's time zone). */
export function startOfLocalDay(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function controlLines(store: Store, now: number = Date.now()): string[] {
  const c = readControls(store);
  const out: string[] = [];
  if (c.pause && (c.pause.until === null || now < c.pause.until)) out.push(c.pause.until === null ? 'Paused until resumed.' : `Paused until ${new Date(c.pause.until).toISOString()}.`);
  else out.push('Recording (not paused).');
  out.push(c.excluded.length ? `Excluded apps (recorded as paused): ${c.excluded.join(', ')}.` : 'No excluded apps.');
  out.push(c.hours ? `Working hours: ${describeHours(c.hours)}; outside them time is recorded as paused.` : 'No working hours set; every hour may be recorded.');
  return out;
}

export function showData(store: Store, o: { from: number; to: number; now?: number }): ShowData {
  const now = o.now ?? Date.now();
  const intervals = store.intervals(o.from, o.to).map((i) => ({ ...i, upload: JSON.stringify(uploadForm(i)) }));
  const open = store.intervals(0, Number.MAX_SAFE_INTEGER).find((i) => i.open);
  const policy = currentPolicy(store);
  return {
    from: o.from,
    to: o.to,
    intervals,
    pending: {
      sealed: store.pendingBatches().map((b) => ({ batch_id: b.batchId, attempts: b.attempts, last_error: b.lastError, body: b.body })),
      unsealed: store.unsealed().map((i) => JSON.stringify(uploadForm(i))),
      open: open ? JSON.stringify(uploadForm(open)) : null,
    },
    rejected: store.rejectedBatches(),
    dropped: store.counter('dropped'),
    expired: store.counter('expired'),
    held: ((h) => (h ? holdSentence(h, store.waitingCount()) : null))(store.getSetting<UploadHold>(HELD_SETTING)),
    controls: controlLines(store, now),
    keyStore: store.keyStore.sentence,
    policy: { tenant: policy.tenant, version: policy.version },
  };
}

const hms = (ms: number) => new Date(ms).toTimeString().slice(0, 8);

/** The text form of `show`. */
export function showText(d: ShowData, o: { recorded: boolean; pending: boolean }): string[] {
  const out: string[] = [...d.controls, d.keyStore];
  if (o.recorded) {
    out.push('', `Recorded on this device for ${new Date(d.from).toDateString()} (${d.intervals.length} intervals; times are local):`);
    for (const i of d.intervals) {
      const detail = i.state === 'paused' ? '' : `  ${i.app}  ${i.category}${i.domain ? `  ${i.domain}` : ''}${i.localCategory ? `  [your category: ${i.localCategory}]` : ''}`;
      const status = i.open ? 'recording' : i.uploaded ? 'uploaded' : i.batchId ? 'sealed' : 'waiting';
      out.push(`  ${hms(i.start)}-${hms(i.end)}  ${i.state.padEnd(6)}${detail}  (${status})`);
    }
  }
  if (o.pending) {
    if (d.held) out.push('', d.held);
    const n = d.pending.sealed.length + d.pending.unsealed.length;
    out.push('', n === 0 ? 'Nothing is waiting to be sent.' : 'Waiting to be sent, byte for byte (your own categories never leave this device):');
    for (const b of d.pending.sealed) out.push(`batch ${b.batch_id} (sealed, ${b.attempts} attempts${b.last_error ? `, last error ${b.last_error}` : ''}):`, b.body);
    if (d.pending.unsealed.length) out.push('intervals not yet in a batch (each line is exactly what a batch will carry):', ...d.pending.unsealed);
    if (d.pending.open) out.push('the interval being recorded now (its end still grows):', d.pending.open);
    for (const r of d.rejected) out.push(`batch ${r.batchId} was refused by the server (${r.rejected}) and is kept here, not sent again.`);
    if (d.expired) out.push(`${d.expired} intervals were dropped unsent because they were older than the server keeps (its detail retention).`);
    if (d.dropped) out.push(`${d.dropped} intervals were dropped unsent because the upload queue was full.`);
  }
  return out;
}
