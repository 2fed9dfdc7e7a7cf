import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.js';

/**
 * What an account's **agents** may use; owners may use every portal route. A route not listed here is for owners
 * only, so a route added later is closed to agents until someone decides otherwise (`test/roles.test.ts` proves
 * every other portal route answers an agent 403 `owner_only`, and that every entry here is a real route).
 *
 * Agents work the inbox, conversations, leads and escalations (issue 15, item 9) and manage their own login.
 * They can read the chatbots' list (the inbox and lists filter and label by chatbot) but not change chatbots or
 * knowledge, train, see the dashboard, webhooks, deliveries, integrations, API keys, the plan, or the team.
 */
export const AGENT_ROUTES: ReadonlySet<string> = new Set([
  // Their own login and profile.
  'GET /api/portal/me',
  'PATCH /api/portal/account/profile',
  'GET /api/portal/account/memberships',
  'POST /api/portal/account/switch',
  'POST /api/portal/account/password',
  'POST /api/portal/account/sign-out-everywhere',
  // The live inbox, and who is in it.
  'GET /api/portal/inbox',
  'GET /api/portal/inbox/events',
  'GET /api/portal/inbox/presence',
  'GET /api/portal/inbox/:id',
  'POST /api/portal/inbox/:id/claim',
  'POST /api/portal/inbox/:id/reply',
  'POST /api/portal/inbox/:id/hand-back',
  'POST /api/portal/inbox/:id/resolve',
  'POST /api/portal/inbox/:id/read',
  // Conversations, leads and escalations (read, and the leads export).
  'GET /api/portal/conversations',
  'GET /api/portal/conversations/:id',
  'GET /api/portal/leads',
  'GET /api/portal/leads/export.csv',
  'GET /api/portal/escalations',
  'GET /api/portal/escalations/:id',
  // Chatbot names and looks for the lists' filters and labels; changing them is for owners.
  'GET /api/portal/chatbots',
  'GET /api/portal/chatbots/:id',
]);

export const OWNER_ONLY_DETAIL = 'Only an owner of this account can do this; agents can use the inbox, conversations and leads. Ask an owner.';

/**
 * Refuses an agent's request to a route not in AGENT_ROUTES with 403 `owner_only`. Sessions only: an API key is
 * limited by its scope, and only owners can create keys.
 */
export function assertRoleAllows(request: FastifyRequest): void {
  const auth = request.auth;
  if (!auth || auth.via !== 'session' || auth.role === 'owner') return;
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  if (!AGENT_ROUTES.has(`${method} ${request.routeOptions.url ?? ''}`)) throw new AppError('owner_only', OWNER_ONLY_DETAIL);
}
