import type { ChatSource, EventContext, SystemChatReply, SystemChatRequest } from '@fc/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { Database, HandoffState, MessageRole } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import { hashToken, newToken, openSecret, safeEqual, sealSecret } from '../../lib/crypto.js';
import { isUniqueViolation } from '../../db/database.js';
import { newId } from '../../lib/ids.js';
import { addMs, nowIso, toWireTime } from '../../lib/time.js';
import { isCustomerActive } from '../accounts/accounts.service.js';
import { readCachedSettings, type StoredSettings } from '../chatbots/chatbots.service.js';
import { appendEvent } from '../events/events.service.js';
import { findSourceUrls } from '../knowledge/sources.service.js';
import { createInitialState, restoreState, runTurn, type ConversationState, type EngineSettings, type LeadResult, type TurnResult, type TurnUnderstanding } from './engine/index.js';
import { readTokensUsed, recordLlmCall, usageDay } from './llm-usage.repository.js';
import type { UnderstandOutcome, UnderstandRequest } from './llm.understanding.js';
import type { KnowledgeIndexCache } from './knowledge-index.cache.js';
import type { LiveBus } from '../live/live-bus.js';
import { nextOpening } from '../handoff/business-hours.js';
import { enqueueEscalationEmail } from '../handoff/escalation-email.js';
import { describeWaitingNotice, isBotSilent, toHandoffInfo, withClosedLine, type Opening } from '../handoff/handoff-notices.js';
import { findConversation, listMessages, type ChatTarget, type ConversationRow } from './chat.repository.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/**
 * A conversation token stops working this long after the visitor's last message; each message renews it (sliding),
 * so a visitor who keeps chatting keeps their conversation, and a token left in a browser's storage dies on its own.
 */
export const CONVERSATION_TOKEN_TTL_MS = 30 * DAY_MS;
const CONVERSATION_EXPIRED_DETAIL = 'This conversation has expired: start a new one (send the message without conversationId).';
const CONVERSATION_NOT_FOUND_DETAIL = 'Conversation not found, or the conversation token does not match.';
const MAX_TURN_ATTEMPTS = 3;

export interface ChatDeps {
  db: Kysely<Database>;
  /** FC_SECRET_KEY: seals the conversation token kept with a new conversation's first reply (`clientMessageId` repeats). */
  secretKey: Buffer;
  indexCache: KnowledgeIndexCache;
  /** Announces stored messages to open `/events` streams (live/live-bus.ts). */
  liveBus?: LiveBus;
  /** Rephrases a built-in answer with the chatbot's LLM (llm.client.ts); returns null to keep the built-in text. */
  phrase?: (request: PhraseRequest) => Promise<string | null>;
  /** Queue a "new escalation" e-mail with each escalation (SMTP configured; the delivery worker sends it). */
  notifyByEmail?: boolean;
  /** Asks the chatbot's language model to read a message (llm.understanding.ts); set when the app can call providers. */
  understand?: (request: UnderstandRequest) => Promise<UnderstandOutcome>;
  /** Told when a model call failed and the built-in engine answered alone. */
  logger?: { warn(details: Record<string, unknown>, message: string): void };
}

/** A chatbot's model cap when its settings name none: tokens per UTC day. */
export const DEFAULT_DAILY_TOKEN_LIMIT = 200_000;

/** Whether a chatbot's model reads visitors' messages (settings.llm.mode `understand`, the default) rather than only rewording answers. */
export function isUnderstandingMode(settings: StoredSettings): boolean {
  return settings.llm !== null && (settings.llm.mode ?? 'understand') === 'understand';
}

/**
 * The engine's first reading decides whether the model is asked at all: a question for the knowledge, or a message
 * that gave details (the model may read ones the extraction missed). Small talk, a prompt injection and a turn
 * that already hands over to a person are the engine's alone.
 */
export function isWorthAModel(result: TurnResult): boolean {
  return result.askedKnowledge || (result.lead?.changed ?? false);
}

/**
 * Asks the chatbot's model about a message within its daily token cap, and counts the call. Null when the model was
 * not asked (cap reached) or failed: the built-in engine then answers alone. The outcome goes to the caller too
 * ("Test a question" shows it).
 */
export async function consultModel(
  deps: Pick<ChatDeps, 'db' | 'understand' | 'logger'>, request: UnderstandRequest,
): Promise<UnderstandOutcome | { status: 'skipped'; reason: string }> {
  const { target, settings } = request;
  const day = usageDay();
  const limit = settings.llm?.dailyTokenLimit ?? DEFAULT_DAILY_TOKEN_LIMIT;
  const base = { chatbotId: target.chatbot_id, customerId: target.customer_id, day };
  if (!deps.understand || !settings.llm) return { status: 'skipped', reason: 'no language model is configured' };
  if ((await readTokensUsed(deps.db, target.chatbot_id, day)) >= limit) {
    await recordLlmCall(deps.db, { ...base, outcome: 'skipped', usage: null });
    return { status: 'skipped', reason: `the daily token limit (${limit}) is reached` };
  }
  const outcome = await deps.understand(request);
  await recordLlmCall(deps.db, { ...base, outcome: outcome.status, usage: outcome.usage });
  if (outcome.status === 'failed') {
    deps.logger?.warn({ chatbotId: target.chatbot_id, model: settings.llm.model, elapsedMs: outcome.elapsedMs, reason: outcome.reason }, 'LLM understanding failed; the built-in engine answered');
  }
  return outcome;
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
    // The bot speaks for the business ("someone from Acme Plumbing"), never under its own widget name.
    businessName: target.customer_name,
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

/** When the conversation's token expires; conversations from before expiry existed count from their last message. */
export function conversationTokenExpiresAt(conversation: Pick<ConversationRow, 'token_expires_at' | 'last_message_at'>): string {
  return conversation.token_expires_at ?? addMs(conversation.last_message_at, CONVERSATION_TOKEN_TTL_MS);
}


/** The engine's sources, each passage imported from a web page with that page's address (`sources[].url`). */
async function citeSources(db: Kysely<Database>, sources: { id: string; title: string }[]): Promise<ChatSource[]> {
  if (sources.length === 0) return [];
  const urls = await findSourceUrls(db, sources.map((source) => source.id));
  return sources.map((source) => {
    const url = urls.get(source.id);
    return url === undefined ? source : { ...source, url };
  });
}

/** Refuses a right token that has expired with 401 `conversation_expired` (a wrong one answers 404 before this). */
export function assertTokenLive(conversation: Pick<ConversationRow, 'token_expires_at' | 'last_message_at'>, now = nowIso()): void {
  if (conversationTokenExpiresAt(conversation) <= now) throw new AppError('conversation_expired', CONVERSATION_EXPIRED_DETAIL);
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

async function prepareTurn(
  deps: ChatDeps, target: ChatTarget, settings: StoredSettings, input: SystemChatRequest, understanding?: TurnUnderstanding,
): Promise<PreparedTurn> {
  const now = nowIso();
  let conversation: ConversationRow;
  let isNew = false;
  let token: string;
  if (input.conversationId) {
    const found = await findConversation(deps.db, target.chatbot_id, input.conversationId);
    // Same answer for "no such conversation" and "wrong token": nobody can probe for ids.
    if (!found || !isTokenValid(found, input.conversationToken)) throw new AppError('not_found', CONVERSATION_NOT_FOUND_DETAIL);
    assertTokenLive(found, now);
    conversation = found;
    token = input.conversationToken as string;
  } else {
    isNew = true;
    token = newToken();
    conversation = {
      id: newId('conv'), customer_id: target.customer_id, chatbot_id: target.chatbot_id, visitor_id: input.visitorId,
      token_hash: hashToken(token), token_expires_at: addMs(now, CONVERSATION_TOKEN_TTL_MS), status: 'open', intent: null, state: JSON.stringify(createInitialState()), message_count: 0,
      first_message: input.message, lead_id: null, escalated: 0, page_url: input.context?.pageUrl ?? null,
      referrer: input.context?.referrer ?? null, locale: input.context?.locale ?? null, started_at: now, last_message_at: now,
      idle_deadline_at: null, ended_at: null, handoff_state: 'bot', handoff_agent_id: null, handoff_agent_name: null,
      handoff_notice_id: null, handoff_changed_at: null, unread_count: 0, client_message_id: input.clientMessageId ?? null,
      satisfaction_score: null, satisfaction_comment: null, satisfaction_rated_at: null, satisfaction_agent_name: null,
    };
  }
  const index = await deps.indexCache.get(target.chatbot_id, target.knowledge_version);
  const result = runTurn({ message: input.message, state: parseState(conversation.state), settings: toEngineSettings(target, settings), index, ...(understanding ? { understanding } : {}) });
  return { conversation, isNew, token, result: { ...result, sources: await citeSources(deps.db, result.sources) } };
}

/** What a turn stores besides the visitor's message. */
interface TurnOutput {
  /** The bot's answer; null while a person is awaited or answering (the bot stays silent). */
  botText: string | null;
  /** A new system notice for the visitor (only when it differs from the conversation's current one). */
  notice: string | null;
  notifyByEmail: boolean;
}

interface SavedTurn {
  visitorMessageId: string;
  visitorSeq: number;
  bot: { id: string; seq: number } | null;
  notice: { id: string; seq: number } | null;
  createdAt: string;
  leadId: string | null;
  handoffState: HandoffState;
  escalationCreated: boolean;
  tokenExpiresAt: string;
}

async function persistTurn(
  trx: Transaction<Database>, target: ChatTarget, settings: StoredSettings, turn: PreparedTurn, input: SystemChatRequest, output: TurnOutput,
): Promise<SavedTurn | null> {
  const { result, isNew } = turn;
  const now = nowIso();
  const previousCount = turn.conversation.message_count;
  const previousState = turn.conversation.handoff_state;
  const isSilent = output.botText === null;
  // Escalating again after the conversation went back to the bot (hand-back or resolved) is allowed.
  const escalates = !isSilent && result.escalation !== null && (!turn.conversation.escalated || previousState === 'bot' || previousState === 'resolved');
  const handoffState: HandoffState = escalates ? 'waiting_for_human' : isSilent ? previousState : previousState === 'resolved' ? 'bot' : previousState;
  const visitorSeq = previousCount + 1;
  const botSeq = isSilent ? null : visitorSeq + 1;
  const noticeSeq = output.notice === null ? null : (botSeq ?? visitorSeq) + 1;
  const noticeId = noticeSeq === null ? null : newId('msg');
  const conversation: ConversationRow = {
    ...turn.conversation,
    intent: result.conversationIntent,
    state: JSON.stringify(result.state),
    message_count: noticeSeq ?? botSeq ?? visitorSeq,
    escalated: turn.conversation.escalated || (escalates ? 1 : 0),
    last_message_at: now,
    // Every visitor message renews the token (proof of possession of a live token: the turn was accepted with it).
    token_expires_at: addMs(now, CONVERSATION_TOKEN_TTL_MS),
    // A conversation that ended by idling reopens when the visitor writes again.
    status: 'open',
    ended_at: null,
    idle_deadline_at: addMs(now, settings.idleMinutesBeforeEnded * MINUTE_MS),
    handoff_state: handoffState,
    handoff_agent_id: escalates ? null : turn.conversation.handoff_agent_id,
    handoff_agent_name: escalates ? null : turn.conversation.handoff_agent_name,
    handoff_notice_id: noticeId ?? (escalates ? null : turn.conversation.handoff_notice_id),
    handoff_changed_at: escalates ? now : turn.conversation.handoff_changed_at,
    // The inbox counts what the visitor wrote since a person last read the conversation.
    unread_count: escalates || isSilent ? turn.conversation.unread_count + 1 : turn.conversation.unread_count,
  };

  let leadId = conversation.lead_id;
  if (result.lead?.complete && leadId === null) leadId = newId('lead');
  conversation.lead_id = leadId;

  if (isNew) {
    await trx.insertInto('conversations').values(conversation).execute();
  } else {
    // Optimistic concurrency: two turns (or a turn and an agent's action) racing on one conversation cannot both append messages.
    const updated = await trx.updateTable('conversations')
      .set({
        intent: conversation.intent, state: conversation.state, message_count: conversation.message_count, escalated: conversation.escalated,
        last_message_at: now, token_expires_at: conversation.token_expires_at, status: 'open', ended_at: null, idle_deadline_at: conversation.idle_deadline_at, lead_id: leadId,
        handoff_state: conversation.handoff_state, handoff_agent_id: conversation.handoff_agent_id, handoff_agent_name: conversation.handoff_agent_name,
        handoff_notice_id: conversation.handoff_notice_id, handoff_changed_at: conversation.handoff_changed_at, unread_count: conversation.unread_count,
      })
      .where('id', '=', conversation.id)
      .where('message_count', '=', previousCount)
      .where('handoff_state', '=', previousState)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return null;
  }

  const messageId = newId('msg');
  const visitorMessageId = newId('msg');
  const base = { customer_id: target.customer_id, conversation_id: conversation.id, created_at: now };
  await trx.insertInto('messages').values([
    {
      ...base, id: visitorMessageId, seq: visitorSeq, role: 'visitor', text: input.message, intent: result.intent, sources: null, confidence: null, author_name: null,
      client_message_id: input.clientMessageId ?? null,
    },
    ...(botSeq !== null && output.botText !== null
      ? [{
        ...base, id: messageId, seq: botSeq, role: 'assistant' as const, text: output.botText, intent: result.intent, sources: JSON.stringify(result.sources), confidence: result.confidence, author_name: null,
        answered_by: result.answeredByModel ? 'model' as const : null,
      }]
      : []),
    ...(noticeSeq !== null && noticeId !== null && output.notice !== null
      ? [{ ...base, id: noticeId, seq: noticeSeq, role: 'system' as const, text: output.notice, intent: null, sources: null, confidence: null, author_name: null }]
      : []),
  ]).execute();

  const eventBase = { customerId: target.customer_id, chatbotId: target.chatbot_id, conversationId: conversation.id };
  const chatbot = { id: target.chatbot_id, name: target.chatbot_name };
  const context = (): EventContext => ({ customer: customerOf(target), chatbot, conversation: conversationContext(conversation), visitor: visitorContext(conversation) });

  if (isNew) await appendEvent(trx, { ...eventBase, type: 'conversation.started', context: context() });

  if (result.lead && leadId !== null) {
    await saveLead(trx, {
      target, conversationId: conversation.id, now, isFlowOver: isLeadFlowOver(result.lead, result.state, handoffState),
      lead: { id: leadId, name: result.lead.fields.name, email: result.lead.fields.email, phone: result.lead.fields.phone, intent: conversation.intent },
      appendLeadEvent: (type, lead) => appendEvent(trx, { ...eventBase, type, context: { ...context(), lead } }),
    });
  }

  let escalationCreated = false;
  if (escalates && result.escalation) {
    // One escalation row per conversation: a later escalation reopens a resolved one (and is announced again);
    // one that is still open only brings the conversation back to the inbox.
    const existing = await trx.selectFrom('escalations').select(['id', 'status']).where('conversation_id', '=', conversation.id).executeTakeFirst();
    const escalation = { id: existing?.id ?? newId('esc'), reason: result.escalation.reason, lastMessage: input.message };
    if (!existing) {
      await trx.insertInto('escalations').values({
        id: escalation.id, customer_id: target.customer_id, chatbot_id: target.chatbot_id, conversation_id: conversation.id,
        reason: escalation.reason, last_message: escalation.lastMessage, status: 'open', created_at: now, updated_at: now, resolved_at: null,
      }).execute();
    } else if (existing.status === 'resolved') {
      await trx.updateTable('escalations').set({ status: 'open', reason: escalation.reason, last_message: escalation.lastMessage, updated_at: now, resolved_at: null })
        .where('id', '=', existing.id).execute();
    }
    if (!existing || existing.status === 'resolved') {
      escalationCreated = true;
      const known = result.lead?.fields ?? result.state.lead;
      await appendEvent(trx, {
        ...eventBase, type: 'escalation.created',
        context: { ...context(), escalation, lead: { id: leadId, name: known.name, email: known.email, phone: known.phone, intent: conversation.intent } },
      });
      if (output.notifyByEmail) await enqueueEscalationEmail(trx, { customerId: target.customer_id, escalationId: escalation.id });
    }
  }

  return {
    visitorMessageId, visitorSeq, createdAt: now, leadId, handoffState, escalationCreated, tokenExpiresAt: conversationTokenExpiresAt(conversation),
    bot: botSeq === null ? null : { id: messageId, seq: botSeq },
    notice: noticeSeq === null || noticeId === null ? null : { id: noticeId, seq: noticeSeq },
  };
}

type LeadContext = NonNullable<EventContext['lead']> & { id: string };

const LEAD_KEYS = ['name', 'email', 'phone', 'intent'] as const;

/**
 * Whether the lead-capture flow is over after this turn, so `lead.captured` can go out: the engine has nothing
 * left to ask and is not waiting for an answer (a second "what's your email?" deserves its reply), or a person
 * is now awaited or answering (the hand-off asked only for a way to reach the visitor, and the bot is silent).
 */
function isLeadFlowOver(lead: LeadResult, state: ConversationState, handoffState: HandoffState): boolean {
  if (handoffState === 'waiting_for_human' || handoffState === 'human') return true;
  return lead.finished && state.awaitingField === null;
}

interface LeadWrite {
  target: ChatTarget;
  conversationId: string;
  now: string;
  lead: LeadContext;
  isFlowOver: boolean;
  appendLeadEvent: (type: 'lead.captured' | 'lead.updated', lead: LeadContext) => Promise<unknown>;
}

/**
 * Stores the lead as the portal shows it and writes its event in the same transaction. `lead.captured` goes out
 * once, when the flow is over with a contact (else the idle sweep sends it); after that, any change of name,
 * email, phone or intent sends `lead.updated`. Each payload is the row as stored by this very transaction.
 * The conversation row was updated first in this transaction, so a concurrent idle sweep of the same
 * conversation has either committed (and is seen here) or waits for this turn and finds it no longer idle.
 */
async function saveLead(trx: Transaction<Database>, write: LeadWrite): Promise<void> {
  const { target, lead, now } = write;
  const stored = await trx.selectFrom('leads').select([...LEAD_KEYS, 'captured_at']).where('id', '=', lead.id).executeTakeFirst();
  const isCaptured = Boolean(stored?.captured_at);
  const captures = !isCaptured && write.isFlowOver && Boolean(lead.email || lead.phone);
  const isChanged = !stored || LEAD_KEYS.some((key) => stored[key] !== lead[key]);
  const capturedAt = captures ? now : stored?.captured_at ?? null;
  const values = { name: lead.name, email: lead.email, phone: lead.phone, intent: lead.intent, updated_at: now, captured_at: capturedAt };
  if (!stored) {
    await trx.insertInto('leads').values({ ...values, id: lead.id, customer_id: target.customer_id, chatbot_id: target.chatbot_id, conversation_id: write.conversationId, created_at: now }).execute();
  } else if (isChanged || captures) {
    await trx.updateTable('leads').set(values).where('id', '=', lead.id).execute();
  }
  if (captures) await write.appendLeadEvent('lead.captured', lead);
  else if (isCaptured && isChanged) await write.appendLeadEvent('lead.updated', lead);
}

/** When a person is next available, if the chatbot keeps business hours and is closed now. */
function findOpening(settings: StoredSettings): Opening | null {
  const hours = settings.businessHours;
  const at = nextOpening(hours, new Date());
  return at ? { at, timezone: hours.timezone, locale: settings.locale } : null;
}

/** What a visitor message sent with a `clientMessageId` keeps of its reply (`messages.client_reply`). */
interface StoredReply {
  reply: Omit<SystemChatReply, 'conversationToken'>;
  /** Only for the message that started the conversation: its request carried no token, so a repeat needs this one. */
  sealedToken?: string;
}

const sealContextOfToken = (conversationId: string): string => `messages:${conversationId}:client_reply.token`;

/**
 * The reply already given to this `clientMessageId`, or null when no turn stored it yet. Looked up in the named
 * conversation (after the same token checks as a turn), or, without one, in the conversation this chatbot's visitor
 * started with that id. The same id with another text is refused: it is a client bug, not a retry.
 */
async function findStoredReply(deps: ChatDeps, target: ChatTarget, input: SystemChatRequest): Promise<SystemChatReply | null> {
  const clientMessageId = input.clientMessageId;
  if (clientMessageId === undefined) return null;
  let conversation: ConversationRow | undefined;
  if (input.conversationId) {
    conversation = await findConversation(deps.db, target.chatbot_id, input.conversationId);
    if (!conversation || !isTokenValid(conversation, input.conversationToken)) throw new AppError('not_found', CONVERSATION_NOT_FOUND_DETAIL);
    assertTokenLive(conversation);
  } else {
    conversation = await deps.db.selectFrom('conversations').selectAll()
      .where('chatbot_id', '=', target.chatbot_id).where('visitor_id', '=', input.visitorId).where('client_message_id', '=', clientMessageId)
      .executeTakeFirst();
    if (!conversation) return null;
  }
  const stored = await deps.db.selectFrom('messages').select(['text', 'client_reply'])
    .where('conversation_id', '=', conversation.id).where('client_message_id', '=', clientMessageId).executeTakeFirst();
  if (!stored) return null;
  const { reply, sealedToken } = stored.text === input.message && stored.client_reply !== null ? JSON.parse(stored.client_reply) as StoredReply : { reply: null };
  const token = input.conversationToken ?? (sealedToken === undefined ? undefined : openSecret(deps.secretKey, sealedToken, sealContextOfToken(conversation.id)));
  if (reply === null || token === undefined) {
    throw new AppError('idempotency_key_reused', 'This clientMessageId was already used for a different message: give each new message a new id.');
  }
  // The token's expiry as it is now (later messages may have moved it on since the stored reply).
  return { ...reply, conversationToken: token, conversationTokenExpiresAt: toWireTime(conversationTokenExpiresAt(conversation)) };
}

/**
 * One visitor message in, one bot reply out: the engine decides the answer, intent, lead fields and
 * escalation; the messages, lead, escalation and their outbox events are written in one transaction.
 * With a `clientMessageId`, a repeat of an answered message answers the stored reply: no second turn, no second event.
 */
export async function runChatTurn(
  deps: ChatDeps, target: ChatTarget, input: SystemChatRequest, options: { onDelta?: (text: string) => void } = {},
): Promise<SystemChatReply> {
  assertChatAllowed(target);
  const settings = readCachedSettings(target);
  /** The model's reading of this message: asked once, kept for a retried attempt (undefined: not asked yet). */
  let understanding: TurnUnderstanding | null | undefined;
  for (let attempt = 1; attempt <= MAX_TURN_ATTEMPTS; attempt += 1) {
    const stored = await findStoredReply(deps, target, input);
    if (stored) return stored;
    let turn = await prepareTurn(deps, target, settings, input, understanding ?? undefined);
    if (understanding === undefined && isUnderstandingMode(settings) && !isBotSilent(turn.conversation.handoff_state) && isWorthAModel(turn.result)) {
      const earlier = turn.isNew ? [] : await listMessages(deps.db, turn.conversation.id, Math.max(0, turn.conversation.message_count - PHRASE_HISTORY_MESSAGES));
      const index = await deps.indexCache.get(target.chatbot_id, target.knowledge_version);
      const outcome = await consultModel(deps, { target, settings, message: input.message, history: earlier.map((m) => ({ role: m.role, text: m.text })), index });
      understanding = 'understanding' in outcome ? outcome.understanding : null;
      if (understanding) turn = await prepareTurn(deps, target, settings, input, understanding);
    }
    const { result, conversation: before } = turn;
    const opening = findOpening(settings);
    const isSilent = isBotSilent(before.handoff_state);
    let text = result.text;
    let notice: string | null = null;
    let currentNotice: { id: string; text: string; created_at: string } | undefined;
    // Outside business hours the bot keeps asking for a way to reach the visitor until it has one (lead capture).
    const hasContact = Boolean(result.state.lead.email || result.state.lead.phone);
    const asksForContact = isSilent && before.handoff_state === 'waiting_for_human' && opening !== null && !hasContact;
    if (isSilent) {
      if (before.handoff_notice_id) {
        currentNotice = await deps.db.selectFrom('messages').select(['id', 'text', 'created_at'])
          .where('conversation_id', '=', before.id).where('id', '=', before.handoff_notice_id).executeTakeFirst();
      }
      const wanted = before.handoff_state === 'waiting_for_human'
        ? describeWaitingNotice(target.chatbot_name, opening, hasContact)
        : currentNotice?.text ?? `${before.handoff_agent_name ?? 'A team member'} will reply here.`;
      notice = wanted === currentNotice?.text ? null : wanted;
    } else {
      if (deps.phrase && settings.llm && !isUnderstandingMode(settings) && isPhrasable(result) && attempt === 1) {
        const earlier = turn.isNew ? [] : await listMessages(deps.db, before.id, Math.max(0, before.message_count - PHRASE_HISTORY_MESSAGES));
        const history = earlier.map((m) => ({ role: m.role, text: m.text }));
        text = (await deps.phrase({ target, settings, question: input.message, result, history, onDelta: options.onDelta })) ?? text;
      }
      if (result.escalation && opening) text = withClosedLine(text, target.chatbot_name, opening);
    }
    const output: TurnOutput = { botText: isSilent ? null : text, notice, notifyByEmail: deps.notifyByEmail ?? false };
    const describe = (saved: SavedTurn) => {
      const createdAt = toWireTime(saved.createdAt);
      const visitorMessage = { id: saved.visitorMessageId, role: 'visitor' as const, text: input.message, createdAt };
      const botMessage = saved.bot ? { id: saved.bot.id, role: 'assistant' as const, text, createdAt } : null;
      const noticeMessage = saved.notice && notice !== null ? { id: saved.notice.id, role: 'system' as const, text: notice, createdAt } : null;
      // While the bot is silent, the reply's message is the system notice (the same one again when unchanged).
      const message = botMessage ?? noticeMessage
        ?? (currentNotice ? { id: currentNotice.id, role: 'system' as const, text: currentNotice.text, createdAt: toWireTime(currentNotice.created_at) } : visitorMessage);
      const handoff = toHandoffInfo(saved.handoffState, before.handoff_agent_name, saved.handoffState === 'waiting_for_human' ? opening : null);
      const lead = asksForContact
        ? { captured: saved.leadId !== null, missing: (['phone', 'email'] as const).filter((f) => !result.state.declinedFields.includes(f)) as string[] }
        : !isSilent && result.lead ? { captured: saved.leadId !== null, missing: result.lead.missing } : undefined;
      const reply: SystemChatReply = {
        conversationId: before.id,
        conversationToken: turn.token,
        conversationTokenExpiresAt: toWireTime(saved.tokenExpiresAt),
        message,
        intent: result.conversationIntent,
        ...(lead ? { lead } : {}),
        escalated: Boolean(before.escalated) || result.escalation !== null,
        ...(!isSilent && result.quickReplies.length > 0 ? { quickReplies: result.quickReplies } : {}),
        sources: isSilent ? [] : result.sources,
        ...(handoff ? { handoff } : {}),
      };
      return { saved, reply, visitorMessage, botMessage, noticeMessage };
    };
    let turnDone: ReturnType<typeof describe> | null;
    try {
      turnDone = await deps.db.transaction().execute(async (trx) => {
        const saved = await persistTurn(trx, target, settings, turn, input, output);
        if (!saved) return null;
        const described = describe(saved);
        if (input.clientMessageId !== undefined) {
          const { conversationToken, ...reply } = described.reply;
          const stored: StoredReply = { reply, ...(turn.isNew ? { sealedToken: sealSecret(deps.secretKey, conversationToken, sealContextOfToken(before.id)) } : {}) };
          await trx.updateTable('messages').set({ client_reply: JSON.stringify(stored) }).where('id', '=', saved.visitorMessageId).execute();
        }
        return described;
      });
    } catch (error) {
      // Two requests with one clientMessageId raced and the other one won (unique index): the next attempt answers its reply.
      if (input.clientMessageId !== undefined && isUniqueViolation(error)) continue;
      throw error;
    }
    if (!turnDone) continue;
    const { saved, reply, visitorMessage, botMessage, noticeMessage } = turnDone;
    const conversationId = before.id;
    // After commit, so a stream never shows a message that was rolled back.
    void deps.liveBus?.publish({ conversationId, seq: saved.visitorSeq, message: visitorMessage });
    if (botMessage && saved.bot) void deps.liveBus?.publish({ conversationId, seq: saved.bot.seq, message: botMessage });
    if (noticeMessage && saved.notice) void deps.liveBus?.publish({ conversationId, seq: saved.notice.seq, message: noticeMessage });
    if (before.escalated || saved.handoffState !== 'bot') {
      void deps.liveBus?.publishInbox({ customerId: target.customer_id, conversationId, kind: saved.escalationCreated || saved.handoffState !== before.handoff_state ? 'updated' : 'message', message: visitorMessage });
    }
    return reply;
  }
  const stored = await findStoredReply(deps, target, input);
  if (stored) return stored;
  throw new AppError('conflict', 'Another message in this conversation is being answered; send yours again.');
}
