import type { EventContext } from '@fc/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { toWireTime } from '../../lib/time.js';
import { appendEvent } from '../events/events.service.js';

const SWEEP_BATCH = 100;
const HUMAN_STATES = ['waiting_for_human', 'human'] as const;
const ROLE_LABELS: Record<string, string> = { visitor: 'Visitor', assistant: 'Bot', agent: 'Agent', system: 'System' };

/** The transcript as mapping sources see it: one `Visitor: …` / `Bot: …` / `Agent: …` line per message. */
export async function loadTranscript(db: Kysely<Database>, conversationId: string): Promise<string[]> {
  const messages = await db.selectFrom('messages').select(['role', 'text', 'author_name'])
    .where('conversation_id', '=', conversationId).orderBy('seq').execute();
  return messages.map((m) => `${m.role === 'agent' && m.author_name ? m.author_name : ROLE_LABELS[m.role] ?? m.role}: ${m.text}`);
}

/**
 * Ends conversations whose idle deadline has passed and writes one `conversation.ended` event for each,
 * preceded by `lead.captured` when the visitor left a contact but the capture flow never finished.
 * Any number of processes may sweep at once: the conditional update (still open, deadline still passed)
 * lets exactly one of them end a given conversation, and the events are written in that same transaction.
 * Returns how many conversations this call ended.
 */
export async function endIdleConversations(db: Kysely<Database>, now: string): Promise<number> {
  // A conversation waiting for or held by a person is not idle: the business owes the visitor an answer.
  const due = await db.selectFrom('conversations').select('id')
    .where('status', '=', 'open').where('idle_deadline_at', '<=', now).where('handoff_state', 'not in', HUMAN_STATES)
    .orderBy('idle_deadline_at').limit(SWEEP_BATCH).execute();
  let ended = 0;
  for (const { id } of due) {
    const didEnd = await db.transaction().execute(async (trx) => {
      const updated = await trx.updateTable('conversations').set({ status: 'ended', ended_at: now })
        .where('id', '=', id).where('status', '=', 'open').where('idle_deadline_at', '<=', now).where('handoff_state', 'not in', HUMAN_STATES)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      const row = await trx.selectFrom('conversations')
        .innerJoin('chatbots', 'chatbots.id', 'conversations.chatbot_id')
        .innerJoin('customers', 'customers.id', 'conversations.customer_id')
        .leftJoin('leads', 'leads.id', 'conversations.lead_id')
        .select([
          'conversations.id', 'conversations.customer_id', 'conversations.chatbot_id', 'conversations.intent', 'conversations.started_at',
          'conversations.message_count', 'conversations.first_message', 'conversations.visitor_id', 'conversations.page_url',
          'conversations.referrer', 'conversations.locale', 'chatbots.name as chatbot_name', 'customers.name as customer_name',
          'leads.id as lead_id', 'leads.name as lead_name', 'leads.email as lead_email', 'leads.phone as lead_phone', 'leads.intent as lead_intent',
          'leads.captured_at as lead_captured_at',
        ])
        .where('conversations.id', '=', id)
        .executeTakeFirstOrThrow();
      const transcript = await loadTranscript(trx, id);
      const context: EventContext = {
        customer: { id: row.customer_id, name: row.customer_name },
        chatbot: { id: row.chatbot_id, name: row.chatbot_name },
        conversation: {
          id: row.id, intent: row.intent, startedAt: toWireTime(row.started_at), messageCount: row.message_count,
          firstMessage: row.first_message, transcript, summary: summarize(row.first_message, row.intent, row.message_count),
        },
        visitor: { id: row.visitor_id, pageUrl: row.page_url, referrer: row.referrer, locale: row.locale },
        ...(row.lead_id ? { lead: { id: row.lead_id, name: row.lead_name, email: row.lead_email, phone: row.lead_phone, intent: row.lead_intent } } : {}),
      };
      const eventBase = { customerId: row.customer_id, chatbotId: row.chatbot_id, conversationId: id };
      // A visitor who left mid-flow: the lead goes out now, as stored, once (the chat turn sends it when the flow ends).
      if (row.lead_id && !row.lead_captured_at && (row.lead_email || row.lead_phone)) {
        const marked = await trx.updateTable('leads').set({ captured_at: now }).where('id', '=', row.lead_id).where('captured_at', 'is', null).executeTakeFirst();
        if (Number(marked.numUpdatedRows) === 1) await appendEvent(trx, { ...eventBase, type: 'lead.captured', context });
      }
      await appendEvent(trx, { ...eventBase, type: 'conversation.ended', context });
      return true;
    });
    if (didEnd) ended += 1;
  }
  return ended;
}

function summarize(firstMessage: string | null, intent: string | null, messageCount: number): string {
  const about = firstMessage ? `"${firstMessage.length > 140 ? `${firstMessage.slice(0, 139)}…` : firstMessage}"` : 'no message';
  return `${messageCount} messages${intent ? ` (${intent.replace(/_/g, ' ')})` : ''}, starting with ${about}.`;
}
