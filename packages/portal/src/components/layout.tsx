import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { api, setCsrfToken } from '../api/client';
import { SESSION_KEY, useLogout, useRedirectOnUnauthorized, useSession } from '../api/session';
import type { Membership, Page, Session } from '../api/types';
import { TrialBanner } from './trial-banner';
import { ErrorNotice, Loading } from './ui';

/** `agents`: shown to agents too; everything else is for owners only (the server enforces it: http/roles.ts). */
const NAV: { to: string; label: string; end?: boolean; agents?: boolean }[] = [
  { to: '/', label: 'Dashboard', end: true },
  { to: '/chatbots', label: 'Chatbots' },
  { to: '/inbox', label: 'Inbox', agents: true },
  { to: '/conversations', label: 'Conversations', agents: true },
  { to: '/leads', label: 'Leads', agents: true },
  { to: '/escalations', label: 'Escalations', agents: true },
  { to: '/training', label: 'Training' },
];
const SETTINGS_NAV: { to: string; label: string; agents?: boolean }[] = [
  { to: '/settings/webhooks', label: 'Webhooks' },
  { to: '/settings/integrations', label: 'Integrations' },
  { to: '/settings/team', label: 'Team' },
  { to: '/settings/account', label: 'Account & API keys' },
  { to: '/settings/plan', label: 'Plan' },
  { to: '/settings/profile', label: 'Profile', agents: true },
  { to: '/developers', label: 'Developers' },
];

export const MEMBERSHIPS_KEY = ['/api/portal/account/memberships'] as const;

/** Shown when a login belongs to several accounts (it accepted an invitation from another business). */
function AccountSwitcher() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const memberships = useQuery({ queryKey: MEMBERSHIPS_KEY, queryFn: () => api.get<Page<Membership>>('/api/portal/account/memberships') });
  const change = useMutation({
    mutationFn: (customerId: string) => api.post<Session>('/api/portal/account/switch', { customerId }),
    onSuccess: (session) => {
      // Every cached answer belongs to the account left behind.
      queryClient.clear();
      setCsrfToken(session.csrfToken);
      queryClient.setQueryData(SESSION_KEY, session);
      void navigate(session.user?.role === 'agent' ? '/inbox' : '/', { replace: true });
    },
  });
  const items = memberships.data?.items ?? [];
  if (items.length < 2) return null;
  const current = items.find((m) => m.isCurrent)?.customerId ?? '';
  return (
    <div className="account-switcher">
      <label htmlFor="account-switch" className="small">Switch account</label>
      <select id="account-switch" value={current} disabled={change.isPending} onChange={(e) => change.mutate(e.target.value)}>
        {items.map((m) => <option key={m.customerId} value={m.customerId}>{m.customerName} ({m.role})</option>)}
      </select>
      <ErrorNotice error={change.error} />
    </div>
  );
}

/** The signed-in frame: navigation, trial banner, the page. Sends logged-out visitors to the login page. */
export function AppLayout() {
  useRedirectOnUnauthorized();
  const session = useSession();
  const logout = useLogout();
  const location = useLocation();

  if (session.isPending) return <main className="centered"><Loading /></main>;
  if (session.isError) return <main className="centered"><ErrorNotice error={session.error} title="The portal could not load." /></main>;
  if (!session.data) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  const { user, customer } = session.data;
  const isAgent = user?.role === 'agent';
  const nav = NAV.filter((item) => !isAgent || item.agents === true);
  const settingsNav = SETTINGS_NAV.filter((item) => !isAgent || item.agents === true);

  return (
    <div className="app">
      <a className="skip-link" href="#main">Skip to content</a>
      <aside className="sidebar">
        <div className="brand">FusionChatalyst</div>
        <nav aria-label="Main">
          <ul>
            {nav.map((item) => <li key={item.to}><NavLink to={item.to} end={item.end ?? false}>{item.label}</NavLink></li>)}
          </ul>
          <p className="nav-heading">Settings</p>
          <ul>
            {settingsNav.map((item) => <li key={item.to}><NavLink to={item.to}>{item.label}</NavLink></li>)}
          </ul>
        </nav>
        <div className="account-box">
          <div className="account-name">{customer.name}</div>
          {user ? <div className="muted small">{user.name ? `${user.name} · ` : ''}{user.email}{isAgent ? ' · agent' : ''}</div> : null}
          <AccountSwitcher />
          <button type="button" className="button button-small" onClick={() => void logout()}>Log out</button>
        </div>
      </aside>
      <div className="content">
        <TrialBanner customer={customer} />
        <main id="main" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}
