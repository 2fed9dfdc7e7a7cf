import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { AppError, assertFound } from '../../lib/errors.js';
import { readStoredSettings } from '../chatbots/chatbots.service.js';
import { findChatTarget } from '../chat/chat.repository.js';
import { consultModel, isUnderstandingMode, isWorthAModel, toEngineSettings, type ChatDeps } from '../chat/chat.service.js';
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
  /** What the chatbot's language model made of the question (understanding mode); null without one or when it was not asked. */
  model: PreviewModel | null;
}

export interface PreviewModel {
  status: 'answered' | 'declined' | 'failed' | 'skipped';
  /** Why it declined, failed or was not asked. */
  reason: string | null;
  /** The passages it was given, and whether its answer cites each. */
  passages: { id: string; entryId: string; title: string; used: boolean }[];
  elapsedMs: number | null;
}

/**
 * What the chatbot answers a first message, computed exactly as a visitor's turn (same index, same
 * settings) but stored nowhere: no conversation, no outbox event, no webhook. The portal's "test a
 * question" and Training's re-check use it, so trying the bot never sends a customer's CRM a fake lead.
 */
export async function previewAnswer(
  deps: { db: Kysely<Database>; indexCache: KnowledgeIndexCache } & Pick<ChatDeps, 'understand' | 'logger'>, customerId: string, chatbotId: string, question: string,
  at?: { conversationId: string; messageId: string },
): Promise<PreviewAnswer> {
  const target = await findChatTarget(deps.db, chatbotId);
  const owned = assertFound(target && target.customer_id === customerId ? target : null, 'Chatbot');
  const index = await deps.indexCache.get(owned.chatbot_id, owned.knowledge_version);
  const stored = readStoredSettings(owned);
  const settings = toEngineSettings(owned, stored);
  let state = createInitialState();
  const history: { role: 'visitor'; text: string }[] = [];
  if (at) {
    // The engine reads a message with the conversation so far (a follow-up like "how much is that one?" with the
    // question before it; a detail given when asked for one), so a turn's confidence is only comparable with the
    // conversation replayed up to that turn. Replaying is deterministic: same knowledge, same settings, same figure.
    for (const earlier of await listVisitorMessagesBefore(deps.db, customerId, owned.chatbot_id, at)) {
      state = runTurn({ message: earlier, state, settings, index }).state;
      history.push({ role: 'visitor', text: earlier });
    }
  }
  let result = runTurn({ message: question, state, settings, index });
  let model: PreviewModel | null = null;
  // Asked exactly as a visitor's turn would ask it (and counted against the daily token limit like one).
  if (isUnderstandingMode(stored) && deps.understand && isWorthAModel(result)) {
    const outcome = await consultModel(deps, { target: owned, settings: stored, message: question, history, index });
    if ('understanding' in outcome) {
      if (outcome.understanding) result = runTurn({ message: question, state, settings, index, understanding: outcome.understanding });
      model = {
        status: outcome.status, reason: outcome.reason, elapsedMs: outcome.elapsedMs,
        passages: outcome.passages.map((p) => ({ id: p.id, entryId: p.entryId, title: p.title, used: outcome.usedPassageIds.includes(p.id) })),
      };
    } else {
      model = { status: 'skipped', reason: outcome.reason, passages: [], elapsedMs: null };
    }
  }
  return {
    context: at ? 'conversation' : 'new',
    answer: result.text, answered: result.answered, confidence: result.confidence, intent: result.intent,
    sources: result.sources, escalation: result.escalation, model,
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
