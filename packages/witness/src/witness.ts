/**
 * A C2SP tlog-witness (https://c2sp.org/tlog-witness) that a customer runs on their own
 * machine: it knows the logs it witnesses by their verifier keys, keeps the latest size and
 * root of each in its own state file, refuses any checkpoint that is not consistent with
 * what it saw before, and cosigns the rest (C2SP tlog-cosignature/v1).
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// The two core modules by path, not the core index: the witness needs hashing and notes only,
// and its bundle then holds nothing but Node built-ins (test/package.test.ts checks this).
import * as merkle from '@parapet/core/merkle/tree';
import * as signedNote from '@parapet/core/merkle/note';

/** The witness's state file `DIR/state.json`: per log origin, the size and base64 root it last cosigned. */
interface State {
  v: 1;
  logs: Record<string, { size: number; root: string }>;
}

/** Options of {@link createWitness}. */
export interface WitnessOptions {
  /** State directory (created 0700): `witness-key.pem` (Ed25519, PKCS#8) and `state.json`. */
  dir: string;
  /** The witness's key name, as it appears in its cosignature lines and verifier key. */
  name: string;
  /** Verifier keys of the logs to witness; the key name is the log origin. */
  logs: string[];
  /** Clock for the cosignature timestamp (seconds since the epoch); defaults to the system clock. */
  now?: () => Date;
}

/** A running witness, independent of any transport. */
export interface Witness {
  /** The cosignature verifier key (`name+hash+base64`, type 0x04 tlog-cosignature/v1) that logs and auditors trust. */
  verifierKey: string;
  /**
   * Answers one `add-checkpoint` request body (C2SP tlog-witness): 200 with the cosignature
   * line, 400 malformed, 403 not signed by the log key, 404 unknown log, 409 with the held
   * size (`text/x.tlog.size`), 422 consistency proof fails. Requests are handled one at a time.
   */
  handle(body: string): Promise<{ status: number; contentType: string; body: string }>;
}

async function loadOrCreateKey(dir: string): Promise<KeyObject> {
  const path = join(dir, 'witness-key.pem');
  try {
    return createPrivateKey(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(privateKey.export({ format: 'pem', type: 'pkcs8' }));
  } finally {
    await fh.close();
  }
  return privateKey;
}

/**
 * Opens (or creates) the witness in `o.dir`. Throws if the directory or key cannot be
 * read or created, or if a `--log` verifier key does not parse.
 */
export async function createWitness(o: WitnessOptions): Promise<Witness> {
  await mkdir(o.dir, { recursive: true, mode: 0o700 });
  const key = await loadOrCreateKey(o.dir);
  const verifierKey = signedNote.verifierKey(o.name, signedNote.rawPublicKey(key), signedNote.SIG_COSIGNATURE_V1);
  const logs = new Map(o.logs.map((k) => {
    const v = signedNote.parseVerifierKey(k);
    return [v.name, v] as const;
  }));
  const statePath = join(o.dir, 'state.json');
  let state: State;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as State;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    state = { v: 1, logs: {} };
  }
  // A tree of size 0 has one root, the empty tree's; a record saying otherwise (written before
  // that was checked) would refuse every later valid checkpoint, so it is forgotten.
  for (const [origin, rec] of Object.entries(state.logs)) {
    if (rec.size === 0 && rec.root !== merkle.EMPTY_ROOT.toString('base64')) delete state.logs[origin];
  }
  const save = async () => {
    const tmp = `${statePath}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(state), { mode: 0o600 });
    await rename(tmp, statePath); // atomic: the witness never forgets a size it cosigned
  };
  let queue: Promise<unknown> = Promise.resolve();
  const text = (status: number, body: string, contentType = 'text/plain; charset=utf-8') => ({ status, contentType, body });

  async function addCheckpoint(body: string) {
    const blank = body.indexOf('\n\n');
    if (blank < 0) return text(400, 'missing blank line\n');
    const head = body.slice(0, blank).split('\n');
    const m = /^old (0|[1-9][0-9]*)$/.exec(head[0] ?? '');
    if (!m) return text(400, 'first line must be "old <size>"\n');
    const old = Number(m[1]);
    const proof = head.slice(1).map((l) => Buffer.from(l, 'base64'));
    if (proof.length > 63 || proof.some((p, i) => p.length !== 32 || p.toString('base64') !== head[i + 1])) return text(400, 'malformed consistency proof\n');
    let note, cp;
    try {
      note = signedNote.parseNote(body.slice(blank + 2));
      cp = signedNote.parseCheckpoint(note.text);
    } catch (e) {
      return text(400, `${(e as Error).message}\n`);
    }
    const log = logs.get(cp.origin);
    if (!log) return text(404, 'unknown log\n');
    // signed-note: a failing signature under the trusted key name and ID rejects the whole
    // note, so a checkpoint with one good and one bad log signature is refused like an unsigned one.
    if (!signedNote.noteSignedBy(note, log)) return text(403, 'checkpoint is not validly signed by the log key\n');
    if (cp.size < old) return text(400, 'checkpoint is smaller than old size\n');
    const have = state.logs[cp.origin] ?? { size: 0, root: merkle.EMPTY_ROOT.toString('base64') };
    if (old !== have.size) return text(409, `${have.size}\n`, 'text/x.tlog.size');
    if (cp.size === old && proof.length > 0) return text(422, 'a consistency proof between equal sizes is empty\n');
    // Equal sizes need identical roots, else 409. For size 0 the recorded root is always the
    // empty tree's (RFC 6962 MTH({})), so a size-0 checkpoint with any other root lands here.
    if (cp.size === old && !cp.root.equals(Buffer.from(have.root, 'base64'))) return text(409, `${have.size}\n`, 'text/x.tlog.size');
    if (!merkle.verifyConsistency(old, cp.size, Buffer.from(have.root, 'base64'), cp.root, proof)) return text(422, 'consistency proof does not verify\n');
    state.logs[cp.origin] = { size: cp.size, root: cp.root.toString('base64') };
    await save();
    const ts = Math.floor((o.now?.() ?? new Date()).getTime() / 1000);
    const sig = signedNote.cosign(note.text, o.name, key, ts);
    const line = signedNote.formatNote({ text: '', signatures: [sig] }).slice(1);
    return text(200, line);
  }

  return {
    verifierKey,
    handle(body: string) {
      // One checkpoint at a time: the state check and update must not interleave.
      const r = queue.then(() => addCheckpoint(body));
      queue = r.catch(() => undefined);
      return r;
    },
  };
}

/**
 * Serves `POST /add-checkpoint`. With `tls` (PEM certificate and key) over HTTPS, TLS 1.3
 * only; without it over plain HTTP, which is fine on loopback since cosignatures are
 * self-authenticating, but a witness across a network should have TLS. Bodies over 64 KiB
 * are cut off. Resolves once listening, with the base URL; rejects if the port cannot be bound.
 */
export async function serveWitness(w: Witness, o: { port: number; host: string; tls?: { cert: string; key: string } | undefined }): Promise<{ server: Server; url: string }> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/add-checkpoint') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      w.handle(Buffer.concat(chunks).toString('utf8')).then(
        (r) => res.writeHead(r.status, { 'content-type': r.contentType }).end(r.body),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n'),
      );
    });
  };
  const server: Server = o.tls ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.3' }, handler) : createServer(handler);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const a = server.address() as { port: number };
  return { server, url: `${o.tls ? 'https' : 'http'}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${a.port}` };
}
