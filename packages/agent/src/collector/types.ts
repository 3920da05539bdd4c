/**
 * What a platform collector reports on each poll (PULSE-AGENT). One sample describes the
 * foreground window and the input idle time at one instant; the heartbeat merger
 * (../heartbeat.ts) turns a stream of samples into intervals.
 */

/** The foreground window at one instant. */
export interface WindowSample {
  /** Normalised application id: lower-case WM_CLASS class / bundle id / exe name; `unknown` if none. */
  app: string;
  /** Raw window title: used on the device for categorisation and scrubbing only, never stored raw. */
  title: string;
  /** Process name from the window's PID (Linux: /proc/PID/comm), when known. */
  process?: string | undefined;
  pid?: number | undefined;
}

export interface Sample {
  /** Wall-clock time of the sample (ms since the epoch). */
  at: number;
  /** Foreground window; null when no window has focus (e.g. an empty desktop). */
  window: WindowSample | null;
  /** Milliseconds since the last keyboard or mouse input. */
  idleMs: number;
  /** True when the screen is locked or the screen saver is active: the interval ends, nothing is recorded. */
  locked: boolean;
}

/** What a collector can and cannot see on this session; printed by `parapet-agent doctor` and at start. */
export interface CollectorInfo {
  /** `x11`, `wayland-gnome`, `wayland-kde`, `wayland-wlroots`, `macos`, `windows`, `none`. */
  session: string;
  /** True when the collector records foreground apps; false means the agent records nothing (and says so). */
  supported: boolean;
  /** One or more plain sentences on what works here. */
  notes: string[];
}

/**
 * A platform collector. `sample` never throws for an ordinary window (closed mid-query, no title).
 *
 * Each platform supplies one (./x11.ts, ./desktop.ts for macOS and Windows; the Wayland desktops
 * would add theirs in ./detect.ts `openCollector`): it reports the raw foreground window and idle time and
 * nothing else; controls, scrubbing, categorisation, merging, storage and upload are shared
 * and platform-free. Session-wide lock signals that are not tied to the window system (logind,
 * or a platform's own lock notification) are {@link LockSource}s passed to the recorder.
 */
export interface Collector {
  readonly info: CollectorInfo;
  /** @throws Error when the display connection is lost. */
  sample(): Promise<Sample>;
  close(): Promise<void>;
}

/**
 * A session-wide lock signal outside the collector (e.g. systemd-logind's LockedHint and
 * PrepareForSleep): while `locked` is true the recorder treats every sample as locked, so the
 * interval ends and nothing is recorded. Any platform may supply one next to its collector.
 */
export interface LockSource {
  /** Short name for logs, e.g. `logind`. */
  readonly name: string;
  readonly locked: boolean;
  close(): Promise<void>;
}
