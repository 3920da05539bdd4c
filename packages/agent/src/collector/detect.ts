/**
 * Picks the collector for this session and says plainly what works. Linux X11, macOS and
 * Windows record; elsewhere the agent records nothing rather than something wrong: on Wayland
 * an X11 connection (XWayland) sees only X clients, so its "active window" would be wrong
 * whenever a native Wayland window has focus.
 */
import { openX11Collector } from './x11.js';
import { desktopInfo, openDesktopCollector } from './desktop.js';
import type { Collector, CollectorInfo } from './types.js';

export type Env = Record<string, string | undefined>;

/** Classifies the session from the environment (no I/O), following XDG_SESSION_TYPE, WAYLAND_DISPLAY and XDG_CURRENT_DESKTOP. */
export function detectSession(env: Env = process.env, platform: NodeJS.Platform = process.platform): CollectorInfo {
  if (platform === 'darwin' || platform === 'win32') return desktopInfo(platform);
  const wayland = env.XDG_SESSION_TYPE === 'wayland' || (!!env.WAYLAND_DISPLAY && env.XDG_SESSION_TYPE !== 'x11');
  if (wayland) {
    const desk = (env.XDG_CURRENT_DESKTOP ?? '').toLowerCase();
    const kind = desk.includes('gnome') ? 'gnome' : desk.includes('kde') ? 'kde' : /sway|hyprland|river|wlroots|labwc|wayfire/.test(desk) ? 'wlroots' : 'unknown';
    const how: Record<string, string> = {
      gnome: 'GNOME on Wayland exposes the focused window only to a Shell extension, which this agent does not install.',
      kde: 'KDE Plasma on Wayland exposes the active window only to a KWin script, which this agent does not install.',
      wlroots: 'wlroots compositors expose windows through wlr-foreign-toplevel-management, which this agent does not speak yet.',
      unknown: 'This Wayland compositor offers no protocol this agent speaks for the focused window.',
    };
    return {
      session: `wayland-${kind}`,
      supported: false,
      notes: [
        `Wayland session (${env.XDG_CURRENT_DESKTOP ?? 'desktop unknown'}): ${how[kind]}`,
        'XWayland would only see X11 windows and report them as active while a Wayland window has focus, so the agent records nothing here rather than wrong data; pause, show and the local page still work.',
      ],
    };
  }
  if (platform === 'linux' && env.DISPLAY) return { session: 'x11', supported: true, notes: [] };
  return { session: 'none', supported: false, notes: ['No graphical session (DISPLAY is not set), so nothing is recorded.'] };
}

/** A collector that records nothing; used where the session is unsupported. */
export function nullCollector(info: CollectorInfo): Collector {
  return {
    info,
    async sample() {
      return { at: Date.now(), window: null, idleMs: 0, locked: false };
    },
    async close() {},
  };
}

/** Opens the collector for this session; unsupported sessions get {@link nullCollector} with the reason. */
export async function openCollector(env: Env = process.env, platform: NodeJS.Platform = process.platform): Promise<Collector> {
  const info = detectSession(env, platform);
  if (info.session === 'x11') return openX11Collector({ display: env.DISPLAY });
  if (info.session === 'macos' || info.session === 'windows') return openDesktopCollector(platform);
  return nullCollector(info);
}
