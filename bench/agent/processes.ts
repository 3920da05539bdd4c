/**
 * The process part of the Pulse agent benchmarks (bench/agent: 60 s; bench/soak: 10 minutes):
 * CPU and RSS over time of real `parapet-agent run` processes under Xvfb + openbox while
 * xdotool switches focus between two real X clients every 2 s, each agent enrolled with a real
 * server (in this process, PGlite or PostgreSQL from DATABASE_URL) and uploading every 30 s, with
 * its tray item on a private session bus (a StatusNotifierWatcher plays the panel) and its lock
 * source on a second bus carrying a stand-in logind.
 *
 * Measured side by side in the same run:
 * - the packaged form: the agent's .deb (scripts/package-deb.ts) extracted with `dpkg-deb -x`,
 *   run as its /usr/bin/parapet-agent (the bundle, whose shebang gives AGENT_NODE_FLAGS; what
 *   the systemd unit runs), with the package's own node_modules;
 * - the same extracted bundle with Node's default flags;
 * - the source form (bin/parapet-agent.js, tsx loader);
 * - references: a plain `node` 1 s timer with default flags and with AGENT_NODE_FLAGS (the
 *   floor any Node 20 agent starts from).
 * CPU is % of one core (utime + stime from /proc/PID/stat); RSS is VmRSS from /proc/PID/status.
 * Goals (issue 15): <= 1 % of one core, <= 60 MB RSS.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, loginAs, createUser } from '../../packages/server/src/testing.js';
import { runBin } from '../../packages/device-client/src/testing.js';
import { AGENT_NODE_FLAGS } from '../../packages/agent/scripts/bundle.js';
import { packageAgent } from '../../packages/agent/scripts/package-deb.js';
import { missingDbus, startBus, startFakeLogind, startWatcher } from '../../packages/agent/test/dbus.js';
import { missingX11Tools, sleep, startDesktop } from '../../packages/agent/test/xvfb.js';

const root = new URL('../../', import.meta.url).pathname;
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime + stime (fields 14, 15)
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

interface Subject {
  name: string;
  p: ChildProcess;
  /** State directory of an agent (null for a reference process). */
  dir: string | null;
  rss: number[];
  cpuWindows: number[];
}

/**
 * Runs the processes for `seconds`, printing one line per `windowSeconds` (CPU % in that window,
 * RSS at its end) and a summary. Skips (with a sentence) when Xvfb, dbus-daemon or dpkg-dev is missing.
 */
export async function benchAgentProcesses(seconds: number, windowSeconds: number): Promise<void> {
  const missing = [...missingX11Tools(), ...missingDbus(), ...['dpkg-deb', 'dpkg-shlibdeps'].filter((b) => !existsSync(`/usr/bin/${b}`))];
  if (missing.length) {
    console.log(`skipped the process part: needs ${missing.join(', ')}`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'pulse-bench-'));
  const d = await startDesktop();
  const session = await startBus();
  const system = await startBus();
  const logind = await startFakeLogind(system.address, '7');
  const panel = await startWatcher(session.address);
  const server = await startTestServer();
  const subjects: Subject[] = [];
  try {
    const deb = await packageAgent(join(work, 'deb'));
    const pkgRoot = join(work, 'root');
    execFileSync('dpkg-deb', ['-x', deb.path, pkgRoot]);
    const installed = join(pkgRoot, 'usr/bin/parapet-agent');
    const bundle = join(pkgRoot, 'usr/lib/parapet-agent/parapet-agent.mjs');
    const a = await d.open('xterm', ['-T', 'Inbox – alice@example.com – https://mail.example.org/x'], 'Inbox – alice@example.com – https://mail.example.org/x');
    const b = await d.open('xmessage', ['-title', 'Build 4711 report', 'x'], 'Build 4711 report');
    const env = { ...process.env, ...d.env, PARAPET_AGENT_KEY_STORE: 'file', DBUS_SESSION_BUS_ADDRESS: session.address, DBUS_SYSTEM_BUS_ADDRESS: system.address, XDG_SESSION_ID: '7', PARAPET_AGENT_OPENER: 'true' };
    const admin = await loginAs(server, { roles: ['admin'], mfaFresh: true });
    const person = await createUser(server.db, admin.tenantId, { roles: ['employee'] });
    const caFile = join(work, 'ca.pem');
    writeFileSync(caFile, server.ca);
    const srcBin = join(root, 'packages/agent/bin/parapet-agent.js');
    const enrolled = async (name: string) => {
      const t = await admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent', owner_user_id: person.userId });
      if (t.status !== 201) throw new Error(`enrollment token: ${t.status} ${t.text}`);
      const dir = join(work, name);
      const e = await runBin(srcBin, ['enroll', '--server', server.url, '--token', t.json.token, '--ca', caFile, '--state-dir', dir, '--key-store', 'file'], env);
      if (e.code !== 0) throw new Error(`enroll: ${e.stderr}`);
      return dir;
    };
    const agents: Array<[string, string, string[]]> = [
      [`packaged form: ${deb.arch} .deb extracted, /usr/bin/parapet-agent (shebang: ${AGENT_NODE_FLAGS.join(' ')})`, installed, []],
      ['the same bundle, default Node flags', process.execPath, [bundle]],
      ['source via tsx (bin/parapet-agent.js)', process.execPath, [srcBin]],
    ];
    for (const [name, cmd, args] of agents) {
      const dir = await enrolled(`agent-${subjects.length}`);
      const p = spawn(cmd, [...args, 'run', '--state-dir', dir], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (x: Buffer) => (out += x.toString()));
      p.stderr!.on('data', (x: Buffer) => (out += x.toString()));
      await new Promise<void>((resolve, reject) => {
        const t = setInterval(() => out.includes('Recording (') && (clearInterval(t), resolve()), 50);
        p.once('exit', (c) => (clearInterval(t), reject(new Error(`${name} exited ${c}: ${out}`))));
      });
      subjects.push({ name, p, dir, rss: [], cpuWindows: [] });
    }
    for (const [name, flags] of [
      ['plain node, a 1 s timer (reference)', []],
      [`plain node ${AGENT_NODE_FLAGS.join(' ')}, a 1 s timer (reference)`, AGENT_NODE_FLAGS],
    ] as Array<[string, string[]]>) {
      subjects.push({ name, p: spawn(process.execPath, [...flags, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }), dir: null, rss: [], cpuWindows: [] });
    }
    for (let i = 0; i < 100 && panel.items.length < agents.length; i++) await sleep(100);
    await sleep(3000); // past start-up (tsx compile, SQLCipher open, first policy fetch)

    let which = 0;
    let switches = 0;
    const start = Date.now();
    const cStart = subjects.map((s) => cpuTicks(s.p.pid!));
    let c0 = [...cStart];
    let w0 = start;
    const header = ['t (s)', ...subjects.map((_, k) => `#${k + 1} CPU %  RSS MB`)].join(' | ');
    console.log(subjects.map((s, k) => `  #${k + 1}: ${s.name}`).join('\n'));
    console.log(`  ${header}`);
    let nextWindow = start + windowSeconds * 1000;
    while (Date.now() - start < seconds * 1000) {
      await d.activate(which++ % 2 ? a : b);
      await d.input();
      switches++;
      const until = Date.now() + 2000;
      while (Date.now() < until) {
        for (const s of subjects) s.rss.push(rssMb(s.p.pid!));
        await sleep(500);
      }
      if (Date.now() >= nextWindow) {
        const now = Date.now();
        const c1 = subjects.map((s) => cpuTicks(s.p.pid!));
        subjects.forEach((s, k) => s.cpuWindows.push((100 * (c1[k]! - c0[k]!)) / TICK / ((now - w0) / 1000)));
        console.log(`  ${String(Math.round((now - start) / 1000)).padStart(5)} | ${subjects.map((s) => `${s.cpuWindows.at(-1)!.toFixed(2).padStart(6)}  ${s.rss.at(-1)!.toFixed(1).padStart(6)}`).join(' | ')}`);
        c0 = c1;
        w0 = now;
        nextWindow += windowSeconds * 1000;
      }
    }
    const wall = (Date.now() - start) / 1000;
    const ends = subjects.map((s) => cpuTicks(s.p.pid!));
    for (const s of subjects.slice(0, agents.length)) s.p.kill('SIGTERM');
    await Promise.all(subjects.slice(0, agents.length).map((s) => new Promise((r) => (s.p.exitCode !== null ? r(null) : s.p.once('exit', r)))));
    const shown = subjects.slice(0, agents.length).map((s) => {
      const j = JSON.parse(execFileSync(process.execPath, [srcBin, 'show', '--json', '--state-dir', s.dir!], { env }).toString()) as { intervals: Array<{ uploaded: boolean }> };
      return `${j.intervals.length} intervals, ${j.intervals.filter((x) => x.uploaded).length} uploaded`;
    });
    const ref = subjects[agents.length]!;
    console.log(`\n  ${Math.round(wall)} s, ${switches} focus switches (2 s apart), uploads every 30 s, tray registered: ${panel.items.length}/${agents.length}`);
    subjects.forEach((s, k) => {
      const total = (100 * (ends[k]! - cStart[k]!)) / TICK / wall;
      const max = Math.max(...s.rss);
      const first = s.rss.slice(0, 10).reduce((x, y) => x + y, 0) / Math.min(10, s.rss.length);
      const last = s.rss.slice(-10).reduce((x, y) => x + y, 0) / Math.min(10, s.rss.length);
      const line = `  #${k + 1} ${s.name}: CPU ${total.toFixed(2)} % of one core, RSS max ${max.toFixed(1)} MB (first 5 s ${first.toFixed(1)}, last 5 s ${last.toFixed(1)} MB)`;
      console.log(line + (k < agents.length ? `; ${shown[k]}; RSS ${(max / Math.max(...ref.rss)).toFixed(2)}x the plain node reference` : ''));
    });
    const inst = subjects[0]!;
    const instCpu = (100 * (ends[0]! - cStart[0]!)) / TICK / wall;
    console.log(`  goals (packaged form): <= 1 % of one core: ${instCpu <= 1 ? 'met' : 'NOT met'}; <= 60 MB RSS: ${Math.max(...inst.rss) <= 60 ? 'met' : 'NOT met'}`);
    console.log(`  load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores (other work on the machine shows up as CPU noise)`);
  } finally {
    for (const s of subjects) s.p.kill('SIGKILL');
    panel.bus.disconnect();
    await logind.close();
    await server.close();
    await session.close();
    await system.close();
    await d.close();
    rmSync(work, { recursive: true, force: true });
  }
}
