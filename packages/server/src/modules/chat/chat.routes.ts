import type { CreateRateLimitOptions } from '@fastify/rate-limit';
import {
  ChatMessage, RateReply, RateRequest, SystemChatReply, SystemChatRequest, WidgetConfig, type SystemChatRequest as ChatRequest,
} from '@fc/contracts';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SECURITY, withExamples } from '../../http/openapi.js';
import type { App, RouteDeps } from '../../http/types.js';
import { mapErrorToProblem } from '../../http/problem.js';
import { AppError } from '../../lib/errors.js';
import { isCustomerActive } from '../accounts/accounts.service.js';
import { readCachedSettings } from '../chatbots/chatbots.service.js';
import { rateMessage } from '../training/training.service.js';
import { getSatisfactionStatus } from '../satisfaction/satisfaction.service.js';
import { findChatTarget, findConversationById, listMessages, toWireMessage, type ChatTarget, type ConversationRow } from './chat.repository.js';
import { assertChatAllowed, assertTokenLive, isTokenValid, runChatTurn, type ChatDeps } from './chat.service.js';
import { createRateLimits } from '../../http/rate-limits.js';

const RATE_WINDOW = '1 minute';
const DEFAULT_PER_IP_PER_MINUTE = 60;
const DEFAULT_PER_VISITOR_PER_MINUTE = 20;
const CHAT_BODY_LIMIT_BYTES = 16 * 1024;
const STREAM_CHUNK_WORDS = 3;
const PREFLIGHT_MAX_AGE_S = 600;

const ConversationParams = Type.Object({ id: Type.String({ pattern: '^conv_[A-Za-z0-9_-]{8,40}$' }) });
const ChatbotParams = Type.Object({ id: Type.String({ pattern: '^bot_[A-Za-z0-9_-]{8,40}$' }) });
const EXAMPLE_TOKEN = 'q3LbW0n9cS1h2Vt7yXe4Rk8uPz6Ma5Dj';
const ChatRequestDoc = withExamples(SystemChatRequest, [
  { chatbotId: 'bot_a1b2c3d4e5f6', visitorId: 'v_7f3c9e21', message: 'Do you deliver wedding cakes on Sundays?', context: { pageUrl: 'https://crumbandco.example/cakes', locale: 'en-US' } },
  { chatbotId: 'bot_a1b2c3d4e5f6', visitorId: 'v_7f3c9e21', conversationId: 'conv_9d8c7b6a5f4e', conversationToken: EXAMPLE_TOKEN, message: 'Great, I am Ana, ana@example.com', clientMessageId: 'm-2' },
]);
const ChatReplyDoc = withExamples(SystemChatReply, [{
  conversationId: 'conv_9d8c7b6a5f4e', conversationToken: EXAMPLE_TOKEN, conversationTokenExpiresAt: '2026-06-02T14:22:08Z',
  message: { id: 'msg_4f5e6d7c8b9a', role: 'assistant', text: 'Yes, we deliver on Sundays between 9 am and 1 pm. Shall I ask a baker to call you?', createdAt: '2026-05-03T14:22:08Z' },
  intent: 'request_quote', lead: { captured: false, missing: ['name', 'email'] }, escalated: false, quickReplies: ['Yes, call me', 'No thanks'],
  sources: [{ id: 'kb_1a2b3c4d5e6f', title: 'Do you deliver on Sundays?' }],
}]);

declare module 'fastify' {
  interface FastifyRequest {
    chatTarget?: Promise<ChatTarget | undefined>;
  }
}

/** Loads the chatbot a public request names, once per request (rate limits and the handler share it). */
function loadTarget(deps: ChatDeps, request: FastifyRequest, chatbotId: string): Promise<ChatTarget | undefined> {
  request.chatTarget ??= findChatTarget(deps.db, chatbotId);
  return request.chatTarget;
}

/**
 * Per-chatbot CORS. A preflight cannot say which chatbot it is for (the id is in the body), so preflights
 * are answered for any origin, and the real request is refused unless its Origin is one of the chatbot's
 * `allowedOrigins` (an empty list allows every site, so a new bot works before it is configured).
 */
function isOriginAllowed(origin: string | undefined, allowed: string[]): boolean {
  if (!origin || allowed.length === 0) return true;
  return allowed.some((pattern) => {
    if (!pattern.includes('*.')) return pattern === origin;
    const [scheme, host] = pattern.split('://*.') as [string, string];
    return origin.startsWith(`${scheme}://`) && origin.endsWith(`.${host}`);
  });
}

/** Refuses a browser request whose Origin is not one of the chatbot's allowed sites. */
export function assertOrigin(request: FastifyRequest, target: ChatTarget): void {
  const origin = request.headers.origin;
  if (!isOriginAllowed(origin, readCachedSettings(target).allowedOrigins)) {
    throw new AppError('forbidden', `This chatbot is not enabled for ${origin}. Add the site in the chatbot's allowed domains.`);
  }
}

/** The conversation token from the `X-FC-Conversation-Token` header or the `token` query parameter. */
export function readConversationToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-fc-conversation-token'];
  if (typeof header === 'string') return header;
  const query = request.query as { token?: string } | undefined;
  return query?.token;
}

/**
 * Loads the conversation a public conversation route names and applies what `system-chat` applies to it: the
 * token (404 for a wrong one, like an unknown id, so nobody can probe for ids; 401 `conversation_expired` for a right
 * one past its expiry), then the chatbot's allowed
 * origins (403) and its account's standing (402) — so `/rate`, `/messages` and `/events` stop where chat stops.
 */
export async function loadVisitorConversation(
  db: ChatDeps['db'], request: FastifyRequest, conversationId: string, token: string | undefined,
): Promise<{ conversation: ConversationRow; target: ChatTarget }> {
  const conversation = await findConversationById(db, conversationId);
  if (!conversation || !isTokenValid(conversation, token)) {
    throw new AppError('not_found', 'Conversation not found, or the conversation token does not match.');
  }
  assertTokenLive(conversation);
  const target = await findChatTarget(db, conversation.chatbot_id);
  if (!target) throw new AppError('not_found', 'Conversation not found, or the conversation token does not match.');
  assertOrigin(request, target);
  assertChatAllowed(target);
  return { conversation, target };
}

function writeSse(reply: FastifyReply, event: string, data: unknown): void {
  reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** The public endpoints the widget calls (contract section 3). */
export function registerChatRoutes(app: App, { database }: RouteDeps, deps: ChatDeps): void {
  const { db } = database;

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/public/')) return;
    const origin = request.headers.origin;
    void reply.header('cross-origin-resource-policy', 'cross-origin');
    if (origin) {
      void reply.header('access-control-allow-origin', origin);
      void reply.header('vary', 'Origin');
      void reply.header('access-control-expose-headers', 'Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id');
    }
    if (request.method === 'OPTIONS') {
      void reply.header('access-control-allow-methods', 'GET, POST');
      void reply.header('access-control-allow-headers', 'Content-Type, Accept, X-FC-Conversation-Token');
      void reply.header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
      return reply.status(204).send();
    }
    // Public answers carry conversation tokens and visitors' messages: no browser or proxy may keep them.
    // The widget's look (`/chatbots/:id/widget`) holds nothing personal and sets its own public caching.
    void reply.header('cache-control', 'no-store');
    return undefined;
  });
  // Preflights are answered by the hook above; these routes exist so the router does not 404 them first.
  app.options('/api/public/*', async (_request, reply) => reply.status(204).send());

  const chatbotIdOf = (request: FastifyRequest): string => (request.body as ChatRequest).chatbotId;
  const perIp: CreateRateLimitOptions = {
    timeWindow: RATE_WINDOW,
    keyGenerator: (request) => `ip:${chatbotIdOf(request)}:${request.ip}`,
    max: async (request) => {
      const target = await loadTarget(deps, request, chatbotIdOf(request));
      return target ? readCachedSettings(target).rateLimit.perIpPerMinute : DEFAULT_PER_IP_PER_MINUTE;
    },
  };
  const perVisitor: CreateRateLimitOptions = {
    timeWindow: RATE_WINDOW,
    keyGenerator: (request) => `visitor:${chatbotIdOf(request)}:${(request.body as ChatRequest).visitorId}`,
    max: async (request) => {
      const target = await loadTarget(deps, request, chatbotIdOf(request));
      return target ? readCachedSettings(target).rateLimit.perVisitorPerMinute : DEFAULT_PER_VISITOR_PER_MINUTE;
    },
  };
  // Both count on their own: a visitor id is the client's to choose, so the per-address limit is what holds.
  const chatLimits = createRateLimits(app, [perVisitor, perIp]);

  app.post('/api/public/system-chat', {
    bodyLimit: CHAT_BODY_LIMIT_BYTES,
    preHandler: chatLimits,
    schema: {
      summary: 'Send a visitor message and get the bot’s answer',
      description: [
        'The chat endpoint the widget calls. Without `conversationId` a new conversation starts; continuing one needs the `conversationToken` its first reply gave.',
        'Rate-limited per visitor and per address (429 with `Retry-After` and `RateLimit-*` headers); refused (403) from sites outside the chatbot’s allowed websites; 402 once the account’s trial has ended.',
        'With `Accept: text/event-stream` the reply streams as Server-Sent Events: `delta` events carry text as it is produced, `done` the same JSON as this answer, `error` a problem.',
        'A repeat with the same `clientMessageId` answers the stored reply instead of a second turn.',
      ].join('\n\n'),
      tags: ['Public'],
      security: SECURITY.none,
      body: ChatRequestDoc,
      response: { 200: ChatReplyDoc },
    },
  }, async (request, reply) => {
    const target = await loadTarget(deps, request, request.body.chatbotId);
    if (!target) throw new AppError('not_found', 'Chatbot not found.');
    assertOrigin(request, target);
    const wantsStream = (request.headers.accept ?? '').includes('text/event-stream');
    if (!wantsStream) return runChatTurn(deps, target, request.body);

    // Server-Sent Events: `delta` events carry the reply as it is produced, `done` the stored reply.
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive',
      'x-accel-buffering': 'no', ...(reply.getHeaders() as Record<string, string>),
    });
    let streamed = false;
    try {
      const result = await runChatTurn(deps, target, request.body, { onDelta: (text) => { streamed = true; writeSse(reply, 'delta', { text }); } });
      // A silent turn (a person owns the conversation) has no bot text to stream: only `done` carries its notice.
      if (!streamed && result.message.role === 'assistant') {
        const words = result.message.text.split(/(?<=\s)/);
        for (let i = 0; i < words.length; i += STREAM_CHUNK_WORDS) writeSse(reply, 'delta', { text: words.slice(i, i + STREAM_CHUNK_WORDS).join('') });
      }
      writeSse(reply, 'done', result);
    } catch (error) {
      writeSse(reply, 'error', mapErrorToProblem(error, request));
    }
    reply.raw.end();
    return reply;
  });

  app.post('/api/public/conversations/:id/rate', {
    bodyLimit: CHAT_BODY_LIMIT_BYTES,
    config: { rateLimit: { max: DEFAULT_PER_IP_PER_MINUTE, timeWindow: RATE_WINDOW } },
    schema: {
      summary: 'Rate a bot answer (thumbs up or down)',
      description: 'Only bot messages of this conversation can be rated; rating again replaces the earlier rating. The conversation token goes in the body.',
      tags: ['Public'],
      security: SECURITY.none,
      params: ConversationParams,
      body: withExamples(RateRequest, [{ messageId: 'msg_4f5e6d7c8b9a', rating: 'down', comment: 'I asked about gluten-free.', conversationToken: EXAMPLE_TOKEN }]),
      response: { 200: RateReply },
    },
  }, async (request) => {
    await loadVisitorConversation(db, request, request.params.id, request.body.conversationToken);
    return rateMessage(db, request.params.id, request.body);
  });

  app.get('/api/public/chatbots/:id/widget', {
    config: { rateLimit: { max: DEFAULT_PER_IP_PER_MINUTE * 2, timeWindow: RATE_WINDOW } },
    schema: {
      summary: 'A chatbot’s public look and greeting',
      description: 'What the widget needs to draw itself; nothing secret. Cached for a minute.',
      tags: ['Public'],
      security: SECURITY.none,
      params: ChatbotParams,
      response: { 200: WidgetConfig },
    },
  }, async (request, reply) => {
    const target = await loadTarget(deps, request, request.params.id);
    if (!target) throw new AppError('not_found', 'Chatbot not found.');
    assertOrigin(request, target);
    const settings = readCachedSettings(target);
    void reply.header('cache-control', 'public, max-age=60');
    return {
      chatbotId: target.chatbot_id, name: target.chatbot_name, greeting: settings.greeting, title: settings.appearance.title,
      color: settings.appearance.color, position: settings.appearance.position, avatarUrl: settings.appearance.avatarUrl,
      quickReplies: settings.quickReplies, active: isCustomerActive({ status: target.customer_status, trial_ends_at: target.trial_ends_at }),
      locale: settings.locale, widgetLanguage: settings.widgetLanguage,
    };
  });

  app.get('/api/public/conversations/:id/messages', {
    config: { rateLimit: { max: DEFAULT_PER_IP_PER_MINUTE * 2, timeWindow: RATE_WINDOW } },
    schema: {
      summary: 'Read a conversation’s messages',
      description: 'The visitor’s own conversation, with its token; `after` returns only the messages after that one.',
      tags: ['Public'],
      security: SECURITY.conversationToken,
      params: ConversationParams,
      querystring: Type.Object({ after: Type.Optional(Type.String({ pattern: '^msg_[A-Za-z0-9_-]{8,40}$' })), token: Type.Optional(Type.String({ maxLength: 128 })) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          items: Type.Array(ChatMessage), nextCursor: Type.Null(),
          /** Whether the visitor may rate the conversation now (a person resolved it, not rated yet), and their last score. */
          satisfaction: Type.Object({ canRate: Type.Boolean(), score: Type.Union([Type.Integer(), Type.Null()]) }),
        }),
      },
    },
  }, async (request) => {
    const { conversation } = await loadVisitorConversation(db, request, request.params.id, readConversationToken(request));
    let afterSeq = 0;
    if (request.query.after) {
      const after = await db.selectFrom('messages').select('seq').where('conversation_id', '=', conversation.id).where('id', '=', request.query.after).executeTakeFirst();
      if (!after) throw new AppError('not_found', 'No such message in this conversation.');
      afterSeq = after.seq;
    }
    const [rows, satisfaction] = await Promise.all([listMessages(db, conversation.id, afterSeq), getSatisfactionStatus(db, conversation)]);
    return { items: rows.map(toWireMessage), nextCursor: null, satisfaction };
  });
}
