/**
 * Pulse agent benchmark (PULSE-AGENT), 60 s by default (AGENT_BENCH_SECONDS): scrubber and
 * categoriser throughput on the title corpus against one trivial regex pass over the same titles
 * (the reference), then CPU and RSS of real agents under Xvfb (see ./processes.ts for what runs
 * and what it is measured against). The 10-minute soak is bench/soak (`npm run bench -- soak`).
 * Goals from the issue: <= 1 % of one core, <= 60 MB RSS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeClassifier } from '../../packages/agent/src/recorder.js';
import { readRulesFile } from '../../packages/agent/src/policy.js';
import { benchAgentProcesses } from './processes.js';

const root = new URL('../../', import.meta.url).pathname;
const seconds = Number(process.env.AGENT_BENCH_SECONDS ?? 60);

function scrubber(): void {
  const { policy, localRules } = readRulesFile(join(root, 'packages/agent/test/fixtures/rules.json'));
  const c = makeClassifier(policy, localRules);
  const lines = readFileSync(join(root, 'packages/agent/test/fixtures/titles.tsv'), 'utf8').trimEnd().split('\n').map((l) => l.split('\t') as [string, string]);
  const rounds = 4000;
  const time = (f: (app: string, t: string) => unknown) => {
    for (let r = 0; r < 200; r++) for (const [a, t] of lines) f(a, t); // warm-up
    const t0 = process.hrtime.bigint();
    let sink = 0;
    for (let r = 0; r < rounds; r++) for (const [a, t] of lines) sink += JSON.stringify(f(a, t)).length;
    const ns = Number(process.hrtime.bigint() - t0);
    return { perSec: (rounds * lines.length) / (ns / 1e9), sink };
  };
  const full = time((app, t) => {
    const s = c.scrub(t);
    return c.categoriser.categorise(app, s.title, s.domain);
  });
  const ref = time((_a, t) => t.replace(/\s+/g, ' '));
  console.log(`scrub + categorise on the ${lines.length}-title corpus: ${Math.round(full.perSec).toLocaleString('en')} titles/s (${(1e6 / full.perSec).toFixed(1)} µs each); one whitespace regex pass: ${Math.round(ref.perSec).toLocaleString('en')} titles/s; ratio ${(ref.perSec / full.perSec).toFixed(1)}x the reference cost`);
}

scrubber();
await benchAgentProcesses(seconds, Math.max(10, Math.round(seconds / 6)));
