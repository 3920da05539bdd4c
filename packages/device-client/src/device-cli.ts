/**
 * The command line shared by `parapet-agent` and `parapet-worker`: both binaries are thin
 * wrappers around deviceCli(kind). Commands: enroll, status, heartbeat. Every failure is one
 * plain sentence on stderr and a non-zero exit (1; 2 for wrong usage).
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { platform } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeviceClient, DeviceRequestError, loadState, type DeviceKind, type DeviceState } from './client.js';
import { defaultStateDir, runEnroll, UsageError } from './enroll-command.js';
import { openKeyStore, type KeyStore } from './keystore.js';
import { PinMismatchError } from './transport.js';

export interface DeviceCliIo {
  out(line: string): void;
  err(line: string): void;
}

export interface DeviceCliOptions {
  /** The binary's version, sent at enrollment and with heartbeats. */
  version?: string;
}

/** The result of the last `heartbeat`, kept next to the state so `status` can show it offline. */
export interface LastHeartbeat {
  /** The device it belongs to: after a re-enrollment an old result is not shown. */
  device_id: string;
  at: string;
  ok: boolean;
  /** Device status from the server when ok; the error code otherwise. */
  status?: string;
  code?: string;
  message: string;
}

const PRODUCT: Record<DeviceKind, string> = { agent: 'Pulse agent', worker: 'Probe worker' };

export function helpText(kind: DeviceKind): string {
  const bin = `parapet-${kind}`;
  return [
    `${bin}: the Parapet ${PRODUCT[kind]}.`,
    '',
    'Usage:',
    `  ${bin} enroll --server URL --token TOKEN [--name NAME] [--ca FILE] [--pin SHA256] [--state-dir DIR] [--key-store auto|file] [--force]`,
    `  ${bin} status [--json] [--state-dir DIR]`,
    `  ${bin} heartbeat [--state-dir DIR]`,
    `  ${bin} --help`,
    '',
    'enroll     Make this device\'s Ed25519 key pair, keep the private key in the OS credential',
    '           store (or an encrypted file where there is none) and enroll with a one-time token.',
    '           --ca trusts that certificate for first contact (a self-signed server); --pin is the',
    '           server key pin (SPKI SHA-256, base64) given out of band; --key-store file skips the',
    '           OS credential store.',
    'status     Show the enrolled identity, pins, key store and the last heartbeat (no network).',
    'heartbeat  Send one signed heartbeat over the pinned connection.',
    '',
    `State directory: --state-dir, else $PARAPET_DEVICE_DIR, else ${defaultStateDir(kind)}.`,
  ].join('\n');
}

function paths(dir: string) {
  return { state: join(dir, 'state.json'), key: join(dir, 'device.key'), heartbeat: join(dir, 'heartbeat.json') };
}

async function readState(kind: DeviceKind, dir: string): Promise<DeviceState> {
  try {
    return await loadState(paths(dir).state);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`This ${kind} is not enrolled yet (no state in ${dir}); run parapet-${kind} enroll first.`);
    throw new Error(`The state file ${paths(dir).state} cannot be read: ${(e as Error).message}`);
  }
}

async function readLastHeartbeat(dir: string, state: DeviceState): Promise<LastHeartbeat | undefined> {
  try {
    const hb = JSON.parse(await readFile(paths(dir).heartbeat, 'utf8')) as LastHeartbeat;
    return hb.device_id === state.deviceId ? hb : undefined;
  } catch {
    return undefined;
  }
}

async function writeLastHeartbeat(dir: string, hb: LastHeartbeat): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(paths(dir).heartbeat, JSON.stringify(hb, null, 2) + '\n', { mode: 0o600 });
  await chmod(paths(dir).heartbeat, 0o600);
}

/**
 * Opens an enrolled device from its state directory (state file, key store, CA), for commands
 * a binary adds on top of enroll/status/heartbeat (parapet-worker run).
 */
export async function openDevice(kind: DeviceKind, dir: string): Promise<DeviceClient> {
  const state = await readState(kind, dir);
  const store = await openEnrolledStore(kind, dir, state);
  const ca = state.caFile ? await readFile(state.caFile, 'utf8') : undefined;
  return DeviceClient.open({ statePath: paths(dir).state, store, ...(ca ? { ca } : {}) });
}

/** Opens the key store the device enrolled with; never silently switches to another one (used by `parapet-agent run` too). */
export async function openEnrolledStore(kind: DeviceKind, dir: string, state: DeviceState): Promise<KeyStore> {
  const base = { service: `parapet-${kind}`, account: new URL(state.server).host, filePath: paths(dir).key };
  if (state.keyStore === 'file') return openKeyStore({ ...base, prefer: 'file' });
  const store = await openKeyStore(base);
  if (state.keyStore === 'os' && store.kind !== 'os') {
    throw new Error(`This device's key is in the OS credential store, which is not available now (${store.fallbackReason ?? 'unknown reason'}).`);
  }
  return store;
}

export function keyStoreLine(state: DeviceState, dir: string): string {
  if (state.keyStore === 'os') return 'OS credential store';
  if (state.keyStore === 'file') {
    const where = `encrypted file ${paths(dir).key}`;
    if (state.keyStoreNote === 'file store requested') return `${where}; the OS credential store was not used because --key-store file was given.`;
    return `${where}; no OS credential store was available (${state.keyStoreNote ?? 'reason not recorded'}), so the key is only as safe as this file and its .kek file.`;
  }
  return 'unknown (enrolled by an older version)';
}

export function statusJson(state: DeviceState, dir: string, hb: LastHeartbeat | undefined) {
  return {
    enrolled: true,
    kind: state.kind,
    device_id: state.deviceId,
    tenant_id: state.tenantId,
    keyid: state.keyid,
    server: state.server,
    pins: { current: state.pins[0] ?? null, backup: state.pins[1] ?? null, all: state.pins },
    key_store: state.keyStore ?? null,
    key_store_note: state.keyStore === 'file' ? keyStoreLine(state, dir) : null,
    os_credential_store_available: state.keyStore === 'os' ? true : state.keyStore === 'file' && state.keyStoreNote !== 'file store requested' ? false : null,
    state_dir: dir,
    last_heartbeat: hb ?? null,
  };
}

export function statusText(state: DeviceState, dir: string, hb: LastHeartbeat | undefined): string[] {
  const last = !hb ? 'none yet' : hb.ok ? `${hb.at} ok (device ${hb.status ?? 'active'})` : `${hb.at} failed: ${hb.message}`;
  return [
    `Device:         ${state.deviceId} (${state.kind})`,
    `Tenant:         ${state.tenantId}`,
    `Server:         ${state.server}`,
    `Pins:           sha256/${state.pins[0] ?? '?'} (current)${state.pins.slice(1).map((p) => `, sha256/${p} (backup)`).join('')}`,
    `Key store:      ${keyStoreLine(state, dir)}`,
    `Last heartbeat: ${last}`,
  ];
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Turns any failure into one plain sentence for the operator. */
export function explain(kind: DeviceKind, e: unknown, server: string | undefined, enrolling: boolean): string {
  const where = server ?? 'the server';
  if (e instanceof PinMismatchError) {
    return enrolling
      ? `The server ${e.host} presented a certificate whose key (sha256/${e.got}) does not match the pin given with --pin, so this ${kind} refused to enroll.`
      : `The server ${e.host} presented a certificate whose key (sha256/${e.got}) is not pinned, so this ${kind} refused to talk to it; if the server's key really changed, enroll again.`;
  }
  if (e instanceof DeviceRequestError) {
    if (e.code === 'device_revoked') return `This ${kind} has been revoked by an administrator; enroll it again with a new token.`;
    if (e.code === 'device_unknown') return `The server does not know this ${kind} (it may have been deleted); enroll it again with a new token.`;
    if (e.code === 'enrollment_token_wrong_kind') return `This enrollment token was made for another kind of device; ask an admin for a token made with --kind ${kind}.`;
    return `${e.message.replace(/[.\s]+$/, '')} (${e.code}).`;
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && NETWORK_CODES.has(code)) return `The server ${where} could not be reached (${code}).`;
  if (code && TLS_TRUST_CODES.has(code)) return `The certificate of ${where} is not trusted (${code}); give its CA with --ca FILE when enrolling.`;
  if (code === 'ENOENT' && (e as NodeJS.ErrnoException).path) return `The file ${(e as NodeJS.ErrnoException).path} does not exist.`;
  if (code === 'EACCES' && (e as NodeJS.ErrnoException).path) return `Permission denied on ${(e as NodeJS.ErrnoException).path}.`;
  if (code?.startsWith('ERR_PARSE_ARGS')) return `${((e as Error).message.split('. ')[0] ?? 'Invalid arguments').replace(/\.$/, '')} (see parapet-${kind} --help).`;
  const msg = (e as Error | undefined)?.message ?? String(e);
  if (/unable to authenticate data/.test(msg)) return `The device key file cannot be decrypted with its .kek file (changed, or from another device); enroll this ${kind} again.`;
  // Keep it to one line even if a library error spans several, and end it like a sentence.
  const line = msg.split('\n')[0]!.trim();
  return /[.!?]$/.test(line) ? line : `${line}.`;
}

async function heartbeat(kind: DeviceKind, dir: string, io: DeviceCliIo, version: string | undefined): Promise<number> {
  const state = await readState(kind, dir);
  let client: DeviceClient;
  try {
    const store = await openEnrolledStore(kind, dir, state);
    const ca = state.caFile ? await readFile(state.caFile, 'utf8') : undefined;
    client = await DeviceClient.open({ statePath: paths(dir).state, store, ...(ca ? { ca } : {}) });
  } catch (e) {
    io.err(explain(kind, e, state.server, false));
    return 1;
  }
  try {
    const r = await client.heartbeat({ platform: platform(), ...(version ? { version } : {}) });
    await writeLastHeartbeat(dir, { device_id: state.deviceId, at: new Date().toISOString(), ok: true, status: r.status, message: `The server accepted the heartbeat (device ${r.status}).` });
    io.out(`Heartbeat accepted by ${state.server}: device ${r.device_id} is ${r.status} (server time ${r.server_time}).`);
    return 0;
  } catch (e) {
    const message = explain(kind, e, state.server, false);
    const code = e instanceof DeviceRequestError || e instanceof PinMismatchError ? e.code : (e as NodeJS.ErrnoException).code;
    await writeLastHeartbeat(dir, { device_id: state.deviceId, at: new Date().toISOString(), ok: false, ...(code ? { code } : {}), message }).catch(() => undefined);
    io.err(message);
    return 1;
  }
}

/** Returns the exit code; never throws for expected failures. */
export function deviceCli(kind: DeviceKind, options: DeviceCliOptions = {}): (argv: string[], io: DeviceCliIo) => Promise<number> {
  return async (argv, io) => {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(helpText(kind));
      return command === undefined ? 2 : 0;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(helpText(kind));
      return 0;
    }
    let server: string | undefined;
    try {
      if (command === 'enroll') {
        const i = rest.indexOf('--server');
        server = i >= 0 ? rest[i + 1] : undefined;
        await runEnroll(kind, rest, { out: io.out, ...(options.version ? { version: options.version } : {}) });
        return 0;
      }
      const { values } = parseArgs({
        args: rest,
        options: { 'state-dir': { type: 'string' }, ...(command === 'status' ? { json: { type: 'boolean' } } : {}) },
        strict: true,
      });
      const dir = (values['state-dir'] as string | undefined) ?? defaultStateDir(kind);
      if (command === 'heartbeat') return await heartbeat(kind, dir, io, options.version);
      if (command === 'status') {
        const state = await readState(kind, dir);
        const hb = await readLastHeartbeat(dir, state);
        if (values.json) io.out(JSON.stringify(statusJson(state, dir, hb), null, 2));
        else for (const l of statusText(state, dir, hb)) io.out(l);
        return 0;
      }
      io.err(`Unknown command ${command} (see parapet-${kind} --help).`);
      return 2;
    } catch (e) {
      io.err(explain(kind, e, server, command === 'enroll'));
      return e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
    }
  };
}

/** What the bins call: real stdout/stderr and process.exitCode. */
export async function runDeviceBin(kind: DeviceKind, options: DeviceCliOptions = {}): Promise<void> {
  process.exitCode = await deviceCli(kind, options)(process.argv.slice(2), {
    out: (l) => process.stdout.write(l + '\n'),
    err: (l) => process.stderr.write(`parapet-${kind}: ${l}\n`),
  });
}
