/**
 * `parapet-agent enroll` / `parapet-worker enroll`, shared: both binaries call
 * runEnroll('agent' | 'worker', argv). Options: --server URL --token T [--name NAME]
 * [--ca FILE] (trust anchor for first contact) [--pin SHA256] (pin given out of band)
 * [--state-dir DIR] [--key-store auto|file] [--force].
 *
 * A state dir that already holds an enrolled device is refused: enrolling again would leave
 * the old identity active on the server with nobody using it. `--force` first revokes the old
 * identity with its own signed request (POST /api/v1/devices/self/revoke), then enrolls.
 */
import { access, chmod, readFile, writeFile } from 'node:fs/promises';
import { homedir, hostname, platform } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeviceClient, loadState, saveState, type DeviceKind } from './client.js';
import { openKeyStore } from './keystore.js';

/** Wrong or missing arguments: the binary prints the sentence and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface EnrollCommandIo {
  out(line: string): void;
  version?: string;
}

export function defaultStateDir(kind: DeviceKind): string {
  return process.env.PARAPET_DEVICE_DIR ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), `parapet-${kind}`);
}

export async function runEnroll(kind: DeviceKind, argv: string[], io: EnrollCommandIo): Promise<DeviceClient> {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' },
      token: { type: 'string' },
      name: { type: 'string' },
      ca: { type: 'string' },
      pin: { type: 'string' },
      'state-dir': { type: 'string' },
      'key-store': { type: 'string' },
      force: { type: 'boolean' },
    },
    strict: true,
  });
  if (!values.server || !values.token) throw new UsageError(`Enrolling needs --server URL and --token TOKEN (see parapet-${kind} --help).`);
  if (!URL.canParse(values.server)) throw new UsageError(`The server URL ${values.server} is not a valid URL.`);
  const server = new URL(values.server);
  if (server.protocol !== 'https:') throw new UsageError('The server URL must start with https://.');
  if (values['key-store'] && values['key-store'] !== 'auto' && values['key-store'] !== 'file') throw new UsageError('--key-store takes auto or file.');
  const ca = values.ca ? await readFile(values.ca, 'utf8') : undefined;
  const dir = values['state-dir'] ?? defaultStateDir(kind);
  const statePath = join(dir, 'state.json');
  const enrolled = await access(statePath).then(() => true, () => false);
  if (enrolled) {
    const old = await loadState(statePath);
    if (!values.force) {
      throw new UsageError(`${dir} already holds ${old.kind} ${old.deviceId} enrolled with ${old.server}; pass --force to revoke that identity and enroll again, or use another --state-dir.`);
    }
    await retireOld(kind, dir, old, io);
  }
  const store = await openKeyStore({ service: `parapet-${kind}`, account: server.host, filePath: join(dir, 'device.key'), ...(values['key-store'] === 'file' ? { prefer: 'file' as const } : {}) });
  const c = await DeviceClient.enroll({
    server: server.origin,
    token: values.token,
    kind,
    name: values.name ?? hostname(),
    store,
    statePath: join(dir, 'state.json'),
    platform: platform(),
    ...(io.version ? { version: io.version } : {}),
    ...(ca ? { ca } : {}),
    ...(values.pin ? { expectPin: values.pin } : {}),
  });
  if (ca) {
    // Later runs still validate the chain before the pin check, so they need the same anchor.
    c.state.caFile = join(dir, 'ca.pem');
    await writeFile(c.state.caFile, ca, { mode: 0o600 });
    await chmod(c.state.caFile, 0o600);
    await saveState(join(dir, 'state.json'), c.state);
  }
  io.out(`Enrolled as ${kind} ${c.state.deviceId}; key in the ${store.kind === 'os' ? 'OS credential store' : `encrypted file ${join(dir, 'device.key')} (${store.fallbackReason ?? 'no OS store'})`}; pinned ${c.state.pins.join(', ')}.`);
  return c;
}

/**
 * Revokes the identity a state dir holds, signed with its own key. Already revoked counts as
 * done; any other failure (server unreachable, key missing) stops the re-enrolment, since
 * going on would orphan a live identity; the sentence says how an admin revokes it instead.
 */
async function retireOld(kind: DeviceKind, dir: string, old: Awaited<ReturnType<typeof loadState>>, io: EnrollCommandIo): Promise<void> {
  const u = new URL(old.server);
  const store = await openKeyStore({ service: `parapet-${kind}`, account: u.host, filePath: join(dir, 'device.key'), ...(old.keyStore === 'file' ? { prefer: 'file' as const } : {}) });
  const ca = old.caFile ? await readFile(old.caFile, 'utf8').catch(() => undefined) : undefined;
  const adminHint = `an admin can revoke it with "parapet devices revoke ${old.deviceId}" or in the console, then run enroll --force again`;
  let c: DeviceClient;
  try {
    c = await DeviceClient.open({ statePath: join(dir, 'state.json'), store, ...(ca ? { ca } : {}) });
  } catch (e) {
    throw new UsageError(`Cannot load the old identity ${old.deviceId} to revoke it (${(e as Error).message.replace(/\.$/, '')}); ${adminHint}.`);
  }
  let r;
  try {
    r = await c.api.POST('/api/v1/devices/self/revoke');
  } catch (e) {
    throw new UsageError(`Could not revoke the old identity ${old.deviceId} at ${old.server} (${(e as Error).message.replace(/\.$/, '')}); ${adminHint}.`);
  }
  let code = 'ok';
  if (r.response.status !== 200) code = String((r.error as { code?: string } | undefined)?.code ?? r.response.status);
  if (code !== 'ok' && code !== 'device_revoked') throw new UsageError(`The server refused to revoke the old identity ${old.deviceId} (${code}); ${adminHint}.`);
  io.out(`Revoked the previous identity ${old.deviceId}${code === 'device_revoked' ? ' (it was revoked already)' : ''}.`);
}
