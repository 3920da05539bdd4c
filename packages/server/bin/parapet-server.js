#!/usr/bin/env node
// `npm start`: runs the server bundled into one ES module (packages/server/build/bundle.mjs;
// rebuilt here when a source is newer, about a second), so no TypeScript is transpiled at
// start-up. Without esbuild, or with PARAPET_NO_BUNDLE=1, the sources run through tsx.
import { freshBundle } from '../build/bundle.mjs';

let bundle;
if (process.env.PARAPET_NO_BUNDLE !== '1') {
  try {
    bundle = await freshBundle();
  } catch (e) {
    process.stderr.write(`Could not bundle the server (${e.message.split('\n')[0]}); running the sources through tsx.\n`);
  }
}
if (bundle) {
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli-entry.ts');
}
