import { Type } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import { IdempotencyHeaders, sendIdempotent } from '../../http/idempotency.js';
import { withExamples } from '../../http/openapi.js';
import type { App, RouteDeps } from '../../http/types.js';
import { DEFAULT_PAGE_SIZE, PageQuery } from '../../lib/pagination.js';
import { IdParams } from '../accounts/accounts.schemas.js';
import { ChatbotView, CreateChatbotBody, UpdateChatbotBody } from './chatbots.schemas.js';
import { assertLlmBaseUrlAllowed, createChatbot, deleteChatbot, getChatbot, listChatbots, toChatbotView, updateChatbot } from './chatbots.service.js';

/** Chatbot CRUD under /api/portal/chatbots. */
export function registerChatbotRoutes(app: App, { config, database }: RouteDeps): void {
  const { db } = database;
  const urlGuard = { allowPrivate: config.allowPrivateWebhookTargets };

  app.get('/api/portal/chatbots', {
    schema: {
      summary: 'List chatbots', tags: ['Chatbots'],
      querystring: Type.Object(PageQuery, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(ChatbotView), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
    },
  }, async (request) => {
    const auth = requireAuth(request);
    return listChatbots(db, auth.customerId, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor });
  });

  app.post('/api/portal/chatbots', {
    schema: {
      summary: 'Create a chatbot',
      description: 'Every setting has a default, so `{ name }` alone makes a working bot. Accepts `Idempotency-Key`.',
      tags: ['Chatbots'], headers: IdempotencyHeaders,
      body: withExamples(CreateChatbotBody, [{ name: 'Crumb Bot', settings: { greeting: 'Hi! Ask me about cakes, opening hours or delivery.', defaultPhoneRegion: 'US', allowedOrigins: ['https://crumbandco.example'] } }]),
      response: { 201: ChatbotView },
    },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    assertLlmBaseUrlAllowed(request.body.settings, urlGuard);
    return sendIdempotent({ db, secretKey: config.secretKey }, request, reply, auth.customerId, async () => (
      { status: 201, body: toChatbotView(await createChatbot(db, config.secretKey, auth.customerId, request.body)) }
    ));
  });

  app.get('/api/portal/chatbots/:id', { schema: { summary: 'Get a chatbot', tags: ['Chatbots'], params: IdParams, response: { 200: ChatbotView } } }, async (request) => {
    const auth = requireAuth(request);
    return toChatbotView(await getChatbot(db, auth.customerId, request.params.id));
  });

  app.patch('/api/portal/chatbots/:id', {
    schema: { summary: 'Change a chatbot’s name or settings', description: 'Settings given replace those settings; others stay.', tags: ['Chatbots'], params: IdParams, body: UpdateChatbotBody, response: { 200: ChatbotView } },
  }, async (request) => {
    const auth = requireAuth(request);
    assertLlmBaseUrlAllowed(request.body.settings, urlGuard);
    return toChatbotView(await updateChatbot(db, config.secretKey, auth.customerId, request.params.id, request.body));
  });

  app.delete('/api/portal/chatbots/:id', { schema: { summary: 'Delete a chatbot', tags: ['Chatbots'], params: IdParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireAuth(request);
    await deleteChatbot(db, auth.customerId, request.params.id);
    return reply.status(204).send(null);
  });
}
