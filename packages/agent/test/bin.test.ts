// The shared device-binary suite (packages/device-client/src/testing.ts), run against parapet-agent.
import { fileURLToPath } from 'node:url';
import { deviceBinSuite } from '@parapet/device-client/testing';

deviceBinSuite('agent', fileURLToPath(new URL('../bin/parapet-agent.js', import.meta.url)));
