import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { SESSION_COOKIE, requireAuth } from '../../http/auth.js';
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
import { findSessionByToken } from './accounts.repository.js';
import { createRateLimits } from '../../http/rate-limits.js';

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

  app.post('/api/portal/signup', {
    schema: { body: SignupBody, response: { 201: SessionReply } },
    config: { rateLimit: { max: SIGNUPS_PER_WINDOW, timeWindow: '1 hour' } },
  }, async (request, reply) => {
    const { user, customer, session } = await signUp(db, request.body, config.scryptLogN);
    setSessionCookie(reply, session, config.cookieSecure);
    return reply.status(201).send({ user: toUserView(user), customer: toCustomerView(customer), csrfToken: session.csrfToken });
  });

  // Two limits: per account (many addresses guessing one password) and per address (one address guessing
  // many accounts); the account limit is checked first so a locked account does not cost the address.
  const loginLimits = createRateLimits(app, [{
    max: LOGIN_ATTEMPTS_PER_WINDOW,
    timeWindow: LOGIN_WINDOW,
    keyGenerator: (request) => {
      const body = request.body as { email?: unknown } | undefined;
      return `login-account:${typeof body?.email === 'string' ? body.email.trim().toLowerCase() : ''}`;
    },
  }, { max: LOGIN_ATTEMPTS_PER_ADDRESS, timeWindow: LOGIN_WINDOW, keyGenerator: (request) => `login-ip:${request.ip}` }]);

  app.post('/api/portal/login', {
    schema: { body: LoginBody, response: { 200: SessionReply } },
    preHandler: loginLimits,
  }, async (request, reply) => {
    const { user, customer, session } = await logIn(db, request.body, request.cookies[SESSION_COOKIE]);
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
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send(null);
  });
}

/** The account routes behind authentication: me, cancel, API keys. */
export function registerAccountRoutes(app: App, { database }: RouteDeps): void {
  const { db } = database;

  app.get('/api/portal/me', {
    schema: { response: { 200: Type.Object({ user: Type.Union([SessionReply.properties.user, Type.Null()]), customer: CustomerView, csrfToken: Type.Union([Type.String(), Type.Null()]) }) } },
  }, async (request) => {
    const auth = requireAuth(request);
    const { user, customer } = await getAccount(db, auth.customerId, auth.userId);
    return { user: user ? toUserView(user) : null, customer: toCustomerView(customer), csrfToken: auth.csrfToken };
  });

  app.post('/api/portal/account/cancel', { config: { allowsInactiveAccount: true }, schema: { response: { 200: CustomerView } } }, async (request) => {
    const auth = requireAuth(request);
    if (auth.via !== 'session') throw new AppError('forbidden', 'Cancel the account from the portal, not with an API key.');
    return toCustomerView(await cancelAccount(db, auth.customerId));
  });

  app.get('/api/portal/api-keys', { schema: { response: { 200: Type.Object({ items: Type.Array(ApiKeyView), nextCursor: Type.Null() }) } } }, async (request) => {
    const auth = requireAuth(request);
    return { items: await getApiKeys(db, auth.customerId), nextCursor: null };
  });

  app.post('/api/portal/api-keys', { schema: { body: CreateApiKeyBody, response: { 201: CreatedApiKey } } }, async (request, reply) => {
    const auth = requireAuth(request);
    return reply.status(201).send(await createApiKey(db, auth.customerId, request.body.name));
  });

  app.delete('/api/portal/api-keys/:id', { config: { allowsInactiveAccount: true }, schema: { params: IdParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireAuth(request);
    await revokeApiKey(db, auth.customerId, request.params.id);
    return reply.status(204).send(null);
  });
}
