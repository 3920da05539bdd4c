import { createPublicKey } from 'node:crypto';
import { readFile, writeFile, chmod } from 'node:fs/promises';
import { canonicalJsonBytes, dsse, parseProfile, ProfileError, PROFILE_PAYLOAD_TYPE, verifyProfile } from '@parapet/core';
import { CliError, type Command } from '../command.js';

async function read(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`Cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
}

/**
 * `parapet profile sign`: signs the Probe worker's safety profile with the release key as a
 * DSSE envelope (payload type application/vnd.parapet.safety-profile+json, RFC 8785 payload).
 * The worker build embeds the envelope; the worker verifies it at start with the release
 * public key compiled into it (packages/worker/src/release-key.ts).
 */
export const profileSign: Command = {
  path: ['profile', 'sign'],
  summary: 'Sign a Probe worker safety profile with the release key (DSSE, Ed25519).',
  usage: 'parapet profile sign PROFILE.json --key RELEASE.key --out PROFILE.dsse.json',
  options: { key: { type: 'string' }, out: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const [file] = positionals;
    if (!file || !values.key || !values.out) throw new CliError('Usage: parapet profile sign PROFILE.json --key RELEASE.key --out PROFILE.dsse.json.');
    let doc: unknown;
    try {
      doc = JSON.parse(await read(file, 'profile'));
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`The profile ${file} is not valid JSON.`);
    }
    try {
      parseProfile(doc);
    } catch (e) {
      if (e instanceof ProfileError) throw new CliError(e.message);
      throw e;
    }
    let env;
    try {
      env = dsse.signEnvelope(PROFILE_PAYLOAD_TYPE, canonicalJsonBytes(doc), await read(values.key as string, 'release key'));
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`The release key cannot be used: ${(e as Error).message}`);
    }
    // The signer checks its own output as the worker will (minus the validity window).
    const pub = createPublicKey(await read(values.key as string, 'release key')).export({ type: 'spki', format: 'pem' }) as string;
    const p = parseProfile(doc);
    verifyProfile(env, pub, new Date(Date.parse(p.valid_from)));
    await writeFile(values.out as string, JSON.stringify(env, null, 2) + '\n', { mode: 0o644 });
    await chmod(values.out as string, 0o644);
    if (io.json) io.out(JSON.stringify({ out: values.out, key_id: env.signatures[0]!.keyid, version: p.version, valid_until: p.valid_until }));
    else io.out(`Signed safety profile version ${p.version} (valid until ${p.valid_until}) with release key ${env.signatures[0]!.keyid} into ${values.out as string}.`);
  },
};
