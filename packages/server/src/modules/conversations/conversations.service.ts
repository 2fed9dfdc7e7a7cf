import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Database, EscalationsTable, LeadsTable } from '../../db/schema.js';
import { AppError, assertFound } from '../../lib/errors.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { toWireTime } from '../../lib/time.js';
import type { ConversationRow } from '../chat/chat.repository.js';
import { toSatisfactionView } from '../satisfaction/satisfaction.service.js';

export interface ListFilter {
  limit: number;
  cursor?: string | undefined;
  chatbotId?: string | undefined;
  conversationId?: string | undefined;
  status?: string | undefined;
  since?: string | undefined;
}

type TimedTable = 'conversations' | 'leads' | 'escalations';

/** Applies the common list filters (contract section 6: chatbotId, conversationId, status, since, cursor). */
function applyFilters<T extends TimedTable, O>(
  query: SelectQueryBuilder<Database, T, O>, timeColumn: 'started_at' | 'created_at', filter: ListFilter, statusColumn: 'status' | null,
): SelectQueryBuilder<Database, T, O> {
  // The builder is generic over three tables sharing these columns; Kysely cannot prove that, hence the casts.
  let q = query as unknown as SelectQueryBuilder<Database, 'leads', O>;
  const time = timeColumn as 'created_at';
  if (filter.chatbotId) q = q.where('chatbot_id', '=', filter.chatbotId);
  if (filter.conversationId && timeColumn === 'created_at') q = q.where('conversation_id', '=', filter.conversationId);
  if (filter.status && statusColumn) q = q.where(statusColumn as never, '=', filter.status as never);
  if (filter.since) {
    const since = Date.parse(filter.since);
    if (Number.isNaN(since)) throw new AppError('validation_failed', 'since must be an ISO 8601 time.', [{ field: 'query.since', message: 'is not a time' }]);
    q = q.where(time, '>=', new Date(since).toISOString());
  }
  const cursor = decodeCursor(filter.cursor);
  if (cursor) q = q.where((eb) => eb.or([eb(time, '<', cursor.createdAt), eb.and([eb(time, '=', cursor.createdAt), eb('id', '<', cursor.id)])]));
  return q.orderBy(time, 'desc').orderBy('id', 'desc').limit(filter.limit + 1) as unknown as SelectQueryBuilder<Database, T, O>;
}

export interface ConversationView {
  id: string; chatbotId: string; visitorId: string; status: string; startedAt: string; endedAt: string | null; lastMessageAt: string;
  messageCount: number; intent: string | null; escalated: boolean; leadId: string | null; pageUrl: string | null; firstMessage: string | null;
  /** Who answers now: `bot`, `waiting_for_human`, `human` or `resolved` (the portal words its outcome from this). */
  handoffState: ConversationRow['handoff_state'];
}

function toConversationView(row: ConversationRow): ConversationView {
  return {
    id: row.id, chatbotId: row.chatbot_id, visitorId: row.visitor_id, status: row.status, startedAt: toWireTime(row.started_at),
    endedAt: toWireTime(row.ended_at), lastMessageAt: toWireTime(row.last_message_at), messageCount: row.message_count, intent: row.intent,
    escalated: row.escalated === 1, leadId: row.lead_id, pageUrl: row.page_url, firstMessage: row.first_message, handoffState: row.handoff_state,
  };
}

/** Lists conversations, newest first. */
export async function listConversations(db: Kysely<Database>, customerId: string, filter: ListFilter): Promise<{ items: ConversationView[]; nextCursor: string | null }> {
  const rows = await applyFilters(db.selectFrom('conversations').selectAll().where('customer_id', '=', customerId), 'started_at', filter, 'status').execute();
  return toPage(rows.map((row) => ({ ...row, created_at: row.started_at })), filter.limit, toConversationView);
}

/** One conversation with its messages (and their ratings), its lead and its escalation. */
export async function getConversation(db: Kysely<Database>, customerId: string, conversationId: string) {
  const row = assertFound(await db.selectFrom('conversations').selectAll().where('customer_id', '=', customerId).where('id', '=', conversationId).executeTakeFirst(), 'Conversation');
  const [messages, ratings, lead, escalation] = await Promise.all([
    db.selectFrom('messages').selectAll().where('conversation_id', '=', row.id).orderBy('seq').execute(),
    db.selectFrom('ratings').selectAll().where('conversation_id', '=', row.id).execute(),
    db.selectFrom('leads').selectAll().where('conversation_id', '=', row.id).executeTakeFirst(),
    db.selectFrom('escalations').selectAll().where('conversation_id', '=', row.id).executeTakeFirst(),
  ]);
  const ratingByMessage = new Map(ratings.map((r) => [r.message_id, r]));
  return {
    ...toConversationView(row),
    referrer: row.referrer,
    locale: row.locale,
    messages: messages.map((m) => {
      const rating = ratingByMessage.get(m.id);
      return {
        id: m.id, role: m.role, text: m.text, intent: m.intent, createdAt: toWireTime(m.created_at), authorName: m.author_name,
        sources: m.sources ? (JSON.parse(m.sources) as unknown[]) : [], confidence: m.confidence,
        // Bot answers only: `model` when the chatbot's language model wrote it, else `engine` (the built-in answer).
        answeredBy: m.role === 'assistant' ? (m.answered_by ?? 'engine') : null,
        rating: rating ? { rating: rating.rating, comment: rating.comment, updatedAt: toWireTime(rating.updated_at) } : null,
      };
    }),
    lead: lead ? toLeadView(lead) : null,
    escalation: escalation ? toEscalationView(escalation) : null,
    satisfaction: toSatisfactionView(row),
  };
}

export interface LeadView { id: string; chatbotId: string; conversationId: string; name: string | null; email: string | null; phone: string | null; intent: string | null; createdAt: string; updatedAt: string }

function toLeadView(row: LeadsTable): LeadView {
  return {
    id: row.id, chatbotId: row.chatbot_id, conversationId: row.conversation_id, name: row.name, email: row.email, phone: row.phone,
    intent: row.intent, createdAt: toWireTime(row.created_at), updatedAt: toWireTime(row.updated_at),
  };
}

/** Lists leads, newest first. */
export async function listLeads(db: Kysely<Database>, customerId: string, filter: ListFilter): Promise<{ items: LeadView[]; nextCursor: string | null }> {
  const rows = await applyFilters(db.selectFrom('leads').selectAll().where('customer_id', '=', customerId), 'created_at', filter, null).execute();
  return toPage(rows, filter.limit, toLeadView);
}

export interface EscalationView { id: string; chatbotId: string; conversationId: string; reason: string; lastMessage: string | null; status: string; createdAt: string; resolvedAt: string | null }

function toEscalationView(row: EscalationsTable): EscalationView {
  return {
    id: row.id, chatbotId: row.chatbot_id, conversationId: row.conversation_id, reason: row.reason, lastMessage: row.last_message,
    status: row.status, createdAt: toWireTime(row.created_at), resolvedAt: toWireTime(row.resolved_at),
  };
}

/** Lists escalations, newest first. */
export async function listEscalations(db: Kysely<Database>, customerId: string, filter: ListFilter): Promise<{ items: EscalationView[]; nextCursor: string | null }> {
  const rows = await applyFilters(db.selectFrom('escalations').selectAll().where('customer_id', '=', customerId), 'created_at', filter, 'status').execute();
  return toPage(rows, filter.limit, toEscalationView);
}

/** One escalation. */
export async function getEscalation(db: Kysely<Database>, customerId: string, escalationId: string): Promise<EscalationView> {
  return toEscalationView(assertFound(await db.selectFrom('escalations').selectAll().where('customer_id', '=', customerId).where('id', '=', escalationId).executeTakeFirst(), 'Escalation'));
}

/** All leads matching the filter (for CSV export), bounded. */
export async function exportLeads(db: Kysely<Database>, customerId: string, filter: Omit<ListFilter, 'limit' | 'cursor'>, maxRows: number): Promise<LeadView[]> {
  return (await listLeads(db, customerId, { ...filter, limit: maxRows })).items;
}
