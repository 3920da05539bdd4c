import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { signedNote } from '@parapet/core';
import { fileURLToPath } from 'node:url';

/** The real `parapet-witness` entry point, as a customer's npm runs it. */
const BIN = fileURLToPath(new URL('../bin/parapet-witness.js', import.meta.url));

function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

test('parapet-witness serve: prints its URL and cosignature verifier key, answers add-checkpoint, stops on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-wcli-'));
  const { privateKey } = generateKeyPairSync('ed25519');
  const origin = 'parapet.audit/test';
  const vkey = signedNote.verifierKey(origin, signedNote.rawPublicKey(privateKey));
  const p = spawn(process.execPath, [BIN, 'serve', '--dir', dir, '--name', 'cli.witness', '--log', vkey, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      p.stdout.on('data', (d) => {
        buf += d;
        if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
      });
      p.on('exit', (c) => reject(new Error(`exited ${c}`)));
    });
    const info = JSON.parse(line) as { url: string; verifier_key: string };
    assert.match(info.verifier_key, /^cli\.witness\+[0-9a-f]{8}\+/);
    const note = signedNote.signNote(signedNote.checkpointText({ origin, size: 0, root: Buffer.from('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', 'base64') }), origin, privateKey);
    const r = await fetch(`${info.url}/add-checkpoint`, { method: 'POST', body: `old 0\n\n${note}` });
    assert.equal(r.status, 200);
    const body = await r.text();
    assert.equal(signedNote.cosignedBy(signedNote.parseNote(note + body), signedNote.parseVerifierKey(info.verifier_key)) !== undefined, true);
    const code = new Promise<number | null>((resolve) => p.on('exit', resolve));
    p.kill('SIGTERM');
    assert.equal(await code, 0);
  } finally {
    p.kill();
    await rm(dir, { recursive: true, force: true });
  }
});

test('parapet-witness serve: TLS needs both a certificate and a key, and unreadable files are one sentence', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-wcli-'));
  try {
    const vkey = signedNote.verifierKey('parapet.audit/test', signedNote.rawPublicKey(generateKeyPairSync('ed25519').privateKey));
    const base = ['serve', '--dir', dir, '--name', 'cli.witness', '--log', vkey, '--port', '0'];
    const half = await runCli([...base, '--tls-cert', join(dir, 'cert.pem')]);
    assert.notEqual(half.code, 0);
    assert.match(half.err, /Give both --tls-cert and --tls-key, or neither\./);
    const missing = await runCli([...base, '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /Cannot read the TLS certificate or key: .*ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('parapet-witness: usage errors exit 2 with one sentence and the usage line; a port in use exits 1', async () => {
  const help = await runCli(['serve', '--help']);
  assert.deepEqual([help.code, help.err], [0, '']);
  assert.match(help.out, /^Usage: parapet-witness serve --dir DIR/);
  const none = await runCli(['serve']);
  assert.equal(none.code, 2);
  assert.match(none.err, /^Give --dir DIR, --name NAME and at least one --log VERIFIER_KEY\.\nUsage: parapet-witness serve /);
  const unknown = await runCli(['cosign']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /Unknown command "cosign"/);
  const port = await runCli(['serve', '--dir', '/nonexistent', '--name', 'n', '--log', 'x', '--port', '70000']);
  assert.equal(port.code, 2);
  assert.match(port.err, /--port is a TCP port number\./);
  const dir = await mkdtemp(join(tmpdir(), 'parapet-wcli-'));
  const vkey = signedNote.verifierKey('parapet.audit/test', signedNote.rawPublicKey(generateKeyPairSync('ed25519').privateKey));
  const badLog = await runCli(['serve', '--dir', dir, '--name', 'n', '--log', 'not-a-key', '--port', '0']);
  assert.equal(badLog.code, 1);
  assert.match(badLog.err, /^Cannot start the witness: /);
  const { createServer } = await import('node:net');
  const holder = createServer();
  await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
  try {
    const busy = await runCli(['serve', '--dir', dir, '--name', 'n', '--log', vkey, '--port', String((holder.address() as { port: number }).port)]);
    assert.equal(busy.code, 1);
    assert.match(busy.err, /^Cannot start the witness: .*EADDRINUSE/);
  } finally {
    holder.close();
    await rm(dir, { recursive: true, force: true });
  }
});
