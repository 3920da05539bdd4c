/**
 * `npm run demo`: a customer-style sandbox on this machine. Starts (or reuses) a Parapet server
 * on the embedded defaults in `.parapet-demo/`, creates "Northwind Demo" with one named person
 * per role, runs Probe on loopback lab services (scope signing, dual approval, a live scan, a
 * signed report verified offline) and feeds Pulse a simulated workforce through the real
 * signed upload API. `npm run demo -- --reset` stops the demo server and deletes its data.
 *
 * Exit status 0 when every step worked; otherwise one sentence on stderr and exit 1.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Progress } from './progress.js';
import { ensureServer, resetDemo, demoDataDir } from './server.js';
import { createOrg, signIn, ORG_NAME, type DemoOrg, type DemoPerson } from './people.js';
import { runProbe, type ProbeOutcome } from './probe.js';
import { runPulse, type PulseOutcome } from './pulse.js';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`Usage: npm run demo [-- --reset] [-- --port N]

Builds a customer-style sandbox: a demo organisation ("${ORG_NAME}") with a person per role,
a live Probe scan of loopback lab services with a signed report, and a Pulse workforce.
Data lives in ${demoDataDir()}; the demo server keeps running afterwards (https://localhost:PORT).
  --reset     stop the demo server and delete the demo data, then exit
  --port N    HTTPS port of the demo server (default 8444)
`);
  process.exit(0);
}
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : Number(process.env.PARAPET_DEMO_PORT ?? 8444);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('The demo port must be a number between 1 and 65535.\n');
  process.exit(2);
}

interface Saved {
  tenantId: string;
  slug: string;
  createdAt: string;
  people: DemoPerson[];
}

async function main(): Promise<void> {
  if (args.includes('--reset')) {
    const r = await resetDemo();
    process.stdout.write(`${r.stopped ? 'Stopped the demo server. ' : ''}${r.removed ? `Deleted ${demoDataDir()}.` : 'There was no demo data to delete.'}\n`);
    return;
  }
  const progress = new Progress();
  process.stdout.write(`Parapet demo: ${ORG_NAME}, on this machine only (loopback).\n`);
  progress.step('Server on embedded defaults');
  const server = await ensureServer(port);
  progress.finish(`${server.started ? 'started' : 'already running'} at ${server.url} (pid ${server.pid})`);

  const statePath = join(server.dataDir, 'demo.json');
  let saved: Saved | undefined;
  try {
    saved = JSON.parse(await readFile(statePath, 'utf8')) as Saved;
  } catch {
    saved = undefined;
  }
  let org: DemoOrg;
  if (saved) {
    progress.step(`Reusing ${ORG_NAME} from ${saved.createdAt} (npm run demo -- --reset starts afresh)`);
    org = await signIn(server, saved);
    progress.finish(`${org.people.length} people signed in`);
  } else {
    progress.step(`Creating ${ORG_NAME} and its people`);
    let n = 0;
    org = await createOrg(server, (name) => progress.detail(`${++n} / 8: ${name}`));
    progress.finish(`${org.people.length} people, each with a password and an authenticator`);
  }

  const saveState = async () => {
    for (const p of org.people) p.lastStep = org.clients.get(p.key)?.lastStep ?? p.lastStep;
    const state: Saved = { tenantId: org.tenantId, slug: org.slug, createdAt: saved?.createdAt ?? new Date().toISOString(), people: org.people };
    await writeFile(statePath, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    await chmod(statePath, 0o600);
  };
  await saveState();
  const probe: ProbeOutcome = await runProbe(server, org, progress);
  const pulse: PulseOutcome = await runPulse(server, org, progress);

  await saveState();
  const out: string[] = [];
  out.push('', `Done in ${progress.elapsedSeconds.toFixed(0)} s. Open ${server.url.replace('127.0.0.1', 'localhost')} (your browser will warn about the self-signed certificate)`);
  out.push(`and sign in to organisation "${org.slug}" as any of these people (credentials also in ${statePath}, mode 0600):`, '');
  const w = Math.max(...org.people.map((p) => p.email.length));
  for (const p of org.people) out.push(`  ${p.email.padEnd(w)}  password ${p.password}  TOTP ${p.totpSecret}  (${p.roles.join(', ')}: ${p.why})`);
  out.push('', 'A current code: oathtool --totp -b SECRET (or add the secret to an authenticator app).', '');
  out.push(...probe.summary, ...pulse.summary);
  out.push('', `The demo server keeps running (pid ${server.pid}, log ${join(server.dataDir, 'server.log')}). Remove everything with: npm run demo -- --reset`);
  process.stdout.write(out.join('\n') + '\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`The demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
