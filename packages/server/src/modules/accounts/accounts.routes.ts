import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { SESSION_COOKIE, requireAuth, requireSession } from '../../http/auth.js';
import type { App, RouteDeps } from '../../http/types.js';
import { safeEqual } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import {
  ApiKeyView, CreateApiKeyBody, CreatedApiKey, CustomerView, IdParams, LoginBody, SessionReply, SignupBody,
} from './accounts.schemas.js';
import {
  SESSION_TTL_MS, cancelAccount, createApiKey, getAccount, getApiKeys, logIn, logOut, revokeApiKey, signUp,
  toCustomerView, toUserView, type NewSession,
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

function setSessionCookie(reply: FastifyReply, session: NewSession, secure: boolean): void {
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
      const body = request.body as { email?: unknown } | undefined;
      return `login-account:${request.ip}:${typeof body?.email === 'string' ? body.email.trim().toLowerCase() : ''}`;
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
}

/** The account routes behind authentication: me, plan, cancel, API keys. */
export function registerAccountRoutes(app: App, { database }: RouteDeps, options: { paymentProvider: PaymentProvider | null }): void {
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

  app.get('/api/portal/api-keys', { schema: { response: { 200: Type.Object({ items: Type.Array(ApiKeyView), nextCursor: Type.Null() }) } } }, async (request) => {
    const auth = requireAuth(request);
    return { items: await getApiKeys(db, auth.customerId), nextCursor: null };
  });

  // Keys are managed from the portal only: a leaked key must not mint itself a successor or revoke the owner's keys.
  app.post('/api/portal/api-keys', { schema: { body: CreateApiKeyBody, response: { 201: CreatedApiKey } } }, async (request, reply) => {
    const auth = requireSession(request, 'Create API keys in the portal, not with an API key.');
    return reply.status(201).send(await createApiKey(db, auth.customerId, request.body));
  });

  app.delete('/api/portal/api-keys/:id', { config: { allowsInactiveAccount: true }, schema: { params: IdParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireSession(request, 'Revoke API keys in the portal, not with an API key.');
    await revokeApiKey(db, auth.customerId, request.params.id);
    return reply.status(204).send(null);
  });
}
