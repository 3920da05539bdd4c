import { useEffect, useState } from 'react';
import { api, apiWith, describe, ok, type ResponseBody } from '../api';
import { hasRole, useSession } from '../session';
import { formatTime } from '../useAsync';

type Alert = NonNullable<ResponseBody<'/api/v1/governance/alerts', 'get'>['alerts']>[number];

/** Polling is not the user's action: a 401 here is left to the page's own requests to announce. */
const poll = apiWith({ quiet401: true });

/** How often the banner asks for new anomaly alerts (ms). */
const POLL_MS = 30_000;

/**
 * The anomaly banner (CORE-ANOMALY): shown to admins, security leads and auditors while an
 * alert is open; admins and security leads can acknowledge it.
 */
export function AlertBanner() {
  const { session } = useSession();
  const visible = hasRole(session, 'admin', 'security_lead', 'auditor');
  const canAck = hasRole(session, 'admin', 'security_lead');
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!visible) return;
    let stop = false;
    const load = () =>
      ok(poll.GET('/api/v1/governance/alerts', { params: { query: { open: true } } })).then(
        (r) => !stop && setAlerts(r.alerts),
        () => undefined,
      );
    void load();
    const t = setInterval(() => void load(), POLL_MS);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [visible]);

  if (!visible || !alerts.length) return null;
  return (
    <div className="notice notice-error stack" role="alert" data-testid="anomaly-banner">
      {alerts.map((a) => (
        <div key={a.id} className="row">
          <span>
            <strong>Unusual data access:</strong> {a.actor_name ?? a.actor_id} made {a.count} data reads or exports in the hour before {formatTime(a.detected_at)} (their usual hour: {a.median}).
          </span>{' '}
          {canAck ? (
            <button
              type="button"
              className="btn btn-small"
              onClick={() =>
                void ok(api.POST('/api/v1/governance/alerts/{id}/acknowledge', { params: { path: { id: a.id } } })).then(
                  () => setAlerts((x) => x.filter((y) => y.id !== a.id)),
                  (e) => setError(describe(e)),
                )
              }
            >
              Acknowledge
            </button>
          ) : null}
        </div>
      ))}
      {error ? <p className="small">{error}</p> : null}
    </div>
  );
}
