import type { EventContext, RateReply, RateRequest } from '@fc/contracts';
import type { Kysely, Selectable } from 'kysely';
import type { Database, ReviewsTable } from '../../db/schema.js';
import { AppError, assertFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, toPage } from '../../lib/pagination.js';
import { nowIso, toWireTime } from '../../lib/time.js';
import { isTokenValid } from '../chat/chat.service.js';
import { findConversationById } from '../chat/chat.repository.js';
import { appendEvent } from '../events/events.service.js';
import { bumpKnowledgeVersion, type KnowledgeRow } from '../knowledge/knowledge.service.js';
import { suggestParaphrase, withdrawSuggestion } from './paraphrases.service.js';

export type ReviewRow = Selectable<ReviewsTable>;

/**
 * Rates one bot message (re-rating replaces). Thumbs-down queues the exchange for review; thumbs-up suggests
 * the visitor's wording as a paraphrase of the entry that answered it, for the owner to approve in Training.
 * A rating alone never changes what the bot answers.
 */
export async function rateMessage(db: Kysely<Database>, conversationId: string, input: RateRequest): Promise<RateReply> {
  const conversation = await findConversationById(db, conversationId);
  if (!conversation || !isTokenValid(conversation, input.conversationToken)) {
    throw new AppError('not_found', 'Conversation not found, or the conversation token does not match.');
  }
  const message = await db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('id', '=', input.messageId).executeTakeFirst();
  if (!message) throw new AppError('not_found', 'No such message in this conversation.');
  if (message.role !== 'assistant') throw new AppError('validation_failed', 'Only the bot’s answers can be rated.', [{ field: 'body.messageId', message: 'is not a bot message' }]);

  const question = await db.selectFrom('messages').select('text').where('conversation_id', '=', conversationId).where('seq', '<', message.seq).where('role', '=', 'visitor').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const sources = message.sources ? (JSON.parse(message.sources) as { id: string; title: string }[]) : [];
  const chatbot = await db.selectFrom('chatbots').innerJoin('customers', 'customers.id', 'chatbots.customer_id')
    .select(['chatbots.name as chatbot_name', 'customers.name as customer_name']).where('chatbots.id', '=', conversation.chatbot_id).executeTakeFirstOrThrow();
  const now = nowIso();
  const comment = input.comment?.trim() || null;

  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('ratings').selectAll().where('message_id', '=', message.id).executeTakeFirst();
    const rating = existing
      ? { ...existing, rating: input.rating, comment, updated_at: now }
      : { id: newId('rat'), customer_id: conversation.customer_id, chatbot_id: conversation.chatbot_id, conversation_id: conversationId, message_id: message.id, rating: input.rating, comment, created_at: now, updated_at: now };
    if (existing) await trx.updateTable('ratings').set({ rating: rating.rating, comment, updated_at: now }).where('id', '=', existing.id).execute();
    else await trx.insertInto('ratings').values(rating).execute();

    if (input.rating === 'down') {
      const review = await trx.selectFrom('reviews').select(['id', 'status']).where('message_id', '=', message.id).executeTakeFirst();
      if (!review) {
        await trx.insertInto('reviews').values({
          id: newId('rev'), customer_id: conversation.customer_id, chatbot_id: conversation.chatbot_id, conversation_id: conversationId,
          message_id: message.id, question: question?.text ?? '', answer: message.text, sources: JSON.stringify(sources), comment,
          status: 'open', resolution_entry_id: null, created_at: now, resolved_at: null,
        }).execute();
      } else if (review.status !== 'resolved') {
        await trx.updateTable('reviews').set({ status: 'open', comment }).where('id', '=', review.id).execute();
      }
      await withdrawSuggestion(trx, message.id);
    } else {
      await trx.updateTable('reviews').set({ status: 'dismissed' }).where('message_id', '=', message.id).where('status', '=', 'open').execute();
      await suggestParaphrase(trx, { customerId: conversation.customer_id, chatbotId: conversation.chatbot_id, entryId: sources[0]?.id, messageId: message.id, question: question?.text, now });
    }

    const context: EventContext = {
      customer: { id: conversation.customer_id, name: chatbot.customer_name },
      chatbot: { id: conversation.chatbot_id, name: chatbot.chatbot_name },
      conversation: { id: conversation.id, intent: conversation.intent, startedAt: toWireTime(conversation.started_at), messageCount: conversation.message_count, firstMessage: conversation.first_message },
      visitor: { id: conversation.visitor_id, pageUrl: conversation.page_url, referrer: conversation.referrer, locale: conversation.locale },
      rating: { rating: input.rating, comment, question: question?.text ?? null, answer: message.text },
    };
    await appendEvent(trx, { customerId: conversation.customer_id, chatbotId: conversation.chatbot_id, conversationId, type: 'message.rated', context });

    return {
      id: rating.id, messageId: message.id, conversationId, rating: input.rating, comment,
      createdAt: toWireTime(rating.created_at), updatedAt: toWireTime(now),
    };
  });
}

export interface ReviewView {
  id: string; chatbotId: string; conversationId: string; messageId: string; question: string; answer: string;
  sources: { id: string; title: string }[]; comment: string | null; status: string; resolutionEntryId: string | null;
  createdAt: string; resolvedAt: string | null;
}

/** A review-queue item as the portal shows it. */
export function toReviewView(row: ReviewRow): ReviewView {
  return {
    id: row.id, chatbotId: row.chatbot_id, conversationId: row.conversation_id, messageId: row.message_id, question: row.question,
    answer: row.answer, sources: JSON.parse(row.sources) as { id: string; title: string }[], comment: row.comment, status: row.status,
    resolutionEntryId: row.resolution_entry_id, createdAt: toWireTime(row.created_at), resolvedAt: toWireTime(row.resolved_at),
  };
}

/** The thumbs-down review queue, newest first. */
export async function listReviews(
  db: Kysely<Database>, customerId: string,
  filter: { status?: string | undefined; chatbotId?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: ReviewView[]; nextCursor: string | null }> {
  const cursor = decodeCursor(filter.cursor);
  let query = db.selectFrom('reviews').selectAll().where('customer_id', '=', customerId);
  if (filter.status) query = query.where('status', '=', filter.status as ReviewRow['status']);
  if (filter.chatbotId) query = query.where('chatbot_id', '=', filter.chatbotId);
  if (cursor) query = query.where((eb) => eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]));
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return toPage(rows, filter.limit, toReviewView);
}

async function getReview(db: Kysely<Database>, customerId: string, reviewId: string): Promise<ReviewRow> {
  return assertFound(await db.selectFrom('reviews').selectAll().where('customer_id', '=', customerId).where('id', '=', reviewId).executeTakeFirst(), 'Review');
}

/**
 * Resolves a review with a corrected answer: it becomes a curated knowledge entry that wins for that
 * question and its paraphrases from the next turn on (in every process, via the knowledge version).
 */
export async function resolveReview(
  db: Kysely<Database>, customerId: string, reviewId: string, input: { answer: string; question?: string | undefined },
): Promise<{ review: ReviewView; entry: KnowledgeRow }> {
  const review = await getReview(db, customerId, reviewId);
  const now = nowIso();
  const question = (input.question ?? review.question).trim();
  if (question === '') throw new AppError('validation_failed', 'The question to answer is empty.', [{ field: 'body.question', message: 'is required' }]);
  const entry: KnowledgeRow = {
    id: newId('kb'), customer_id: customerId, chatbot_id: review.chatbot_id, kind: 'curated', title: question, question,
    answer: input.answer.trim(), text: null, source_id: null, created_at: now, updated_at: now,
  };
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('knowledge_entries').values(entry).execute();
    await trx.updateTable('reviews').set({ status: 'resolved', resolution_entry_id: entry.id, resolved_at: now }).where('id', '=', review.id).execute();
    await bumpKnowledgeVersion(trx, review.chatbot_id);
  });
  return { review: toReviewView(await getReview(db, customerId, reviewId)), entry };
}

/** Dismisses a review without changing the knowledge base. */
export async function dismissReview(db: Kysely<Database>, customerId: string, reviewId: string): Promise<ReviewView> {
  await getReview(db, customerId, reviewId);
  await db.updateTable('reviews').set({ status: 'dismissed', resolved_at: nowIso() }).where('customer_id', '=', customerId).where('id', '=', reviewId).execute();
  return toReviewView(await getReview(db, customerId, reviewId));
}
