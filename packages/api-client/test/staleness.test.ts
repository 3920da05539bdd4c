/**
 * The committed client types match the server: regenerates src/schema.ts from the server's
 * OpenAPI document and compares. Fails when a route's schema changed without
 * `npm run generate -w @parapet/api-client` (this is the CI staleness check).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { SCHEMA_FILE, schemaSource } from '../scripts/openapi-source.js';

test('src/schema.ts is what the server generates today', async () => {
  const committed = await readFile(SCHEMA_FILE, 'utf8');
  const fresh = await schemaSource();
  if (committed !== fresh) {
    const a = committed.split('\n');
    const b = fresh.split('\n');
    const i = a.findIndex((l, k) => l !== b[k]);
    assert.fail(`packages/api-client/src/schema.ts is stale (first difference at line ${i + 1}: ${JSON.stringify(a[i])} vs ${JSON.stringify(b[i])}); run npm run generate -w @parapet/api-client and commit it.`);
  }
  // The document is the one the server serves, with its real routes.
  assert.match(fresh, /"\/api\/v1\/posture"/);
  assert.match(fresh, /"\/api\/v1\/devices\/heartbeat"/);
});
