import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { api, fieldErrorsFor } from '../../api/client';
import type { Invite, Member, MemberRole, Page } from '../../api/types';
import { CopyButton, EmptyState, ErrorNotice, Field, Loading, Notice, PageHeader, StatusBadge, describedBy } from '../../components/ui';
import { formatDate, formatDateTime, formatRelative } from '../../lib/format';

const MEMBERS_KEY = ['/api/portal/team/members'] as const;
const INVITES_KEY = ['/api/portal/team/invites'] as const;

const ROLE_LABELS: Record<MemberRole, string> = { owner: 'Owner', agent: 'Agent' };
const ROLE_HINT = 'Owners can use and change everything. Agents answer visitors in the inbox and see conversations and leads; they cannot see billing, API keys, webhooks or integrations, or change chatbots.';

interface CreatedInvite { invite: Invite; emailed: boolean; link: string | null; acceptPath: string | null; detail: string }
interface InviteValues { email: string; role: MemberRole }

function InviteForm() {
  const queryClient = useQueryClient();
  const defaults: InviteValues = { email: '', role: 'agent' };
  const { register, handleSubmit, reset, setError, formState: { errors } } = useForm<InviteValues>({ defaultValues: defaults });
  const invite = useMutation({
    mutationFn: (values: InviteValues) => api.post<CreatedInvite>('/api/portal/team/invites', values),
    onSuccess: () => {
      reset(defaults);
      void queryClient.invalidateQueries({ queryKey: INVITES_KEY });
    },
    onError: (error) => {
      const message = fieldErrorsFor(error).email;
      if (message) setError('email', { message });
    },
  });
  const created = invite.data;
  // Without SMTP the server answers the link's path; the portal's own origin completes it.
  const link = created && !created.emailed ? created.link ?? `${window.location.origin}${created.acceptPath ?? ''}` : null;
  return (
    <>
      <form className="inline-form" onSubmit={handleSubmit((values) => invite.mutate({ email: values.email.trim(), role: values.role }))} noValidate>
        <Field id="invite-email" label="Email" error={errors.email?.message}>
          <input id="invite-email" type="email" autoComplete="off" {...describedBy('invite-email', { error: errors.email?.message })}
            {...register('email', { required: 'Enter their e-mail address.', pattern: { value: /^\S+@\S+\.\S+$/, message: 'Enter an e-mail address.' } })} />
        </Field>
        <Field id="invite-role" label="Role">
          <select id="invite-role" {...register('role')}>
            <option value="agent">{ROLE_LABELS.agent}</option>
            <option value="owner">{ROLE_LABELS.owner}</option>
          </select>
        </Field>
        <button type="submit" className="button button-primary" disabled={invite.isPending}>{invite.isPending ? 'Inviting…' : 'Invite'}</button>
      </form>
      <p className="muted small">{ROLE_HINT}</p>
      {invite.isError && !fieldErrorsFor(invite.error).email ? <ErrorNotice error={invite.error} /> : null}
      {created ? (
        created.emailed ? <Notice kind="success">Invited {created.invite.email}. {created.detail}</Notice> : (
          <div className="secret-once" role="status">
            <p><strong>Send this link to {created.invite.email}.</strong> {created.detail}</p>
            <div className="snippet"><pre><code className="invite-link">{link}</code></pre><CopyButton text={link ?? ''} label="Copy link" /></div>
          </div>
        )
      ) : null}
    </>
  );
}

function MembersTable() {
  const queryClient = useQueryClient();
  const members = useQuery({ queryKey: MEMBERS_KEY, queryFn: () => api.get<Page<Member>>('/api/portal/team/members'), refetchInterval: 30_000 });
  const refresh = () => queryClient.invalidateQueries({ queryKey: MEMBERS_KEY });
  const changeRole = useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: MemberRole }) => api.patch<Member>(`/api/portal/team/members/${userId}`, { role }),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (userId: string) => api.delete(`/api/portal/team/members/${userId}`),
    onSettled: refresh,
  });
  if (members.isPending) return <Loading />;
  if (members.isError) return <ErrorNotice error={members.error} />;
  return (
    <div className="table-wrap">
      <ErrorNotice error={changeRole.error ?? remove.error} />
      <table className="table-stack">
        <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Inbox</th><th scope="col">Joined</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {members.data.items.map((member) => (
            <tr key={member.userId}>
              <td data-label="Name">{member.name ?? <span className="muted">No display name</span>}{member.isYou ? ' (you)' : ''}</td>
              <td data-label="Email">{member.email}</td>
              <td data-label="Role">
                <label className="visually-hidden" htmlFor={`role-${member.userId}`}>Role of {member.email}</label>
                <select id={`role-${member.userId}`} value={member.role} disabled={changeRole.isPending}
                  onChange={(e) => changeRole.mutate({ userId: member.userId, role: e.target.value as MemberRole })}>
                  <option value="owner">{ROLE_LABELS.owner}</option>
                  <option value="agent">{ROLE_LABELS.agent}</option>
                </select>
              </td>
              <td data-label="Inbox">{member.online ? <StatusBadge status="active" label="Online" /> : <span className="muted">{member.lastSeenAt ? `Seen ${formatRelative(member.lastSeenAt)}` : 'Offline'}</span>}</td>
              <td data-label="Joined">{formatDate(member.joinedAt)}</td>
              <td>
                <button type="button" className="button button-small button-danger" disabled={remove.isPending}
                  onClick={() => {
                    const question = member.isYou ? 'Remove yourself from this account? You are signed out of it at once.' : `Remove ${member.email}? They are signed out of this account at once, and conversations they are handling go back to the queue.`;
                    if (window.confirm(question)) remove.mutate(member.userId);
                  }}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function InvitesTable() {
  const queryClient = useQueryClient();
  const invites = useQuery({ queryKey: INVITES_KEY, queryFn: () => api.get<Page<Invite>>('/api/portal/team/invites') });
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(`/api/portal/team/invites/${id}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: INVITES_KEY }),
  });
  if (invites.isPending) return <Loading />;
  if (invites.isError) return <ErrorNotice error={invites.error} />;
  if (invites.data.items.length === 0) return <EmptyState title="No invitations waiting"><p>People you invite appear here until they accept.</p></EmptyState>;
  return (
    <div className="table-wrap">
      <ErrorNotice error={revoke.error} />
      <table className="table-stack">
        <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Invited by</th><th scope="col">Link works until</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {invites.data.items.map((invite) => (
            <tr key={invite.id}>
              <td data-label="Email">{invite.email}</td>
              <td data-label="Role">{ROLE_LABELS[invite.role]}</td>
              <td data-label="Invited by">{invite.invitedBy ?? '—'}</td>
              <td data-label="Link works until">{formatDateTime(invite.expiresAt)}</td>
              <td>
                <button type="button" className="button button-small" disabled={revoke.isPending}
                  onClick={() => { if (window.confirm(`Withdraw the invitation to ${invite.email}? Its link stops working.`)) revoke.mutate(invite.id); }}>
                  Withdraw
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Settings → Team: invite people, change roles, remove members, withdraw invitations. Owners only. */
export function TeamPage() {
  return (
    <>
      <PageHeader title="Team" description="Who can use this account, and what they can do." />
      <section className="card">
        <h2>Invite someone</h2>
        <InviteForm />
      </section>
      <section className="card">
        <h2>Members</h2>
        <MembersTable />
      </section>
      <section className="card">
        <h2>Invitations waiting</h2>
        <InvitesTable />
      </section>
    </>
  );
}
