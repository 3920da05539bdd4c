import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from './Link';
import { AlertBanner } from './AlertBanner';
import { ACCESS, hasRole, useSession } from '../session';

interface NavItem {
  href: string;
  label: string;
  roles?: string[];
}

const NAV: { section: string; items: NavItem[] }[] = [
  { section: 'You', items: [{ href: '/', label: 'Home' }, { href: '/account', label: 'My account' }] },
  {
    section: 'Organisation',
    items: [
      { href: '/people', label: 'People', roles: ACCESS.people },
      { href: '/devices', label: 'Devices', roles: ACCESS.devices },
      { href: '/audit', label: 'Audit log', roles: ACCESS.audit },
      { href: '/sso', label: 'Single sign-on', roles: ACCESS.sso },
      { href: '/scim', label: 'SCIM provisioning', roles: ACCESS.scim },
      { href: '/access-reviews', label: 'Access reviews', roles: ACCESS.reviews },
      { href: '/support-access', label: 'Support access', roles: ACCESS.support },
      { href: '/settings', label: 'Settings', roles: ACCESS.settings },
      { href: '/probe/reports', label: 'Probe reports', roles: ACCESS.probeReports },
      { href: '/webhooks', label: 'SIEM webhooks', roles: ACCESS.webhooks },
    ],
  },
  { section: 'Probe', items: [{ href: '/probe', label: 'Scopes, scans, findings', roles: ACCESS.probe }] },
  // Everyone has Pulse data of their own; what else they may ask the server decides.
  { section: 'Pulse', items: [{ href: '/pulse', label: 'Insights' }, { href: '/pulse/me', label: 'My Pulse data' }] },
];

const ROLE_NAMES: Record<string, string> = {
  admin: 'Admin',
  security_lead: 'Security lead',
  operator: 'Operator',
  manager: 'Manager',
  employee: 'Employee',
  auditor: 'Auditor',
};
export const roleName = (r: string) => ROLE_NAMES[r] ?? r;

/** The frame: skip link, header (org, user, sign out), left navigation, main content. */
export function Shell({ path, title, children }: { path: string; title: string; children: ReactNode }) {
  const { session, org, signOut } = useSession();
  const heading = useRef<HTMLHeadingElement>(null);
  // On narrow screens the navigation folds behind a Menu button; a page change folds it again.
  const [navOpen, setNavOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  useEffect(() => setNavOpen(false), [path]);

  // Each in-app page change moves focus to its heading, so screen readers announce it. Not on
  // the first load: there the first Tab should reach the skip link, as on any page.
  const first = useRef(true);
  useEffect(() => {
    document.title = `${title} · Parapet`;
    if (first.current) first.current = false;
    else heading.current?.focus();
  }, [path, title]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button type="button" className="btn btn-small nav-toggle" aria-expanded={navOpen} aria-controls="sidenav" onClick={() => setNavOpen(!navOpen)}>
          {navOpen ? 'Close menu' : 'Menu'}
        </button>
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">Parapet</span>
        </div>
        <div className="topbar-org" title={`Organisation ${session.tenant_id}`}>
          <span className="muted small">Organisation</span>
          <span className="topbar-org-name" data-testid="org-name">
            {org ?? session.tenant_id.slice(0, 8)}
          </span>
        </div>
        <div className="topbar-user">
          <div className="topbar-user-text">
            <span className="topbar-email" data-testid="user-email">
              {session.email}
            </span>
            <span className="muted small">{session.roles.map(roleName).join(', ') || 'No role'}</span>
          </div>
          <button
            type="button"
            className="btn btn-small"
            disabled={signingOut}
            aria-busy={signingOut || undefined}
            onClick={() => {
              setSigningOut(true);
              void signOut().finally(() => setSigningOut(false));
            }}
          >
            {signingOut ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      </header>
      <nav id="sidenav" className={navOpen ? 'sidenav open' : 'sidenav'} aria-label="Main">
        {NAV.map((g) => {
          const items = g.items.filter((i) => !i.roles || hasRole(session, ...i.roles));
          if (!items.length) return null;
          return (
            <div key={g.section} className="sidenav-group">
              <p className="sidenav-section">{g.section}</p>
              <ul>
                {items.map((i) => {
                  const active = path === i.href || (i.href !== '/' && path.startsWith(i.href + '/') && !NAV.some((g) => g.items.some((o) => o.href !== i.href && o.href.startsWith(i.href + '/') && path.startsWith(o.href))));
                  return (
                    <li key={i.href}>
                      <Link href={i.href} className={active ? 'sidenav-link active' : 'sidenav-link'} aria-current={active ? 'page' : undefined}>
                        {i.label}
                      </Link>
                    </li>
                  );
                })}
              </ul>
            </div>
          );
        })}
      </nav>
      <main id="main" className="content">
        <h1 ref={heading} tabIndex={-1} className="page-title">
          {title}
        </h1>
        <AlertBanner />
        {children}
      </main>
    </div>
  );
}
