import { Link, Outlet } from 'react-router';
import { useSession } from '../api/session';
import type { MemberRole } from '../api/types';
import { Notice, PageHeader } from './ui';

/** The signed-in person's role in the current account (API-key sessions do not exist in the portal). */
export function useRole(): MemberRole {
  return useSession().data?.user?.role ?? 'owner';
}

/**
 * Pages only owners can use (settings, chatbots, training, the dashboard): an agent who follows a link here is
 * told so instead of seeing a page of 403s. The server refuses the same requests anyway (http/roles.ts).
 */
export function OwnerOnly() {
  const role = useRole();
  if (role === 'owner') return <Outlet />;
  return (
    <>
      <PageHeader title="For account owners" />
      <Notice kind="info">
        Only an owner of this account can use this page. As an agent you can use the <Link to="/inbox">Inbox</Link>,{' '}
        <Link to="/conversations">Conversations</Link> and <Link to="/leads">Leads</Link>; your display name is on your <Link to="/settings/profile">Profile</Link>.
      </Notice>
    </>
  );
}
