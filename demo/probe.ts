/** Probe in the demo: lab services on loopback, a signed production scope, a live scan, a signed report. */
import type { Progress } from './progress.js';
import type { DemoOrg } from './people.js';
import type { DemoServer } from './server.js';

export interface ProbeOutcome {
  summary: string[];
}

export async function runProbe(_s: DemoServer, _org: DemoOrg, _progress: Progress): Promise<ProbeOutcome> {
  return { summary: ['Probe: not part of this build yet.'] };
}
