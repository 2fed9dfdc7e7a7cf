import type { EventContext, SystemChatReply, SystemChatRequest } from '@fc/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { Database, MessageRole } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import { hashToken, newToken, safeEqual } from '../../lib/crypto.js';
import { newId } from '../../lib/ids.js';
import { addMs, nowIso, toWireTime } from '../../lib/time.js';
import { isCustomerActive } from '../accounts/accounts.service.js';
import { readStoredSettings, type StoredSettings } from '../chatbots/chatbots.service.js';
import { appendEvent } from '../events/events.service.js';
import { createInitialState, restoreState, runTurn, type ConversationState, type EngineSettings, type TurnResult } from './engine/index.js';
import type { KnowledgeIndexCache } from './knowledge-index.cache.js';
import type { LiveBus } from '../live/live-bus.js';
import { findConversation, listMessages, type ChatTarget, type ConversationRow } from './chat.repository.js';

const MINUTE_MS = 60_000;
const MAX_TURN_ATTEMPTS = 3;

export interface ChatDeps {
  db: Kysely<Database>;
  indexCache: KnowledgeIndexCache;
  /** Announces stored messages to open `/events` streams (live/live-bus.ts). */
  liveBus?: LiveBus;
  /** Rephrases a built-in answer with the chatbot's LLM (llm.client.ts); returns null to keep the built-in text. */
  phrase?: (request: PhraseRequest) => Promise<string | null>;
}

/** One answered turn handed to the LLM phraser. */
export interface PhraseRequest {
  target: ChatTarget;
  settings: StoredSettings;
  question: string;
  result: TurnResult;
  /** The conversation's latest earlier messages, oldest first (empty for a new conversation). */
  history: { role: MessageRole; text: string }[];
  /** Set when the visitor asked for Server-Sent Events: the phrased text is streamed through it. */
  onDelta?: ((text: string) => void) | undefined;
}

/** Earlier messages the LLM sees, so follow-up questions ("and on Saturdays?") make sense. */
const PHRASE_HISTORY_MESSAGES = 6;

/**
 * Only turns answered from the knowledge base are phrased by an LLM. Unanswered turns (below the
 * threshold, prompt injection), lead prompts and escalations keep the built-in honest text, so an LLM can
 * never invent an answer the knowledge base does not hold, nor change what the visitor is asked for.
 */
function isPhrasable(result: TurnResult): boolean {
  return result.answered && result.escalation === null && result.sources.length > 0;
}

/** Throws the problem a visitor sees when the account behind a chatbot may not chat. */
export function assertChatAllowed(target: ChatTarget): void {
  if (!isCustomerActive({ status: target.customer_status, trial_ends_at: target.trial_ends_at })) {
    throw new AppError('payment_required', 'This chat is unavailable right now: the business’s trial has ended or its account is not active.');
  }
}

/** Maps chatbot settings to what the engine reads. */
export function toEngineSettings(target: ChatTarget, settings: StoredSettings): EngineSettings {
  return {
    businessName: target.chatbot_name,
    defaultPhoneRegion: settings.defaultPhoneRegion,
    leadCapture: settings.leadCapture,
    escalation: settings.escalation,
    customIntents: settings.intents,
  };
}

/** Checks a conversation token in constant time. */
export function isTokenValid(conversation: Pick<ConversationRow, 'token_hash'>, token: string | undefined): boolean {
  return token !== undefined && safeEqual(hashToken(token), conversation.token_hash);
}

function parseState(raw: string): ConversationState {
  return restoreState(JSON.parse(raw));
}

function customerOf(target: ChatTarget): EventContext['customer'] {
  return { id: target.customer_id, name: target.customer_name };
}

function conversationContext(row: ConversationRow): NonNullable<EventContext['conversation']> {
  return { id: row.id, intent: row.intent, startedAt: toWireTime(row.started_at), messageCount: row.message_count, firstMessage: row.first_message };
}

function visitorContext(row: ConversationRow): NonNullable<EventContext['visitor']> {
  return { id: row.visitor_id, pageUrl: row.page_url, referrer: row.referrer, locale: row.locale };
}

interface PreparedTurn {
  conversation: ConversationRow;
  isNew: boolean;
  token: string;
  result: TurnResult;
}

async function prepareTurn(deps: ChatDeps, target: ChatTarget, settings: StoredSettings, input: SystemChatRequest): Promise<PreparedTurn> {
  const now = nowIso();
  let conversation: ConversationRow;
  let isNew = false;
  let token: string;
  if (input.conversationId) {
    const found = await findConversation(deps.db, target.chatbot_id, input.conversationId);
    // Same answer for "no such conversation" and "wrong token": nobody can probe for ids.
    if (!found || !isTokenValid(found, input.conversationToken)) throw new AppError('not_found', 'Conversation not found, or the conversation token does not match.');
    conversation = found;
    token = input.conversationToken as string;
  } else {
    isNew = true;
    token = newToken();
    conversation = {
      id: newId('conv'), customer_id: target.customer_id, chatbot_id: target.chatbot_id, visitor_id: input.visitorId,
      token_hash: hashToken(token), status: 'open', intent: null, state: JSON.stringify(createInitialState()), message_count: 0,
      first_message: input.message, lead_id: null, escalated: 0, page_url: input.context?.pageUrl ?? null,
      referrer: input.context?.referrer ?? null, locale: input.context?.locale ?? null, started_at: now, last_message_at: now,
      idle_deadline_at: null, ended_at: null,
    };
  }
  const index = await deps.indexCache.get(target.chatbot_id, target.knowledge_version);
  const result = runTurn({ message: input.message, state: parseState(conversation.state), settings: toEngineSettings(target, settings), index });
  return { conversation, isNew, token, result };
}

async function persistTurn(
  trx: Transaction<Database>, target: ChatTarget, settings: StoredSettings, turn: PreparedTurn, input: SystemChatRequest, replyText: string,
): Promise<{ messageId: string; visitorMessageId: string; seq: number; createdAt: string; leadId: string | null } | null> {
  const { result, isNew } = turn;
  const now = nowIso();
  const previousCount = turn.conversation.message_count;
  const conversation: ConversationRow = {
    ...turn.conversation,
    intent: result.conversationIntent,
    state: JSON.stringify(result.state),
    message_count: previousCount + 2,
    escalated: turn.conversation.escalated || (result.escalation ? 1 : 0),
    last_message_at: now,
    // A conversation that ended by idling reopens when the visitor writes again.
    status: 'open',
    ended_at: null,
    idle_deadline_at: addMs(now, settings.idleMinutesBeforeEnded * MINUTE_MS),
  };

  let leadId = conversation.lead_id;
  const leadFields = result.lead?.fields;
  if (result.lead?.complete && leadFields && leadId === null) leadId = newId('lead');
  conversation.lead_id = leadId;

  if (isNew) {
    await trx.insertInto('conversations').values(conversation).execute();
  } else {
    // Optimistic concurrency: two turns racing on one conversation cannot both append messages.
    const updated = await trx.updateTable('conversations')
      .set({
        intent: conversation.intent, state: conversation.state, message_count: conversation.message_count, escalated: conversation.escalated,
        last_message_at: now, status: 'open', ended_at: null, idle_deadline_at: conversation.idle_deadline_at, lead_id: leadId,
      })
      .where('id', '=', conversation.id)
      .where('message_count', '=', previousCount)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return null;
  }

  const messageId = newId('msg');
  const visitorMessageId = newId('msg');
  await trx.insertInto('messages').values([
    { id: visitorMessageId, customer_id: target.customer_id, conversation_id: conversation.id, seq: previousCount + 1, role: 'visitor', text: input.message, intent: result.intent, sources: null, confidence: null, author_name: null, created_at: now },
    { id: messageId, customer_id: target.customer_id, conversation_id: conversation.id, seq: previousCount + 2, role: 'assistant', text: replyText, intent: result.intent, sources: JSON.stringify(result.sources), confidence: result.confidence, author_name: null, created_at: now },
  ]).execute();

  const base = { customerId: target.customer_id, chatbotId: target.chatbot_id, conversationId: conversation.id };
  const chatbot = { id: target.chatbot_id, name: target.chatbot_name };
  const context = (): EventContext => ({ customer: customerOf(target), chatbot, conversation: conversationContext(conversation), visitor: visitorContext(conversation) });

  if (isNew) await appendEvent(trx, { ...base, type: 'conversation.started', context: context() });

  if (leadFields && leadId !== null) {
    const lead = { id: leadId, name: leadFields.name, email: leadFields.email, phone: leadFields.phone, intent: conversation.intent };
    if (turn.conversation.lead_id === null) {
      await trx.insertInto('leads').values({ ...lead, customer_id: target.customer_id, chatbot_id: target.chatbot_id, conversation_id: conversation.id, created_at: now, updated_at: now }).execute();
      await appendEvent(trx, { ...base, type: 'lead.captured', context: { ...context(), lead } });
    } else if (result.lead?.changed) {
      // Later details update the lead; the event fired once, when the lead was first complete.
      await trx.updateTable('leads').set({ name: lead.name, email: lead.email, phone: lead.phone, intent: lead.intent, updated_at: now }).where('id', '=', leadId).execute();
    }
  }

  if (result.escalation && !turn.conversation.escalated) {
    const escalation = { id: newId('esc'), reason: result.escalation.reason, lastMessage: input.message };
    await trx.insertInto('escalations').values({
      id: escalation.id, customer_id: target.customer_id, chatbot_id: target.chatbot_id, conversation_id: conversation.id,
      reason: escalation.reason, last_message: escalation.lastMessage, status: 'open', created_at: now, updated_at: now, resolved_at: null,
    }).execute();
    const known = result.lead?.fields ?? result.state.lead;
    await appendEvent(trx, {
      ...base, type: 'escalation.created',
      context: { ...context(), escalation, lead: { id: leadId, name: known.name, email: known.email, phone: known.phone, intent: conversation.intent } },
    });
  }

  return { messageId, visitorMessageId, seq: previousCount + 2, createdAt: now, leadId };
}

/**
 * One visitor message in, one bot reply out: the engine decides the answer, intent, lead fields and
 * escalation; the messages, lead, escalation and their outbox events are written in one transaction.
 */
export async function runChatTurn(
  deps: ChatDeps, target: ChatTarget, input: SystemChatRequest, options: { onDelta?: (text: string) => void } = {},
): Promise<SystemChatReply> {
  assertChatAllowed(target);
  const settings = readStoredSettings(target);
  for (let attempt = 1; attempt <= MAX_TURN_ATTEMPTS; attempt += 1) {
    const turn = await prepareTurn(deps, target, settings, input);
    let text = turn.result.text;
    if (deps.phrase && settings.llm && isPhrasable(turn.result) && attempt === 1) {
      const earlier = turn.isNew ? [] : await listMessages(deps.db, turn.conversation.id, Math.max(0, turn.conversation.message_count - PHRASE_HISTORY_MESSAGES));
      const history = earlier.map((m) => ({ role: m.role, text: m.text }));
      text = (await deps.phrase({ target, settings, question: input.message, result: turn.result, history, onDelta: options.onDelta })) ?? text;
    }
    const saved = await deps.db.transaction().execute((trx) => persistTurn(trx, target, settings, turn, input, text));
    if (!saved) continue;
    const { result } = turn;
    const message = { id: saved.messageId, role: 'assistant' as const, text, createdAt: toWireTime(saved.createdAt) };
    // After commit, so a stream never shows a message that was rolled back.
    const conversationId = turn.conversation.id;
    void deps.liveBus?.publish({ conversationId, seq: saved.seq - 1, message: { id: saved.visitorMessageId, role: 'visitor', text: input.message, createdAt: message.createdAt } });
    void deps.liveBus?.publish({ conversationId, seq: saved.seq, message });
    return {
      conversationId,
      conversationToken: turn.token,
      message,
      intent: result.conversationIntent,
      ...(result.lead ? { lead: { captured: saved.leadId !== null, missing: result.lead.missing } } : {}),
      escalated: Boolean(turn.conversation.escalated) || result.escalation !== null,
      ...(result.quickReplies.length > 0 ? { quickReplies: result.quickReplies } : {}),
      sources: result.sources,
    };
  }
  throw new AppError('conflict', 'Another message in this conversation is being answered; send yours again.');
}
