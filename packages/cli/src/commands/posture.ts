/**
 * `parapet posture`: asks the server to re-check its own controls (GET /api/v1/posture) and
 * prints them as a table; exits 3 when any check fails. --out FILE saves the signed statement
 * (a DSSE envelope, signed with the organisation's audit log key) for a third party to verify
 * against GET /api/v1/audit/key.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError, type Command } from '../command.js';
import { API_ENV_HELP, API_OPTIONS, API_USAGE, connect, failTyped } from '../api-client.js';

interface Check {
  id: string;
  title: string;
  status: 'pass' | 'warn' | 'fail';
  detail: string;
}

/** Exit code when the posture was read but at least one check failed. */
export const POSTURE_FAILED_EXIT = 3;

export const posture: Command = {
  path: ['posture'],
  summary: "Re-check the deployment's own controls now (TLS, RLS, database role, audit log, keys, MFA) and print them; admin, security lead or auditor.",
  usage: `parapet posture [--json] [--out FILE] ${API_USAGE}`,
  details: `Exit status: 0 when no check failed (warnings allowed), ${POSTURE_FAILED_EXIT} when any check failed, 1 on any other error.\n--out FILE writes the signed statement (DSSE envelope, payload type application/vnd.parapet.posture+json),\nverifiable with the public key from GET /api/v1/audit/key.\n${API_ENV_HELP}`,
  options: { ...API_OPTIONS, out: { type: 'string' } },
  async run({ values, io }) {
    const api = await connect(values, io);
    const r = await api.client.GET('/api/v1/posture');
    if (!r.data) failTyped(r);
    const body = r.data;
    if (typeof values.out === 'string') {
      const file = resolve(values.out);
      try {
        await writeFile(file, JSON.stringify(body.envelope, null, 2) + '\n', { mode: 0o644 });
      } catch (e) {
        throw new CliError(`Could not write ${file}: ${(e as Error).message}.`);
      }
    }
    if (io.json) io.out(JSON.stringify(body));
    else {
      const w = Math.max(...body.checks.map((c) => c.id.length), 2);
      io.out(`${'CHECK'.padEnd(w)}  STATUS  DETAIL`);
      for (const c of body.checks) io.out(`${c.id.padEnd(w)}  ${c.status.toUpperCase().padEnd(6)}  ${c.detail}`);
      io.out(`\nOverall: ${body.overall.toUpperCase()} (checked ${body.checked_at}, signed with audit log key ${body.key_id}).`);
      if (typeof values.out === 'string') io.out(`Signed statement written to ${resolve(values.out)}.`);
    }
    return body.checks.some((c) => c.status === 'fail') ? POSTURE_FAILED_EXIT : 0;
  },
};
