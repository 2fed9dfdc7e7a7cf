import { Type } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import { SECURITY } from '../../http/openapi.js';
import type { App, RouteDeps } from '../../http/types.js';
import { DEFAULT_PAGE_SIZE } from '../../lib/pagination.js';
import { CrawlJobParams, CrawlListQuery, CrawlPagesQuery, CrawlPageView, CrawlParams, CrawlView, StartCrawlBody } from './crawl.schemas.js';
import { cancelCrawl, getCrawl, getResyncSchedule, listCrawlPages, listCrawls, setResyncSchedule, startCrawl, startResync } from './crawl.service.js';

const nullableCursor = Type.Union([Type.String(), Type.Null()]);

/** Website imports under /api/portal/chatbots/:id/crawls: start, watch, list pages, cancel; re-sync. */
export function registerCrawlRoutes(app: App, { config, database }: RouteDeps): void {
  const { db } = database;

  app.post('/api/portal/chatbots/:id/crawls', { schema: { summary: 'Import a website: queue a crawl from a start or sitemap URL (202)', description: 'Same site only, robots.txt honoured, page, depth and time caps; one import per chatbot at a time (409 `crawl_in_progress`).', tags: ['Knowledge sources'], security: SECURITY.portalWrite,  params: CrawlParams, body: StartCrawlBody, response: { 202: CrawlView } } }, async (request, reply) => {
    const auth = requireAuth(request);
    const view = await startCrawl(db, { allowPrivate: config.allowPrivateWebhookTargets }, auth.customerId, request.params.id, request.body);
    return reply.status(202).send(view);
  });

  app.get('/api/portal/chatbots/:id/crawls', {
    schema: { summary: 'List website imports, newest first', tags: ['Knowledge sources'], security: SECURITY.portalRead,  params: CrawlParams, querystring: CrawlListQuery, response: { 200: Type.Object({ items: Type.Array(CrawlView), nextCursor: nullableCursor }) } },
  }, async (request) => {
    const auth = requireAuth(request);
    return listCrawls(db, auth.customerId, request.params.id, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, cursor: request.query.cursor });
  });

  app.get('/api/portal/chatbots/:id/crawls/:crawlId', { schema: { summary: 'One website import with its live counts', tags: ['Knowledge sources'], security: SECURITY.portalRead,  params: CrawlJobParams, response: { 200: CrawlView } } }, async (request) => {
    const auth = requireAuth(request);
    return getCrawl(db, auth.customerId, request.params.id, request.params.crawlId);
  });

  app.get('/api/portal/chatbots/:id/crawls/:crawlId/pages', {
    schema: { summary: 'The pages of an import: fetched, skipped (with the reason) or failed (with the error)', tags: ['Knowledge sources'], security: SECURITY.portalRead,  params: CrawlJobParams, querystring: CrawlPagesQuery, response: { 200: Type.Object({ items: Type.Array(CrawlPageView), nextCursor: nullableCursor }) } },
  }, async (request) => {
    const auth = requireAuth(request);
    const { limit, ...filter } = request.query;
    return listCrawlPages(db, auth.customerId, request.params.id, request.params.crawlId, { ...filter, limit: limit ?? DEFAULT_PAGE_SIZE });
  });

  app.post('/api/portal/chatbots/:id/crawls/:crawlId/cancel', { schema: { summary: 'Cancel a running import', tags: ['Knowledge sources'], security: SECURITY.portalWrite,  params: CrawlJobParams, response: { 200: CrawlView } } }, async (request) => {
    const auth = requireAuth(request);
    return cancelCrawl(db, auth.customerId, request.params.id, request.params.crawlId);
  });

  const ScheduleView = Type.Object({ every: Type.Union([Type.Literal('off'), Type.Literal('daily'), Type.Literal('weekly')]), nextRunAt: Type.Union([Type.String(), Type.Null()]) });
  app.get('/api/portal/chatbots/:id/sources/schedule', { schema: { summary: 'The website re-sync schedule', tags: ['Knowledge sources'], security: SECURITY.portalRead,  params: CrawlParams, response: { 200: ScheduleView } } }, async (request) => {
    const auth = requireAuth(request);
    return getResyncSchedule(db, auth.customerId, request.params.id);
  });

  app.put('/api/portal/chatbots/:id/sources/schedule', {
    schema: { summary: 'Set the website re-sync schedule (off, daily, weekly)', tags: ['Knowledge sources'], security: SECURITY.portalWrite,  params: CrawlParams, body: Type.Object({ every: Type.Union([Type.Literal('off'), Type.Literal('daily'), Type.Literal('weekly')]) }, { additionalProperties: false }), response: { 200: ScheduleView } },
  }, async (request) => {
    const auth = requireAuth(request);
    return setResyncSchedule(db, auth.customerId, request.params.id, request.body.every);
  });

  app.post('/api/portal/chatbots/:id/sources/resync', { schema: { summary: 'Re-sync the website now: changed pages only (202)', tags: ['Knowledge sources'], security: SECURITY.portalWrite,  params: CrawlParams, response: { 202: CrawlView } } }, async (request, reply) => {
    const auth = requireAuth(request);
    return reply.status(202).send(await startResync(db, auth.customerId, request.params.id));
  });
}
