import { Type, type TSchema } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import { IdempotencyHeaders, sendIdempotent } from '../../http/idempotency.js';
import { OpenObject, withExamples } from '../../http/openapi.js';
import type { App } from '../../http/types.js';
import { DEFAULT_PAGE_SIZE, PageQuery } from '../../lib/pagination.js';
import { IdParams } from '../accounts/accounts.schemas.js';
import { DEFAULT_MAPPINGS } from '../delivery/index.js';
import { WEBHOOK_PRESETS } from './presets.js';
import {
  CreatedWebhook, CreateWebhookBody, DeliveriesQuery, DeliveryItem, PreviewBody, RecoverBody, RecoverResult, RetryNowResult, RotateSecretBody, TestResult, UpdateWebhookBody, WebhookView,
} from './webhooks.schemas.js';
import {
  createWebhook, deleteWebhook, getDeliveryDetail, getWebhook, listDeliveries, listWebhooks, previewPayload, recoverFailedDeliveries,
  resendDelivery, retryDeliveryNow, retryPendingNow, rotateWebhookSecret, sendTestDelivery, updateWebhook, type WebhookServiceDeps,
} from './webhooks.service.js';

const Page = <T extends ReturnType<typeof Type.Object>>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** Field mappings keyed by event type (or "*"): output key ← source path, template or `{ const }`. */
const MappingsView = Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()));
const PresetsReply = OpenObject({
  items: Type.Array(OpenObject({
    id: Type.String(), name: Type.String(), urlTemplate: Type.String({ description: '`<…>` parts are the customer’s own ids' }), method: Type.String(),
    bodyFormat: Type.String({ enum: ['json', 'form'] }), events: Type.Array(Type.String()), mappings: MappingsView, headers: Type.Record(Type.String(), Type.String()),
    alsoSuccessStatuses: Type.Array(Type.Integer(), { description: 'Status codes the CRM uses for "already done" (counted as delivered)' }), instructions: Type.String(),
  })),
  defaults: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), { description: 'The fields each event type sends when a webhook’s mappings name neither it nor "*"' }),
});
const PreviewReply = OpenObject({
  payload: Type.Record(Type.String(), Type.Unknown(), { description: 'The mapped fields plus the envelope (eventType, eventTimestamp, eventId, customerId, chatbotId, conversationId)' }),
  body: Type.String({ description: 'The request body exactly as it would be sent' }),
  contentType: Type.String(),
  fromEventId: Nullable(Type.String({ description: 'The real event the example was rendered from; null for sample data' })),
});
const RotatedSecret = OpenObject({ secret: Type.String(), previousSecretExpiresAt: Type.String({ description: 'The old secret keeps verifying until then (24 h)' }) });
const DeliveryDetail = OpenObject({
  ...DeliveryItem.properties,
  attempts: Type.Array(OpenObject({
    attemptNumber: Type.Integer(), startedAt: Type.String(), statusCode: Nullable(Type.Integer()), latencyMs: Type.Integer(), outcome: Type.String(),
    error: Nullable(Type.String()), responseExcerpt: Nullable(Type.String({ description: 'The first 1 KB of the response' })),
    requestHeaders: Type.Record(Type.String(), Type.String(), { description: 'Custom header values and X-FC-Signature show as [redacted]' }),
  })),
  attemptCount: Type.Integer(),
  event: OpenObject({ id: Type.String(), type: Type.String(), createdAt: Type.String() }),
  requestBody: Type.String(),
  contentType: Type.String(),
});
const WebhookCreateDoc = withExamples(CreateWebhookBody, [{
  url: 'https://crm.example.com/hooks/fusionchatalyst', events: ['lead.captured', 'escalation.created'], signingMode: 'hmac-sha256',
  mappings: { 'lead.captured': { email: 'lead.email', summary: '{{lead.name}} wants a quote', source: { const: 'website' } } },
  headers: { 'X-Client-Id': 'crumb-co' },
}]);

/** Settings → Webhooks: CRUD, secret rotation, test sends, payload preview, the delivery log, re-send, retry now and recovery. */
export function registerWebhookRoutes(app: App, deps: WebhookServiceDeps): void {
  const { db } = deps;

  app.get('/api/portal/webhooks', {
    schema: { summary: 'List webhooks', tags: ['Webhooks'], querystring: Type.Object(PageQuery, { additionalProperties: false }), response: { 200: Page(WebhookView) } },
  }, async (request) => {
    const auth = requireAuth(request);
    return listWebhooks(deps, auth.customerId, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor });
  });

  app.post('/api/portal/webhooks', {
    schema: {
      summary: 'Create a webhook',
      description: 'Answers the webhook with its `secret` (shown in full only here and when rotated). URLs on private, loopback or metadata addresses are refused. Without `mappings` each event sends its default fields. Accepts `Idempotency-Key`.',
      tags: ['Webhooks'], headers: IdempotencyHeaders, body: WebhookCreateDoc, response: { 201: CreatedWebhook },
    },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    return sendIdempotent(deps, request, reply, auth.customerId, async () => ({ status: 201, body: await createWebhook(deps, auth.customerId, request.body) }));
  });

  // `defaults` are the fields an event sends when a webhook's mappings name neither it nor "*": the portal's
  // editor starts from them, so customising an event never silently drops the fields it sent before.
  app.get('/api/portal/webhooks/presets', {
    schema: { summary: 'CRM presets and each event’s default fields', tags: ['Webhooks'], response: { 200: PresetsReply } },
  }, async () => ({ items: [...WEBHOOK_PRESETS], defaults: DEFAULT_MAPPINGS }));

  app.post('/api/portal/webhooks/preview', {
    schema: {
      summary: 'Preview a payload', description: 'Renders an event type under some mappings from the account’s latest real event of that type, or from sample data; sends nothing.',
      tags: ['Webhooks'], body: withExamples(PreviewBody, [{ eventType: 'lead.captured', mappings: { 'lead.captured': { email: 'lead.email', phone: 'lead.phone' } } }]), response: { 200: PreviewReply },
    },
  }, async (request) => {
    const auth = requireAuth(request);
    return previewPayload(db, auth.customerId, request.body);
  });

  app.get('/api/portal/webhooks/:id', { schema: { summary: 'Get a webhook', tags: ['Webhooks'], params: IdParams, response: { 200: WebhookView } } }, async (request) => {
    const auth = requireAuth(request);
    return getWebhook(deps, auth.customerId, request.params.id);
  });

  app.patch('/api/portal/webhooks/:id', {
    schema: { summary: 'Change a webhook', description: 'Changing only the URL’s host drops stored custom headers unless they are sent again.', tags: ['Webhooks'], params: IdParams, body: UpdateWebhookBody, response: { 200: WebhookView } },
  }, async (request) => {
    const auth = requireAuth(request);
    return updateWebhook(deps, auth.customerId, request.params.id, request.body);
  });

  app.delete('/api/portal/webhooks/:id', { schema: { summary: 'Delete a webhook', tags: ['Webhooks'], params: IdParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireAuth(request);
    await deleteWebhook(db, auth.customerId, request.params.id);
    return reply.status(204).send(null);
  });

  app.post('/api/portal/webhooks/:id/rotate-secret', {
    schema: { summary: 'Rotate the signing secret', description: 'A new generated secret, or the `secret` given; the old one keeps verifying for 24 hours.', tags: ['Webhooks'], params: IdParams, body: Type.Optional(RotateSecretBody), response: { 200: RotatedSecret } },
  }, async (request) => {
    const auth = requireAuth(request);
    return rotateWebhookSecret(deps, auth.customerId, request.params.id, request.body?.secret);
  });

  app.post('/api/portal/webhooks/:id/test', {
    schema: { summary: 'Send a test event', description: 'Delivers a `webhook.test` event now and answers how the receiver responded; logged like any delivery.', tags: ['Webhooks'], params: IdParams, response: { 200: TestResult } },
  }, async (request) => {
    const auth = requireAuth(request);
    return sendTestDelivery(deps, auth.customerId, request.params.id);
  });

  app.get('/api/portal/webhooks/:id/deliveries', {
    schema: { summary: 'The delivery log', description: 'Newest first; also for Zapier subscriptions and Google Sheets destinations.', tags: ['Webhooks'], params: IdParams, querystring: DeliveriesQuery, response: { 200: Page(DeliveryItem) } },
  }, async (request) => {
    const auth = requireAuth(request);
    return listDeliveries(db, auth.customerId, request.params.id, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
  });

  app.post('/api/portal/webhooks/:id/recover', {
    schema: { summary: 'Recover deliveries since a time', description: 'Queues failed deliveries again and makes retrying ones due now.', tags: ['Webhooks'], params: IdParams, body: RecoverBody, response: { 200: RecoverResult } },
  }, async (request) => {
    const auth = requireAuth(request);
    return recoverFailedDeliveries(db, auth.customerId, request.params.id, request.body.since);
  });

  app.post('/api/portal/webhooks/:id/retry-now', { schema: { summary: 'Retry all pending deliveries now', tags: ['Webhooks'], params: IdParams, response: { 200: RetryNowResult } } }, async (request) => {
    const auth = requireAuth(request);
    return retryPendingNow(db, auth.customerId, request.params.id);
  });

  app.get('/api/portal/deliveries/:id', {
    schema: { summary: 'One delivery with every attempt', description: 'And the body it sends, rendered with the webhook’s current mappings.', tags: ['Webhooks'], params: IdParams, response: { 200: DeliveryDetail } },
  }, async (request) => {
    const auth = requireAuth(request);
    return getDeliveryDetail(db, auth.customerId, request.params.id);
  });

  app.post('/api/portal/deliveries/:id/resend', {
    schema: { summary: 'Re-send a finished delivery', description: 'Keeps its id (and `webhook-id`), so the receiver can dedupe; 409 while it is still queued.', tags: ['Webhooks'], params: IdParams, response: { 202: DeliveryItem } },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    return reply.status(202).send(await resendDelivery(db, auth.customerId, request.params.id));
  });

  app.post('/api/portal/deliveries/:id/retry-now', { schema: { summary: 'Retry a pending delivery now', tags: ['Webhooks'], params: IdParams, response: { 202: DeliveryItem } } }, async (request, reply) => {
    const auth = requireAuth(request);
    return reply.status(202).send(await retryDeliveryNow(db, auth.customerId, request.params.id));
  });
}
