import { Type } from '@sinclair/typebox';
import { createEventStreamRegistry } from '../../http/event-stream.js';
import { SECURITY, eventStreamResponse } from '../../http/openapi.js';
import type { App, RouteDeps } from '../../http/types.js';
import { AppError } from '../../lib/errors.js';
import { listMessages, toWireMessage, type MessageRow } from '../chat/chat.repository.js';
import { loadVisitorConversation, readConversationToken } from '../chat/chat.routes.js';
import type { LiveBus, LiveMessage } from './live-bus.js';

/** A visitor with many tabs is fine; thousands of streams on one conversation is abuse. */
const MAX_STREAMS_PER_CONVERSATION = 10;
const OPENS_PER_IP_PER_MINUTE = 60;
const MESSAGE_ID_PATTERN = '^msg_[A-Za-z0-9_-]{8,40}$';

/** Maps a stored message row to what the live stream sends. */
export function toLiveMessage(row: Pick<MessageRow, 'conversation_id' | 'seq' | 'id' | 'role' | 'text' | 'created_at' | 'author_name'> & { kind?: MessageRow['kind'] }): LiveMessage {
  return { conversationId: row.conversation_id, seq: row.seq, message: toWireMessage(row) };
}

/**
 * GET /api/public/conversations/:id/events (contract section 3): Server-Sent Events of the conversation's new
 * messages — an agent's reply, or the bot's answers in another tab. Each event is `event: message`, `id:
 * <msg id>`, `data: <ChatMessage>`. `?after=<msg id>` (or Last-Event-ID) first replays what came after that
 * message, so a reconnecting client misses nothing; the subscription starts before the replay query, so a
 * message committed in between is sent exactly once.
 */
export function registerLiveRoutes(app: App, { database }: RouteDeps, bus: LiveBus): void {
  const { db } = database;
  const streams = createEventStreamRegistry(app, MAX_STREAMS_PER_CONVERSATION, 'Too many live streams are open for this conversation; close another tab and retry.');

  app.get('/api/public/conversations/:id/events', {
    config: { rateLimit: { max: OPENS_PER_IP_PER_MINUTE, timeWindow: '1 minute' } },
    schema: {
      summary: 'Follow a conversation live (Server-Sent Events)',
      description: 'Each new message (an agent’s reply, the bot’s answer in another tab) is an `event: message` with `id: <msg id>` and the message as `data`. `after` (or `Last-Event-ID`) first replays what came after that message.',
      tags: ['Public'],
      security: SECURITY.conversationToken,
      params: Type.Object({ id: Type.String({ pattern: '^conv_[A-Za-z0-9_-]{8,40}$' }) }),
      querystring: Type.Object({ after: Type.Optional(Type.String({ pattern: MESSAGE_ID_PATTERN })), token: Type.Optional(Type.String({ maxLength: 128 })) }, { additionalProperties: false }),
      response: { 200: eventStreamResponse('`event: message` per new message; `data` is a ChatMessage as JSON.') },
    },
  }, async (request, reply) => {
    const conversationId = request.params.id;
    await loadVisitorConversation(db, request, conversationId, readConversationToken(request));

    const lastEventId = request.headers['last-event-id'];
    const afterId = request.query.after ?? (typeof lastEventId === 'string' && new RegExp(MESSAGE_ID_PATTERN).test(lastEventId) ? lastEventId : undefined);
    let afterSeq: number;
    if (afterId) {
      const after = await db.selectFrom('messages').select('seq').where('conversation_id', '=', conversationId).where('id', '=', afterId).executeTakeFirst();
      if (!after) throw new AppError('not_found', 'No such message in this conversation.');
      afterSeq = after.seq;
    } else {
      const latest = await db.selectFrom('messages').select('seq').where('conversation_id', '=', conversationId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      afterSeq = latest?.seq ?? 0;
    }
    streams.assertRoom(conversationId);

    // Subscribe (holding events) and read the replay before answering: the client sees the response headers
    // only once nothing can slip past it, and a failure here is still an ordinary problem response.
    let held: LiveMessage[] | null = [];
    let send: (event: LiveMessage) => void = () => undefined;
    const unsubscribe = await bus.subscribe(conversationId, (event) => (held ? held.push(event) : send(event)));
    let replay: MessageRow[];
    try {
      replay = await listMessages(db, conversationId, afterSeq);
    } catch (error) {
      unsubscribe();
      throw error;
    }

    const stream = streams.open(request, reply, conversationId, '', unsubscribe);

    const sentSeqs = new Set<number>();
    send = (event) => {
      if (event.seq <= afterSeq || sentSeqs.has(event.seq)) return;
      sentSeqs.add(event.seq);
      stream.write(`id: ${event.message.id}\nevent: message\ndata: ${JSON.stringify(event.message)}\n\n`);
    };
    for (const row of replay) send(toLiveMessage(row));
    const buffered = held.sort((a, b) => a.seq - b.seq);
    held = null;
    buffered.forEach(send);
  });
}
