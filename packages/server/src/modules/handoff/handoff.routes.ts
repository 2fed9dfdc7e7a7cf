import { ChatMessage, HandoffState } from '@fc/contracts';
import { Type, type TSchema } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import { createEventStreamRegistry } from '../../http/event-stream.js';
import { eventStreamResponse } from '../../http/openapi.js';
import type { App } from '../../http/types.js';
import { DEFAULT_PAGE_SIZE, PageQuery } from '../../lib/pagination.js';
import type { InboxEvent } from '../live/live-bus.js';
import { trackInboxPresence } from '../team/presence.js';
import {
  claimConversation, getInboxConversation, handBackToBot, listInbox, markRead, replyToConversation, resolveAgent, resolveConversation, type HandoffDeps,
} from './handoff.service.js';

/** Every open portal tab holds one; more than this for one account is a leak or abuse. */
const MAX_INBOX_STREAMS_PER_CUSTOMER = 50;
const MAX_REPLY_CHARS = 4_000;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const InboxItem = Type.Object({
  id: Type.String(), chatbotId: Type.String(), chatbotName: Type.String(), state: HandoffState, agentId: Nullable(Type.String()),
  agentName: Nullable(Type.String()), isMine: Type.Boolean(), unreadCount: Type.Integer(), lastMessageAt: Type.String(),
  lastMessage: Nullable(Type.String()), messageCount: Type.Integer(),
  escalation: Nullable(Type.Object({ id: Type.String(), reason: Type.String(), status: Type.String(), createdAt: Type.String() })),
  visitor: Type.Object({ name: Nullable(Type.String()), email: Nullable(Type.String()), phone: Nullable(Type.String()) }),
  satisfaction: Nullable(Type.Object({ score: Type.Integer(), comment: Nullable(Type.String()), agentName: Nullable(Type.String()), ratedAt: Type.String() })),
});
const ActionReply = Type.Object({ message: Nullable(ChatMessage) });
/** Conversation ids only: anything else (e.g. a NUL byte PostgreSQL would refuse) is a 400 before any query. */
const IdParams = Type.Object({ id: Type.String({ pattern: '^conv_[A-Za-z0-9_-]{8,40}$' }) });

/**
 * The live inbox (issue 9): escalated conversations, taking one over, replying, handing back to the bot,
 * resolving, marking read, and `GET /api/portal/inbox/events` — Server-Sent Events of the account's inbox,
 * fed by the live bus, so an agent on one API process sees a visitor who writes through another.
 */
export function registerHandoffRoutes(app: App, deps: HandoffDeps): void {
  const { db } = deps;
  const streams = createEventStreamRegistry(app, MAX_INBOX_STREAMS_PER_CUSTOMER, 'Too many inbox tabs are open for this account; close some and reload.');

  app.get('/api/portal/inbox', {
    schema: {
      summary: 'The inbox: conversations a person is asked for or handles', tags: ['Inbox'],
      querystring: Type.Object({ ...PageQuery, state: Type.Optional(HandoffState), chatbotId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(InboxItem), nextCursor: Nullable(Type.String()) }) },
    },
  }, async (request) => {
    const auth = requireAuth(request);
    return listInbox(db, auth.customerId, await resolveAgent(db, auth), { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
  });

  app.get('/api/portal/inbox/events', {
    schema: {
      summary: 'Follow the inbox live (Server-Sent Events)',
      description: 'First `event: ready` (the subscription is live: refetch the inbox once), then `event: inbox` whenever a conversation of this account changes.',
      tags: ['Inbox'],
      response: { 200: eventStreamResponse('`event: ready`, then `event: inbox` with `{ type, conversationId, … }` as JSON `data`.') },
    },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    const customerId = auth.customerId;
    streams.assertRoom(customerId);
    let send: (event: InboxEvent) => void = () => undefined;
    let end: () => void = () => undefined;
    const unsubscribe = await deps.liveBus.subscribeInbox(customerId, (event) => send(event));
    // A signed-in person with the inbox open is "online in the inbox" for colleagues (modules/team/presence.ts).
    const presence = auth.userId
      ? await trackInboxPresence({ db, liveBus: deps.liveBus, log: request.log }, { customerId, userId: auth.userId, sessionId: auth.sessionId }, () => end())
      : null;
    // `ready` tells the page the subscription is live, so it can refetch once and miss nothing from then on.
    const stream = streams.open(request, reply, customerId, 'event: ready\ndata: {}\n\n', () => {
      unsubscribe();
      presence?.stop();
    });
    end = () => stream.end();
    send = (event) => {
      const { customerId: _customer, removedUserId, ...data } = event;
      // A member removed from the team stops receiving the account's conversations at once.
      if (removedUserId !== undefined && removedUserId === auth.userId) return stream.end();
      stream.write(`event: inbox\ndata: ${JSON.stringify(data)}\n\n`);
    };
    return reply;
  });

  app.get('/api/portal/inbox/:id', {
    schema: { summary: 'One inbox conversation with its messages', tags: ['Inbox'], params: IdParams, response: { 200: Type.Composite([InboxItem, Type.Object({ messages: Type.Array(ChatMessage) })]) } },
  }, async (request) => {
    const auth = requireAuth(request);
    return getInboxConversation(db, auth.customerId, await resolveAgent(db, auth), request.params.id);
  });

  app.post('/api/portal/inbox/:id/claim', {
    schema: { summary: 'Take a conversation over', description: 'The bot stops answering; the visitor is told a person has joined (`message`).', tags: ['Inbox'], params: IdParams, response: { 200: ActionReply } },
  }, async (request) => {
    const auth = requireAuth(request);
    return { message: await claimConversation(deps, auth.customerId, await resolveAgent(db, auth), request.params.id) };
  });

  app.post('/api/portal/inbox/:id/reply', {
    schema: {
      summary: 'Reply to the visitor', description: 'Takes the conversation over first if nobody has.', tags: ['Inbox'],
      params: IdParams,
      body: Type.Object({ text: Type.String({ minLength: 1, maxLength: MAX_REPLY_CHARS, pattern: '\\S' }) }, { additionalProperties: false }),
      response: { 201: ActionReply },
    },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    const message = await replyToConversation(deps, auth.customerId, await resolveAgent(db, auth), request.params.id, request.body.text.trim());
    return reply.status(201).send({ message });
  });

  app.post('/api/portal/inbox/:id/hand-back', { schema: { summary: 'Hand the conversation back to the bot', tags: ['Inbox'], params: IdParams, response: { 200: ActionReply } } }, async (request) => {
    const auth = requireAuth(request);
    return { message: await handBackToBot(deps, auth.customerId, await resolveAgent(db, auth), request.params.id) };
  });

  app.post('/api/portal/inbox/:id/resolve', {
    schema: { summary: 'Resolve the conversation', description: 'Resolves its escalation too (`escalation.resolved`).', tags: ['Inbox'], params: IdParams, response: { 200: ActionReply } },
  }, async (request) => {
    const auth = requireAuth(request);
    return { message: await resolveConversation(deps, auth.customerId, await resolveAgent(db, auth), request.params.id) };
  });

  app.post('/api/portal/inbox/:id/read', { schema: { summary: 'Mark the conversation read', tags: ['Inbox'], params: IdParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireAuth(request);
    await markRead(deps, auth.customerId, request.params.id);
    return reply.status(204).send(null);
  });
}
