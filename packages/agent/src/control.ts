/**
 * The employee's controls (PULSE-CONTROL), kept in the local store's `settings` table so the
 * running agent sees a change from the CLI within one settings refresh: pause (for a duration
 * or until resumed), excluded apps, and working hours in a time zone. Time that is paused,
 * in an excluded app or outside working hours is recorded only as `paused`, with no detail.
 */
import type { Store } from './store.js';

export interface Pause {
  /** ms since the epoch; null: until resumed. */
  until: number | null;
  since: number;
}

export interface WorkHours {
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  days: number[];
  /** Minutes after local midnight, start inclusive, end exclusive. */
  start: number;
  end: number;
  /** IANA time zone. */
  tz: string;
}

export interface Controls {
  pause: Pause | null;
  excluded: string[];
  hours: WorkHours | null;
}

/** Wrong control input: the CLI prints the sentence and exits 2. */
export class ControlError extends Error {
  override name = 'ControlError';
}

export function readControls(store: Store): Controls {
  return { pause: store.getSetting<Pause>('pause') ?? null, excluded: store.getSetting<string[]>('excluded') ?? [], hours: store.getSetting<WorkHours>('hours') ?? null };
}

/** Parses `30m`, `1h`, `1h30m`, `2d` into ms. @throws ControlError */
export function parseDuration(s: string): number {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/.exec(s.trim());
  if (!m || s.trim() === '') throw new ControlError(`The duration ${JSON.stringify(s)} is not of a form like 30m, 1h or 1h30m.`);
  const ms = ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000;
  if (ms <= 0) throw new ControlError('A pause must last longer than zero minutes.');
  return ms;
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Parses `mon-fri`, `mon,wed,fri`, `sat-sun` into ISO weekdays. @throws ControlError */
export function parseDays(s: string): number[] {
  const out = new Set<number>();
  for (const part of s.toLowerCase().split(',')) {
    const [a, b] = part.split('-');
    const i = DAY_NAMES.indexOf(a ?? '');
    const j = b === undefined ? i : DAY_NAMES.indexOf(b);
    if (i < 0 || j < 0) throw new ControlError(`The days ${JSON.stringify(s)} are not a list like mon-fri or mon,wed,fri.`);
    for (let d = i; ; d = (d + 1) % 7) {
      out.add(d + 1);
      if (d === j) break;
    }
  }
  return [...out].sort();
}

/** Parses `09:00-17:30` into minutes. @throws ControlError */
export function parseSpan(s: string): { start: number; end: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/.exec(s);
  if (!m) throw new ControlError(`The span ${JSON.stringify(s)} is not a time span like 09:00-17:30.`);
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  if (end <= start || end > 24 * 60) throw new ControlError(`The span ${s} must end after it starts, on the same day.`);
  return { start, end };
}

/** @throws ControlError for a time zone the runtime does not know. */
export function checkTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    throw new ControlError(`The time zone ${JSON.stringify(tz)} is not known (use an IANA name like Europe/Berlin).`);
  }
}

/** ISO weekday and minutes after midnight of `at` in `tz`. */
export function localTime(at: number, tz: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { day: DAY_NAMES.indexOf(get('weekday').toLowerCase().slice(0, 3)) + 1, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Why `at` is paused, or null when recording is allowed. */
export function pausedReason(c: Controls, at: number, app: string | null): 'paused' | 'excluded' | 'off-hours' | null {
  if (c.pause && (c.pause.until === null || at < c.pause.until)) return 'paused';
  if (c.hours) {
    const t = localTime(at, c.hours.tz);
    if (!c.hours.days.includes(t.day) || t.minute < c.hours.start || t.minute >= c.hours.end) return 'off-hours';
  }
  if (app !== null && c.excluded.includes(app.toLowerCase())) return 'excluded';
  return null;
}

export function describeHours(h: WorkHours): string {
  const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${h.days.map((d) => DAY_NAMES[d - 1]).join(',')} ${hm(h.start)}-${hm(h.end)} ${h.tz}`;
}
