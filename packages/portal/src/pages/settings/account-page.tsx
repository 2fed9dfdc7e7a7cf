import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link, useNavigate } from 'react-router';
import { api, fieldErrorsFor, setCsrfToken } from '../../api/client';
import { useIdempotencyKeys } from '../../lib/idempotency';
import { SESSION_KEY, useSession } from '../../api/session';
import { PASSWORD_MIN_CHARS } from '../auth/auth-pages';
import type { ApiKey, ApiKeyScope, Customer, Page, Session } from '../../api/types';
import { CopyButton, EmptyState, ErrorNotice, Field, Loading, Notice, PageHeader, StatusBadge, describedBy } from '../../components/ui';
import { formatDate, formatDateTime, formatRelative } from '../../lib/format';

export const API_KEYS_KEY = ['/api/portal/api-keys'] as const;

const SCOPE_LABELS: Record<ApiKeyScope, string> = { write: 'Read and write', read: 'Read only' };

interface NewApiKeyValues { name: string; scope: ApiKeyScope }

/** Creates an API key and shows it once. */
export function CreateApiKeyForm({ defaultName = '' }: { defaultName?: string }) {
  const queryClient = useQueryClient();
  const defaults: NewApiKeyValues = { name: defaultName, scope: 'write' };
  const { register, handleSubmit, reset, formState: { errors } } = useForm<NewApiKeyValues>({ defaultValues: defaults });
  const createKeys = useIdempotencyKeys();
  const create = useMutation({
    mutationFn: (values: NewApiKeyValues) => api.post<ApiKey & { key: string }>('/api/portal/api-keys', values, { idempotencyKey: createKeys.keyFor(values) }),
    onSuccess: () => {
      createKeys.settle();
      reset(defaults);
      void queryClient.invalidateQueries({ queryKey: API_KEYS_KEY });
    },
  });
  return (
    <>
      <form className="inline-form" onSubmit={handleSubmit((v) => create.mutate({ name: v.name.trim(), scope: v.scope }))} noValidate>
        <Field id="key-name" label="Key name" hint="Where you will use it, e.g. “Zapier”." error={errors.name?.message}>
          <input id="key-name" {...register('name', { required: 'Name the key.', maxLength: { value: 80, message: 'At most 80 characters.' } })} />
        </Field>
        <Field id="key-scope" label="Access" hint="Zapier needs read and write. A read-only key can only fetch data.">
          <select id="key-scope" aria-describedby="key-scope-hint" {...register('scope')}>
            <option value="write">{SCOPE_LABELS.write}</option>
            <option value="read">{SCOPE_LABELS.read}</option>
          </select>
        </Field>
        <button type="submit" className="button button-primary" disabled={create.isPending}>{create.isPending ? 'Creating…' : 'Create API key'}</button>
      </form>
      <ErrorNotice error={create.error} />
      {create.data ? (
        <div className="secret-once" role="status">
          <p><strong>Copy your new key now.</strong> It is shown only this once; we store only a hash of it.</p>
          <div className="snippet"><pre><code>{create.data.key}</code></pre><CopyButton text={create.data.key} /></div>
        </div>
      ) : null}
    </>
  );
}

export function ApiKeysTable() {
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: API_KEYS_KEY, queryFn: () => api.get<Page<ApiKey>>('/api/portal/api-keys') });
  const revoke = useMutation({
    mutationFn: (id: string) => api.delete(`/api/portal/api-keys/${id}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: API_KEYS_KEY }),
  });
  if (keys.isPending) return <Loading />;
  if (keys.isError) return <ErrorNotice error={keys.error} />;
  if (keys.data.items.length === 0) return <EmptyState title="No API keys"><p>Create one for Zapier or your own scripts.</p></EmptyState>;
  return (
    <div className="table-wrap">
      <ErrorNotice error={revoke.error} />
      <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Access</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {keys.data.items.map((key) => (
            <tr key={key.id}>
              <td>{key.name}</td>
              <td><code>{key.prefix}…</code></td>
              <td>{SCOPE_LABELS[key.scope]}</td>
              <td>{formatDate(key.createdAt)}</td>
              <td>{key.lastUsedAt ? formatRelative(key.lastUsedAt) : 'never'}</td>
              <td>{key.revokedAt ? <StatusBadge status="disabled" label={`Revoked ${formatDate(key.revokedAt)}`} /> : <StatusBadge status="active" label="Active" />}</td>
              <td>
                {key.revokedAt ? null : (
                  <button type="button" className="button button-small button-danger" disabled={revoke.isPending}
                    onClick={() => { if (window.confirm(`Revoke “${key.name}”? Anything using it stops working at once.`)) revoke.mutate(key.id); }}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface ChangePasswordValues { currentPassword: string; newPassword: string; repeat: string }

/** Change password: needs the current one; every other session of the user ends, this one stays. */
export function ChangePassword() {
  const empty: ChangePasswordValues = { currentPassword: '', newPassword: '', repeat: '' };
  const { register, handleSubmit, reset, getValues, setError, formState: { errors } } = useForm<ChangePasswordValues>({ defaultValues: empty });
  const change = useMutation({
    mutationFn: (values: ChangePasswordValues) => api.post('/api/portal/account/password', { currentPassword: values.currentPassword, newPassword: values.newPassword }),
    onSuccess: () => reset(empty),
    onError: (error) => {
      for (const [field, message] of Object.entries(fieldErrorsFor(error))) {
        if (field === 'currentPassword' || field === 'newPassword') setError(field, { message });
      }
    },
  });
  return (
    <form onSubmit={handleSubmit((values) => change.mutate(values))} noValidate>
      <Field id="current-password" label="Current password" error={errors.currentPassword?.message}>
        <input id="current-password" type="password" autoComplete="current-password" {...describedBy('current-password', { error: errors.currentPassword?.message })}
          {...register('currentPassword', { required: 'Enter your current password.' })} />
      </Field>
      <Field id="new-password" label="New password" hint={`At least ${PASSWORD_MIN_CHARS} characters. Every other browser signed in as you is signed out.`} error={errors.newPassword?.message}>
        <input id="new-password" type="password" autoComplete="new-password" {...describedBy('new-password', { hint: true, error: errors.newPassword?.message })}
          {...register('newPassword', { required: 'Choose a new password.', minLength: { value: PASSWORD_MIN_CHARS, message: `Use at least ${PASSWORD_MIN_CHARS} characters.` } })} />
      </Field>
      <Field id="repeat-password" label="Repeat the new password" error={errors.repeat?.message}>
        <input id="repeat-password" type="password" autoComplete="new-password" {...describedBy('repeat-password', { error: errors.repeat?.message })}
          {...register('repeat', { validate: (value) => value === getValues('newPassword') || 'The two passwords differ.' })} />
      </Field>
      {change.isError && Object.keys(fieldErrorsFor(change.error)).length === 0 ? <ErrorNotice error={change.error} /> : null}
      {change.isSuccess ? <Notice kind="success">Password changed. You are still signed in here; every other session has ended.</Notice> : null}
      <button type="submit" className="button button-primary" disabled={change.isPending}>{change.isPending ? 'Changing…' : 'Change password'}</button>
    </form>
  );
}

/** Ends every session of the user, this one included (a lost laptop, a shared computer). */
export function SignOutEverywhere() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = useMutation({
    mutationFn: () => api.post('/api/portal/account/sign-out-everywhere'),
    onSuccess: () => {
      setCsrfToken(null);
      queryClient.clear();
      queryClient.setQueryData(SESSION_KEY, null);
      void navigate('/login?signedOut=everywhere', { replace: true });
    },
  });
  return (
    <>
      <p className="muted small">Ends every session of your login on every device and browser, this one included. API keys keep working: revoke them above.</p>
      <ErrorNotice error={signOut.error} />
      <button type="button" className="button" disabled={signOut.isPending}
        onClick={() => { if (window.confirm('Sign out on every device and browser, this one included?')) signOut.mutate(); }}>
        Sign out everywhere
      </button>
    </>
  );
}

function CancelAccount({ customer }: { customer: Customer }) {
  const queryClient = useQueryClient();
  const [confirmText, setConfirmText] = useState('');
  const cancel = useMutation({
    mutationFn: () => api.post<Customer>('/api/portal/account/cancel'),
    onSuccess: (updated) => queryClient.setQueryData<Session | null>(SESSION_KEY, (old) => (old ? { ...old, customer: updated } : old)),
  });
  if (customer.status === 'cancelled') return <Notice kind="info">This account was cancelled on {formatDate(customer.cancelledAt)}. Your data is kept; see <Link to="/settings/plan">Plan</Link> for how to re-activate it.</Notice>;
  return (
    <form onSubmit={(e) => { e.preventDefault(); cancel.mutate(); }}>
      <p className="muted small">Your chatbots stop answering at once. Your knowledge base, conversations and leads are kept.</p>
      <label htmlFor="cancel-confirm">Type CANCEL to confirm</label>
      <input id="cancel-confirm" value={confirmText} onChange={(e) => setConfirmText(e.target.value)} autoComplete="off" />
      <ErrorNotice error={cancel.error} />
      <button type="submit" className="button button-danger" disabled={confirmText !== 'CANCEL' || cancel.isPending}>Cancel my account</button>
    </form>
  );
}

export function AccountPage() {
  const session = useSession();
  if (!session.data) return <Loading />;
  const { user, customer } = session.data;
  return (
    <>
      <PageHeader title="Account" />
      <section className="card">
        <h2>{customer.name}</h2>
        <dl className="details">
          <dt>Plan</dt>
          <dd>
            {customer.status === 'trial' ? (customer.isActive ? `Free trial, ${customer.trialDaysLeft ?? 0} day(s) left (ends ${formatDateTime(customer.trialEndsAt)})` : `Trial ended ${formatDate(customer.trialEndsAt)}`)
              : customer.status === 'active' ? 'Active' : 'Cancelled'}
            {' '}· <Link to="/settings/plan">Plan details</Link>
          </dd>
          <dt>Account id</dt><dd><code>{customer.id}</code></dd>
          {user ? <><dt>You</dt><dd>{user.name ? `${user.name} · ` : ''}{user.email}</dd></> : null}
          <dt>Member since</dt><dd>{formatDate(customer.createdAt)}</dd>
        </dl>
      </section>
      <section className="card">
        <h2>API keys</h2>
        <p className="muted small">For Zapier and your own scripts: send <code>Authorization: Bearer &lt;key&gt;</code> to <code>/api/portal/…</code>. A read-and-write key can do everything you can except manage API keys and cancel the account; a read-only key can only make <code>GET</code> requests.</p>
        <CreateApiKeyForm />
        <ApiKeysTable />
      </section>
      {user ? (
        <section className="card">
          <h2>Password and sessions</h2>
          <h3>Change password</h3>
          <ChangePassword />
          <h3>Sign out everywhere</h3>
          <SignOutEverywhere />
        </section>
      ) : null}
      <section className="card danger-zone">
        <h2>Cancel account</h2>
        <CancelAccount customer={customer} />
      </section>
    </>
  );
}
