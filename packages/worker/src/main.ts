// parapet-worker: a thin wrapper; the commands live in @parapet/device-client (shared with parapet-agent).
import { readFileSync } from 'node:fs';
import { runDeviceBin } from '@parapet/device-client/device-cli';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
await runDeviceBin('worker', { version });
