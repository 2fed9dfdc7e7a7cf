import { useMutation } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, fieldErrorsFor } from '../../api/client';
import { useAcceptSession, useSession } from '../../api/session';
import type { Session } from '../../api/types';
import { ErrorNotice, Field, Notice, describedBy } from '../../components/ui';

export const PASSWORD_MIN_CHARS = 10;
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Where to go after logging in: only paths inside the portal (never another site). */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

interface SignupValues { company: string; name: string; email: string; password: string }
interface LoginValues { email: string; password: string }

export function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="auth-page" id="main">
      <div className="auth-card">
        <p className="brand">FusionChatalyst</p>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

export function SignupPage() {
  const session = useSession();
  const accept = useAcceptSession();
  const navigate = useNavigate();
  const { register, handleSubmit, setError, formState: { errors } } = useForm<SignupValues>({ defaultValues: { company: '', name: '', email: '', password: '' } });
  const signup = useMutation({
    mutationFn: (values: SignupValues) => api.post<Session>('/api/portal/signup', {
      company: values.company.trim(), email: values.email.trim(), password: values.password,
      ...(values.name.trim() ? { name: values.name.trim() } : {}),
    }),
    onSuccess: (result) => {
      accept(result);
      void navigate('/chatbots?welcome=1', { replace: true });
    },
    onError: (error) => {
      for (const [field, message] of Object.entries(fieldErrorsFor(error))) {
        if (['company', 'name', 'email', 'password'].includes(field)) setError(field as keyof SignupValues, { message });
      }
    },
  });
  // Already logged in: go in (but not while this form's own sign-up is navigating to the welcome page).
  if (session.data && signup.isIdle) return <Navigate to="/" replace />;

  return (
    <AuthFrame title="Start your free 7-day trial">
      <p className="muted">No credit card. Your chatbot can answer visitors in a few minutes.</p>
      <form onSubmit={handleSubmit((values) => signup.mutate(values))} noValidate>
        <Field id="company" label="Business name" error={errors.company?.message}>
          <input id="company" autoComplete="organization" {...describedBy('company', { error: errors.company?.message })}
            {...register('company', { required: 'Enter your business name.', maxLength: { value: 120, message: 'At most 120 characters.' } })} />
        </Field>
        <Field id="name" label="Your name (optional)" error={errors.name?.message}>
          <input id="name" autoComplete="name" {...register('name', { maxLength: { value: 120, message: 'At most 120 characters.' } })} />
        </Field>
        <Field id="email" label="Work email" error={errors.email?.message}>
          <input id="email" type="email" autoComplete="email" {...describedBy('email', { error: errors.email?.message })}
            {...register('email', { required: 'Enter your email.', pattern: { value: EMAIL_SHAPE, message: 'Enter an email like name@example.com.' } })} />
        </Field>
        <Field id="password" label="Password" hint={`At least ${PASSWORD_MIN_CHARS} characters.`} error={errors.password?.message}>
          <input id="password" type="password" autoComplete="new-password" {...describedBy('password', { hint: true, error: errors.password?.message })}
            {...register('password', { required: 'Choose a password.', minLength: { value: PASSWORD_MIN_CHARS, message: `Use at least ${PASSWORD_MIN_CHARS} characters.` } })} />
        </Field>
        <ErrorNotice error={signup.error} />
        <button type="submit" className="button button-primary button-wide" disabled={signup.isPending}>
          {signup.isPending ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
      <p className="auth-switch">Already have an account? <Link to="/login">Log in</Link></p>
    </AuthFrame>
  );
}

export function LoginPage() {
  const session = useSession();
  const accept = useAcceptSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const notice = params.get('reset') === '1' ? 'Your password has been changed and you were signed out everywhere. Log in with the new password.'
    : params.get('signedOut') === 'everywhere' ? 'You were signed out on every device and browser.' : null;
  const { register, handleSubmit, formState: { errors } } = useForm<LoginValues>({ defaultValues: { email: '', password: '' } });
  const login = useMutation({
    mutationFn: (values: LoginValues) => api.post<Session>('/api/portal/login', { email: values.email.trim(), password: values.password }, { quietUnauthorized: true }),
    onSuccess: (result) => {
      accept(result);
      void navigate(next, { replace: true });
    },
  });
  if (session.data && login.isIdle) return <Navigate to={next} replace />;

  return (
    <AuthFrame title="Log in">
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <form onSubmit={handleSubmit((values) => login.mutate(values))} noValidate>
        <Field id="email" label="Email" error={errors.email?.message}>
          <input id="email" type="email" autoComplete="email" {...describedBy('email', { error: errors.email?.message })}
            {...register('email', { required: 'Enter your email.' })} />
        </Field>
        <Field id="password" label="Password" error={errors.password?.message}>
          <input id="password" type="password" autoComplete="current-password" {...describedBy('password', { error: errors.password?.message })}
            {...register('password', { required: 'Enter your password.' })} />
        </Field>
        <ErrorNotice error={login.error} />
        <button type="submit" className="button button-primary button-wide" disabled={login.isPending}>
          {login.isPending ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p className="auth-switch"><Link to="/forgot-password">Forgot password?</Link></p>
      <p className="auth-switch">New here? <Link to="/signup">Start a free trial</Link></p>
    </AuthFrame>
  );
}
