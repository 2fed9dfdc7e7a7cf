import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import Fastify, { type FastifySchema } from 'fastify';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import type { AppConfig } from './config.js';
import type { Db } from './db/database.js';
import { assertAccountWritable, authenticatePortalRequest } from './http/auth.js';
import { serializeRequestForLog } from './http/log-redaction.js';
import { registerOpenApi, registerOpenApiRoute } from './http/openapi.js';
import { preventCaching } from './http/no-store.js';
import { assertRoleAllows } from './http/roles.js';
import { createResilientRateLimitStore } from './http/rate-limit-store.js';
import { buildProblem, mapErrorToProblem, sendProblem } from './http/problem.js';
import type { App, RouteDeps } from './http/types.js';
import { AppError } from './lib/errors.js';
import { registerAccountRoutes, registerAuthRoutes } from './modules/accounts/accounts.routes.js';
import { registerChatRoutes } from './modules/chat/chat.routes.js';
import type { ChatDeps } from './modules/chat/chat.service.js';
import { KnowledgeIndexCache } from './modules/chat/knowledge-index.cache.js';
import { createLlmPhraser } from './modules/chat/llm.client.js';
import { createLlmProvider } from './modules/chat/llm.provider.js';
import { KnowledgeVectorCache } from './modules/chat/knowledge-embeddings.js';
import { understandMessage, type UnderstandRequest } from './modules/chat/llm.understanding.js';
import { registerChatbotRoutes } from './modules/chatbots/chatbots.routes.js';
import { registerConversationRoutes } from './modules/conversations/conversations.routes.js';
import { registerHandoffRoutes } from './modules/handoff/handoff.routes.js';
import { registerTrainingRoutes } from './modules/training/training.routes.js';
import { registerInviteRoutes, registerTeamRoutes } from './modules/team/team.routes.js';
import { registerHealthRoutes } from './modules/health/health.routes.js';
import { registerKnowledgeRoutes } from './modules/knowledge/knowledge.routes.js';
import { registerSourceRoutes } from './modules/knowledge/sources.routes.js';
import { registerCrawlRoutes } from './modules/crawl/crawl.routes.js';
import { registerChatPreviewRoutes } from './modules/chat-preview/chat-preview.routes.js';
import { registerPortalStatic } from './modules/portal-static/portal-static.routes.js';
import { registerSatisfactionRoutes } from './modules/satisfaction/satisfaction.routes.js';
import { registerStatsRoutes } from './modules/stats/stats.routes.js';
import { createLiveBus, type LiveBus } from './modules/live/live-bus.js';
import { registerLiveRoutes } from './modules/live/live.routes.js';
import { registerSiteRoutes } from './modules/site/site.routes.js';
import { createWebhookSender } from './modules/delivery/index.js';
import { countBacklog } from './modules/webhooks/deliveries.repository.js';
import { registerWebhookRoutes } from './modules/webhooks/webhooks.routes.js';
import { createGoogleSheetsClient } from './modules/integrations/google-sheets.client.js';
import { createSheetsSender } from './modules/integrations/sheets.sender.js';
import { registerIntegrationRoutes, registerZapierRoutes } from './modules/integrations/integrations.routes.js';
import { registerInstallRoutes } from './modules/install/install.routes.js';
import { createSiteChecker } from './modules/install/site-check.js';
import type { WebhookServiceDeps } from './modules/webhooks/webhooks.service.js';

const NUL_SCAN_MAX_DEPTH = 32;

function hasNulCharacter(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object' || depth > NUL_SCAN_MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.some((item) => hasNulCharacter(item, depth + 1));
  return Object.entries(value).some(([key, item]) => key.includes('\u0000') || hasNulCharacter(item, depth + 1));
}

export const BODY_LIMIT_BYTES = 256 * 1024;
const CSV_CONTENT_TYPES = ['text/csv', 'application/csv'];
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface RouteEntry {
  method: string;
  url: string;
  /** The route's schema as registered (openapi.test.ts checks every route has one). */
  schema: FastifySchema | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteEntry[];
  }
}

export interface AppOptions {
  config: AppConfig;
  database: Db;
  /** Shared Redis connection for rate limits and fan-out; null runs everything in memory. */
  redis?: Redis | null;
  /** Live-update bus for `/events` streams; by default Redis pub/sub when `redis` is set, else in memory. */
  liveBus?: LiveBus;
  /** Where request logs go (stdout by default); tests read them to prove what is never logged. */
  logStream?: DestinationStream;
}

/** Builds the Fastify app with every route; never listens (main.ts and tests do that). */
export async function buildApp({ config, database, redis = null, liveBus, logStream }: AppOptions): Promise<App> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'req.headers["x-api-key"]', 'req.headers["x-fc-conversation-token"]'],
        censor: '[redacted]',
      },
      serializers: { req: serializeRequestForLog },
      ...(logStream ? { stream: logStream } : {}),
    },
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    forceCloseConnections: 'idle',
    // Router-level errors (bad URL encoding, over-long params) get the same problem body as the rest.
    frameworkErrors: (error, request, reply) => sendProblem(reply, mapErrorToProblem(error, request)),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are validated strictly (a number is never silently turned into a string); query strings and
  // params arrive as text, so only they are coerced (`?limit=20` → 20).
  const strictAjv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false });
  const coercingAjv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema));

  // Every registered route, so tests (tenancy, fuzzing) can prove they cover all of them.
  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routeTable.push({ method, url: route.url, schema: route.schema });
  });
  // Before any route: the OpenAPI document is collected from every route registered after this.
  await registerOpenApi(app, config);
  app.decorateRequest('auth', null);
  // PostgreSQL text cannot hold NUL characters (SQLite can): refuse them everywhere up front, so the same
  // input gets the same clear 400 on both databases instead of a driver error.
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [['params', request.params], ['query', request.query], ['body', request.body]] as const) {
      if (hasNulCharacter(value)) throw new AppError('validation_failed', `The request ${part} contains a NUL character.`, [{ field: part, message: 'must not contain NUL (\\u0000) characters' }]);
    }
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  // helmet itself rather than @fastify/helmet: the plugin rebuilds the middleware (parsing the CSP) on every
  // request, which cost about 2 % of a chat turn; built once, it sets the same headers.
  const setSecurityHeaders = helmet({
    // The widget script and its API are loaded by other sites; the routes that serve them relax CORP.
    crossOriginResourcePolicy: { policy: 'same-site' },
    contentSecurityPolicy: {
      directives: { 'default-src': ["'self'"], 'img-src': ["'self'", 'data:', 'https:'], 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"], 'connect-src': ["'self'"] },
    },
  });
  app.addHook('onRequest', (request, reply, done) => setSecurityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)));
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    enableDraftSpec: true,
    ...(redis ? { store: createResilientRateLimitStore(redis, app.log, config.rateLimitPrefix) } : {}),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      message: `Too many requests. Try again in ${Math.ceil(context.ttl / 1000)} seconds.`,
    }),
  });

  app.addContentTypeParser(CSV_CONTENT_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => sendProblem(reply, mapErrorToProblem(error, request)));
  app.setNotFoundHandler((request, reply) => sendProblem(reply, buildProblem(404, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`)));

  const deps: RouteDeps = { config, database };

  const indexCache = new KnowledgeIndexCache(database.db, { logger: app.log });
  // Chatbots that name an OpenAI-compatible provider (contract section 7) have it read each question with the
  // retrieved knowledge (llm.understanding.ts), or, in `phrase` mode, reword the built-in answers (llm.client.ts).
  const llmProvider = createLlmProvider({ allowPrivate: config.allowPrivateWebhookTargets });
  app.addHook('onClose', () => llmProvider.close());
  const llm = createLlmPhraser({ secretKey: config.secretKey, indexCache, allowPrivate: config.allowPrivateWebhookTargets, logger: app.log, provider: llmProvider });
  const vectors = new KnowledgeVectorCache(database.db);
  const understand = (request: UnderstandRequest) => understandMessage({ provider: llmProvider, secretKey: config.secretKey, vectors }, request);
  const bus = liveBus ?? createLiveBus(redis, (error) => app.log.warn({ err: error }, 'live bus error'));
  if (!liveBus) app.addHook('onClose', () => bus.close());
  const chatDeps: ChatDeps = {
    db: database.db, secretKey: config.secretKey, indexCache, phrase: llm.phrase, understand, logger: app.log, liveBus: bus, notifyByEmail: config.smtp !== null,
  };

  // "Send test" delivers from the API process with its own pooled sender; everything else goes through workers.
  const testSender = createWebhookSender({ allowPrivate: config.allowPrivateWebhookTargets });
  app.addHook('onClose', () => testSender.close());
  const webhookDeps: WebhookServiceDeps = {
    db: database.db, secretKey: config.secretKey, allowPrivate: config.allowPrivateWebhookTargets, sender: testSender,
    schedule: config.retryScheduleMs ?? undefined, log: app.log,
  };

  // "Test connection" of Google Sheets destinations runs from the API process with its own client.
  const sheetsClient = createGoogleSheetsClient({ baseUrl: config.googleSheetsBaseUrl, allowPrivate: config.allowPrivateWebhookTargets });
  app.addHook('onClose', () => sheetsClient.close());
  const integrationDeps = { db: database.db, secretKey: config.secretKey, allowPrivate: config.allowPrivateWebhookTargets };
  // "Send test row" appends at once (no batching wait) through the same sender the worker uses, so the row,
  // the row ledger and the delivery log are exactly what a real lead produces.
  const sheetsTestSender = createSheetsSender({
    db: database.db, secretKey: config.secretKey, baseUrl: config.googleSheetsBaseUrl, allowPrivate: config.allowPrivateWebhookTargets,
    batchMs: 0, maxWaitMs: Math.floor(config.deliveryLeaseMs / 4), log: app.log, client: sheetsClient,
  });
  app.addHook('onClose', () => sheetsTestSender.close());
  // "Check my site" fetches customers' pages through the same URL guard as deliveries, with its own client.
  const siteChecker = createSiteChecker({ allowPrivate: config.allowPrivateWebhookTargets, userAgent: `FusionChatalyst-SiteCheck/${config.version}` });
  app.addHook('onClose', () => siteChecker.close());

  registerOpenApiRoute(app);
  registerHealthRoutes(app, deps, () => countBacklog(database.db));
  registerChatRoutes(app, deps, chatDeps);
  registerLiveRoutes(app, deps, bus);
  registerSatisfactionRoutes(app, { db: database.db, liveBus: bus });
  registerSiteRoutes(app, deps);
  await app.register(async (auth: App) => {
    auth.addHook('onRequest', preventCaching);
    registerAuthRoutes(auth, deps);
    registerInviteRoutes(auth, deps);
  });
  await app.register(async (zapier: App) => {
    zapier.addHook('onRequest', preventCaching);
    registerZapierRoutes(zapier, integrationDeps);
  });

  await app.register(async (portal: App) => {
    portal.addHook('onRequest', preventCaching);
    portal.addHook('onRequest', async (request, reply) => authenticatePortalRequest(database.db, request, reply));
    // Agents reach only the inbox, conversations, leads and their own login (http/roles.ts); checked before the
    // account's standing, so an agent learns the route is not theirs rather than that the trial has ended.
    portal.addHook('onRequest', async (request) => assertRoleAllows(request));
    portal.addHook('onRequest', async (request) => assertAccountWritable(database.db, request));
    // No payment provider is wired in yet: the operator activates accounts (`npm run admin -- activate`).
    registerAccountRoutes(portal, deps, { paymentProvider: null });
    registerChatbotRoutes(portal, deps);
    registerInstallRoutes(portal, { db: database.db, siteChecker, allowPrivate: config.allowPrivateWebhookTargets });
    registerKnowledgeRoutes(portal, deps);
    registerSourceRoutes(portal, deps);
    registerCrawlRoutes(portal, deps);
    registerConversationRoutes(portal, deps);
    registerHandoffRoutes(portal, { db: database.db, liveBus: bus });
    registerTeamRoutes(portal, { ...deps, liveBus: bus });
    registerTrainingRoutes(portal, deps);
    registerStatsRoutes(portal, deps);
    registerChatPreviewRoutes(portal, chatDeps);
    registerWebhookRoutes(portal, webhookDeps);
    registerIntegrationRoutes(portal, { sheets: { ...integrationDeps, client: sheetsClient }, testRow: { ...webhookDeps, destinations: { sheets: sheetsTestSender } } });
  });
  // Last: the portal app answers every other GET outside /api (SPA fallback).
  await registerPortalStatic(app);

  return app;
}
