/**
 * `parapet scan request | approve | reject | list`: talk to the API with the caller's session
 * (api-client.ts: `parapet login`, PARAPET_SESSION or --session-file; --server; PARAPET_CA_FILE).
 *
 * Why the API and not direct database access: approving a production scan needs the
 * approver's step-up MFA (no older than 5 minutes), which only a session carries. A CLI that
 * wrote approvals into the database would bypass authorize() and the MFA check entirely.
 */
import { CliError, type Command, type Io } from '../command.js';
import { API_ENV_HELP, API_OPTIONS, API_USAGE, connect, fail } from '../api-client.js';

function printScan(io: Io, s: Record<string, unknown>): void {
  const scope = s.scope as { scope_id: string; version: number; environment: string };
  const approvals = (s.approvals as unknown[]).length;
  io.out(`${s.id}  ${String(s.state).padEnd(9)}  ${scope.scope_id} v${scope.version} (${scope.environment})  approvals ${approvals}/${s.approvals_required}  targets ${(s.targets as string[]).join(',')}  ports ${(s.ports as number[]).join(',')}`);
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
    const r = await api.call('POST', '/api/v1/probe/scans', {
      scope_id: values.scope, version: ints([values.version as string], '--version')[0], targets: values.target, ports: ints(values.port as string[], 'Port'),
      probe_types: values.probe, rate_pps: ints([values.rate as string], '--rate')[0], ...(values.note ? { note: values.note } : {}),
    });
    if (r.status !== 201) fail(r);
    if (io.json) io.out(JSON.stringify(r.json));
    else printScan(io, r.json);
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
      const r = await api.call('POST', `/api/v1/probe/scans/${encodeURIComponent(id)}/${word}`, values.comment ? { comment: values.comment } : {});
      if (r.status !== 200) fail(r);
      if (io.json) io.out(JSON.stringify(r.json));
      else printScan(io, r.json);
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
    const r = await api.call('GET', `/api/v1/probe/scans${values.state ? `?state=${encodeURIComponent(values.state as string)}` : ''}`);
    if (r.status !== 200) fail(r);
    const list = r.json as unknown as Array<Record<string, unknown>>;
    if (io.json) io.out(JSON.stringify(list));
    else if (list.length === 0) io.out('No scans.');
    else for (const s of list) printScan(io, s);
  },
};
