import { Type } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import { IdempotencyHeaders, sendIdempotent } from '../../http/idempotency.js';
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

/** Settings → Webhooks: CRUD, secret rotation, test sends, payload preview, the delivery log, re-send, retry now and recovery. */
export function registerWebhookRoutes(app: App, deps: WebhookServiceDeps): void {
  const { db } = deps;

  app.get('/api/portal/webhooks', {
    schema: { querystring: Type.Object(PageQuery, { additionalProperties: false }), response: { 200: Page(WebhookView) } },
  }, async (request) => {
    const auth = requireAuth(request);
    return listWebhooks(deps, auth.customerId, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor });
  });

  app.post('/api/portal/webhooks', { schema: { headers: IdempotencyHeaders, body: CreateWebhookBody, response: { 201: CreatedWebhook } } }, async (request, reply) => {
    const auth = requireAuth(request);
    return sendIdempotent(deps, request, reply, auth.customerId, async () => ({ status: 201, body: await createWebhook(deps, auth.customerId, request.body) }));
  });

  // `defaults` are the fields an event sends when a webhook's mappings name neither it nor "*": the portal's
  // editor starts from them, so customising an event never silently drops the fields it sent before.
  app.get('/api/portal/webhooks/presets', async () => ({ items: WEBHOOK_PRESETS, defaults: DEFAULT_MAPPINGS }));

  app.post('/api/portal/webhooks/preview', { schema: { body: PreviewBody } }, async (request) => {
    const auth = requireAuth(request);
    return previewPayload(db, auth.customerId, request.body);
  });

  app.get('/api/portal/webhooks/:id', { schema: { params: IdParams, response: { 200: WebhookView } } }, async (request) => {
    const auth = requireAuth(request);
    return getWebhook(deps, auth.customerId, request.params.id);
  });

  app.patch('/api/portal/webhooks/:id', { schema: { params: IdParams, body: UpdateWebhookBody, response: { 200: WebhookView } } }, async (request) => {
    const auth = requireAuth(request);
    return updateWebhook(deps, auth.customerId, request.params.id, request.body);
  });

  app.delete('/api/portal/webhooks/:id', { schema: { params: IdParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireAuth(request);
    await deleteWebhook(db, auth.customerId, request.params.id);
    return reply.status(204).send(null);
  });

  app.post('/api/portal/webhooks/:id/rotate-secret', { schema: { params: IdParams, body: Type.Optional(RotateSecretBody) } }, async (request) => {
    const auth = requireAuth(request);
    return rotateWebhookSecret(deps, auth.customerId, request.params.id, request.body?.secret);
  });

  app.post('/api/portal/webhooks/:id/test', { schema: { params: IdParams, response: { 200: TestResult } } }, async (request) => {
    const auth = requireAuth(request);
    return sendTestDelivery(deps, auth.customerId, request.params.id);
  });

  app.get('/api/portal/webhooks/:id/deliveries', { schema: { params: IdParams, querystring: DeliveriesQuery, response: { 200: Page(DeliveryItem) } } }, async (request) => {
    const auth = requireAuth(request);
    return listDeliveries(db, auth.customerId, request.params.id, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
  });

  app.post('/api/portal/webhooks/:id/recover', { schema: { params: IdParams, body: RecoverBody, response: { 200: RecoverResult } } }, async (request) => {
    const auth = requireAuth(request);
    return recoverFailedDeliveries(db, auth.customerId, request.params.id, request.body.since);
  });

  app.post('/api/portal/webhooks/:id/retry-now', { schema: { params: IdParams, response: { 200: RetryNowResult } } }, async (request) => {
    const auth = requireAuth(request);
    return retryPendingNow(db, auth.customerId, request.params.id);
  });

  app.get('/api/portal/deliveries/:id', { schema: { params: IdParams } }, async (request) => {
    const auth = requireAuth(request);
    return getDeliveryDetail(db, auth.customerId, request.params.id);
  });

  app.post('/api/portal/deliveries/:id/resend', { schema: { params: IdParams, response: { 202: DeliveryItem } } }, async (request, reply) => {
    const auth = requireAuth(request);
    return reply.status(202).send(await resendDelivery(db, auth.customerId, request.params.id));
  });

  app.post('/api/portal/deliveries/:id/retry-now', { schema: { params: IdParams, response: { 202: DeliveryItem } } }, async (request, reply) => {
    const auth = requireAuth(request);
    return reply.status(202).send(await retryDeliveryNow(db, auth.customerId, request.params.id));
  });
}
