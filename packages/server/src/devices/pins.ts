/**
 * Server key pins for devices (agent side of CORE-TLS). The current pin is the SPKI SHA-256 of
 * the serving certificate. The backup pin belongs to a spare key pair kept in the data dir
 * (tls/backup.key), made on first use: the operator's next certificate uses that key, so
 * devices already trust it. A pin announcement lists the pins the devices should hold, signed
 * by the serving key; devices accept a new pin set only that way.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppDeps } from '../deps.js';
import { ProblemError } from '../http/problem.js';

export interface Pins {
  current: string;
  backup: string;
}

const cache = new Map<string, Promise<string>>();

async function loadBackupPin(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'tls');
  const path = join(dir, 'backup.key');
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const made = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      await writeFile(path, made, { mode: 0o600, flag: 'wx' });
      pem = made;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') throw e2;
      pem = await readFile(path, 'utf8'); // another process made it first
    }
  }
  const spki = createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

export async function serverPins(deps: AppDeps): Promise<Pins> {
  if (!deps.tls) throw new ProblemError(503, 'tls_unavailable', 'This server has no TLS certificate to pin.');
  let p = cache.get(deps.dataDir);
  if (!p) {
    p = loadBackupPin(deps.dataDir);
    cache.set(deps.dataDir, p);
    p.catch(() => cache.delete(deps.dataDir));
  }
  return { current: deps.tls.spkiSha256, backup: await p };
}

/**
 * `payload` is base64 of the JSON {pins, issued_at}; `signature` is base64 of the serving key's
 * signature over exactly those payload bytes (so no canonical JSON is needed).
 */
export interface PinAnnouncement {
  payload: string;
  signature: string;
}

export async function announcePins(deps: AppDeps): Promise<PinAnnouncement> {
  const pins = await serverPins(deps);
  const body = { pins: [pins.current, pins.backup], issued_at: deps.now().toISOString() };
  const key = createPrivateKey(deps.tls!.key);
  const alg = key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  return { payload: bytes.toString('base64'), signature: sign(alg, bytes, key).toString('base64') };
}
