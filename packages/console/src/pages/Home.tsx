import { api, ApiError, ok, type ResponseBody } from '../api';
import { hasRole, useSession } from '../session';
import { useAsync, formatTime } from '../useAsync';
import { Link } from '../components/Link';
import { Loading } from '../components/States';

type LogStatus = ResponseBody<'/api/v1/audit/status', 'get'>;
/** GET /api/v1/posture (CORE-POSTURE): every control re-checked and signed. */
type Posture = ResponseBody<'/api/v1/posture', 'get'>;

const POSTURE_BADGE = { pass: ['badge-ok', 'Pass'], warn: ['badge-warn', 'Warning'], fail: ['badge-bad', 'Fail'] } as const;

interface DeploymentState {
  audit: LogStatus | null;
  posture: Posture | null;
  devices: { active: number; revoked: number } | null;
  pendingScans: number | null;
}

/** Reads what the person may read; a route the person may not read (403) leaves its card out. */
async function load(signal: AbortSignal, canAudit: boolean): Promise<DeploymentState> {
  const soft = <T,>(p: Promise<T>) => p.catch((e) => (e instanceof ApiError && e.status === 403 ? null : Promise.reject(e)));
  const [audit, devices, scans, posture] = await Promise.all([
    canAudit ? soft(ok(api.GET('/api/v1/audit/status', { signal }))) : Promise.resolve(null),
    soft(ok(api.GET('/api/v1/devices', { signal })).then((r) => r.devices)),
    soft(ok(api.GET('/api/v1/probe/scans', { params: { query: { state: 'requested' } }, signal }))),
    soft(ok(api.GET('/api/v1/posture', { signal }))),
  ]);
  return {
    audit,
    posture,
    devices: devices ? { active: devices.filter((d) => d.status === 'active').length, revoked: devices.filter((d) => d.status !== 'active').length } : null,
    pendingScans: Array.isArray(scans) ? scans.length : null,
  };
}

/**
 * The landing page, by role: admins and security leads see the state of the deployment
 * (audit log verified up to N, devices, scans waiting for approval, the signed posture
 * re-check of every control); managers their team;
 * employees their own data and who viewed it. Cards the person may not read are left out.
 * Open findings and alerts appear once the scan worker and Pulse provide them.
 */
export function HomePage() {
  const { session } = useSession();
  const operatorView = hasRole(session, 'admin', 'security_lead', 'auditor');
  const [state] = useAsync((signal) => (operatorView ? load(signal, hasRole(session, 'admin', 'auditor')) : Promise.resolve(null)), [operatorView]);
  return (
    <div className="stack-lg">
      {operatorView ? (
        <section aria-labelledby="home-deploy-h" className="stack">
          <h2 id="home-deploy-h">This deployment</h2>
          {state.status === 'loading' ? <Loading label="Checking the deployment…" /> : null}
          {state.status === 'error' ? <p className="field-error">The state could not be read; open the pages below for details.</p> : null}
          {state.status === 'ok' && state.data ? (
            <div className="home-cards">
              {state.data.audit ? (
                <div className="card" data-testid="home-audit">
                  <h3>Audit log</h3>
                  {state.data.audit.state === 'nothing_to_verify' ? (
                    <p>Nothing to verify yet ({state.data.audit.entries} entries).</p>
                  ) : state.data.audit.verified ? (
                    <p>
                      <span className="badge badge-ok">Verified</span> up to entry {state.data.audit.entries}
                      {state.data.audit.latest_checkpoint ? `; checkpoint signed ${formatTime(state.data.audit.latest_checkpoint.created_at)}` : ''}.
                    </p>
                  ) : (
                    <p>
                      <span className="badge badge-bad">Verification failed</span> {state.data.audit.reason}
                    </p>
                  )}
                  <Link href="/audit">Open the audit log</Link>
                </div>
              ) : null}
              {state.data.devices ? (
                <div className="card" data-testid="home-devices">
                  <h3>Devices</h3>
                  <p>
                    {state.data.devices.active} active{state.data.devices.revoked ? `, ${state.data.devices.revoked} revoked` : ''}.
                  </p>
                  <Link href="/devices">Open devices</Link>
                </div>
              ) : null}
              {state.data.pendingScans !== null ? (
                <div className="card" data-testid="home-approvals">
                  <h3>Scans waiting for approval</h3>
                  <p>{state.data.pendingScans === 0 ? 'None.' : `${state.data.pendingScans} requested.`}</p>
                  <p className="muted small">Approve with <code>parapet scan approve ID</code>.</p>
                </div>
              ) : null}
            </div>
          ) : null}
          {state.status === 'ok' && state.data?.posture ? (
            <div className="card stack" data-testid="home-posture">
              <h3>
                Posture <span className={`badge ${POSTURE_BADGE[state.data.posture.overall][0]}`}>{POSTURE_BADGE[state.data.posture.overall][1]}</span>
              </h3>
              <p className="muted small">
                Re-checked {formatTime(state.data.posture.checked_at)} and signed with the audit log key {state.data.posture.key_id.slice(0, 16)}…; <code>parapet posture --out FILE</code> saves the signed statement.
              </p>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Control</th>
                    <th scope="col">Status</th>
                    <th scope="col">Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {state.data.posture.checks.map((c) => (
                    <tr key={c.id} data-check={c.id}>
                      <td>{c.title}</td>
                      <td>
                        <span className={`badge ${POSTURE_BADGE[c.status][0]}`}>{POSTURE_BADGE[c.status][1]}</span>
                      </td>
                      <td className="small">{c.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </section>
      ) : null}
      {hasRole(session, 'manager') ? (
        <section aria-labelledby="home-team-h" className="card stack" data-testid="home-team">
          <h2 id="home-team-h">Your team</h2>
          <p className="muted">Your team's Pulse summaries appear here once Pulse is on this server.</p>
        </section>
      ) : null}
      <section aria-labelledby="home-me-h" className="card stack" data-testid="home-me">
        <h2 id="home-me-h">You</h2>
        <p>
          Signed in as <strong>{session.email}</strong>. Your sign-in methods and sessions are in <Link href="/account">My account</Link>.
        </p>
        <p className="muted">Your own Pulse data, and who looked at it and why, appear here once Pulse is on this server.</p>
      </section>
    </div>
  );
}
