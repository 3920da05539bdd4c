// `npm install` (the root prepare script): build the migrated PGlite template new embedded
// data dirs start from (packages/db/src/template.ts). A failure only costs start-up speed, so
// it is reported and the install goes on.
import { buildTemplate } from '../src/template.js';

const t0 = performance.now();
try {
  const r = await buildTemplate();
  console.log(r.built ? `Built the embedded database template ${r.path} in ${Math.round(performance.now() - t0)} ms.` : `The embedded database template is up to date (${r.path}).`);
} catch (e) {
  console.error(`Could not build the embedded database template (new data dirs will run initdb and migrations instead): ${(e as Error).message}`);
}
