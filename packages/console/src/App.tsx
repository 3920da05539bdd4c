import { useCallback, useEffect, useState, type ReactElement } from 'react';
import { api, loadSession, onSignedOut, setCsrfToken, type Session } from './api';
import { navigate, usePath } from './router';
import { ACCESS, hasRole, rememberedOrg, SessionContext } from './session';
import { Shell } from './components/Shell';
import { StepUpProvider } from './components/StepUpDialog';
import { ErrorState, Loading, EmptyState } from './components/States';
import { Link } from './components/Link';
import { SignInPage } from './pages/SignIn';
import { AccountPage } from './pages/Account';
import { PeoplePage } from './pages/People';
import { AuditPage } from './pages/Audit';
import { SettingsPage } from './pages/Settings';
import { DevicesPage } from './pages/Devices';
import { SsoPage } from './pages/Sso';
import { ScimPage } from './pages/Scim';
import { PulseInsightsPage, MyPulsePage } from './pages/Pulse';

type State = { kind: 'loading' } | { kind: 'error'; error: unknown } | { kind: 'signed-out' } | { kind: 'signed-in'; session: Session; org: string | null };

const PAGES: Record<string, { title: string; roles?: string[]; Page: () => ReactElement }> = {
  '/account': { title: 'My account', Page: AccountPage },
  '/people': { title: 'People', roles: ACCESS.people, Page: PeoplePage },
  '/devices': { title: 'Devices', roles: ACCESS.devices, Page: DevicesPage },
  '/audit': { title: 'Audit log', roles: ACCESS.audit, Page: AuditPage },
  '/sso': { title: 'Single sign-on', roles: ACCESS.sso, Page: SsoPage },
  '/scim': { title: 'SCIM provisioning', roles: ACCESS.scim, Page: ScimPage },
  '/settings': { title: 'Organisation settings', roles: ACCESS.settings, Page: SettingsPage },
  '/pulse': { title: 'Pulse insights', Page: PulseInsightsPage },
  '/pulse/me': { title: 'My Pulse data', Page: MyPulsePage },
};

export function App() {
  const path = usePath();
  const [state, setState] = useState<State>({ kind: 'loading' });

  const refresh = useCallback(async () => {
    try {
      const s = await loadSession();
      if (!s) return setState({ kind: 'signed-out' });
      // The header names the organisation; an older server without the route shows the slug typed at sign-in.
      const org = await api.get<{ name: string; slug: string }>('/api/v1/organisation').then((o) => o.name || o.slug, () => rememberedOrg());
      setState({ kind: 'signed-in', session: s, org });
    } catch (error) {
      setState({ kind: 'error', error });
    }
  }, []);

  useEffect(() => {
    void refresh();
    return onSignedOut(() => {
      setCsrfToken(null);
      setState({ kind: 'signed-out' });
    });
  }, [refresh]);

  const signOut = useCallback(async () => {
    try {
      await api.post('/api/v1/auth/logout');
    } finally {
      setCsrfToken(null);
      setState({ kind: 'signed-out' });
      navigate('/sign-in');
    }
  }, []);

  // Route guards: signed out -> sign-in (remembering where to return); signed in -> away from sign-in.
  useEffect(() => {
    if (state.kind === 'signed-out' && path !== '/sign-in') navigate(`/sign-in${path !== '/' ? `?next=${encodeURIComponent(path)}` : ''}`, { replace: true });
    if (state.kind === 'signed-in' && (path === '/sign-in' || path === '/')) {
      const next = new URLSearchParams(location.search).get('next');
      const home = hasRole(state.session, ...ACCESS.people) ? '/people' : '/account';
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : home, { replace: true });
    }
  }, [state, path]);

  if (state.kind === 'loading') return <div className="center-page"><Loading label="Loading Parapet…" /></div>;
  if (state.kind === 'error') return <div className="center-page"><ErrorState title="Parapet could not start" error={state.error} onRetry={() => void refresh()} /></div>;
  if (state.kind === 'signed-out') return <SignInPage onSignedIn={refresh} />;

  const entry = PAGES[path];
  const ctx = { session: state.session, org: state.org, refresh, signOut };
  let title = entry?.title ?? 'Page not found';
  let body: ReactElement;
  if (!entry) {
    body = <EmptyState title="There is no page here." action={<Link className="btn" href="/account">Go to My account</Link>}>Check the address, or use the navigation on the left.</EmptyState>;
  } else if (entry.roles && !hasRole(state.session, ...entry.roles)) {
    title = entry.title;
    body = <EmptyState title="You do not have access to this page.">Ask an admin of your organisation for one of these roles: {entry.roles.join(', ')}.</EmptyState>;
  } else {
    body = <entry.Page />;
  }
  return (
    <SessionContext.Provider value={ctx}>
      <StepUpProvider>
        <Shell path={path} title={title}>
          {body}
        </Shell>
      </StepUpProvider>
    </SessionContext.Provider>
  );
}
