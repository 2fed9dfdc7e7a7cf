import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { assertAccountWritable, authenticateApiKey, requireAuth } from '../../http/auth.js';
import { SECURITY, withExamples } from '../../http/openapi.js';
import type { App } from '../../http/types.js';
import { AppError } from '../../lib/errors.js';
import { DEFAULT_PAGE_SIZE } from '../../lib/pagination.js';
import { findApiKeyByToken, touchApiKey } from '../accounts/accounts.repository.js';
import { IdParams } from '../accounts/accounts.schemas.js';
import { TestResult } from '../webhooks/webhooks.schemas.js';
import { sendTestDelivery, type WebhookServiceDeps } from '../webhooks/webhooks.service.js';
import {
  ConnectionReport, CreateSheetsBody, ListQuery, Page, SheetsView, UpdateSheetsBody, ZapierEventParams, ZapierHookBody, ZapierHookView, ZapierMe,
  ZapierSamplesQuery,
} from './integrations.schemas.js';
import { createSheets, deleteSheets, getSheets, listSheets, testSheetsConnection, updateSheets, type SheetsServiceDeps } from './sheets.service.js';
import {
  getZapierHook, getZapierMe, listZapierHooks, listZapierSamples, subscribeZapierHook, unsubscribeZapierHook, type ZapierServiceDeps,
} from './zapier.service.js';

/** Per API key: Zapier polls samples and (un)subscribes in bursts when Zaps are edited, never this fast. */
const ZAPIER_REQUESTS_PER_MINUTE = 120;
/** "Test connection" calls Google; a form's button does not need more. */
const CONNECTION_TESTS_PER_MINUTE = 10;

async function authenticateApiKeyHeader(db: Kysely<Database>, request: FastifyRequest): Promise<void> {
  const header = request.headers['x-api-key'];
  const key = typeof header === 'string' ? header.trim() : '';
  if (key === '') throw new AppError('unauthorized', 'Send a FusionChatalyst API key in the X-API-Key header (create one in Settings → Integrations).');
  const row = await findApiKeyByToken(db, key);
  if (!row) throw new AppError('unauthorized', 'The API key is invalid or has been revoked.');
  await touchApiKey(db, row.id);
  request.auth = authenticateApiKey(request, row);
}

/** The Zapier add-on's REST-hook API under /api/zapier, authenticated by `X-API-Key` (contract section 5). */
export function registerZapierRoutes(app: App, deps: ZapierServiceDeps): void {
  const { db } = deps;
  app.addHook('onRequest', async (request) => authenticateApiKeyHeader(db, request));
  // A lapsed account is read-only here as in the portal: no new subscriptions, but a Zap can always be turned off.
  app.addHook('onRequest', async (request) => assertAccountWritable(db, request));
  const rateLimit = { max: ZAPIER_REQUESTS_PER_MINUTE, timeWindow: '1 minute', keyGenerator: (request: FastifyRequest) => `zapier:${request.auth?.apiKeyId ?? request.ip}` };

  app.get('/api/zapier/me', {
    schema: { summary: 'The account and key (Zapier’s connection test)', tags: ['Zapier'], security: SECURITY.zapier, response: { 200: ZapierMe } },
    config: { rateLimit },
  }, async (request) => {
    const auth = requireAuth(request);
    return getZapierMe(db, auth.customerId, auth.apiKeyId ?? '');
  });

  app.post('/api/zapier/hooks', {
    schema: {
      summary: 'Subscribe a REST hook', description: 'Events go to `targetUrl` like a webhook’s; a target answering 410 Gone is unsubscribed.', tags: ['Zapier'], security: SECURITY.zapier,
      body: withExamples(ZapierHookBody, [{ event: 'lead.captured', targetUrl: 'https://hooks.zapier.com/hooks/standard/123456/abcdef/' }]),
      response: { 201: Type.Object({ id: Type.String() }) },
    },
    config: { rateLimit },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    return reply.status(201).send(await subscribeZapierHook(deps, auth.customerId, request.body));
  });

  app.delete('/api/zapier/hooks/:id', {
    schema: { summary: 'Unsubscribe a REST hook', tags: ['Zapier'], security: SECURITY.zapier, params: IdParams, response: { 204: Type.Null() } },
    config: { rateLimit, allowsInactiveAccount: true },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    await unsubscribeZapierHook(db, auth.customerId, request.params.id);
    return reply.status(204).send(null);
  });

  app.get('/api/zapier/samples/:event', {
    schema: {
      summary: 'Recent payloads of an event (Zapier’s field picker)', description: 'The account’s latest real payloads of that event, or a sample when there are none yet.', tags: ['Zapier'], security: SECURITY.zapier,
      params: ZapierEventParams, querystring: ZapierSamplesQuery, response: { 200: Type.Array(Type.Record(Type.String(), Type.Unknown())) },
    },
    config: { rateLimit },
  }, async (request) => {
    const auth = requireAuth(request);
    return listZapierSamples(db, auth.customerId, request.params.event, request.query.chatbotId);
  });
}

/**
 * Settings → Integrations in the portal: Google Sheets destinations and the list of Zapier subscriptions.
 * Their delivery logs are the webhooks' (`/api/portal/webhooks/:id/deliveries`, `/api/portal/deliveries/:id`).
 */
export function registerIntegrationRoutes(app: App, deps: { sheets: SheetsServiceDeps; testRow: WebhookServiceDeps }): void {
  const { db } = deps.sheets;

  app.get('/api/portal/integrations/zapier/hooks', { schema: { summary: 'List Zapier subscriptions', tags: ['Integrations'], querystring: ListQuery, response: { 200: Page(ZapierHookView) } } }, async (request) => {
    const auth = requireAuth(request);
    return listZapierHooks(db, auth.customerId, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor });
  });

  app.get('/api/portal/integrations/zapier/hooks/:id', { schema: { summary: 'Get a Zapier subscription', tags: ['Integrations'], params: IdParams, response: { 200: ZapierHookView } } }, async (request) => {
    const auth = requireAuth(request);
    return getZapierHook(db, auth.customerId, request.params.id);
  });

  app.delete('/api/portal/integrations/zapier/hooks/:id', { schema: { summary: 'Remove a Zapier subscription', tags: ['Integrations'], params: IdParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireAuth(request);
    await unsubscribeZapierHook(db, auth.customerId, request.params.id);
    return reply.status(204).send(null);
  });

  app.get('/api/portal/integrations/sheets', { schema: { summary: 'List Google Sheets destinations', tags: ['Integrations'], querystring: ListQuery, response: { 200: Page(SheetsView) } } }, async (request) => {
    const auth = requireAuth(request);
    return listSheets(deps.sheets, auth.customerId, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor });
  });

  app.post('/api/portal/integrations/sheets', {
    schema: {
      summary: 'Connect a Google Sheet', description: 'From a service-account key (sealed at rest, shown afterwards only as its e-mail), a spreadsheet id or address and a tab; one row per lead or escalation.',
      tags: ['Integrations'], body: CreateSheetsBody, response: { 201: SheetsView },
    },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    return reply.status(201).send(await createSheets(deps.sheets, auth.customerId, request.body));
  });

  app.get('/api/portal/integrations/sheets/:id', { schema: { summary: 'Get a Google Sheets destination', tags: ['Integrations'], params: IdParams, response: { 200: SheetsView } } }, async (request) => {
    const auth = requireAuth(request);
    return getSheets(deps.sheets, auth.customerId, request.params.id);
  });

  app.patch('/api/portal/integrations/sheets/:id', { schema: { summary: 'Change a Google Sheets destination', tags: ['Integrations'], params: IdParams, body: UpdateSheetsBody, response: { 200: SheetsView } } }, async (request) => {
    const auth = requireAuth(request);
    return updateSheets(deps.sheets, auth.customerId, request.params.id, request.body);
  });

  app.delete('/api/portal/integrations/sheets/:id', { schema: { summary: 'Delete a Google Sheets destination', tags: ['Integrations'], params: IdParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireAuth(request);
    await deleteSheets(db, auth.customerId, request.params.id);
    return reply.status(204).send(null);
  });

  app.post('/api/portal/integrations/sheets/:id/test-connection', {
    schema: { summary: 'Test the connection to the sheet', description: 'Gets a token and reads the sheet; answers what works and what to fix.', tags: ['Integrations'], params: IdParams, response: { 200: ConnectionReport } },
    config: { rateLimit: { max: CONNECTION_TESTS_PER_MINUTE, timeWindow: '1 minute', keyGenerator: (request: FastifyRequest) => `sheets-test:${request.auth?.customerId ?? request.ip}` } },
  }, async (request) => {
    const auth = requireAuth(request);
    return testSheetsConnection(deps.sheets, auth.customerId, request.params.id);
  });

  // "Send test row": a `webhook.test` event appended now as one real row (Event column "webhook.test"), logged
  // like any delivery, even for a disabled destination; the same limit as "Test connection" (both call Google).
  app.post('/api/portal/integrations/sheets/:id/test-row', {
    schema: { summary: 'Send a test row', description: 'Appends a `webhook.test` row now, logged like any delivery.', tags: ['Integrations'], params: IdParams, response: { 200: TestResult } },
    config: { rateLimit: { max: CONNECTION_TESTS_PER_MINUTE, timeWindow: '1 minute', keyGenerator: (request: FastifyRequest) => `sheets-test-row:${request.auth?.customerId ?? request.ip}` } },
  }, async (request) => {
    const auth = requireAuth(request);
    return sendTestDelivery(deps.testRow, auth.customerId, request.params.id, ['sheets']);
  });
}
