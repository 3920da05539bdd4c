import { readFile, writeFile, chmod } from 'node:fs/promises';
import { canonicalJson, canonicalJsonBytes, dsse, DsseError, parseScope, ScopeError, SCOPE_PAYLOAD_TYPE, type Scope } from '@parapet/core';
import { CliError, type Command } from '../command.js';

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`Cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
}

async function readJson(path: string, what: string): Promise<unknown> {
  const text = await readText(path, what);
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`The ${what} ${path} is not valid JSON.`);
  }
}

async function writeNew(path: string, data: string, mode: number): Promise<void> {
  try {
    // 'wx': never overwrite an existing key or envelope by accident.
    await writeFile(path, data, { mode, flag: 'wx' });
    await chmod(path, mode); // the umask may have narrowed or the FS widened it
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EEXIST' ? `${path} already exists; choose another path or remove it first.` : `Cannot write ${path}: ${code ?? (e as Error).message}.`);
  }
}

/** Verifies a scope envelope offline: signature, payload type, canonical payload, schema. */
export function verifyScopeEnvelope(envelope: unknown, publicKeyPem: string): { scope: Scope; keyid: string } {
  let payload: Buffer;
  let keyid: string;
  try {
    ({ payload, keyid } = dsse.verifyEnvelope(envelope, SCOPE_PAYLOAD_TYPE, publicKeyPem));
  } catch (e) {
    if (e instanceof DsseError) throw new CliError(`The scope envelope does not verify: ${e.message}`);
    throw new CliError(`The public key cannot be used: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new CliError('The signed payload is not JSON.');
  }
  if (canonicalJson(doc) !== payload.toString('utf8')) throw new CliError('The signed payload is not in RFC 8785 canonical form.');
  try {
    return { scope: parseScope(doc), keyid };
  } catch (e) {
    if (e instanceof ScopeError) throw new CliError(e.message);
    throw e;
  }
}

export const keygen: Command = {
  path: ['keygen'],
  summary: 'Generate an Ed25519 signing key (private key mode 0600, public key KEY.pub).',
  usage: 'parapet keygen --out KEY [--json]',
  options: { out: { type: 'string' } },
  async run({ values, io }) {
    const out = values.out as string | undefined;
    if (!out) throw new CliError('--out KEY is required.');
    const k = dsse.generateEd25519();
    await writeNew(out, k.privateKeyPem, 0o600);
    await writeNew(`${out}.pub`, k.publicKeyPem, 0o644);
    const id = dsse.keyId(k.publicKeyPem);
    if (io.json) io.out(JSON.stringify({ private_key: out, public_key: `${out}.pub`, key_id: id }));
    else io.out(`Wrote the private key to ${out} (mode 0600) and the public key to ${out}.pub; key id ${id}.`);
  },
};

export const scopeSign: Command = {
  path: ['scope', 'sign'],
  summary: 'Sign a Probe scope as a DSSE envelope (RFC 8785 canonical payload, Ed25519).',
  usage: 'parapet scope sign SCOPE.json --key KEY --out SCOPE.dsse.json',
  options: { key: { type: 'string' }, out: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const [file] = positionals;
    if (!file || !values.key || !values.out) throw new CliError('Usage: parapet scope sign SCOPE.json --key KEY --out SCOPE.dsse.json.');
    const doc = await readJson(file, 'scope file');
    try {
      parseScope(doc); // never sign a scope the server would refuse
    } catch (e) {
      if (e instanceof ScopeError) throw new CliError(e.message);
      throw e;
    }
    const key = await readText(values.key as string, 'private key');
    // A public key (KEY.pub from keygen) cannot sign; say so instead of a decoder error.
    if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(key) || /^ssh-ed25519 /.test(key.trim())) {
      throw new CliError(`${values.key} is a public key; sign with the private key (the keygen --out file without .pub).`);
    }
    let env;
    try {
      env = dsse.signEnvelope(SCOPE_PAYLOAD_TYPE, canonicalJsonBytes(doc), key);
    } catch (e) {
      throw new CliError(`The private key cannot be used: ${(e as Error).message}`);
    }
    await writeNew(values.out as string, JSON.stringify(env, null, 2) + '\n', 0o644);
    const s = doc as Scope;
    if (io.json) io.out(JSON.stringify({ out: values.out, key_id: env.signatures[0]!.keyid, scope: s.id, version: s.version }));
    else io.out(`Signed scope ${s.id} version ${s.version} with key ${env.signatures[0]!.keyid} into ${values.out as string}.`);
  },
};

export const scopeVerify: Command = {
  path: ['scope', 'verify'],
  summary: 'Verify a signed Probe scope offline against a public key.',
  usage: 'parapet scope verify SCOPE.dsse.json --pub PUB',
  options: { pub: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const [file] = positionals;
    if (!file || !values.pub) throw new CliError('Usage: parapet scope verify SCOPE.dsse.json --pub PUB.');
    const env = await readJson(file, 'envelope');
    const pub = await readText(values.pub as string, 'public key');
    const { scope, keyid } = verifyScopeEnvelope(env, pub);
    if (io.json) io.out(JSON.stringify({ valid: true, key_id: keyid, scope: scope.id, version: scope.version, tenant: scope.tenant, environment: scope.environment }));
    else io.out(`Valid: scope ${scope.id} version ${scope.version} (${scope.environment}) for tenant ${scope.tenant}, signed by key ${keyid}.`);
  },
};
