// parapet-worker: the Probe worker. enroll/status/heartbeat come from @parapet/device-client
// (shared with parapet-agent); run and profile are the worker's own (worker-cli.ts).
import { runDeviceBin } from '@parapet/device-client/device-cli';
import { runWorkerBin, WORKER_VERSION } from './worker-cli.js';

if (!(await runWorkerBin(process.argv.slice(2)))) await runDeviceBin('worker', { version: WORKER_VERSION });
