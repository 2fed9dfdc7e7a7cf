import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link, useNavigate } from 'react-router';
import { api, fieldErrorsFor } from '../../api/client';
import { useAcceptSession } from '../../api/session';
import type { MemberRole, Session } from '../../api/types';
import { ErrorNotice, Field, Loading, Notice, describedBy } from '../../components/ui';
import { formatDateTime } from '../../lib/format';
import { AuthFrame, PASSWORD_MIN_CHARS } from './auth-pages';

interface InviteDetails { customerName: string; email: string; role: MemberRole; invitedBy: string | null; expiresAt: string; hasAccount: boolean }
interface AcceptValues { name: string; password: string; repeat: string }

export const ROLE_WORDS: Record<MemberRole, string> = { owner: 'an owner', agent: 'an agent' };

/** Reads the token the invitation link carries in its fragment (never sent to a server), then drops it from the address bar. */
function takeTokenFromFragment(): string {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
  if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
  return token;
}

/** The page an invitation link opens: join the account with a new login, or with the existing login of that e-mail. */
export function AcceptInvitePage() {
  const [token] = useState(takeTokenFromFragment);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const acceptSession = useAcceptSession();
  const details = useQuery({
    queryKey: ['invite', token],
    queryFn: () => api.post<InviteDetails>('/api/portal/invites/inspect', { token }, { quietUnauthorized: true }),
    enabled: token !== '', retry: false, staleTime: Infinity,
  });
  const { register, handleSubmit, getValues, setError, formState: { errors } } = useForm<AcceptValues>({ defaultValues: { name: '', password: '', repeat: '' } });
  const accept = useMutation({
    mutationFn: (values: AcceptValues) => api.post<Session>('/api/portal/invites/accept', { token, password: values.password, ...(values.name.trim() ? { name: values.name.trim() } : {}) }, { quietUnauthorized: true }),
    onSuccess: (session) => {
      // Whoever was signed in in this browser before has been signed out by the server: forget their answers (but not
      // this invitation's, which would be fetched again and, used now, answer 400).
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'invite' });
      acceptSession(session);
      void navigate(session.user?.role === 'agent' ? '/inbox' : '/', { replace: true });
    },
    onError: (error) => {
      const message = fieldErrorsFor(error).password;
      if (message) setError('password', { message });
    },
  });

  if (!token) {
    return (
      <AuthFrame title="Join a team">
        <Notice kind="warning">This page needs the link from your invitation. Open the link again, or ask the account owner for a new one.</Notice>
      </AuthFrame>
    );
  }
  if (details.isPending) return <AuthFrame title="Join a team"><Loading /></AuthFrame>;
  if (details.isError) {
    return (
      <AuthFrame title="Join a team">
        <ErrorNotice error={details.error} />
        <p className="auth-switch"><Link to="/login">Go to log in</Link></p>
      </AuthFrame>
    );
  }
  const invite = details.data;
  const passwordError = errors.password?.message;
  return (
    <AuthFrame title={`Join ${invite.customerName}`}>
      <p>
        {invite.invitedBy ? `${invite.invitedBy} invited you` : 'You are invited'} to join <strong>{invite.customerName}</strong> on FusionChatalyst as {ROLE_WORDS[invite.role]}.
        {invite.role === 'agent' ? ' Agents answer visitors in the inbox and see conversations and leads.' : ' Owners can use and change everything.'}
      </p>
      <p className="muted small">The link works once, until {formatDateTime(invite.expiresAt)}.</p>
      <form onSubmit={handleSubmit((values) => accept.mutate(values))} noValidate>
        <Field id="invite-email" label="Email">
          <input id="invite-email" type="email" value={invite.email} readOnly autoComplete="username" />
        </Field>
        {invite.hasAccount ? (
          <Field id="invite-password" label="Password of your existing login" hint="This e-mail already has a FusionChatalyst login: this account is added to it." error={passwordError}>
            <input id="invite-password" type="password" autoComplete="current-password" {...describedBy('invite-password', { hint: true, error: passwordError })}
              {...register('password', { required: 'Enter your password.' })} />
          </Field>
        ) : (
          <>
            <Field id="invite-name" label="Your name" hint="Visitors see it when you answer them in the chat. You can change it later in your profile." error={errors.name?.message}>
              <input id="invite-name" autoComplete="name" {...describedBy('invite-name', { hint: true, error: errors.name?.message })}
                {...register('name', { maxLength: { value: 60, message: 'At most 60 characters.' } })} />
            </Field>
            <Field id="invite-password" label="Choose a password" hint={`At least ${PASSWORD_MIN_CHARS} characters.`} error={passwordError}>
              <input id="invite-password" type="password" autoComplete="new-password" {...describedBy('invite-password', { hint: true, error: passwordError })}
                {...register('password', { required: 'Choose a password.', minLength: { value: PASSWORD_MIN_CHARS, message: `Use at least ${PASSWORD_MIN_CHARS} characters.` } })} />
            </Field>
            <Field id="invite-repeat" label="Repeat the password" error={errors.repeat?.message}>
              <input id="invite-repeat" type="password" autoComplete="new-password" {...describedBy('invite-repeat', { error: errors.repeat?.message })}
                {...register('repeat', { validate: (value) => value === getValues('password') || 'The two passwords differ.' })} />
            </Field>
          </>
        )}
        {accept.isError && !fieldErrorsFor(accept.error).password ? <ErrorNotice error={accept.error} /> : null}
        <button type="submit" className="button button-primary button-wide" disabled={accept.isPending}>
          {accept.isPending ? 'Joining…' : `Join ${invite.customerName}`}
        </button>
      </form>
    </AuthFrame>
  );
}
