/**
 * A real X11 desktop for tests: Xvfb (display number chosen by the server with -displayfd),
 * openbox as the window manager (it sets _NET_ACTIVE_WINDOW), real X clients (xterm,
 * xmessage) and xdotool to switch focus. Debian: xvfb openbox xdotool x11-utils
 * x11-xserver-utils xterm.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const X11_TOOLS = ['Xvfb', 'openbox', 'xdotool', 'xterm', 'xmessage', 'xset'];
export const missingX11Tools = () => X11_TOOLS.filter((b) => !['/usr/bin', '/bin', '/usr/local/bin'].some((d) => existsSync(`${d}/${b}`)));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Desktop {
  display: string;
  env: Record<string, string>;
  /** Starts an X client and waits until its window (by exact title) is mapped; returns the window id. */
  open(cmd: string, args: string[], title: string): Promise<string>;
  /** Gives the window focus through the window manager and waits until _NET_ACTIVE_WINDOW says so. */
  activate(wid: string): Promise<void>;
  /** Synthetic input (XTEST): resets the idle timer. */
  input(): Promise<void>;
  xset(...args: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startDesktop(): Promise<Desktop> {
  const procs: ChildProcess[] = [];
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  procs.push(xvfb);
  const display = await new Promise<string>((resolve, reject) => {
    let buf = '';
    (xvfb.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(`:${buf.trim()}`);
    });
    xvfb.once('exit', (c) => reject(new Error(`Xvfb exited with ${c}`)));
  });
  const env = { ...process.env, DISPLAY: display, XDG_SESSION_TYPE: 'x11', WAYLAND_DISPLAY: '' } as Record<string, string>;
  delete env.WAYLAND_DISPLAY;
  const x = (cmd: string, args: string[]) => run(cmd, args, { env });
  let wm: ChildProcess | undefined;
  // openbox is up when it has set _NET_SUPPORTING_WM_CHECK on the root window. Focus goes
  // through it, so one that exited (seen once on a loaded CI run) is started again.
  const ensureWm = async () => {
    if (wm && wm.exitCode === null && wm.signalCode === null) return;
    wm = spawn('openbox', ['--sm-disable'], { env, stdio: 'ignore' });
    procs.push(wm);
    for (let i = 0; i < 100; i++) {
      const r = await x('xprop', ['-root', '_NET_SUPPORTING_WM_CHECK']).catch(() => ({ stdout: '' }));
      if (/window id/.test(r.stdout)) return;
      await sleep(100);
    }
  };
  await ensureWm();
  const active = async () => (await x('xdotool', ['getactivewindow']).catch(() => ({ stdout: '' }))).stdout.trim();
  return {
    display,
    env,
    async open(cmd, args, title) {
      procs.push(spawn(cmd, args, { env, stdio: 'ignore' }));
      for (let i = 0; i < 100; i++) {
        const r = await x('xdotool', ['search', '--onlyvisible', '--name', `^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`]).catch(() => ({ stdout: '' }));
        const wid = r.stdout.trim().split('\n')[0];
        if (wid) return wid;
        await sleep(100);
      }
      throw new Error(`window ${title} did not appear`);
    },
    async activate(wid) {
      // windowactivate asks the window manager (_NET_ACTIVE_WINDOW); on a busy machine openbox
      // sometimes drops the request, so every few tries also raise and focus the window directly.
      // Bounded by time, not tries: each try spawns xdotool, which a loaded machine makes slow.
      const deadline = Date.now() + 30_000;
      for (let i = 0; Date.now() < deadline; i++) {
        await ensureWm();
        await x('xdotool', ['windowactivate', wid]).catch(() => undefined);
        if ((await active()) === wid) return;
        if (i % 5 === 4) {
          await x('xdotool', ['windowraise', wid]).catch(() => undefined);
          await x('xdotool', ['windowfocus', wid]).catch(() => undefined);
        }
        await sleep(100);
      }
      throw new Error(`window ${wid} did not get focus`);
    },
    async input() {
      await x('xdotool', ['mousemove_relative', '--', '1', '1']);
    },
    async xset(...args) {
      await x('xset', args);
    },
    async close() {
      for (const p of procs.reverse()) p.kill('SIGTERM');
      await sleep(100);
    },
  };
}
