/**
 * `parapet scan request | approve | reject | list`: talk to the API with the caller's session
 * (api-client.ts: `parapet login`, PARAPET_SESSION or --session-file; --server; PARAPET_CA_FILE).
 *
 * Why the API and not direct database access: approving a production scan needs the
 * approver's step-up MFA (no older than 5 minutes), which only a session carries. A CLI that
 * wrote approvals into the database would bypass authorize() and the MFA check entirely.
 */
import { CliError, type Command, type Io } from '../command.js';
import type { paths } from '@parapet/api-client';
import { API_ENV_HELP, API_OPTIONS, API_USAGE, connect, failTyped } from '../api-client.js';

type ProbeType = paths['/api/v1/probe/scans']['post']['requestBody']['content']['application/json']['probe_types'][number];
type ScanState = NonNullable<NonNullable<paths['/api/v1/probe/scans']['get']['parameters']['query']>['state']>;

function printScan(io: Io, s: Record<string, unknown>): void {
  const scope = s.scope as { scope_id: string; version: number; environment: string };
  // `approvals` holds every decision; a rejection is not an approval.
  const decisions = s.approvals as Array<{ email: string; decision: string }>;
  const approvals = decisions.filter((d) => d.decision === 'approve').length;
  const rejected = decisions.filter((d) => d.decision === 'reject').map((d) => d.email);
  io.out(`${s.id}  ${String(s.state).padEnd(9)}  ${scope.scope_id} v${scope.version} (${scope.environment})  approvals ${approvals}/${s.approvals_required}${rejected.length ? `  rejected by ${rejected.join(',')}` : ''}  targets ${(s.targets as string[]).join(',')}  ports ${(s.ports as number[]).join(',')}`);
}

const common = API_OPTIONS;

export const scanRequest: Command = {
  path: ['scan', 'request'],
  summary: 'Request a Probe scan (refused unless inside the signed scope).',
  usage: 'parapet scan request --scope ID --version N --target T... --port P... --probe TYPE... --rate PPS [--note TEXT] ' + API_USAGE,
  details: API_ENV_HELP,
  options: { ...common, scope: { type: 'string' }, version: { type: 'string' }, target: { type: 'string', multiple: true }, port: { type: 'string', multiple: true }, probe: { type: 'string', multiple: true }, rate: { type: 'string' }, note: { type: 'string' } },
  async run({ values, io }) {
    const need = ['scope', 'version', 'target', 'port', 'probe', 'rate'].filter((k) => values[k] === undefined);
    if (need.length) throw new CliError(`Missing ${need.map((k) => `--${k}`).join(', ')}.`);
    const ints = (xs: string[], what: string) =>
      xs.map((x) => {
        if (!/^\d+$/.test(x)) throw new CliError(`${what} "${x}" is not a number.`);
        return Number(x);
      });
    const api = await connect(values, io);
    // Probe types are checked by the server against its list (problem details on a wrong one).
    const r = await api.client.POST('/api/v1/probe/scans', {
      body: {
        scope_id: values.scope as string, version: ints([values.version as string], '--version')[0]!, targets: values.target as string[], ports: ints(values.port as string[], 'Port'),
        probe_types: values.probe as ProbeType[], rate_pps: ints([values.rate as string], '--rate')[0]!, ...(values.note ? { note: values.note as string } : {}),
      },
    });
    if (!r.data) failTyped(r);
    if (io.json) io.out(JSON.stringify(r.data));
    else printScan(io, r.data);
  },
};

function decision(word: 'approve' | 'reject'): Command {
  return {
    path: ['scan', word],
    summary: word === 'approve' ? 'Approve a scan (approver role, MFA verified within 5 minutes).' : 'Reject a scan; one rejection stops it.',
    usage: `parapet scan ${word} ID [--comment TEXT] ${API_USAGE}`,
    details: API_ENV_HELP,
  options: { ...common, comment: { type: 'string' } },
    positionals: true,
    async run({ values, positionals, io }) {
      const [id] = positionals;
      if (!id) throw new CliError(`Usage: parapet scan ${word} ID.`);
      const api = await connect(values, io);
      const r = await api.client.POST(word === 'approve' ? '/api/v1/probe/scans/{id}/approve' : '/api/v1/probe/scans/{id}/reject', { params: { path: { id } }, body: values.comment ? { comment: values.comment as string } : {} });
      if (!r.data) failTyped(r);
      if (io.json) io.out(JSON.stringify(r.data));
      else printScan(io, r.data);
    },
  };
}
export const scanApprove = decision('approve');
export const scanReject = decision('reject');

export const scanList: Command = {
  path: ['scan', 'list'],
  summary: 'List Probe scans, newest first.',
  usage: `parapet scan list [--state STATE] ${API_USAGE}`,
  details: API_ENV_HELP,
  options: { ...common, state: { type: 'string' } },
  async run({ values, io }) {
    const api = await connect(values, io);
    // A state outside the list is refused by the server (problem details), not here.
    const r = await api.client.GET('/api/v1/probe/scans', { params: { query: values.state ? { state: values.state as ScanState } : {} } });
    if (!r.data) failTyped(r);
    const list: Array<Record<string, unknown>> = r.data;
    if (io.json) io.out(JSON.stringify(list));
    else if (list.length === 0) io.out('No scans.');
    else for (const s of list) printScan(io, s);
  },
};

const TERMINAL = new Set(['finished', 'failed', 'cancelled', 'rejected', 'expired']);

/** A text progress bar of `width` cells for done/planned, with rate (probes/s) and ETA. */
export function progressLine(done: number, planned: number, elapsedMs: number, width = 30): string {
  const frac = planned > 0 ? Math.min(1, done / planned) : 0;
  const cells = Math.round(frac * width);
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const eta = rate > 0 && planned > done ? Math.ceil((planned - done) / rate) : 0;
  return `[${'#'.repeat(cells)}${'.'.repeat(width - cells)}] ${done}/${planned || '?'} probes  ${rate.toFixed(1)}/s  ETA ${planned > done ? `${eta}s` : '-'}`;
}

export const scanWatch: Command = {
  path: ['scan', 'watch'],
  summary: 'Follow a Probe scan: every result as it arrives, a progress bar with rate and ETA, then the findings.',
  usage: 'parapet scan watch ID [--interval SECONDS]',
  options: { ...common, interval: { type: 'string' } },
  positionals: true,
  async run({ values, positionals, io }) {
    const [id] = positionals;
    if (!id) throw new CliError('Usage: parapet scan watch ID.');
    const every = values.interval === undefined ? 1 : Number(values.interval);
    if (!(every >= 0.1 && every <= 60)) throw new CliError('--interval must be between 0.1 and 60 seconds.');
    const api = await connect(values);
    const seen = new Set<string>();
    let lastBar = '';
    for (;;) {
      const path = { params: { path: { id } } };
      const scanR = await api.client.GET('/api/v1/probe/scans/{id}', path);
      if (!scanR.data) failTyped(scanR);
      const scan = { json: scanR.data };
      const resultsR = await api.client.GET('/api/v1/probe/scans/{id}/results', path);
      if (!resultsR.data) failTyped(resultsR);
      const progressR = await api.client.GET('/api/v1/probe/scans/{id}/progress', path);
      if (!progressR.data) failTyped(progressR);
      const progress = progressR.data;
      for (const r of resultsR.data as Array<Record<string, unknown>>) {
        if (seen.has(String(r.id))) continue;
        seen.add(String(r.id));
        if (io.json) io.out(JSON.stringify({ type: 'result', ...r }));
        else io.out(`${String(r.received_at).slice(11, 19)}  ${String(r.address).padEnd(15)} ${String(r.port).padStart(5)}  ${String(r.probe_type).padEnd(12)} ${String(r.outcome).padEnd(12)} ${r.reason}`);
      }
      const elapsed = progress.first_at && progress.last_at ? Date.parse(progress.last_at) - Date.parse(progress.first_at) : 0;
      const bar = `${String(scan.json.state).padEnd(9)} ${progressLine(progress.done, Math.max(progress.planned, progress.done), elapsed)}`;
      if (bar !== lastBar && !io.json) io.out(bar);
      lastBar = bar;
      if (TERMINAL.has(String(scan.json.state))) {
        const f = await api.client.GET('/api/v1/probe/findings', { params: { query: { scan_id: id } } });
        if (!f.data) failTyped(f);
        const list = f.data as Array<Record<string, unknown>>;
        if (io.json) io.out(JSON.stringify({ type: 'end', state: scan.json.state, findings: list }));
        else {
          io.out(`Scan ${id} ${scan.json.state}: ${progress.done} probes, ${list.length} findings.`);
          for (const x of list) io.out(`  ${String(x.severity).padEnd(8)} ${x.address}:${x.port}  ${x.title} (first seen ${String(x.first_seen_at).slice(0, 10)}, ${x.status})`);
        }
        return;
      }
      await new Promise((r) => setTimeout(r, every * 1000));
    }
  },
};
