import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link, useNavigate } from 'react-router';
import { api, fieldErrorsFor } from '../../api/client';
import { ErrorNotice, Field, Loading, Notice, describedBy } from '../../components/ui';
import { AuthFrame, PASSWORD_MIN_CHARS } from './auth-pages';

interface ResetStatus { available: boolean; detail: string }
interface NewPasswordValues { newPassword: string; repeat: string }

/** "Forgot password?": asks for a reset link, or says plainly that this server cannot e-mail one. */
export function ForgotPasswordPage() {
  const status = useQuery({ queryKey: ['/api/portal/password-reset'], queryFn: () => api.get<ResetStatus>('/api/portal/password-reset', { quietUnauthorized: true }) });
  const { register, handleSubmit, formState: { errors } } = useForm<{ email: string }>({ defaultValues: { email: '' } });
  const send = useMutation({
    mutationFn: (email: string) => api.post<ResetStatus>('/api/portal/password-reset', { email }, { quietUnauthorized: true }),
  });

  let body: React.ReactNode;
  if (status.isPending) body = <Loading />;
  else if (status.isError) body = <ErrorNotice error={status.error} />;
  else if (!status.data.available) body = <Notice kind="warning">{status.data.detail}</Notice>;
  else if (send.isSuccess) body = <Notice kind="success">{send.data.detail}</Notice>;
  else {
    body = (
      <form onSubmit={handleSubmit((values) => send.mutate(values.email.trim()))} noValidate>
        <p className="muted">{status.data.detail}</p>
        <Field id="email" label="Email" error={errors.email?.message}>
          <input id="email" type="email" autoComplete="email" {...describedBy('email', { error: errors.email?.message })}
            {...register('email', { required: 'Enter your email.' })} />
        </Field>
        <ErrorNotice error={send.error} />
        <button type="submit" className="button button-primary button-wide" disabled={send.isPending}>
          {send.isPending ? 'Sending…' : 'Send reset link'}
        </button>
      </form>
    );
  }
  return (
    <AuthFrame title="Reset your password">
      {body}
      <p className="auth-switch"><Link to="/login">Back to log in</Link></p>
    </AuthFrame>
  );
}

/** Reads the token the e-mailed link carries in its fragment (never sent to a server), then drops it from the address bar. */
function takeTokenFromFragment(): string {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
  if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
  return token;
}

/** The page the e-mailed link opens: choose a new password (every session ends). */
export function ResetPasswordPage() {
  const [token] = useState(takeTokenFromFragment);
  const navigate = useNavigate();
  const { register, handleSubmit, getValues, setError, formState: { errors } } = useForm<NewPasswordValues>({ defaultValues: { newPassword: '', repeat: '' } });
  const reset = useMutation({
    mutationFn: (newPassword: string) => api.post('/api/portal/password-reset/confirm', { token, newPassword }, { quietUnauthorized: true }),
    onSuccess: () => void navigate('/login?reset=1', { replace: true }),
    onError: (error) => {
      const message = fieldErrorsFor(error).newPassword;
      if (message) setError('newPassword', { message });
    },
  });
  if (!token) {
    return (
      <AuthFrame title="Choose a new password">
        <Notice kind="warning">This page needs the link from your password-reset e-mail. Open the link again, or ask for a new one.</Notice>
        <p className="auth-switch"><Link to="/forgot-password">Ask for a new link</Link></p>
      </AuthFrame>
    );
  }
  return (
    <AuthFrame title="Choose a new password">
      <form onSubmit={handleSubmit((values) => reset.mutate(values.newPassword))} noValidate>
        <Field id="new-password" label="New password" hint={`At least ${PASSWORD_MIN_CHARS} characters.`} error={errors.newPassword?.message}>
          <input id="new-password" type="password" autoComplete="new-password" {...describedBy('new-password', { hint: true, error: errors.newPassword?.message })}
            {...register('newPassword', { required: 'Choose a password.', minLength: { value: PASSWORD_MIN_CHARS, message: `Use at least ${PASSWORD_MIN_CHARS} characters.` } })} />
        </Field>
        <Field id="repeat-password" label="Repeat the new password" error={errors.repeat?.message}>
          <input id="repeat-password" type="password" autoComplete="new-password" {...describedBy('repeat-password', { error: errors.repeat?.message })}
            {...register('repeat', { validate: (value) => value === getValues('newPassword') || 'The two passwords differ.' })} />
        </Field>
        <ErrorNotice error={reset.error} />
        {reset.error ? <p className="auth-switch"><Link to="/forgot-password">Ask for a new link</Link></p> : null}
        <button type="submit" className="button button-primary button-wide" disabled={reset.isPending}>
          {reset.isPending ? 'Saving…' : 'Set new password'}
        </button>
      </form>
    </AuthFrame>
  );
}
