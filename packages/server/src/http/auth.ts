import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { ApiKeyScope, Database, MemberRole } from '../db/schema.js';
import { AppError } from '../lib/errors.js';
import { safeEqual } from '../lib/crypto.js';
import { findApiKeyByToken, findCustomer, findSessionByToken, touchApiKey, type ApiKeyRow } from '../modules/accounts/accounts.repository.js';
import { isCustomerActive } from '../modules/accounts/accounts.service.js';

export const SESSION_COOKIE = 'fc_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthContext {
  customerId: string;
  userId: string | null;
  via: 'session' | 'api_key';
  sessionId: string | null;
  csrfToken: string | null;
  apiKeyId: string | null;
  /** The API key's scope; null for a session. */
  apiKeyScope: ApiKeyScope | null;
  /** The session user's role in this account, read on every request; null for an API key (only owners create keys). */
  role: MemberRole | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
  interface FastifyContextConfig {
    /** A write an expired or cancelled account may still make (cancelling, revoking an API key). */
    allowsInactiveAccount?: boolean;
  }
}

/** Returns the authenticated caller or throws 401; routes behind the portal hook can rely on it. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new AppError('unauthorized', 'Log in or send an API key.');
  return request.auth;
}

/** Refuses anything but a portal session (managing API keys, cancelling the account): a leaked key cannot mint or revoke keys. */
export function requireSession(request: FastifyRequest, detail: string): AuthContext {
  const auth = requireAuth(request);
  if (auth.via !== 'session') throw new AppError('session_required', detail);
  return auth;
}

/** Authenticates an API key row for this request; a `read` key may only read (GET, HEAD, OPTIONS). */
export function authenticateApiKey(request: FastifyRequest, key: ApiKeyRow): AuthContext {
  if (key.scope !== 'write' && !SAFE_METHODS.has(request.method)) {
    throw new AppError('read_only_key', 'This API key is read-only: it may only make GET requests. Create a key with the "write" scope to make changes.');
  }
  return { customerId: key.customer_id, userId: null, via: 'api_key', sessionId: null, csrfToken: null, apiKeyId: key.id, apiKeyScope: key.scope, role: null };
}

function readBearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new AppError('unauthorized', 'The Authorization header must be "Bearer <api key>".');
  return match[1] ?? null;
}

/**
 * Authenticates a portal request: `Authorization: Bearer <api key>` or the session cookie. Cookie-authenticated
 * writes must echo the session's CSRF token in `X-CSRF-Token` (a cross-site form cannot read it);
 * bearer requests are not sent automatically by browsers, so they need none.
 */
export async function authenticatePortalRequest(db: Kysely<Database>, request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const bearer = readBearer(request);
  if (bearer !== null) {
    const key = await findApiKeyByToken(db, bearer);
    if (!key) throw new AppError('unauthorized', 'The API key is invalid or has been revoked.');
    await touchApiKey(db, key.id);
    request.auth = authenticateApiKey(request, key);
    return;
  }
  const token = request.cookies[SESSION_COOKIE];
  if (!token) throw new AppError('unauthorized', 'Log in to continue.');
  const session = await findSessionByToken(db, token);
  if (!session) throw new AppError('unauthorized', 'Your session has ended. Log in again.');
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !safeEqual(sent, session.csrf_token)) {
      throw new AppError('csrf_failed', 'Missing or wrong X-CSRF-Token header.');
    }
  }
  request.auth = {
    customerId: session.customer_id, userId: session.user_id, via: 'session', sessionId: session.id,
    csrfToken: session.csrf_token, apiKeyId: null, apiKeyScope: null, role: session.role,
  };
}

/**
 * An expired trial or a cancelled account keeps a read-only portal: reading and exporting work, writes answer the
 * same 402 problem chat answers, except on routes marked `allowsInactiveAccount` (cancelling the account and
 * revoking an API key: shrinking access must always be possible). Logout lives outside the portal hooks.
 */
export async function assertAccountWritable(db: Kysely<Database>, request: FastifyRequest): Promise<void> {
  if (SAFE_METHODS.has(request.method) || request.routeOptions.config.allowsInactiveAccount === true) return;
  const customer = await findCustomer(db, requireAuth(request).customerId);
  if (customer && !isCustomerActive(customer)) {
    throw new AppError('payment_required', 'The trial has ended or the account is cancelled, so the portal is read-only: you can still view and export your data.');
  }
}
