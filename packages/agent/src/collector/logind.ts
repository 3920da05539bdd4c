/**
 * Screen lock and suspend from systemd-logind (org.freedesktop.login1 on the system bus), for
 * any Linux session (X11 or Wayland): desktops that lock through logind (GNOME, KDE, loginctl
 * lock-session, light-locker) set the session's `LockedHint` and emit `Lock` / `Unlock`;
 * `PrepareForSleep(true)` comes before suspend. The recorder treats either as "locked": the
 * interval ends and nothing is recorded until both clear. This complements the X screen saver
 * check in the X11 collector, which sees lockers that only blank the screen.
 *
 * The session is found from XDG_SESSION_ID, else from this process's PID (GetSessionByPID).
 */
import { closeBus } from '../dbus.js';
import type { LockSource } from './types.js';

export interface LogindOptions {
  /** D-Bus address of the system bus; default DBUS_SYSTEM_BUS_ADDRESS or /run/dbus/system_bus_socket. */
  busAddress?: string | undefined;
  /** logind session id; default XDG_SESSION_ID, else looked up by PID. */
  sessionId?: string | undefined;
  log?: (line: string) => void;
}

const LOGIN1 = 'org.freedesktop.login1';

/**
 * Watches the session's lock state and the machine's sleep state.
 * @throws Error when the bus cannot be reached, logind does not answer, or this process belongs to no session.
 */
export async function watchLogind(o: LogindOptions = {}): Promise<LockSource> {
  const dbus = (await import('dbus-next')).default;
  const address = o.busAddress ?? process.env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/run/dbus/system_bus_socket';
  // sessionBus() connects to any address given; systemBus() would ignore the option.
  const bus = dbus.sessionBus({ busAddress: address });
  let lockedHint = false;
  let sleeping = false;
  let closed = false;
  // dbus-next reports a failed connection as an 'error' event: a rejection while starting;
  // afterwards a lost system bus leaves the X11 screen saver check in place.
  let fail: (e: Error) => void = () => {};
  // A socket error from the bus's transport (dbus-next's message names only its C++ source line): say which bus.
  bus.on('error', (e: Error & { code?: string }) => fail(new Error(`no system D-Bus at ${address} (${e.code ?? e.message.replace(/\.$/, '')})`)));
  const setup = async () => {
    const manager = await bus.getProxyObject(LOGIN1, '/org/freedesktop/login1');
    const m = manager.getInterface(`${LOGIN1}.Manager`);
    const sid = o.sessionId ?? process.env.XDG_SESSION_ID;
    const path: string = sid ? await m.GetSession!(sid) : await m.GetSessionByPID!(process.pid);
    const sessionObj = await bus.getProxyObject(LOGIN1, path);
    const session = sessionObj.getInterface(`${LOGIN1}.Session`);
    const props = sessionObj.getInterface('org.freedesktop.DBus.Properties');
    // Subscribe before reading, so a change between the two is not lost.
    session.on('Lock', () => (lockedHint = true));
    session.on('Unlock', () => (lockedHint = false));
    props.on('PropertiesChanged', (iface: string, changed: Record<string, { value: unknown }>) => {
      if (iface === `${LOGIN1}.Session` && changed.LockedHint) lockedHint = changed.LockedHint.value === true;
    });
    m.on('PrepareForSleep', (start: boolean) => (sleeping = start));
    const hint = await props.Get!(`${LOGIN1}.Session`, 'LockedHint').catch(() => null);
    if (hint) lockedHint = hint.value === true;
    return path;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const path = await Promise.race([
      setup(),
      new Promise<never>((_, reject) => (fail = reject)),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('logind did not answer within 5 s')), 5000))),
    ]);
    o.log?.(`Screen lock and suspend are followed through logind (session ${path.split('/').pop()}).`);
    fail = () => undefined;
  } catch (e) {
    closeBus(bus);
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return {
    name: 'logind',
    get locked() {
      return !closed && (lockedHint || sleeping);
    },
    async close() {
      closed = true;
      closeBus(bus);
    },
  };
}

