/**
 * Linux X11 collector over one X connection with the pure-JS `x11` protocol client: the active
 * window from the root window's `_NET_ACTIVE_WINDOW` (EWMH, set by the window manager), its
 * `WM_CLASS`, `_NET_WM_PID` (process name from /proc/PID/comm), `_NET_WM_NAME` (UTF-8, falling
 * back to `WM_NAME`), and the input idle time and screen saver state from the MIT-SCREEN-SAVER
 * extension (ScreenSaverQueryInfo). A screen saver in state On (blanked, or a locker that
 * activates it) counts as locked.
 */
import { readFile } from 'node:fs/promises';
import x11 from 'x11';
import type { Collector, CollectorInfo, Sample, WindowSample } from './types.js';

/* The x11 package ships no types; these are the few calls used here. */
interface XProperty {
  type: number;
  data: Buffer;
}
interface XClient {
  InternAtom(onlyIfExists: boolean, name: string, cb: (err: unknown, atom: number) => void): void;
  GetProperty(del: number, wid: number, prop: number, type: number, offset: number, length: number, cb: (err: unknown, p: XProperty) => void): void;
  require(ext: string, cb: (err: unknown, ext: ScreenSaverExt) => void): void;
  on(ev: 'error' | 'end' | 'close', cb: (e?: unknown) => void): void;
  terminate(): void;
}
interface ScreenSaverExt {
  QueryInfo(drawable: number, cb: (err: unknown, info: { state: number; idle: number; kind: number }) => void): void;
  State: { Off: number; On: number; Disabled: number };
}
interface XDisplay {
  client: XClient;
  screen: Array<{ root: number }>;
}

const ANY_PROPERTY_TYPE = 0;

function connect(display: string | undefined): Promise<XDisplay> {
  return new Promise((resolve, reject) => {
    try {
      const client = (x11 as { createClient: (o: { display?: string }, cb: (err: unknown, d: XDisplay) => void) => XClient }).createClient(display ? { display } : {}, (err, d) => (err ? reject(err) : resolve(d)));
      client.on('error', (e) => reject(e));
    } catch (e) {
      reject(e);
    }
  });
}

const call = <T>(f: (cb: (err: unknown, v: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => f((err, v) => (err ? reject(err instanceof Error ? err : new Error(String((err as { message?: string }).message ?? err))) : resolve(v))));

/** Splits WM_CLASS ("instance\0class\0") and returns the class, lower-cased. */
export function wmClassOf(data: Buffer): string | undefined {
  const parts = data.toString('latin1').split('\0').filter((s) => s.length > 0);
  const cls = parts[1] ?? parts[0];
  return cls ? cls.toLowerCase().slice(0, 128) : undefined;
}

/**
 * Decodes a COMPOUND_TEXT property (ICCCM §2.7.1; e.g. xterm's WM_NAME outside a UTF-8 locale):
 * Latin-1 by default, UTF-8 between `ESC % G` and `ESC % @`; other designations are dropped.
 */
export function decodeCompoundText(data: Buffer): string {
  let out = '';
  let i = 0;
  let utf8 = false;
  let from = 0;
  const flush = (to: number) => {
    out += data.subarray(from, to).toString(utf8 ? 'utf8' : 'latin1');
  };
  while (i < data.length) {
    if (data[i] === 0x1b) {
      flush(i);
      if (data[i + 1] === 0x25 && data[i + 2] === 0x47) (utf8 = true), (i += 3);
      else if (data[i + 1] === 0x25 && data[i + 2] === 0x40) (utf8 = false), (i += 3);
      else {
        // Skip the escape sequence: intermediate bytes 0x20-0x2f, then one final byte.
        i++;
        while (i < data.length && data[i]! >= 0x20 && data[i]! <= 0x2f) i++;
        i++;
      }
      from = i;
    } else i++;
  }
  flush(data.length);
  return out;
}

/** Opens the display (`$DISPLAY` by default) and checks the window manager and the screen saver extension. */
export async function openX11Collector(o: { display?: string | undefined } = {}): Promise<Collector> {
  const d = await connect(o.display);
  const X = d.client;
  let lost: Error | undefined;
  X.on('error', (e) => (lost = e instanceof Error ? e : new Error(String(e))));
  X.on('end', () => (lost ??= new Error('The X display connection was closed.')));
  const root = d.screen[0]!.root;
  const atom = (name: string) => call<number>((cb) => X.InternAtom(false, name, cb));
  const [ACTIVE, NET_WM_NAME, WM_NAME, WM_CLASS, NET_WM_PID, UTF8_STRING, COMPOUND_TEXT] = await Promise.all(
    ['_NET_ACTIVE_WINDOW', '_NET_WM_NAME', 'WM_NAME', 'WM_CLASS', '_NET_WM_PID', 'UTF8_STRING', 'COMPOUND_TEXT'].map(atom),
  );
  const ss = await call<ScreenSaverExt>((cb) => X.require('screen-saver', cb)).catch(() => undefined);
  const prop = (wid: number, p: number, longs = 1024) => call<XProperty>((cb) => X.GetProperty(0, wid, p, ANY_PROPERTY_TYPE, 0, longs, cb));

  const hasWm = (await prop(root, ACTIVE!, 1)).type !== 0;
  const notes = [
    'X11 session: the foreground application (WM_CLASS, process name) and window title are read from the window manager\'s _NET_ACTIVE_WINDOW.',
    ss ? 'Idle time and screen saver state come from the MIT-SCREEN-SAVER extension.' : 'The X server has no MIT-SCREEN-SAVER extension, so idle time cannot be measured and everything counts as active.',
  ];
  if (!hasWm) notes.push('No window manager sets _NET_ACTIVE_WINDOW on this display, so no foreground window is seen until one does.');
  const info: CollectorInfo = { session: 'x11', supported: true, notes };

  async function windowSample(): Promise<WindowSample | null> {
    const a = await prop(root, ACTIVE!, 1);
    if (a.type === 0 || a.data.length < 4) return null;
    const wid = a.data.readUInt32LE(0);
    if (wid === 0) return null;
    try {
      const [cls, netName, name, pidP] = await Promise.all([prop(wid, WM_CLASS!, 64), prop(wid, NET_WM_NAME!), prop(wid, WM_NAME!), prop(wid, NET_WM_PID!, 1)]);
      const title =
        netName.type === UTF8_STRING && netName.data.length
          ? netName.data.toString('utf8')
          : name.type === COMPOUND_TEXT
            ? decodeCompoundText(name.data)
            : name.data.toString(name.type === UTF8_STRING ? 'utf8' : 'latin1');
      const pid = pidP.data.length >= 4 ? pidP.data.readUInt32LE(0) : undefined;
      const process = pid ? (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() || undefined : undefined;
      const app = wmClassOf(cls.data) ?? process?.toLowerCase() ?? 'unknown';
      return { app, title, process, pid };
    } catch {
      // The window went away between reading _NET_ACTIVE_WINDOW and its properties (BadWindow).
      return null;
    }
  }

  return {
    info,
    async sample(): Promise<Sample> {
      if (lost) throw lost;
      const at = Date.now();
      const [window, q] = await Promise.all([windowSample(), ss ? call<{ state: number; idle: number }>((cb) => ss.QueryInfo(root, cb)) : Promise.resolve(undefined)]);
      return { at, window, idleMs: q?.idle ?? 0, locked: q !== undefined && q.state === ss!.State.On };
    },
    async close() {
      X.terminate();
    },
  };
}
