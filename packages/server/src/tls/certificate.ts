import { webcrypto, X509Certificate, createHash, createPublicKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';

let x509Module: Promise<typeof X509> | undefined;
/**
 * @peculiar/x509 (and the reflect-metadata it needs), loaded only to make a certificate: a
 * start with an existing certificate never needs it, and loading it was a tenth of such a start.
 */
function loadX509(): Promise<typeof X509> {
  return (x509Module ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })());
}

export interface TlsMaterial {
  cert: string;
  key: string;
  /** base64 SHA-256 of the certificate's SubjectPublicKeyInfo: what devices pin. */
  spkiSha256: string;
  selfSigned: boolean;
}

export function spkiSha256(certPem: string): string {
  const pub = createPublicKey(new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'pem' }));
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('base64');
}

/** A self-signed ECDSA P-256 certificate for localhost, valid for one year. */
export async function createSelfSigned(hostnames: string[] = ['localhost']): Promise<{ cert: string; key: string }> {
  const x509 = await loadX509();
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '7'),
    name: `CN=${hostnames[0]}, O=Parapet self-signed`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 24 * 3600_000),
    signingAlgorithm: alg,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...hostnames.map((h) => ({ type: 'dns' as const, value: h })),
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', (keys as webcrypto.CryptoKeyPair).privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem') + '\n', key };
}

/** The configured certificate, or the data dir's self-signed one (made on first run). */
export async function loadTls(o: { dataDir: string; certFile?: string | undefined; keyFile?: string | undefined }): Promise<TlsMaterial> {
  if (o.certFile && o.keyFile) {
    const cert = await readFile(o.certFile, 'utf8');
    const key = await readFile(o.keyFile, 'utf8');
    return { cert, key, spkiSha256: spkiSha256(cert), selfSigned: false };
  }
  const dir = join(o.dataDir, 'tls');
  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');
  try {
    const cert = await readFile(certPath, 'utf8');
    const key = await readFile(keyPath, 'utf8');
    return { cert, key, spkiSha256: spkiSha256(cert), selfSigned: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const made = await createSelfSigned();
  await writeFile(keyPath, made.key, { mode: 0o600, flag: 'wx' });
  await writeFile(certPath, made.cert, { mode: 0o644, flag: 'wx' });
  return { ...made, spkiSha256: spkiSha256(made.cert), selfSigned: true };
}
