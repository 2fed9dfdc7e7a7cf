import type { ChatMessage } from '@fc/contracts';
import type { Kysely, Selectable } from 'kysely';
import type { ConversationsTable, Database, MessagesTable } from '../../db/schema.js';
import { toWireTime } from '../../lib/time.js';

export type ConversationRow = Selectable<ConversationsTable>;
export type MessageRow = Selectable<MessagesTable>;

/** The chatbot a public request names, with what the chat path needs of its customer (one query). */
export interface ChatTarget {
  chatbot_id: string;
  chatbot_name: string;
  settings: string;
  knowledge_version: number;
  customer_id: string;
  customer_name: string;
  customer_status: 'trial' | 'active' | 'cancelled';
  trial_ends_at: string;
}

/** Loads a chatbot and its customer by the chatbot's public id. */
export async function findChatTarget(db: Kysely<Database>, chatbotId: string): Promise<ChatTarget | undefined> {
  return db
    .selectFrom('chatbots')
    .innerJoin('customers', 'customers.id', 'chatbots.customer_id')
    .select([
      'chatbots.id as chatbot_id', 'chatbots.name as chatbot_name', 'chatbots.settings', 'chatbots.knowledge_version',
      'customers.id as customer_id', 'customers.name as customer_name', 'customers.status as customer_status', 'customers.trial_ends_at',
    ])
    .where('chatbots.id', '=', chatbotId)
    .executeTakeFirst();
}

/** Loads a conversation of a chatbot (the caller still checks the token). */
export async function findConversation(db: Kysely<Database>, chatbotId: string, conversationId: string): Promise<ConversationRow | undefined> {
  return db.selectFrom('conversations').selectAll().where('id', '=', conversationId).where('chatbot_id', '=', chatbotId).executeTakeFirst();
}

/** Loads a conversation by id alone (public routes that carry only the conversation id and token). */
export async function findConversationById(db: Kysely<Database>, conversationId: string): Promise<ConversationRow | undefined> {
  return db.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirst();
}

/** Messages of a conversation in order, optionally only those after a given message. */
export async function listMessages(db: Kysely<Database>, conversationId: string, afterSeq = 0, limit = 500): Promise<MessageRow[]> {
  return db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
}

/** A stored message as the public API sends it (`kind` only on the notices that carry one). */
export function toWireMessage(row: Pick<MessageRow, 'id' | 'role' | 'text' | 'created_at' | 'author_name'> & { kind?: MessageRow['kind'] }): ChatMessage {
  return { id: row.id, role: row.role, text: row.text, createdAt: toWireTime(row.created_at), authorName: row.author_name, ...(row.kind ? { kind: row.kind } : {}) };
}
