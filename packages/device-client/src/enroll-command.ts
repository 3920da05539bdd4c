/**
 * `parapet-agent enroll` / `parapet-worker enroll`, shared: both binaries call
 * runEnroll('agent' | 'worker', argv). Options: --server URL --token T [--name NAME]
 * [--ca FILE] (trust anchor for first contact) [--pin SHA256] (pin given out of band)
 * [--state-dir DIR] [--key-store auto|file].
 */
import { readFile } from 'node:fs/promises';
import { homedir, hostname, platform } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeviceClient, type DeviceKind } from './client.js';
import { openKeyStore } from './keystore.js';

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
    },
    strict: true,
  });
  if (!values.server || !values.token) throw new Error(`Usage: parapet-${kind} enroll --server URL --token TOKEN [--name NAME] [--ca FILE] [--pin SHA256] [--state-dir DIR] [--key-store auto|file]`);
  const server = new URL(values.server);
  if (server.protocol !== 'https:') throw new Error('The server URL must start with https://.');
  if (values['key-store'] && values['key-store'] !== 'auto' && values['key-store'] !== 'file') throw new Error('--key-store takes auto or file.');
  const dir = values['state-dir'] ?? defaultStateDir(kind);
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
    ...(values.ca ? { ca: await readFile(values.ca, 'utf8') } : {}),
    ...(values.pin ? { expectPin: values.pin } : {}),
  });
  io.out(`Enrolled as ${kind} ${c.state.deviceId}; key in the ${store.kind === 'os' ? 'OS credential store' : `encrypted file ${join(dir, 'device.key')} (${store.fallbackReason ?? 'no OS store'})`}; pinned ${c.state.pins.join(', ')}.`);
  return c;
}
