/**
 * macOS and Windows collector. The foreground window comes from `@miniben90/x-win` (napi-rs,
 * prebuilt per platform and shipped through npm: NSWorkspace / CGWindowList on macOS,
 * GetForegroundWindow and the owning process's image on Windows). Input idle time and the
 * lock screen come from the OS through `koffi` (FFI, also prebuilt through npm):
 *
 * - Windows: `GetLastInputInfo` against `GetTickCount` (both DWORD milliseconds, so the
 *   difference is taken modulo 2^32: the tick counter wraps every 49.7 days), and
 *   `OpenInputDesktop`, which fails while the secure desktop (lock screen, UAC) has input.
 * - macOS: `CGEventSourceSecondsSinceLastEventType(kCGEventSourceStateCombinedSessionState,
 *   kCGAnyInputEventType)` and the `CGSSessionScreenIsLocked` key of
 *   `CGSessionCopyCurrentDictionary()`.
 *
 * Only the app id, process name, pid and title are read from x-win; its URL, icon, memory
 * and position fields are never touched. The same x-win calls run on Linux X11, which is how
 * the foreground part is tested here (test/desktop-collector.test.ts, under Xvfb); the koffi
 * parts run only on their own OS.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { posix, win32 } from 'node:path';
import type { Collector, CollectorInfo, Sample, WindowSample } from './types.js';

/** The foreground window as the collector needs it; null when nothing has focus. */
export interface ForegroundSource {
  active(): Promise<WindowSample | null>;
}

/** Input idle time (ms) and whether the session is locked, read synchronously from the OS. */
export interface InputState {
  idleMs(): number;
  locked(): boolean;
}

/** The part of x-win's `WindowInfo` read here. */
export interface XWinInfo {
  title: string;
  info: { processId: number; path: string; name: string; execName: string };
}

const require = createRequire(import.meta.url);

/** DWORD tick difference (ms): `now - last` modulo 2^32, so it stays right across the 49.7-day wrap of GetTickCount. */
export function tickDiffMs(now: number, last: number): number {
  return (now - last) >>> 0;
}

/** CFBundleIdentifier from an XML Info.plist; undefined for a binary plist or when absent. */
export function bundleIdFromPlist(text: string): string | undefined {
  const m = /<key>\s*CFBundleIdentifier\s*<\/key>\s*<string>\s*([^<\s]+)\s*<\/string>/.exec(text);
  return m?.[1]?.toLowerCase();
}

/**
 * The normalised application id for a foreground window (see {@link WindowSample.app}):
 * Windows: the executable's file name without `.exe`; macOS: the bundle id when the
 * executable sits in an `.app` bundle (`bundleId` reads it), else the executable name;
 * Linux X11: the WM_CLASS class, which x-win reports as `name`. Always lower-case, at most 128.
 */
export async function appIdOf(platform: NodeJS.Platform, w: XWinInfo['info'], bundleId: (appDir: string) => Promise<string | undefined> = readBundleId): Promise<string> {
  let id: string | undefined;
  if (platform === 'win32') id = win32.basename(w.path || w.execName || '').replace(/\.exe$/i, '');
  else if (platform === 'darwin') {
    const at = w.path.indexOf('.app/');
    id = (at > 0 ? await bundleId(w.path.slice(0, at + 4)) : undefined) ?? (w.execName || posix.basename(w.path));
  } else id = w.name || w.execName;
  return (id || 'unknown').toLowerCase().slice(0, 128);
}

const bundleIds = new Map<string, string | undefined>();
async function readBundleId(appDir: string): Promise<string | undefined> {
  if (!bundleIds.has(appDir)) {
    const text = await readFile(posix.join(appDir, 'Contents', 'Info.plist'), 'utf8').catch(() => '');
    bundleIds.set(appDir, bundleIdFromPlist(text));
  }
  return bundleIds.get(appDir);
}

/** The foreground window through x-win (`activeWindowAsync`). A window that vanished mid-query, or none at all, is null. */
export function xwinForeground(platform: NodeJS.Platform = process.platform): ForegroundSource {
  const xwin = require('@miniben90/x-win') as { activeWindowAsync(): Promise<XWinInfo> };
  return {
    async active() {
      let w: XWinInfo;
      try {
        w = xwinAdapt(await xwin.activeWindowAsync());
      } catch {
        return null;
      }
      if (!w.info || (!w.info.path && !w.info.name && !w.info.execName)) return null;
      const pid = w.info.processId > 0 ? w.info.processId : undefined;
      return { app: await appIdOf(platform, w.info), title: w.title ?? '', process: w.info.execName || undefined, pid };
    },
  };
}

/** Copies the fields used here out of x-win's object (its getters call into the addon). */
function xwinAdapt(w: XWinInfo): XWinInfo {
  const i = w.info;
  return { title: String(w.title ?? ''), info: { processId: Number(i?.processId ?? 0), path: String(i?.path ?? ''), name: String(i?.name ?? ''), execName: String(i?.execName ?? '') } };
}

const structsDeclared = new WeakSet<object>();

/** The part of koffi's API used here. */
export interface Koffi {
  load(path: string): { func(decl: string): (...args: unknown[]) => unknown };
  struct(name: string, def: Record<string, string>): unknown;
}

/** Windows idle time and lock state through user32/kernel32. @throws Error when not on Windows. */
export function windowsInputState(koffi: Koffi = require('koffi') as Koffi): InputState {
  // koffi's type names are global to the instance and may be declared only once.
  if (!structsDeclared.has(koffi)) {
    koffi.struct('LASTINPUTINFO', { cbSize: 'uint32', dwTime: 'uint32' });
    structsDeclared.add(koffi);
  }
  const user32 = koffi.load('user32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const getLastInputInfo = user32.func('int __stdcall GetLastInputInfo(_Inout_ LASTINPUTINFO *plii)');
  const getTickCount = kernel32.func('uint32 __stdcall GetTickCount()');
  const openInputDesktop = user32.func('void * __stdcall OpenInputDesktop(uint32 dwFlags, int fInherit, uint32 dwDesiredAccess)');
  const closeDesktop = user32.func('int __stdcall CloseDesktop(void *hDesktop)');
  const DESKTOP_SWITCHDESKTOP = 0x0100;
  return {
    idleMs() {
      const lii = { cbSize: 8, dwTime: 0 };
      if (!getLastInputInfo(lii)) return 0;
      return tickDiffMs(getTickCount() as number, lii.dwTime);
    },
    locked() {
      const h = openInputDesktop(0, 0, DESKTOP_SWITCHDESKTOP);
      if (!h) return true;
      closeDesktop(h);
      return false;
    },
  };
}

/** macOS idle time and lock state through CoreGraphics and CoreFoundation. @throws Error when not on macOS. */
export function macInputState(koffi: Koffi = require('koffi') as Koffi): InputState {
  const cg = koffi.load('/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics');
  const cf = koffi.load('/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation');
  const secondsSince = cg.func('double CGEventSourceSecondsSinceLastEventType(int32 stateID, uint32 eventType)');
  const sessionDict = cg.func('void * CGSessionCopyCurrentDictionary()');
  const stringCreate = cf.func('void * CFStringCreateWithCString(void *alloc, const char *cStr, uint32 encoding)');
  const dictGet = cf.func('void * CFDictionaryGetValue(void *dict, void *key)');
  const boolValue = cf.func('bool CFBooleanGetValue(void *b)');
  const release = cf.func('void CFRelease(void *cf)');
  const kCFStringEncodingUTF8 = 0x08000100;
  const lockedKey = stringCreate(null, 'CGSSessionScreenIsLocked', kCFStringEncodingUTF8);
  const kCGEventSourceStateCombinedSessionState = 0;
  const kCGAnyInputEventType = 0xffffffff;
  return {
    idleMs() {
      return Math.max(0, Math.round((secondsSince(kCGEventSourceStateCombinedSessionState, kCGAnyInputEventType) as number) * 1000));
    },
    locked() {
      const d = sessionDict();
      // No session dictionary: not in a GUI login session (e.g. at the login window), so nothing is recorded.
      if (!d) return true;
      try {
        const v = dictGet(d, lockedKey);
        return !!v && (boolValue(v) as boolean);
      } finally {
        release(d);
      }
    },
  };
}

/** What the collector says about itself on each platform (printed by `parapet-agent doctor` and at start). */
export function desktopInfo(platform: NodeJS.Platform): CollectorInfo {
  if (platform === 'darwin') {
    return {
      session: 'macos',
      supported: true,
      notes: [
        'macOS: the foreground application (bundle id) comes from the window server; window titles need the Screen Recording permission and are empty without it.',
        'Idle time comes from CGEventSourceSecondsSinceLastEventType and the lock screen from the session dictionary.',
      ],
    };
  }
  if (platform === 'win32') {
    return {
      session: 'windows',
      supported: true,
      notes: ['Windows: the foreground application (exe name) and title come from GetForegroundWindow; idle time from GetLastInputInfo; the lock screen from OpenInputDesktop.'],
    };
  }
  return { session: 'x-win', supported: true, notes: ['The foreground window comes from x-win.'] };
}

/**
 * A collector from a foreground source and an input-state source; `openDesktopCollector`
 * wires the real ones for macOS and Windows. `sample` never throws: a failing OS call reads
 * as no window / not idle, and a locked session reports no window at all.
 */
export function desktopCollector(info: CollectorInfo, fg: ForegroundSource, input: InputState): Collector {
  return {
    info,
    async sample(): Promise<Sample> {
      const at = Date.now();
      const locked = safe(() => input.locked(), false);
      const window = locked ? null : await fg.active();
      return { at, window, idleMs: safe(() => input.idleMs(), 0), locked };
    },
    async close() {},
  };
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** Opens the collector for macOS (`darwin`) or Windows (`win32`). @throws Error on any other platform or when the OS libraries do not load. */
export function openDesktopCollector(platform: NodeJS.Platform = process.platform): Collector {
  if (platform !== 'darwin' && platform !== 'win32') throw new Error(`No desktop collector for ${platform}.`);
  const input = platform === 'win32' ? windowsInputState() : macInputState();
  return desktopCollector(desktopInfo(platform), xwinForeground(platform), input);
}
