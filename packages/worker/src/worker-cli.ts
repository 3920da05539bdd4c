/**
 * The worker's own commands. Every invocation (except --help) first verifies the embedded
 * safety profile and exits 1 with one sentence when it is missing, unsigned, expired or
 * tampered. `run` takes no option that touches the profile: parseArgs is strict, so an
 * unknown flag such as --max-pps is a usage error (exit 2), and no environment variable or
 * configuration file is read for limits.
 *
 *   parapet-worker run [--once] [--state-dir DIR]   lease and run jobs (--once: one job, then exit)
 *   parapet-worker profile [--json]                 show the verified embedded profile
 */
import { parseArgs } from 'node:util';
import { ProfileError, type SafetyProfile } from '@parapet/core/probe/profile';
import { defaultStateDir } from '@parapet/device-client/enroll-command';
import { explain, openDevice } from '@parapet/device-client/device-cli';
import { loadSafetyProfile } from './embedded-profile.js';
import { runJob } from './run.js';

export const WORKER_VERSION = '0.1.0';

const out = (l: string) => process.stdout.write(l + '\n');
const err = (l: string) => process.stderr.write(`parapet-worker: ${l}\n`);

function profileOrExit(): SafetyProfile | undefined {
  try {
    return loadSafetyProfile();
  } catch (e) {
    err(e instanceof ProfileError ? e.message : `The embedded safety profile cannot be checked (${(e as Error).message.split('\n')[0]}).`);
    process.exitCode = 1;
    return undefined;
  }
}

/** Handles the worker's commands; returns false for commands of the shared device CLI. */
export async function runWorkerBin(argv: string[]): Promise<boolean> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    if (command !== undefined) {
      out('parapet-worker run [--once] [--state-dir DIR]   Lease approved scan jobs and probe them within the embedded safety profile.');
      out('parapet-worker profile [--json]                 Show the embedded, verified safety profile.');
    }
    return false;
  }
  // The profile is checked before anything else, for every command.
  const profile = profileOrExit();
  if (!profile) return true;
  if (command !== 'run' && command !== 'profile') return false;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: rest, options: command === 'run' ? { once: { type: 'boolean' }, 'state-dir': { type: 'string' } } : { json: { type: 'boolean' } }, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    err(`${((e as Error).message.split('. ')[0] ?? 'Invalid arguments').replace(/\.$/, '')}; the safety profile cannot be changed from the command line.`);
    process.exitCode = 2;
    return true;
  }
  if (command === 'profile') {
    if (values.json) out(JSON.stringify(profile));
    else out(`Safety profile version ${profile.version}: ${profile.probe_types.join(', ')}; at most ${profile.max_packets_per_second} connection attempts per second, ${profile.max_concurrency} in flight (${profile.per_host_concurrency} per address); valid until ${profile.valid_until}.`);
    return true;
  }
  const dir = (values['state-dir'] as string | undefined) ?? defaultStateDir('worker');
  let client;
  try {
    client = await openDevice('worker', dir);
  } catch (e) {
    err(explain('worker', e, undefined, false));
    process.exitCode = 1;
    return true;
  }
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  try {
    for (;;) {
      const r = await runJob({ client, profile, signal: stop.signal, log: out });
      if (r.status === 'idle') {
        if (values.once) {
          out('No scan job is waiting.');
          return true;
        }
        await new Promise((res) => setTimeout(res, 5000));
      } else if (values.once) {
        if (r.status !== 'finished') process.exitCode = 1;
        return true;
      }
      if (stop.signal.aborted) return true;
    }
  } catch (e) {
    err(explain('worker', e, client.state.server, false));
    process.exitCode = 1;
    return true;
  }
}
