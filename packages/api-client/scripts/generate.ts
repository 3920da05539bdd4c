/** Regenerates src/schema.ts from the server's OpenAPI document (see openapi-source.ts). */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SCHEMA_FILE, schemaSource } from './openapi-source.js';

await writeFile(SCHEMA_FILE, await schemaSource());
console.log(`wrote ${fileURLToPath(SCHEMA_FILE)}`);
