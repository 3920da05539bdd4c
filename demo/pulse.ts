/** Pulse in the demo: a workforce through SCIM and weeks of activity through signed agent uploads. */
import type { Progress } from './progress.js';
import type { DemoOrg } from './people.js';
import type { DemoServer } from './server.js';

export interface PulseOutcome {
  summary: string[];
}

export async function runPulse(_s: DemoServer, _org: DemoOrg, _progress: Progress): Promise<PulseOutcome> {
  return { summary: ['Pulse: not part of this build yet.'] };
}
