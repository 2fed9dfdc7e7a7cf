import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { AppError, assertFound } from '../../lib/errors.js';
import { readStoredSettings } from '../chatbots/chatbots.service.js';
import { findChatTarget } from '../chat/chat.repository.js';
import { toEngineSettings } from '../chat/chat.service.js';
import { createInitialState, runTurn } from '../chat/engine/index.js';
import type { KnowledgeIndexCache } from '../chat/knowledge-index.cache.js';

export interface PreviewAnswer {
  /** `conversation`: asked at a turn of a recorded conversation, read with what was said before it. */
  context: 'new' | 'conversation';
  answer: string;
  answered: boolean;
  confidence: number;
  intent: string | null;
  sources: { id: string; title: string }[];
  escalation: { reason: string } | null;
}

/**
 * What the chatbot answers a first message, computed exactly as a visitor's turn (same index, same
 * settings) but stored nowhere: no conversation, no outbox event, no webhook. The portal's "test a
 * question" and Training's re-check use it, so trying the bot never sends a customer's CRM a fake lead.
 */
export async function previewAnswer(
  deps: { db: Kysely<Database>; indexCache: KnowledgeIndexCache }, customerId: string, chatbotId: string, question: string,
  at?: { conversationId: string; messageId: string },
): Promise<PreviewAnswer> {
  const target = await findChatTarget(deps.db, chatbotId);
  const owned = assertFound(target && target.customer_id === customerId ? target : null, 'Chatbot');
  const index = await deps.indexCache.get(owned.chatbot_id, owned.knowledge_version);
  const settings = toEngineSettings(owned, readStoredSettings(owned));
  let state = createInitialState();
  if (at) {
    // The engine reads a message with the conversation so far (a follow-up like "how much is that one?" with the
    // question before it; a detail given when asked for one), so a turn's confidence is only comparable with the
    // conversation replayed up to that turn. Replaying is deterministic: same knowledge, same settings, same figure.
    for (const earlier of await listVisitorMessagesBefore(deps.db, customerId, owned.chatbot_id, at)) {
      state = runTurn({ message: earlier, state, settings, index }).state;
    }
  }
  const result = runTurn({ message: question, state, settings, index });
  return {
    context: at ? 'conversation' : 'new',
    answer: result.text, answered: result.answered, confidence: result.confidence, intent: result.intent,
    sources: result.sources, escalation: result.escalation,
  };
}

/** Where a conversation's replay may go: a conversation has at most this many visitor turns read back. */
const MAX_REPLAYED_TURNS = 200;

/** What the visitor wrote before the turn `messageId` answered (an assistant message of that conversation). */
async function listVisitorMessagesBefore(
  db: Kysely<Database>, customerId: string, chatbotId: string, at: { conversationId: string; messageId: string },
): Promise<string[]> {
  const conversation = await db.selectFrom('conversations').select('id')
    .where('customer_id', '=', customerId).where('chatbot_id', '=', chatbotId).where('id', '=', at.conversationId).executeTakeFirst();
  assertFound(conversation, 'Conversation');
  const answer = await db.selectFrom('messages').select(['seq', 'role'])
    .where('conversation_id', '=', at.conversationId).where('id', '=', at.messageId).executeTakeFirst();
  if (!answer || answer.role !== 'assistant') throw new AppError('not_found', 'No bot answer with this id in the conversation.');
  const visitorMessages = await db.selectFrom('messages').select('text')
    .where('conversation_id', '=', at.conversationId).where('role', '=', 'visitor').where('seq', '<', answer.seq)
    .orderBy('seq').limit(MAX_REPLAYED_TURNS + 1).execute();
  // The last one is the message this answer answered: the caller asks it (or an edited version of it) itself.
  return visitorMessages.slice(0, -1).map((m) => m.text);
}
