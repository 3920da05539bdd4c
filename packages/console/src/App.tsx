import { useCallback, useEffect, useRef, useState, type ReactElement } from 'react';
import { api, loadSession, ok, onSignedOut, setCsrfToken, type Session } from './api';
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
import { AcceptInvitePage } from './pages/AcceptInvite';
import { AccessReviewsPage } from './pages/AccessReviews';
import { SupportAccessPage } from './pages/SupportAccess';
import { isSupportPath, SupportConsole } from './pages/SupportConsole';
import { HomePage } from './pages/Home';
import { ProbeReportsPage } from './pages/ProbeReports';
import { WebhooksPage } from './pages/Webhooks';
import { ProbePage, ProbeScanRoute } from './pages/Probe';
import { PulseInsightsPage, MyPulsePage } from './pages/Pulse';

type State = { kind: 'loading' } | { kind: 'error'; error: unknown } | { kind: 'signed-out' } | { kind: 'signed-in'; session: Session; org: string | null };

const PAGES: Record<string, { title: string; roles?: string[]; Page: () => ReactElement }> = {
  '/': { title: 'Home', Page: HomePage },
  '/account': { title: 'My account', Page: AccountPage },
  '/people': { title: 'People', roles: ACCESS.people, Page: PeoplePage },
  '/devices': { title: 'Devices', roles: ACCESS.devices, Page: DevicesPage },
  '/audit': { title: 'Audit log', roles: ACCESS.audit, Page: AuditPage },
  '/sso': { title: 'Single sign-on', roles: ACCESS.sso, Page: SsoPage },
  '/scim': { title: 'SCIM provisioning', roles: ACCESS.scim, Page: ScimPage },
  '/access-reviews': { title: 'Access reviews', roles: ACCESS.reviews, Page: AccessReviewsPage },
  '/support-access': { title: 'Support access', roles: ACCESS.support, Page: SupportAccessPage },
  '/settings': { title: 'Organisation settings', roles: ACCESS.settings, Page: SettingsPage },
  '/probe/reports': { title: 'Probe reports', roles: ACCESS.probeReports, Page: ProbeReportsPage },
  '/webhooks': { title: 'SIEM webhooks', roles: ACCESS.webhooks, Page: WebhooksPage },
  '/probe': { title: 'Probe', roles: ACCESS.probe, Page: ProbePage },
  '/pulse': { title: 'Pulse insights', Page: PulseInsightsPage },
  '/pulse/me': { title: 'My Pulse data', Page: MyPulsePage },
};

export function App() {
  const path = usePath();
  const [state, setState] = useState<State>({ kind: 'loading' });
  // Said on the sign-in page after a sign-out, so the click visibly did something.
  const [signedOutNote, setSignedOutNote] = useState<string | null>(null);

  // Counts sign-outs. A refresh that was still reading the session when one happened must not
  // apply what it read: that would put the signed-out browser back on a signed-in page (its
  // session answer or the organisation's 401 arriving after the sign-out).
  const signOuts = useRef(0);

  const refresh = useCallback(async () => {
    const at = signOuts.current;
    const current = () => signOuts.current === at;
    try {
      const s = await loadSession();
      if (!current()) return;
      if (!s) return setState({ kind: 'signed-out' });
      // The header names the organisation; the slug typed at sign-in stands in when it cannot be read.
      const org = await ok(api.GET('/api/v1/organisation')).then((o) => o.name || o.slug, () => rememberedOrg());
      if (current()) setState({ kind: 'signed-in', session: s, org });
    } catch (error) {
      if (current()) setState({ kind: 'error', error });
    }
  }, []);

  useEffect(() => {
    void refresh();
    return onSignedOut(() => {
      signOuts.current++;
      setCsrfToken(null);
      setState({ kind: 'signed-out' });
    });
  }, [refresh]);

  const signOut = useCallback(async () => {
    signOuts.current++;
    try {
      await ok(api.POST('/api/v1/auth/logout'));
      setSignedOutNote('You have signed out. Your session has ended on the server.');
    } catch {
      setSignedOutNote('You are signed out here; the server could not be told, so the session ends by itself after 30 minutes idle.');
    } finally {
      setCsrfToken(null);
      setState({ kind: 'signed-out' });
      navigate('/sign-in');
    }
  }, []);

  // Route guards: signed out -> sign-in (remembering where to return); signed in -> away from sign-in.
  useEffect(() => {
    if (state.kind === 'signed-out' && path !== '/sign-in' && path !== '/invite' && !isSupportPath(path)) navigate(`/sign-in${path !== '/' ? `?next=${encodeURIComponent(path)}` : ''}`, { replace: true });
    if (state.kind === 'signed-in' && path === '/sign-in') {
      // Everyone lands on the role-aware home page, unless a deep link was kept.
      const next = new URLSearchParams(location.search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    }
  }, [state, path]);

  // Vendor support is another realm with its own session: its pages never use the tenant session.
  if (isSupportPath(path)) return <SupportConsole path={path} />;
  if (state.kind === 'loading') return <div className="center-page"><Loading label="Loading Parapet…" /></div>;
  if (state.kind === 'error') return <div className="center-page"><ErrorState title="Parapet could not start" error={state.error} onRetry={() => void refresh()} /></div>;
  // An invitation link works whether or not someone is signed in in this browser.
  if (path === '/invite') return <AcceptInvitePage onSignedIn={refresh} />;
  if (state.kind === 'signed-out') return <SignInPage onSignedIn={() => (setSignedOutNote(null), refresh())} notice={signedOutNote} />;

  // Probe scan pages carry the scan id in the path.
  const entry = /^\/probe\/scans\/[0-9a-f-]{36}$/.test(path) ? { title: 'Probe scan', roles: ACCESS.probe, Page: ProbeScanRoute } : PAGES[path];
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
