import { SatisfactionReply, SatisfactionRequest } from '@fc/contracts';
import { Type } from '@sinclair/typebox';
import { SECURITY } from '../../http/openapi.js';
import type { App } from '../../http/types.js';
import { loadVisitorConversation } from '../chat/chat.routes.js';
import { rateConversation, type SatisfactionDeps } from './satisfaction.service.js';

const RATE_WINDOW = '1 minute';
const RATINGS_PER_IP_PER_MINUTE = 30;
const BODY_LIMIT_BYTES = 8 * 1024;

/**
 * POST /api/public/conversations/:id/satisfaction — the visitor rates the help a person gave (1–5, optional
 * comment) once the person resolved the conversation. Like `/rate`: the conversation token in the body, the
 * chatbot's allowed origins and the account's standing apply (loadVisitorConversation); CORS and `no-store` come
 * from the public routes' hook in chat.routes.ts.
 */
export function registerSatisfactionRoutes(app: App, deps: SatisfactionDeps): void {
  app.post('/api/public/conversations/:id/satisfaction', {
    bodyLimit: BODY_LIMIT_BYTES,
    config: { rateLimit: { max: RATINGS_PER_IP_PER_MINUTE, timeWindow: RATE_WINDOW } },
    schema: {
      summary: 'Rate the help of the person who resolved this conversation (1–5)',
      description: 'Only after a person resolved the conversation (409 `not_resolved` before), once per resolution: the same rating again answers the stored one, a different one 409 `already_rated`. Sends `conversation.rated`. The conversation token goes in the body.',
      tags: ['Public'],
      security: SECURITY.none,
      params: Type.Object({ id: Type.String({ pattern: '^conv_[A-Za-z0-9_-]{8,40}$' }) }),
      body: SatisfactionRequest,
      response: { 200: SatisfactionReply },
    },
  }, async (request) => {
    const { conversation } = await loadVisitorConversation(deps.db, request, request.params.id, request.body.conversationToken);
    return rateConversation(deps, conversation, request.body);
  });
}
