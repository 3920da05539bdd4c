import { useEffect, useState } from 'react';
import { api, describe } from '../api';
import { hasRole, useSession } from '../session';
import { formatTime } from '../useAsync';

interface Alert {
  id: string;
  actor_name: string | null;
  actor_id: string;
  count: number;
  median: number;
  detected_at: string;
}

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
      api.get<{ alerts: Alert[] }>('/api/v1/governance/alerts?open=true', { quiet401: true }).then(
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
                void api.post(`/api/v1/governance/alerts/${a.id}/acknowledge`, {}).then(
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
