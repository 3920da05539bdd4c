/**
 * The audit sequencer's thread (see ChainWorker in audit-sequencer.ts): runs chainInbox rounds
 * on its own connection and answers with what each tenant had chained or why it failed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PostgresDatabase } from '@parapet/db';
import { chainInbox, ChainError, type ChainReply } from './audit-sequencer.js';

const db = new PostgresDatabase({ url: (workerData as { url: string }).url, max: 1 });
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

parentPort!.on('message', async ({ id, tenantIds }: { id: number; tenantIds: string[] }) => {
  let reply: ChainReply;
  try {
    reply = { id, done: [...(await chainInbox(db, tenantIds))], failed: [] };
  } catch (e) {
    reply = e instanceof ChainError
      ? { id, done: [...e.chained], failed: [...e.failed].map(([t, err]) => [t, message(err)]) }
      : { id, done: [], failed: tenantIds.map((t) => [t, message(e)]) };
  }
  parentPort!.postMessage(reply);
});
