import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { assertFound } from '../../lib/errors.js';
import { readStoredSettings } from '../chatbots/chatbots.service.js';
import { findChatTarget } from '../chat/chat.repository.js';
import { toEngineSettings } from '../chat/chat.service.js';
import { createInitialState, runTurn } from '../chat/engine/index.js';
import type { KnowledgeIndexCache } from '../chat/knowledge-index.cache.js';

export interface PreviewAnswer {
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
): Promise<PreviewAnswer> {
  const target = await findChatTarget(deps.db, chatbotId);
  const owned = assertFound(target && target.customer_id === customerId ? target : null, 'Chatbot');
  const index = await deps.indexCache.get(owned.chatbot_id, owned.knowledge_version);
  const result = runTurn({ message: question, state: createInitialState(), settings: toEngineSettings(owned, readStoredSettings(owned)), index });
  return {
    answer: result.text, answered: result.answered, confidence: result.confidence, intent: result.intent,
    sources: result.sources, escalation: result.escalation,
  };
}
