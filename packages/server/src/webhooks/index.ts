/**
 * What the webhooks domain offers other domains: they import these names from here, never a
 * file of this folder (packages/server/test/import-rules.test.ts).
 */
export { enqueue } from './deliver.js';
export { emitFindingEvents, emitIntegrityAlert, emitScanEvent, emitScanProgress } from './events.js';
export { anomalyAlert } from './ocsf.js';
