/**
 * The Probe lab: real services on loopback for the tests and `npm run demo`: a legacy HTTPS server (TLS 1.0-1.2, RSA key
 * exchange only, self-signed expired 1024-bit SHA-1 certificate made by `openssl ca`, served
 * at OpenSSL security level 0), a modern TLS 1.3-only HTTPS server with every security header,
 * a plain HTTP server that discloses versions and lacks headers (with one in-scope redirect),
 * a banner service, and a closed port.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createServer as createTcp, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Services {
  address: string;
  legacyTls: number;
  modernTls: number;
  http: number;
  banner: number;
  closed: number;
  close(): Promise<void>;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

export async function makeCerts(address: string): Promise<{ legacy: { key: string; cert: string }; modern: { key: string; cert: string } }> {
  const dir = await mkdtemp(join(tmpdir(), 'probe-certs-'));
  await mkdir(join(dir, 'db'));
  await writeFile(join(dir, 'db', 'index.txt'), '');
  await writeFile(join(dir, 'db', 'serial'), '01\n');
  await writeFile(join(dir, 'ca.cnf'), '[ ca ]\ndefault_ca = c\n[ c ]\ndatabase = db/index.txt\nserial = db/serial\nnew_certs_dir = db\ndefault_md = sha1\npolicy = p\nunique_subject = no\n[ p ]\ncommonName = supplied\n');
  openssl(['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', 'legacy.key', '-subj', '/CN=legacy.parapet.test', '-out', 'legacy.csr'], dir);
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'legacy.key', '-in', 'legacy.csr', '-out', 'legacy.pem', '-startdate', '20200101000000Z', '-enddate', '20210101000000Z', '-notext'], dir);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'modern.key', '-out', 'modern.pem', '-days', '365', '-subj', '/CN=modern.parapet.test', '-addext', `subjectAltName=IP:${address}`], dir);
  const r = (f: string) => readFile(join(dir, f), 'utf8');
  return { legacy: { key: await r('legacy.key'), cert: await r('legacy.pem') }, modern: { key: await r('modern.key'), cert: await r('modern.pem') } };
}

const listen = (s: Server | HttpServer, address: string) => new Promise<number>((res, rej) => {
  s.once('error', rej);
  s.listen(0, address, () => res((s.address() as { port: number }).port));
});

export async function startServices(address = '127.0.0.23'): Promise<Services> {
  const certs = await makeCerts(address);
  const legacy = createHttps({ ...certs.legacy, minVersion: 'TLSv1', maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:@SECLEVEL=0' }, (_req, res) => res.end('legacy'));
  const modern = createHttps({ ...certs.modern, minVersion: 'TLSv1.3' }, (_req, res) => {
    res.setHeader('strict-transport-security', 'max-age=31536000');
    res.setHeader('content-security-policy', "default-src 'self'; frame-ancestors 'none'");
    res.setHeader('x-frame-options', 'DENY');
    res.end('modern');
  });
  const http = createHttp((req, res) => {
    res.setHeader('server', 'Apache/2.4.1 (Unix)');
    res.setHeader('x-powered-by', 'PHP/5.6.40');
    if (req.url === '/') {
      res.statusCode = 302;
      res.setHeader('location', '/landing');
    }
    res.end('plain');
  });
  const banner = createTcp((s) => {
    s.on('error', () => undefined);
    s.end('SSH-2.0-OpenSSH_7.4\r\n');
  });
  const closer = createTcp();
  const servers = [legacy, modern, http, banner];
  // Every accepted socket is tracked so close() never waits for a peer.
  const sockets = new Set<import('node:net').Socket>();
  for (const s of servers) {
    s.on('tlsClientError', () => undefined);
    s.on('connection', (c: import('node:net').Socket) => {
      sockets.add(c);
      c.on('error', () => undefined);
      c.on('close', () => sockets.delete(c));
    });
  }
  const [legacyTls, modernTls, httpPort, bannerPort, closed] = [await listen(legacy, address), await listen(modern, address), await listen(http, address), await listen(banner, address), await listen(closer, address)];
  await new Promise<void>((r) => closer.close(() => r()));
  return {
    address, legacyTls: legacyTls!, modernTls: modernTls!, http: httpPort!, banner: bannerPort!, closed: closed!,
    async close() {
      const closing = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const c of sockets) c.destroy();
      await Promise.all(closing);
    },
  };
}

/** nmap -sT on the given ports: port → state (open / closed / filtered). */
export function nmapConnect(address: string, ports: number[], extra: string[] = []): Map<number, string> {
  const xml = execFileSync('nmap', ['-sT', '-Pn', '-n', '-p', ports.join(','), ...extra, '-oX', '-', address], { encoding: 'utf8', timeout: 120_000 });
  const m = new Map<number, string>();
  for (const x of xml.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="([a-z|]+)"/g)) m.set(Number(x[1]), x[2]!);
  return m;
}
