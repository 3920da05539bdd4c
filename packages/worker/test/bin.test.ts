// The shared device-binary suite (packages/device-client/src/testing.ts), run against parapet-worker.
import { fileURLToPath } from 'node:url';
import { deviceBinSuite } from '@parapet/device-client/testing';

deviceBinSuite('worker', fileURLToPath(new URL('../bin/parapet-worker.js', import.meta.url)));
