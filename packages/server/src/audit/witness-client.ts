/**
 * Client side of C2SP tlog-witness: sends a checkpoint with a consistency proof from the
 * size the witness last cosigned, and stores the cosignature it returns. Witnesses are a
 * tenant setting (`audit_witnesses: [{ url, verifier_key, ca? }]`), so a customer can point
 * the log at a witness they run themselves; `ca` (PEM) is the certificate to trust for an
 * https witness with its own certificate, otherwise the system's CAs apply.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Database } from '@parapet/db';
import { merkle, signedNote } from '@parapet/core';
import { latestCheckpoint, leafHashes, type StoredCheckpoint } from './service.js';
import { listSetting, readSetting } from '../platform/settings.js';

export interface WitnessConfig {
  url: string;
  verifier_key: string;
  ca?: string;
}

/** POSTs a text body; resolves with status and text. TLS 1.3 for https, trusting `ca` when given. */
function postText(url: URL, body: string, ca: string | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const o = { method: 'POST', headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 };
    const req = url.protocol === 'https:' ? httpsRequest(url, { ...o, minVersion: 'TLSv1.3', ...(ca ? { ca } : {}) }) : httpRequest(url, o);
    req.on('timeout', () => req.destroy(new Error('the witness did not answer within 10 s')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.end(body);
  });
}

export interface WitnessResult {
  witness: string;
  ok: boolean;
  detail: string;
}

/** Tenant setting `audit_witnesses`: the witnesses that cosign the log's checkpoints (malformed entries are left out). */
export const AUDIT_WITNESSES = listSetting<WitnessConfig>({
  key: 'audit_witnesses',
  owner: 'audit',
  default: [],
  maxItems: 32,
  item: (x) => {
    const w = x as Partial<WitnessConfig> | null;
    return typeof w?.url === 'string' && typeof w.verifier_key === 'string' && (w.ca === undefined || typeof w.ca === 'string') ? (w as WitnessConfig) : undefined;
  },
});

export async function sendToWitnesses(db: Database, tenantId: string, cp: StoredCheckpoint): Promise<WitnessResult[]> {
  const ctx = { tenantId, actor: 'system:audit-witness' };
  const { witnesses, hashes, cosigned } = await db.tx(ctx, async (q) => {
    const witnesses = await readSetting(q, AUDIT_WITNESSES, tenantId);
    const cs = (await q.query<{ witness_key: string; n: number }>(`SELECT witness_key, max(tree_size) AS n FROM audit_cosignatures GROUP BY witness_key`)).rows;
    return { witnesses, hashes: await leafHashes(q, cp.treeSize), cosigned: new Map(cs.map((r) => [r.witness_key, Number(r.n)])) };
  });
  const out: WitnessResult[] = [];
  for (const w of witnesses) {
    let v: signedNote.Verifier;
    try {
      v = signedNote.parseVerifierKey(w.verifier_key);
    } catch (e) {
      out.push({ witness: w.url, ok: false, detail: `bad verifier key: ${(e as Error).message}` });
      continue;
    }
    let old = Math.min(cosigned.get(w.verifier_key) ?? 0, cp.treeSize);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const proof = merkle.consistencyProof(hashes, old, cp.treeSize);
        const body = `old ${old}\n${proof.map((p) => p.toString('base64') + '\n').join('')}\n${cp.note}`;
        const res = await postText(new URL('add-checkpoint', w.url.endsWith('/') ? w.url : w.url + '/'), body, w.ca);
        const text = res.text;
        if (res.status === 409 && attempt === 0 && /^\d+\n$/.test(text) && Number(text) <= cp.treeSize) {
          old = Number(text); // the witness knows a different size: prove from there
          continue;
        }
        if (res.status !== 200) throw new Error(`witness answered ${res.status}: ${text.trim()}`);
        const note = signedNote.parseNote(cp.note.replace(/\n$/, '\n') + text);
        if (signedNote.cosignedBy(note, v) === undefined) throw new Error('the witness returned no valid cosignature');
        const line = text.split('\n').find((l) => l.startsWith(`\u2014 ${v.name} `) && signedNote.cosignedBy(signedNote.parseNote(cp.note + l + '\n'), v) !== undefined)!;
        await db.tx(ctx, (q) =>
          q.query(`INSERT INTO audit_cosignatures (tenant_id, tree_size, witness_key, signature_line) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [tenantId, cp.treeSize, w.verifier_key, line]),
        );
        out.push({ witness: w.url, ok: true, detail: 'cosigned' });
        break;
      }
    } catch (e) {
      out.push({ witness: w.url, ok: false, detail: (e as Error).message });
    }
  }
  return out;
}

/**
 * How often (ms) each tenant's latest checkpoint goes to its witnesses, besides the daily
 * snapshot: the longest a rewritten tail of the log stays unseen by anyone outside the server.
 */
export const WITNESS_INTERVAL_MS = 5 * 60_000;

/**
 * One round of the witness job: for each tenant with witnesses configured, sends the latest
 * checkpoint to them when some witness has not cosigned that size yet. Tenants without
 * witnesses, or whose witnesses are current, cost one small read. Returns the results per
 * tenant it sent for.
 */
export async function witnessRound(db: Database, tenantIds: string[]): Promise<Map<string, WitnessResult[]>> {
  const out = new Map<string, WitnessResult[]>();
  for (const tenantId of tenantIds) {
    const due = await db.tx({ tenantId, actor: 'system:audit-witness' }, async (q) => {
      const ws = await readSetting(q, AUDIT_WITNESSES, tenantId);
      if (!ws.length) return undefined;
      const cp = await latestCheckpoint(q);
      if (!cp) return undefined;
      const have = new Map((await q.query<{ witness_key: string; n: number }>(`SELECT witness_key, max(tree_size) AS n FROM audit_cosignatures GROUP BY witness_key`)).rows.map((r) => [r.witness_key, Number(r.n)]));
      return ws.some((w) => (have.get(w.verifier_key) ?? 0) < cp.treeSize) ? cp : undefined;
    });
    if (due) out.set(tenantId, await sendToWitnesses(db, tenantId, due));
  }
  return out;
}
