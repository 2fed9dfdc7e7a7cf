import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE, requireAuth, requireSession } from '../../http/auth.js';
import { IdempotencyHeaders, sendIdempotent } from '../../http/idempotency.js';
import type { App, RouteDeps } from '../../http/types.js';
import { safeEqual } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import {
  ApiKeyView, ChangePasswordBody, CreateApiKeyBody, CreatedApiKey, CustomerView, IdParams, LoginBody, PasswordResetBody,
  PasswordResetRequestBody, PasswordResetStatus, SessionReply, SignupBody,
} from './accounts.schemas.js';
import {
  SESSION_TTL_MS, cancelAccount, changePassword, createApiKey, createPasswordReset, endAllSessions, getAccount, getApiKeys, logIn,
  logOut, resetPassword, revokeApiKey, signUp, toCustomerView, toUserView, type NewSession,
} from './accounts.service.js';
import type { PaymentProvider } from '../billing/payment-provider.js';
import { getPlan } from '../billing/plan.service.js';
import { findSessionByToken } from './accounts.repository.js';
import { createRateLimits } from '../../http/rate-limits.js';
import { createAccountMailer } from './account-email.js';

const LOGIN_ATTEMPTS_PER_WINDOW = 10;
const LOGIN_WINDOW = '15 minutes';
const LOGIN_ATTEMPTS_PER_ADDRESS = 50;
const SIGNUPS_PER_WINDOW = 20;
const RESET_WINDOW = '1 hour';
const RESET_REQUESTS_PER_EMAIL = 3;
const RESET_REQUESTS_PER_ADDRESS = 10;
const RESETS_PER_ADDRESS = 20;
const PASSWORD_CHANGES_PER_WINDOW = 10;

/** The same answer whether or not an account uses the address, so the form cannot tell which e-mails are registered. */
const RESET_REQUESTED_DETAIL = 'If an account uses this e-mail address, we have sent it a link to choose a new password. The link works once, within the hour.';
const RESET_AVAILABLE_DETAIL = 'Enter your e-mail address and we will send you a link to choose a new password.';
const RESET_NO_SMTP_DETAIL = 'Password reset by e-mail is not set up on this server (no SMTP). Ask whoever runs it to set a new password with "npm run admin -- reset-password <your e-mail>".';
const RESET_NO_PUBLIC_URL_DETAIL = 'Password reset by e-mail needs FC_PUBLIC_URL (the portal\'s public address, used in the link). Ask whoever runs this server to set it, or to set a new password with "npm run admin -- reset-password <your e-mail>".';

const emailOf = (request: FastifyRequest): string => {
  const body = request.body as { email?: unknown } | undefined;
  return typeof body?.email === 'string' ? body.email.trim().toLowerCase() : '';
};

/** Sets the httpOnly session cookie of a new session (signup, login, accepted invitation). */
export function setSessionCookie(reply: FastifyReply, session: NewSession, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, session.token, {
    httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

/** Sign-up, login, logout: the routes reachable without a session. */
export function registerAuthRoutes(app: App, { config, database }: RouteDeps): void {
  const { db } = database;
  const mailer = config.smtp ? createAccountMailer({ smtp: config.smtp, publicUrl: config.publicUrl, log: app.log }) : null;
  if (mailer) app.addHook('onClose', async () => mailer.close());

  app.post('/api/portal/signup', {
    schema: { body: SignupBody, response: { 201: SessionReply } },
    config: { rateLimit: { max: SIGNUPS_PER_WINDOW, timeWindow: '1 hour' } },
  }, async (request, reply) => {
    const onExistingAccount = mailer ? (email: string) => mailer.sendExistingAccountNotice(email) : undefined;
    const { user, customer, session } = await signUp(db, request.body, { scryptLogN: config.scryptLogN, onExistingAccount });
    setSessionCookie(reply, session, config.cookieSecure);
    return reply.status(201).send({ user: toUserView(user), customer: toCustomerView(customer), csrfToken: session.csrfToken });
  });

  // Two limits: per account *and* address (one address guessing one password) and per address (one address
  // guessing many accounts); the first is checked first so a locked account does not cost the address. The
  // account lock is keyed on the address too: keyed on the account alone, anyone could lock the owner out from
  // anywhere by failing ten times. Many addresses guessing one account are each held to these limits, and each
  // guess costs them a full scrypt verification (SECURITY.md).
  const loginLimits = createRateLimits(app, [{
    max: LOGIN_ATTEMPTS_PER_WINDOW,
    timeWindow: LOGIN_WINDOW,
    keyGenerator: (request) => {
      return `login-account:${request.ip}:${emailOf(request)}`;
    },
  }, { max: LOGIN_ATTEMPTS_PER_ADDRESS, timeWindow: LOGIN_WINDOW, keyGenerator: (request) => `login-ip:${request.ip}` }]);

  app.post('/api/portal/login', {
    schema: { body: LoginBody, response: { 200: SessionReply } },
    preHandler: loginLimits,
  }, async (request, reply) => {
    const { user, customer, session } = await logIn(db, request.body, request.cookies[SESSION_COOKIE], config.scryptLogN);
    setSessionCookie(reply, session, config.cookieSecure);
    return { user: toUserView(user), customer: toCustomerView(customer), csrfToken: session.csrfToken };
  });

  app.post('/api/portal/logout', { schema: { response: { 204: Type.Null() } } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) {
      // A cross-site form must not be able to log a customer out: a live session needs its CSRF token here too.
      const session = await findSessionByToken(db, token);
      const sent = request.headers['x-csrf-token'];
      if (session && (typeof sent !== 'string' || !safeEqual(sent, session.csrf_token))) throw new AppError('csrf_failed', 'Missing or wrong X-CSRF-Token header.');
      await logOut(db, token);
    }
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.cookieSecure });
    return reply.status(204).send(null);
  });

  // Reset by e-mail needs SMTP and FC_PUBLIC_URL: the link is built from the configured origin, never from the
  // request's Host header, which an attacker asking for someone else's reset could point at their own server.
  const resetUnavailable = !mailer ? RESET_NO_SMTP_DETAIL : !config.publicUrl ? RESET_NO_PUBLIC_URL_DETAIL : null;
  // Links are looked up and e-mailed after the answer has gone, so a known address answers no slower than an
  // unknown one; app.close() waits for the ones in flight.
  const pendingResets = new Set<Promise<void>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled([...pendingResets]);
  });

  app.get('/api/portal/password-reset', { schema: { response: { 200: PasswordResetStatus } } }, async () => (
    { available: resetUnavailable === null, detail: resetUnavailable ?? RESET_AVAILABLE_DETAIL }
  ));

  // Per e-mail (nobody floods one inbox) and per address (nobody walks a list of e-mails); 429 says nothing either way.
  const resetRequestLimits = createRateLimits(app, [
    { max: RESET_REQUESTS_PER_EMAIL, timeWindow: RESET_WINDOW, keyGenerator: (request) => `reset-email:${emailOf(request)}` },
    { max: RESET_REQUESTS_PER_ADDRESS, timeWindow: RESET_WINDOW, keyGenerator: (request) => `reset-ip:${request.ip}` },
  ]);

  app.post('/api/portal/password-reset', {
    schema: { body: PasswordResetRequestBody, response: { 202: PasswordResetStatus } },
    preHandler: resetRequestLimits,
  }, async (request, reply) => {
    if (resetUnavailable !== null || !mailer || !config.publicUrl) throw new AppError('password_reset_unavailable', resetUnavailable ?? RESET_NO_SMTP_DETAIL);
    const email = request.body.email.trim().toLowerCase();
    const resetPage = `${config.publicUrl}/reset-password`;
    const work = (async () => {
      const reset = await createPasswordReset(db, email);
      // The token travels in the fragment: browsers never send it to a server, in a request line or a Referer.
      if (reset) await mailer.sendPasswordReset(email, `${resetPage}#token=${reset.token}`);
    })().catch((error: unknown) => request.log.error({ err: error }, 'password-reset request failed'));
    pendingResets.add(work);
    void work.finally(() => pendingResets.delete(work));
    return reply.status(202).send({ available: true, detail: RESET_REQUESTED_DETAIL });
  });

  const resetLimits = createRateLimits(app, [{ max: RESETS_PER_ADDRESS, timeWindow: RESET_WINDOW, keyGenerator: (request) => `reset-use-ip:${request.ip}` }]);

  app.post('/api/portal/password-reset/confirm', {
    schema: { body: PasswordResetBody, response: { 204: Type.Null() } },
    preHandler: resetLimits,
  }, async (request, reply) => {
    await resetPassword(db, request.body, config.scryptLogN);
    // Every session of the user has ended, this browser's (if any) included.
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.cookieSecure });
    return reply.status(204).send(null);
  });
}

/** The account routes behind authentication: me, plan, cancel, API keys, password and sessions. */
export function registerAccountRoutes(app: App, { config, database }: RouteDeps, options: { paymentProvider: PaymentProvider | null }): void {
  const { db } = database;

  app.get('/api/portal/me', {
    schema: { response: { 200: Type.Object({ user: Type.Union([SessionReply.properties.user, Type.Null()]), customer: CustomerView, csrfToken: Type.Union([Type.String(), Type.Null()]) }) } },
  }, async (request) => {
    const auth = requireAuth(request);
    const { user, customer } = await getAccount(db, auth.customerId, auth.userId);
    return { user: user ? toUserView(user) : null, customer: toCustomerView(customer), csrfToken: auth.csrfToken };
  });

  // Readable whatever the account's standing: it is where an expired trial learns how to continue.
  app.get('/api/portal/account/plan', {
    schema: { response: { 200: Type.Object({ customer: CustomerView, paymentProvider: Type.Union([Type.String(), Type.Null()]), activateCommand: Type.String() }) } },
  }, async (request) => getPlan(db, requireAuth(request).customerId, options.paymentProvider));

  app.post('/api/portal/account/cancel', { config: { allowsInactiveAccount: true }, schema: { response: { 200: CustomerView } } }, async (request) => {
    const auth = requireAuth(request);
    if (auth.via !== 'session') throw new AppError('forbidden', 'Cancel the account from the portal, not with an API key.');
    return toCustomerView(await cancelAccount(db, auth.customerId));
  });

  // Guessing the current password from a borrowed session costs a full scrypt check each, at most ten per 15 minutes.
  const passwordChangeLimits = createRateLimits(app, [{
    max: PASSWORD_CHANGES_PER_WINDOW, timeWindow: LOGIN_WINDOW, keyGenerator: (request) => `password-change:${request.auth?.userId ?? request.ip}`,
  }]);

  // Allowed on a lapsed account too: securing the account must always be possible.
  app.post('/api/portal/account/password', {
    config: { allowsInactiveAccount: true },
    schema: { body: ChangePasswordBody, response: { 204: Type.Null() } },
    preHandler: passwordChangeLimits,
  }, async (request, reply) => {
    const auth = requireSession(request, 'Change the password in the portal, not with an API key.');
    if (!auth.userId || !auth.sessionId) throw new AppError('session_required', 'Change the password in the portal.');
    await changePassword(db, { customerId: auth.customerId, userId: auth.userId, sessionId: auth.sessionId }, request.body, config.scryptLogN);
    return reply.status(204).send(null);
  });

  app.post('/api/portal/account/sign-out-everywhere', { config: { allowsInactiveAccount: true }, schema: { response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireSession(request, 'Sign out everywhere from the portal, not with an API key.');
    if (auth.userId) await endAllSessions(db, auth.userId);
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.cookieSecure });
    return reply.status(204).send(null);
  });

  app.get('/api/portal/api-keys', { schema: { response: { 200: Type.Object({ items: Type.Array(ApiKeyView), nextCursor: Type.Null() }) } } }, async (request) => {
    const auth = requireAuth(request);
    return { items: await getApiKeys(db, auth.customerId), nextCursor: null };
  });

  // Keys are managed from the portal only: a leaked key must not mint itself a successor or revoke the owner's keys.
  app.post('/api/portal/api-keys', { schema: { headers: IdempotencyHeaders, body: CreateApiKeyBody, response: { 201: CreatedApiKey } } }, async (request, reply) => {
    const auth = requireSession(request, 'Create API keys in the portal, not with an API key.');
    // The stored response holds the one-time key: it is sealed at rest like every stored response, and only a
    // session of the same customer (this check runs first) can have it answered again.
    return sendIdempotent({ db, secretKey: config.secretKey }, request, reply, auth.customerId, async () => ({ status: 201, body: await createApiKey(db, auth.customerId, request.body) }));
  });

  app.delete('/api/portal/api-keys/:id', { config: { allowsInactiveAccount: true }, schema: { params: IdParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireSession(request, 'Revoke API keys in the portal, not with an API key.');
    await revokeApiKey(db, auth.customerId, request.params.id);
    return reply.status(204).send(null);
  });
}
