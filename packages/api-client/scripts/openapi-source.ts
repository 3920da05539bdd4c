/**
 * Builds the server in memory (PGlite, a throwaway key and data dir), reads its OpenAPI
 * document (what GET /api/v1/openapi.json serves) and turns it into TypeScript types with
 * openapi-typescript. Shared by `npm run generate -w @parapet/api-client` and the staleness test.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { KeyRing } from '@parapet/core';
import { PgliteDatabase } from '@parapet/db';
import { buildApp } from '@parapet/server';

/** Where the generated types live, relative to this file. */
export const SCHEMA_FILE = new URL('../src/schema.ts', import.meta.url);

const HEADER = `/**
 * The Parapet HTTP API's types, generated from GET /api/v1/openapi.json by openapi-typescript.
 * Do not edit: run \`npm run generate -w @parapet/api-client\` after changing a route's schema
 * (packages/api-client/test/staleness.test.ts fails while this file is stale).
 */
`;

/** The server's OpenAPI document (OpenAPI 3.x JSON object). */
export async function openapiDocument(): Promise<Record<string, unknown>> {
  const db = await PgliteDatabase.open();
  const dataDir = await mkdtemp(join(tmpdir(), 'parapet-openapi-'));
  try {
    await db.migrate();
    const app = await buildApp({ db, keys: new KeyRing([{ id: 'k', key: randomBytes(32) }], 'k'), dataDir, now: () => new Date() });
    try {
      await app.ready();
      const r = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
      if (r.statusCode !== 200) throw new Error(`GET /api/v1/openapi.json answered ${r.statusCode}`);
      return r.json();
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The text of src/schema.ts for the current server. */
export async function schemaSource(): Promise<string> {
  const doc = await openapiDocument();
  // A schema `{ type: 'object' }` without properties is a free-form object (Record<string, unknown>),
  // not an object that must be empty.
  return HEADER + astToString(await openapiTS(doc as never, { emptyObjectsUnknown: true }));
}
