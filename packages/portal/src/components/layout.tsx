import { Navigate, NavLink, Outlet, useLocation } from 'react-router';
import { useLogout, useRedirectOnUnauthorized, useSession } from '../api/session';
import { TrialBanner } from './trial-banner';
import { ErrorNotice, Loading } from './ui';

const NAV: { to: string; label: string; end?: boolean }[] = [
  { to: '/', label: 'Dashboard', end: true },
  { to: '/chatbots', label: 'Chatbots' },
  { to: '/inbox', label: 'Inbox' },
  { to: '/conversations', label: 'Conversations' },
  { to: '/leads', label: 'Leads' },
  { to: '/escalations', label: 'Escalations' },
  { to: '/training', label: 'Training' },
];
const SETTINGS_NAV = [
  { to: '/settings/webhooks', label: 'Webhooks' },
  { to: '/settings/integrations', label: 'Integrations' },
  { to: '/settings/account', label: 'Account & API keys' },
  { to: '/settings/plan', label: 'Plan' },
  { to: '/developers', label: 'Developers' },
];

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

  return (
    <div className="app">
      <a className="skip-link" href="#main">Skip to content</a>
      <aside className="sidebar">
        <div className="brand">FusionChatalyst</div>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => <li key={item.to}><NavLink to={item.to} end={item.end ?? false}>{item.label}</NavLink></li>)}
          </ul>
          <p className="nav-heading">Settings</p>
          <ul>
            {SETTINGS_NAV.map((item) => <li key={item.to}><NavLink to={item.to}>{item.label}</NavLink></li>)}
          </ul>
        </nav>
        <div className="account-box">
          <div className="account-name">{customer.name}</div>
          {user ? <div className="muted small">{user.email}</div> : null}
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
