import { MAX_MESSAGE_CHARS } from '@fc/contracts';
import { Type } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import type { App } from '../../http/types.js';
import { IdParams } from '../accounts/accounts.schemas.js';
import type { ChatDeps } from '../chat/chat.service.js';
import { previewAnswer } from './chat-preview.service.js';

const PreviewReply = Type.Object({
  context: Type.Union([Type.Literal('new'), Type.Literal('conversation')]),
  answer: Type.String(),
  answered: Type.Boolean(),
  confidence: Type.Number(),
  intent: Type.Union([Type.String(), Type.Null()]),
  sources: Type.Array(Type.Object({ id: Type.String(), title: Type.String() })),
  escalation: Type.Union([Type.Object({ reason: Type.String() }), Type.Null()]),
  /** What the chatbot's language model made of the question (understanding mode), or null. */
  model: Type.Union([
    Type.Object({
      status: Type.Union([Type.Literal('answered'), Type.Literal('declined'), Type.Literal('failed'), Type.Literal('skipped')]),
      reason: Type.Union([Type.String(), Type.Null()]),
      passages: Type.Array(Type.Object({ id: Type.String(), entryId: Type.String(), title: Type.String(), used: Type.Boolean() })),
      elapsedMs: Type.Union([Type.Number(), Type.Null()]),
    }),
    Type.Null(),
  ]),
});

/** POST /api/portal/chatbots/:id/test-question: the bot's answer to one question (as a new conversation's first, or at a recorded turn), recorded nowhere. */
export function registerChatPreviewRoutes(app: App, deps: ChatDeps): void {
  app.post('/api/portal/chatbots/:id/test-question', {
    schema: {
      params: IdParams,
      body: Type.Object({
        question: Type.String({ minLength: 1, maxLength: MAX_MESSAGE_CHARS }),
        // Both or neither: ask at that bot answer's turn of a recorded conversation, with what was said before it.
        conversationId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        messageId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      }, { additionalProperties: false, dependencies: { conversationId: ['messageId'], messageId: ['conversationId'] } }),
      response: { 200: PreviewReply },
    },
  }, async (request) => {
    const auth = requireAuth(request);
    const { question, conversationId, messageId } = request.body;
    return previewAnswer(deps, auth.customerId, request.params.id, question, conversationId && messageId ? { conversationId, messageId } : undefined);
  });
}
