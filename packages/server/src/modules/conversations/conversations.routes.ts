import { Type, type TSchema } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import type { App, RouteDeps } from '../../http/types.js';
import { DEFAULT_PAGE_SIZE, PageQuery } from '../../lib/pagination.js';
import { IdParams } from '../accounts/accounts.schemas.js';
import { exportLeads, getConversation, getEscalation, listConversations, listEscalations, listLeads } from './conversations.service.js';
import { leadsToCsv } from './leads-csv.js';

const MAX_EXPORT_ROWS = 50_000;
const Filters = {
  ...PageQuery,
  chatbotId: Type.Optional(Type.String({ maxLength: 64 })),
  conversationId: Type.Optional(Type.String({ maxLength: 64 })),
  since: Type.Optional(Type.String({ maxLength: 40 })),
};
const Page = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const ConversationItem = Type.Object({
  id: Type.String(), chatbotId: Type.String(), visitorId: Type.String(), status: Type.String(), startedAt: Type.String(), endedAt: Nullable(Type.String()),
  lastMessageAt: Type.String(), messageCount: Type.Integer(), intent: Nullable(Type.String()), escalated: Type.Boolean(), leadId: Nullable(Type.String()),
  pageUrl: Nullable(Type.String()), firstMessage: Nullable(Type.String()),
  handoffState: Type.Union([Type.Literal('bot'), Type.Literal('waiting_for_human'), Type.Literal('human'), Type.Literal('resolved')]),
});
const LeadItem = Type.Object({
  id: Type.String(), chatbotId: Type.String(), conversationId: Type.String(), name: Nullable(Type.String()), email: Nullable(Type.String()),
  phone: Nullable(Type.String()), intent: Nullable(Type.String()), createdAt: Type.String(), updatedAt: Type.String(),
});
const EscalationItem = Type.Object({
  id: Type.String(), chatbotId: Type.String(), conversationId: Type.String(), reason: Type.String(), lastMessage: Nullable(Type.String()),
  status: Type.String(), createdAt: Type.String(), resolvedAt: Nullable(Type.String()),
});

/** Conversations, leads (with CSV export) and escalations in the portal. */
export function registerConversationRoutes(app: App, { database }: RouteDeps): void {
  const { db } = database;

  app.get('/api/portal/conversations', {
    schema: { querystring: Type.Object({ ...Filters, status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('ended')])) }, { additionalProperties: false }), response: { 200: Page(ConversationItem) } },
  }, async (request) => {
    const auth = requireAuth(request);
    return listConversations(db, auth.customerId, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
  });

  app.get('/api/portal/conversations/:id', { schema: { params: IdParams } }, async (request) => {
    const auth = requireAuth(request);
    return getConversation(db, auth.customerId, request.params.id);
  });

  app.get('/api/portal/leads', {
    schema: { querystring: Type.Object(Filters, { additionalProperties: false }), response: { 200: Page(LeadItem) } },
  }, async (request) => {
    const auth = requireAuth(request);
    return listLeads(db, auth.customerId, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
  });

  app.get('/api/portal/leads/export.csv', {
    schema: { querystring: Type.Object({ chatbotId: Filters.chatbotId, since: Filters.since }, { additionalProperties: false }) },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    const leads = await exportLeads(db, auth.customerId, request.query, MAX_EXPORT_ROWS);
    // Formula-safe cells, and phones in a form spreadsheets show as they are (leads-csv.ts says why).
    const csv = leadsToCsv(leads);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="leads.csv"').send(csv);
  });

  app.get('/api/portal/escalations', {
    schema: { querystring: Type.Object({ ...Filters, status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved')])) }, { additionalProperties: false }), response: { 200: Page(EscalationItem) } },
  }, async (request) => {
    const auth = requireAuth(request);
    return listEscalations(db, auth.customerId, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
  });

  app.get('/api/portal/escalations/:id', { schema: { params: IdParams, response: { 200: EscalationItem } } }, async (request) => {
    const auth = requireAuth(request);
    return getEscalation(db, auth.customerId, request.params.id);
  });
}
