import type { EventContext, EventType } from '@fc/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { newId } from '../../lib/ids.js';
import { nowIso } from '../../lib/time.js';

export interface NewEvent {
  customerId: string;
  chatbotId: string | null;
  conversationId: string | null;
  type: EventType;
  context: EventContext;
}

/**
 * Writes an event to the outbox. Call it inside the transaction that makes the change it describes:
 * either both are committed or neither, so no event is lost on a crash and none describes a rolled-back change.
 */
export async function appendEvent(trx: Transaction<Database> | Kysely<Database>, event: NewEvent): Promise<string> {
  const id = newId('evt');
  const createdAt = nowIso();
  await trx.insertInto('events').values({
    id, customer_id: event.customerId, chatbot_id: event.chatbotId, conversation_id: event.conversationId,
    type: event.type, payload: JSON.stringify(event.context), created_at: createdAt,
  }).execute();
  return id;
}
