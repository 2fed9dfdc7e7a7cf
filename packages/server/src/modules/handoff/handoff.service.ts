import type { ChatMessage, EventContext } from '@fc/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { AuthContext } from '../../http/auth.js';
import type { Database, HandoffState } from '../../db/schema.js';
import { AppError, assertFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, encodeCursor } from '../../lib/pagination.js';
import { nowIso, toWireTime } from '../../lib/time.js';
import type { ConversationRow } from '../chat/chat.repository.js';
import { restoreState } from '../chat/engine/index.js';
import { appendEvent } from '../events/events.service.js';
import type { LiveBus } from '../live/live-bus.js';
import { toSatisfactionView, type SatisfactionView } from '../satisfaction/satisfaction.service.js';
import { HANDOFF_NOTICES } from './handoff-notices.js';

/**
 * The portal side of human handoff: the inbox of escalated conversations and the state machine
 * `bot → waiting_for_human → human → resolved` (and back to `bot` on hand-back). Every transition is a
 * conditional update on the state (and message count) the caller saw, so two agents racing, or an agent
 * racing a visitor's message, never both win; the loser gets a 409 that says why.
 */
export interface HandoffDeps {
  db: Kysely<Database>;
  liveBus: LiveBus;
}

/**
 * The person acting: a portal user or an API key. `name` is what visitors see (the user's display name, or
 * "<business> team" — never an e-mail address, which is private); the inbox shows colleagues the e-mail.
 */
export interface Agent {
  id: string;
  name: string;
}

/** Resolves who is acting from the request's authentication. */
export async function resolveAgent(db: Kysely<Database>, auth: AuthContext): Promise<Agent> {
  if (auth.userId) {
    const user = assertFound(await db.selectFrom('users').innerJoin('memberships', 'memberships.user_id', 'users.id')
      .innerJoin('customers', 'customers.id', 'memberships.customer_id')
      .select(['users.id', 'users.name', 'customers.name as company']).where('memberships.customer_id', '=', auth.customerId).where('users.id', '=', auth.userId).executeTakeFirst(), 'User');
    return { id: user.id, name: user.name?.trim() || `${user.company} team` };
  }
  const key = assertFound(await db.selectFrom('api_keys').select(['id', 'name']).where('customer_id', '=', auth.customerId).where('id', '=', auth.apiKeyId ?? '').executeTakeFirst(), 'API key');
  return { id: key.id, name: key.name };
}

export interface InboxItem {
  id: string;
  chatbotId: string;
  chatbotName: string;
  state: HandoffState;
  agentId: string | null;
  agentName: string | null;
  isMine: boolean;
  unreadCount: number;
  lastMessageAt: string;
  lastMessage: string | null;
  messageCount: number;
  escalation: { id: string; reason: string; status: string; createdAt: string } | null;
  visitor: { name: string | null; email: string | null; phone: string | null };
  /** The visitor's rating after a person resolved the conversation (modules/satisfaction), or null. */
  satisfaction: SatisfactionView | null;
}

export interface InboxFilter {
  limit: number;
  cursor?: string | undefined;
  state?: HandoffState | undefined;
  chatbotId?: string | undefined;
}

function inboxQuery(db: Kysely<Database>, customerId: string) {
  return db.selectFrom('conversations')
    .innerJoin('chatbots', 'chatbots.id', 'conversations.chatbot_id')
    .leftJoin('escalations', 'escalations.conversation_id', 'conversations.id')
    .leftJoin('users', 'users.id', 'conversations.handoff_agent_id')
    .selectAll('conversations')
    .select((eb) => [
      'chatbots.name as chatbot_name', 'users.name as agent_user_name', 'users.email as agent_user_email', 'escalations.id as escalation_id', 'escalations.reason as escalation_reason',
      'escalations.status as escalation_status', 'escalations.created_at as escalation_created_at',
      eb.selectFrom('messages').select('messages.text').whereRef('messages.conversation_id', '=', 'conversations.id')
        .where('messages.role', 'in', ['visitor', 'agent', 'assistant']).orderBy('messages.seq', 'desc').limit(1).as('last_text'),
    ])
    .where('conversations.customer_id', '=', customerId);
}

type InboxRow = Awaited<ReturnType<ReturnType<typeof inboxQuery>['executeTakeFirstOrThrow']>>;

function toInboxItem(row: InboxRow, agent: Agent | null): InboxItem {
  const lead = restoreState(JSON.parse(row.state)).lead;
  return {
    id: row.id, chatbotId: row.chatbot_id, chatbotName: row.chatbot_name, state: row.handoff_state,
    // Colleagues see who is handling it (display name, else e-mail); visitors only ever see the public name.
    agentId: row.handoff_agent_id, agentName: row.agent_user_name?.trim() || row.agent_user_email || row.handoff_agent_name, isMine: agent !== null && row.handoff_agent_id === agent.id,
    unreadCount: row.unread_count, lastMessageAt: toWireTime(row.last_message_at), lastMessage: row.last_text ?? null, messageCount: row.message_count,
    escalation: row.escalation_id
      ? { id: row.escalation_id, reason: row.escalation_reason ?? '', status: row.escalation_status ?? 'open', createdAt: toWireTime(row.escalation_created_at ?? row.started_at) }
      : null,
    visitor: { name: lead.name, email: lead.email, phone: lead.phone },
    satisfaction: toSatisfactionView(row),
  };
}

/** Escalated conversations, most recently active first. */
export async function listInbox(db: Kysely<Database>, customerId: string, agent: Agent | null, filter: InboxFilter): Promise<{ items: InboxItem[]; nextCursor: string | null }> {
  let query = inboxQuery(db, customerId).where('conversations.escalated', '=', 1);
  if (filter.state) query = query.where('conversations.handoff_state', '=', filter.state);
  if (filter.chatbotId) query = query.where('conversations.chatbot_id', '=', filter.chatbotId);
  const cursor = decodeCursor(filter.cursor);
  if (cursor) {
    query = query.where((eb) => eb.or([
      eb('conversations.last_message_at', '<', cursor.createdAt),
      eb.and([eb('conversations.last_message_at', '=', cursor.createdAt), eb('conversations.id', '<', cursor.id)]),
    ]));
  }
  const rows = await query.orderBy('conversations.last_message_at', 'desc').orderBy('conversations.id', 'desc').limit(filter.limit + 1).execute();
  const page = rows.slice(0, filter.limit);
  const last = page[page.length - 1];
  return { items: page.map((row) => toInboxItem(row, agent)), nextCursor: rows.length > filter.limit && last ? encodeCursor({ created_at: last.last_message_at, id: last.id }) : null };
}

/** One inbox conversation with its whole transcript. */
export async function getInboxConversation(db: Kysely<Database>, customerId: string, agent: Agent | null, conversationId: string): Promise<InboxItem & { messages: ChatMessage[] }> {
  const row = assertFound(await inboxQuery(db, customerId).where('conversations.id', '=', conversationId).executeTakeFirst(), 'Conversation');
  const messages = await db.selectFrom('messages').selectAll().where('conversation_id', '=', row.id).orderBy('seq').execute();
  return {
    ...toInboxItem(row, agent),
    messages: messages.map((m) => ({ id: m.id, role: m.role, text: m.text, createdAt: toWireTime(m.created_at), authorName: m.author_name })),
  };
}

async function loadOwned(db: Kysely<Database>, customerId: string, conversationId: string): Promise<ConversationRow> {
  return assertFound(await db.selectFrom('conversations').selectAll().where('customer_id', '=', customerId).where('id', '=', conversationId).executeTakeFirst(), 'Conversation');
}

function heldByOther(conversation: ConversationRow, agent: Agent): boolean {
  return conversation.handoff_state === 'human' && conversation.handoff_agent_id !== null && conversation.handoff_agent_id !== agent.id;
}

function conflictHeld(conversation: ConversationRow): AppError {
  return new AppError('conflict', `${conversation.handoff_agent_name ?? 'Another team member'} is already handling this conversation.`);
}

interface Transition {
  conversation: ConversationRow;
  /** Columns to set besides the new message count. */
  set: Partial<Pick<ConversationRow, 'handoff_state' | 'handoff_agent_id' | 'handoff_agent_name' | 'handoff_notice_id' | 'handoff_changed_at' | 'unread_count' | 'state' | 'last_message_at'>>;
  /** The message it adds to the conversation (a system notice or the agent's reply). */
  message: { role: 'system' | 'agent'; text: string; authorName: string | null; kind?: 'claimed' | 'handed_back' | 'resolved' };
  /** Extra writes in the same transaction (the escalation and its event on resolve). */
  also?: (trx: Transaction<Database>, messageId: string, now: string) => Promise<void>;
}

const MAX_TRANSITION_ATTEMPTS = 3;

/**
 * Loads the conversation, lets `plan` check it and describe the change (or return null: nothing to do), and
 * applies it atomically. A visitor message landing in between only retries; a change of state or holder
 * since the read is re-checked by `plan` on the retry, so the 409 names the real reason.
 */
async function transition(deps: HandoffDeps, customerId: string, conversationId: string, plan: (conversation: ConversationRow) => Transition | null): Promise<ChatMessage | null> {
  for (let attempt = 1; attempt <= MAX_TRANSITION_ATTEMPTS; attempt += 1) {
    const conversation = await loadOwned(deps.db, customerId, conversationId);
    const planned = plan(conversation);
    if (!planned) return null;
    const applied = await applyTransition(deps, planned);
    if (applied) return applied;
  }
  throw new AppError('conflict', 'The conversation keeps changing (new messages or another team member). Reload and try again.');
}

/** Applies one state change with its message, atomically; null when the conversation moved on since it was read. */
async function applyTransition(deps: HandoffDeps, { conversation, set, message, also }: Transition): Promise<ChatMessage | null> {
  const now = nowIso();
  const id = newId('msg');
  const seq = conversation.message_count + 1;
  const noticeId = message.role === 'system' ? { handoff_notice_id: set.handoff_notice_id === undefined ? id : set.handoff_notice_id } : {};
  const isApplied = await deps.db.transaction().execute(async (trx) => {
    let update = trx.updateTable('conversations')
      .set({ ...set, ...noticeId, message_count: seq })
      .where('id', '=', conversation.id).where('customer_id', '=', conversation.customer_id)
      .where('message_count', '=', conversation.message_count).where('handoff_state', '=', conversation.handoff_state);
    update = conversation.handoff_agent_id === null ? update.where('handoff_agent_id', 'is', null) : update.where('handoff_agent_id', '=', conversation.handoff_agent_id);
    const updated = await update.executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    await trx.insertInto('messages').values({
      id, customer_id: conversation.customer_id, conversation_id: conversation.id, seq, role: message.role, text: message.text,
      intent: null, sources: null, confidence: null, author_name: message.authorName, created_at: now, kind: message.kind ?? null,
    }).execute();
    await also?.(trx, id, now);
    return true;
  });
  if (!isApplied) return null;
  const wire: ChatMessage = { id, role: message.role, text: message.text, createdAt: toWireTime(now), authorName: message.authorName, ...(message.kind ? { kind: message.kind } : {}) };
  // After commit: the visitor's widget and every open inbox (on any API process) see it.
  void deps.liveBus.publish({ conversationId: conversation.id, seq, message: wire });
  void deps.liveBus.publishInbox({ customerId: conversation.customer_id, conversationId: conversation.id, kind: 'updated', message: wire });
  return wire;
}

/** Engine state for the bot taking over again: it may escalate anew and stops waiting for an answer it asked for. */
function resetEngineState(raw: string): string {
  const state = restoreState(JSON.parse(raw));
  return JSON.stringify({ ...state, escalated: false, failedAnswers: 0, awaitingField: null });
}

/** Takes the conversation: the bot stays silent and the visitor sees who joined. 409 when someone else holds it. */
export async function claimConversation(deps: HandoffDeps, customerId: string, agent: Agent, conversationId: string): Promise<ChatMessage | null> {
  return transition(deps, customerId, conversationId, (conversation) => {
    if (heldByOther(conversation, agent)) throw conflictHeld(conversation);
    if (conversation.handoff_state === 'human') return null;
    if (!conversation.escalated) throw new AppError('conflict', 'This conversation was never escalated; there is nothing to take over.');
    if (conversation.handoff_state === 'resolved') throw new AppError('conflict', 'This conversation is resolved. It comes back to the inbox if the visitor asks for a person again.');
    return {
      conversation,
      set: { handoff_state: 'human', handoff_agent_id: agent.id, handoff_agent_name: agent.name, handoff_changed_at: nowIso(), unread_count: 0 },
      // `kind` and the author let the widget word the notice in the visitor's language.
      message: { role: 'system', text: HANDOFF_NOTICES.claimed(agent.name), authorName: agent.name, kind: 'claimed' },
    };
  });
}

/** Stores the agent's reply (shown in the widget with the agent's name). Only the agent holding the conversation may reply. */
export async function replyToConversation(deps: HandoffDeps, customerId: string, agent: Agent, conversationId: string, text: string): Promise<ChatMessage> {
  const reply = await transition(deps, customerId, conversationId, (conversation) => {
    if (heldByOther(conversation, agent)) throw conflictHeld(conversation);
    if (conversation.handoff_state !== 'human') throw new AppError('conflict', 'Take the conversation first (Claim), so the bot stops answering while you write.');
    return { conversation, set: { unread_count: 0, last_message_at: nowIso() }, message: { role: 'agent', text, authorName: agent.name } };
  });
  return reply as ChatMessage;
}

/** Gives the conversation back to the bot, which answers the visitor's next message again. */
export async function handBackToBot(deps: HandoffDeps, customerId: string, agent: Agent, conversationId: string): Promise<ChatMessage> {
  const notice = await transition(deps, customerId, conversationId, (conversation) => {
    if (heldByOther(conversation, agent)) throw conflictHeld(conversation);
    if (conversation.handoff_state !== 'human' && conversation.handoff_state !== 'waiting_for_human') {
      throw new AppError('conflict', 'The bot is already answering this conversation.');
    }
    return {
      conversation,
      set: { handoff_state: 'bot', handoff_agent_id: null, handoff_agent_name: null, handoff_notice_id: null, handoff_changed_at: nowIso(), unread_count: 0, state: resetEngineState(conversation.state) },
      message: { role: 'system', text: HANDOFF_NOTICES.handedBack(agent.name), authorName: agent.name, kind: 'handed_back' },
    };
  });
  return notice as ChatMessage;
}

/**
 * Resolves the escalation: the escalation row turns `resolved` and `escalation.resolved` is written to the
 * outbox in the same transaction (once: the row's status is the guard), then delivered like every event.
 */
export async function resolveConversation(deps: HandoffDeps, customerId: string, agent: Agent, conversationId: string): Promise<ChatMessage> {
  const owned = await loadOwned(deps.db, customerId, conversationId);
  const [chatbot, customer, escalation] = await Promise.all([
    deps.db.selectFrom('chatbots').select(['id', 'name']).where('id', '=', owned.chatbot_id).executeTakeFirstOrThrow(),
    deps.db.selectFrom('customers').select(['id', 'name']).where('id', '=', customerId).executeTakeFirstOrThrow(),
    deps.db.selectFrom('escalations').selectAll().where('customer_id', '=', customerId).where('conversation_id', '=', owned.id).executeTakeFirst(),
  ]);
  const notice = await transition(deps, customerId, conversationId, (conversation) => {
    if (heldByOther(conversation, agent)) throw conflictHeld(conversation);
    if (conversation.handoff_state === 'resolved') throw new AppError('conflict', 'This conversation is already resolved.');
    if (!escalation || escalation.status !== 'open') throw new AppError('conflict', 'This conversation has no open escalation to resolve.');
    return {
      conversation,
      set: { handoff_state: 'resolved', handoff_agent_id: null, handoff_agent_name: null, handoff_changed_at: nowIso(), unread_count: 0, state: resetEngineState(conversation.state) },
      // `kind` tells the widget to ask the visitor how it went; the author is who the rating is about (modules/satisfaction).
      message: { role: 'system', text: HANDOFF_NOTICES.resolved(agent.name), authorName: agent.name, kind: 'resolved' },
      also: async (trx, _messageId, now) => {
        const resolved = await trx.updateTable('escalations').set({ status: 'resolved', resolved_at: now, updated_at: now })
          .where('id', '=', escalation.id).where('status', '=', 'open').executeTakeFirst();
        if (Number(resolved.numUpdatedRows) === 0) throw new AppError('conflict', 'This conversation is already resolved.');
        const [lead, lastVisitor] = await Promise.all([
          trx.selectFrom('leads').selectAll().where('conversation_id', '=', conversation.id).executeTakeFirst(),
          trx.selectFrom('messages').select('text').where('conversation_id', '=', conversation.id).where('role', '=', 'visitor').orderBy('seq', 'desc').limit(1).executeTakeFirst(),
        ]);
        const known = restoreState(JSON.parse(conversation.state)).lead;
        const context: EventContext = {
          customer: { id: customer.id, name: customer.name },
          chatbot: { id: chatbot.id, name: chatbot.name },
          conversation: {
            id: conversation.id, intent: conversation.intent, startedAt: toWireTime(conversation.started_at), messageCount: conversation.message_count + 1,
            firstMessage: conversation.first_message,
          },
          visitor: { id: conversation.visitor_id, pageUrl: conversation.page_url, referrer: conversation.referrer, locale: conversation.locale },
          escalation: { id: escalation.id, reason: escalation.reason, lastMessage: lastVisitor?.text ?? escalation.last_message, status: 'resolved' },
          lead: {
            id: lead?.id ?? null, name: lead?.name ?? known.name, email: lead?.email ?? known.email, phone: lead?.phone ?? known.phone,
            intent: lead?.intent ?? conversation.intent,
          },
        };
        await appendEvent(trx, { customerId, chatbotId: chatbot.id, conversationId: conversation.id, type: 'escalation.resolved', context });
      },
    };
  });
  return notice as ChatMessage;
}

/** Marks the conversation read in the inbox. */
export async function markRead(deps: HandoffDeps, customerId: string, conversationId: string): Promise<void> {
  const conversation = await loadOwned(deps.db, customerId, conversationId);
  if (conversation.unread_count === 0) return;
  await deps.db.updateTable('conversations').set({ unread_count: 0 }).where('customer_id', '=', customerId).where('id', '=', conversation.id).execute();
  void deps.liveBus.publishInbox({ customerId, conversationId: conversation.id, kind: 'updated' });
}
