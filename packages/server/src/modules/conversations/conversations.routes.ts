import { Type, type TSchema } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import { OpenObject } from '../../http/openapi.js';
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

const ConversationDetail = OpenObject({
  ...ConversationItem.properties,
  referrer: Nullable(Type.String()),
  locale: Nullable(Type.String()),
  messages: Type.Array(OpenObject({
    id: Type.String(), role: Type.String({ enum: ['visitor', 'assistant', 'agent', 'system'] }), text: Type.String(), intent: Nullable(Type.String()),
    createdAt: Type.String(), authorName: Nullable(Type.String()),
    sources: Type.Array(Type.Unknown({ description: '{ id, title } of a knowledge entry the answer came from' })),
    confidence: Nullable(Type.Number({ description: 'How sure the bot was of a bot answer, 0 to 1' })),
    rating: Nullable(OpenObject({ rating: Type.String({ enum: ['up', 'down'] }), comment: Nullable(Type.String()), updatedAt: Type.String() })),
  })),
  lead: Nullable(OpenObject(LeadItem.properties)),
  escalation: Nullable(OpenObject(EscalationItem.properties)),
});

/** Conversations, leads (with CSV export) and escalations in the portal. */
export function registerConversationRoutes(app: App, { database }: RouteDeps): void {
  const { db } = database;

  app.get('/api/portal/conversations', {
    schema: {
      summary: 'List conversations', description: 'Newest first; filter by chatbot, status or start time (`since`).', tags: ['Conversations'],
      querystring: Type.Object({ ...Filters, status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('ended')])) }, { additionalProperties: false }), response: { 200: Page(ConversationItem) },
    },
  }, async (request) => {
    const auth = requireAuth(request);
    return listConversations(db, auth.customerId, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
  });

  app.get('/api/portal/conversations/:id', {
    schema: { summary: 'One conversation with its messages and ratings', description: 'Also its lead and escalation, if any.', tags: ['Conversations'], params: IdParams, response: { 200: ConversationDetail } },
  }, async (request) => {
    const auth = requireAuth(request);
    return getConversation(db, auth.customerId, request.params.id);
  });

  app.get('/api/portal/leads', {
    schema: { summary: 'List leads', description: 'Newest first. Phones are E.164.', tags: ['Conversations'], querystring: Type.Object(Filters, { additionalProperties: false }), response: { 200: Page(LeadItem) } },
  }, async (request) => {
    const auth = requireAuth(request);
    return listLeads(db, auth.customerId, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
  });

  app.get('/api/portal/leads/export.csv', {
    schema: {
      summary: 'Export leads as CSV', description: 'Up to 50,000 leads, formula-safe cells (a cell starting with =, +, - or @ is quoted so spreadsheets do not run it).', tags: ['Conversations'],
      querystring: Type.Object({ chatbotId: Filters.chatbotId, since: Filters.since }, { additionalProperties: false }),
      response: { 200: { description: 'A CSV file (`attachment; filename="leads.csv"`).', content: { 'text/csv': { schema: Type.String() } } } },
    },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    const leads = await exportLeads(db, auth.customerId, request.query, MAX_EXPORT_ROWS);
    // Formula-safe cells, and phones in a form spreadsheets show as they are (leads-csv.ts says why).
    const csv = leadsToCsv(leads);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="leads.csv"').send(csv);
  });

  app.get('/api/portal/escalations', {
    schema: {
      summary: 'List escalations', tags: ['Conversations'],
      querystring: Type.Object({ ...Filters, status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved')])) }, { additionalProperties: false }), response: { 200: Page(EscalationItem) },
    },
  }, async (request) => {
    const auth = requireAuth(request);
    return listEscalations(db, auth.customerId, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
  });

  app.get('/api/portal/escalations/:id', { schema: { summary: 'Get an escalation', tags: ['Conversations'], params: IdParams, response: { 200: EscalationItem } } }, async (request) => {
    const auth = requireAuth(request);
    return getEscalation(db, auth.customerId, request.params.id);
  });
}
