import type { EventContext, SatisfactionReply, SatisfactionRequest } from '@fc/contracts';
import type { Kysely, Selectable } from 'kysely';
import type { Database, EscalationsTable } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import { nowIso, toWireTime } from '../../lib/time.js';
import type { ConversationRow } from '../chat/chat.repository.js';
import { restoreState } from '../chat/engine/index.js';
import { appendEvent } from '../events/events.service.js';
import type { LiveBus } from '../live/live-bus.js';

/**
 * The visitor's satisfaction after a person resolved the conversation (issue 15, item 10). Stored on the
 * conversation, one rating per resolution: the first rating after a resolution is kept and written to the outbox
 * as `conversation.rated` in the same transaction; the same rating sent again (a retry whose answer was lost)
 * answers the stored one and writes nothing; a different one answers 409 `already_rated`. If the visitor asks for
 * a person again and the conversation is resolved again, they may rate that resolution too (it replaces the score).
 */
export interface SatisfactionDeps {
  db: Kysely<Database>;
  liveBus: LiveBus;
}

/** What the widget needs to know on reload: may the visitor rate now, and what they gave last. */
export interface SatisfactionStatus {
  canRate: boolean;
  score: number | null;
}

/** What the portal shows of a conversation's rating. */
export interface SatisfactionView {
  score: number;
  comment: string | null;
  agentName: string | null;
  ratedAt: string;
}

type EscalationRow = Selectable<EscalationsTable>;
type Executor = Kysely<Database>;

/** The escalation a person resolved (null while none is resolved: never escalated, still open, or reopened). */
async function findResolvedEscalation(db: Executor, conversation: Pick<ConversationRow, 'id' | 'customer_id'>): Promise<(EscalationRow & { resolved_at: string }) | null> {
  const escalation = await db.selectFrom('escalations').selectAll()
    .where('customer_id', '=', conversation.customer_id).where('conversation_id', '=', conversation.id).executeTakeFirst();
  if (!escalation || escalation.status !== 'resolved' || escalation.resolved_at === null) return null;
  return { ...escalation, resolved_at: escalation.resolved_at };
}

/** True when the stored rating belongs to the current resolution (it was given after the conversation was resolved). */
function isRatedSince(conversation: Pick<ConversationRow, 'satisfaction_rated_at'>, resolvedAt: string): boolean {
  return conversation.satisfaction_rated_at !== null && conversation.satisfaction_rated_at >= resolvedAt;
}

/** The portal's view of a conversation's rating, or null when the visitor has not rated it. */
export function toSatisfactionView(row: Pick<ConversationRow, 'satisfaction_score' | 'satisfaction_comment' | 'satisfaction_agent_name' | 'satisfaction_rated_at'>): SatisfactionView | null {
  if (row.satisfaction_score === null || row.satisfaction_rated_at === null) return null;
  return { score: row.satisfaction_score, comment: row.satisfaction_comment, agentName: row.satisfaction_agent_name, ratedAt: toWireTime(row.satisfaction_rated_at) };
}

/** Whether the visitor may rate the conversation now (a person resolved it and this resolution is not rated yet). */
export async function getSatisfactionStatus(db: Executor, conversation: ConversationRow): Promise<SatisfactionStatus> {
  const escalation = await findResolvedEscalation(db, conversation);
  return { canRate: escalation !== null && !isRatedSince(conversation, escalation.resolved_at), score: conversation.satisfaction_score };
}

/** The public name of whoever resolved: the author of the newest `resolved` notice (null for notices from before it was recorded). */
async function findResolverName(db: Executor, conversationId: string): Promise<string | null> {
  const notice = await db.selectFrom('messages').select('author_name')
    .where('conversation_id', '=', conversationId).where('kind', '=', 'resolved').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return notice?.author_name ?? null;
}

function toReply(conversationId: string, row: { satisfaction_score: number | null; satisfaction_comment: string | null; satisfaction_rated_at: string | null }): SatisfactionReply {
  return { conversationId, score: row.satisfaction_score ?? 0, comment: row.satisfaction_comment, ratedAt: toWireTime(row.satisfaction_rated_at) ?? '' };
}

/**
 * Stores the visitor's rating of a conversation a person resolved and writes `conversation.rated` in the same
 * transaction. The caller has checked the conversation token, origin and account standing (loadVisitorConversation).
 */
export async function rateConversation(deps: SatisfactionDeps, conversation: ConversationRow, input: SatisfactionRequest): Promise<SatisfactionReply> {
  const { db } = deps;
  const comment = input.comment?.trim() || null;
  const escalation = await findResolvedEscalation(db, conversation);
  if (!escalation) {
    throw new AppError('not_resolved', 'Only a conversation a person has resolved can be rated; this one is not resolved.');
  }
  const [agentName, chatbot] = await Promise.all([
    findResolverName(db, conversation.id),
    db.selectFrom('chatbots').innerJoin('customers', 'customers.id', 'chatbots.customer_id')
      .select(['chatbots.name as chatbot_name', 'customers.name as customer_name']).where('chatbots.id', '=', conversation.chatbot_id).executeTakeFirstOrThrow(),
  ]);
  const now = nowIso();

  const saved = await db.transaction().execute(async (trx) => {
    // The guard is the condition itself: two racing submissions for one resolution cannot both be stored.
    const updated = await trx.updateTable('conversations')
      .set({ satisfaction_score: input.score, satisfaction_comment: comment, satisfaction_rated_at: now, satisfaction_agent_name: agentName })
      .where('id', '=', conversation.id).where('customer_id', '=', conversation.customer_id)
      .where((eb) => eb.or([eb('satisfaction_rated_at', 'is', null), eb('satisfaction_rated_at', '<', escalation.resolved_at)]))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    const [lead, fresh] = await Promise.all([
      trx.selectFrom('leads').selectAll().where('conversation_id', '=', conversation.id).executeTakeFirst(),
      trx.selectFrom('conversations').select(['message_count', 'intent', 'state']).where('id', '=', conversation.id).executeTakeFirstOrThrow(),
    ]);
    const known = restoreState(JSON.parse(fresh.state)).lead;
    const context: EventContext = {
      customer: { id: conversation.customer_id, name: chatbot.customer_name },
      chatbot: { id: conversation.chatbot_id, name: chatbot.chatbot_name },
      conversation: {
        id: conversation.id, intent: fresh.intent, startedAt: toWireTime(conversation.started_at), messageCount: fresh.message_count, firstMessage: conversation.first_message,
      },
      visitor: { id: conversation.visitor_id, pageUrl: conversation.page_url, referrer: conversation.referrer, locale: conversation.locale },
      escalation: { id: escalation.id, reason: escalation.reason, lastMessage: escalation.last_message, status: 'resolved' },
      lead: { id: lead?.id ?? null, name: lead?.name ?? known.name, email: lead?.email ?? known.email, phone: lead?.phone ?? known.phone, intent: lead?.intent ?? fresh.intent },
      satisfaction: { score: input.score, comment, agentName },
    };
    await appendEvent(trx, { customerId: conversation.customer_id, chatbotId: conversation.chatbot_id, conversationId: conversation.id, type: 'conversation.rated', context });
    return true;
  });

  if (saved) {
    // After commit: open inboxes show the rating.
    void deps.liveBus.publishInbox({ customerId: conversation.customer_id, conversationId: conversation.id, kind: 'updated' });
    return toReply(conversation.id, { satisfaction_score: input.score, satisfaction_comment: comment, satisfaction_rated_at: now });
  }
  const stored = await db.selectFrom('conversations').select(['satisfaction_score', 'satisfaction_comment', 'satisfaction_rated_at'])
    .where('id', '=', conversation.id).executeTakeFirstOrThrow();
  if (stored.satisfaction_score === input.score && stored.satisfaction_comment === comment) return toReply(conversation.id, stored);
  throw new AppError('already_rated', `This conversation was already rated (${stored.satisfaction_score} of 5); a rating cannot be changed.`);
}

/** The dashboard's satisfaction figures for a period: how many ratings and their average (null without any). */
export async function summarizeSatisfaction(db: Executor, customerId: string, filter: { since: string; chatbotId?: string | undefined }): Promise<{ count: number; average: number | null }> {
  let query = db.selectFrom('conversations')
    .select((eb) => [eb.fn.count<string | number>('satisfaction_score').as('n'), eb.fn.sum<string | number | null>('satisfaction_score').as('total')])
    .where('customer_id', '=', customerId).where('satisfaction_rated_at', '>=', filter.since);
  if (filter.chatbotId) query = query.where('chatbot_id', '=', filter.chatbotId);
  const row = await query.executeTakeFirst();
  const count = Number(row?.n ?? 0);
  // Summed and divided here, not avg(): PostgreSQL's avg of integers is a numeric the driver returns as text.
  return { count, average: count === 0 ? null : Math.round((Number(row?.total ?? 0) / count) * 10) / 10 };
}
