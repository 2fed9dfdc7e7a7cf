import { Type } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import type { App, RouteDeps } from '../../http/types.js';
import { DEFAULT_PAGE_SIZE, PageQuery } from '../../lib/pagination.js';
import { EntryView } from './knowledge.schemas.js';
import { toEntryView } from './knowledge.service.js';
import { deleteSource, getSource, listSourcePassages, listSources, setSourceExcluded, toSourceView } from './sources.service.js';

const SourceParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), sourceId: Type.String({ minLength: 1, maxLength: 64 }) });
const SourcesQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('excluded'), Type.Literal('failed')])) },
  { additionalProperties: false },
);
const SourceView = Type.Object({
  id: Type.String(), chatbotId: Type.String(), kind: Type.String(), url: Type.Union([Type.String(), Type.Null()]), title: Type.String(), status: Type.String(),
  passages: Type.Integer(), lastSyncedAt: Type.Union([Type.String(), Type.Null()]), lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(), updatedAt: Type.String(),
});
const SourceWithPassages = Type.Intersect([SourceView, Type.Object({ entries: Type.Array(EntryView) })]);
const UpdateSourceBody = Type.Object({ excluded: Type.Boolean() }, { additionalProperties: false });

/** Knowledge sources (web pages, files) under /api/portal/chatbots/:id/sources. */
export function registerSourceRoutes(app: App, { database }: RouteDeps): void {
  const { db } = database;

  app.get('/api/portal/chatbots/:id/sources', {
    schema: { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), querystring: SourcesQuery, response: { 200: Type.Object({ items: Type.Array(SourceView), nextCursor: Type.Union([Type.String(), Type.Null()]) }) } },
  }, async (request) => {
    const auth = requireAuth(request);
    const { limit, ...filter } = request.query;
    return listSources(db, auth.customerId, request.params.id, { ...filter, limit: limit ?? DEFAULT_PAGE_SIZE });
  });

  app.get('/api/portal/chatbots/:id/sources/:sourceId', { schema: { params: SourceParams, response: { 200: SourceWithPassages } } }, async (request) => {
    const auth = requireAuth(request);
    const source = await getSource(db, auth.customerId, request.params.id, request.params.sourceId);
    const entries = await listSourcePassages(db, auth.customerId, source.id);
    return { ...toSourceView(source), entries: entries.map(toEntryView) };
  });

  app.patch('/api/portal/chatbots/:id/sources/:sourceId', { schema: { params: SourceParams, body: UpdateSourceBody, response: { 200: SourceView } } }, async (request) => {
    const auth = requireAuth(request);
    return toSourceView(await setSourceExcluded(db, auth.customerId, request.params.id, request.params.sourceId, request.body.excluded));
  });

  app.delete('/api/portal/chatbots/:id/sources/:sourceId', { schema: { params: SourceParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireAuth(request);
    await deleteSource(db, auth.customerId, request.params.id, request.params.sourceId);
    return reply.status(204).send(null);
  });
}
