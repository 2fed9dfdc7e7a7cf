import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { api, fieldErrorsFor } from '../../api/client';
import { SESSION_KEY, useSession } from '../../api/session';
import type { Session, User } from '../../api/types';
import { ErrorNotice, Field, Loading, Notice, PageHeader, describedBy } from '../../components/ui';
import { ChangePassword, SignOutEverywhere } from '../settings/account-page';

const DISPLAY_NAME_MAX_CHARS = 60;

function DisplayNameForm({ user, company }: { user: User; company: string }) {
  const queryClient = useQueryClient();
  const { register, handleSubmit, setError, formState: { errors } } = useForm<{ name: string }>({ defaultValues: { name: user.name ?? '' } });
  const save = useMutation({
    mutationFn: (name: string) => api.patch<User>('/api/portal/account/profile', { name: name.trim() === '' ? null : name.trim() }),
    onSuccess: (updated) => queryClient.setQueryData<Session | null>(SESSION_KEY, (old) => (old ? { ...old, user: updated } : old)),
    onError: (error) => {
      const message = fieldErrorsFor(error).name;
      if (message) setError('name', { message });
    },
  });
  return (
    <form onSubmit={handleSubmit((values) => save.mutate(values.name))} noValidate>
      <Field id="display-name" label="Display name" hint={`Visitors see it on your replies in the chat (“Marisol from the team is here”). Empty: they see “${company} team”. Never your e-mail.`} error={errors.name?.message}>
        <input id="display-name" autoComplete="name" {...describedBy('display-name', { hint: true, error: errors.name?.message })}
          {...register('name', { maxLength: { value: DISPLAY_NAME_MAX_CHARS, message: `At most ${DISPLAY_NAME_MAX_CHARS} characters.` } })} />
      </Field>
      {save.isError && !fieldErrorsFor(save.error).name ? <ErrorNotice error={save.error} /> : null}
      {save.isSuccess ? <Notice kind="success">Saved. Your next replies show {save.data.name ? `“${save.data.name}”` : `“${company} team”`}.</Notice> : null}
      <button type="submit" className="button button-primary" disabled={save.isPending}>{save.isPending ? 'Saving…' : 'Save'}</button>
    </form>
  );
}

/** Settings → Profile: the signed-in person's display name, password and sessions (owners and agents alike). */
export function ProfilePage() {
  const session = useSession();
  if (!session.data) return <Loading />;
  const { user, customer } = session.data;
  if (!user) return <Notice kind="info">Profiles belong to people; this session has none.</Notice>;
  return (
    <>
      <PageHeader title="Profile" description={`${user.email} · ${user.role === 'owner' ? 'Owner' : 'Agent'} of ${customer.name}`} />
      <section className="card">
        <h2>How visitors see you</h2>
        <DisplayNameForm user={user} company={customer.name} />
      </section>
      <section className="card">
        <h2>Password and sessions</h2>
        <h3>Change password</h3>
        <ChangePassword />
        <h3>Sign out everywhere</h3>
        <SignOutEverywhere />
      </section>
    </>
  );
}
