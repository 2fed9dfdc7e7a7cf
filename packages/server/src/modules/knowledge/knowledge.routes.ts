import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { requireAuth } from '../../http/auth.js';
import { IdempotencyHeaders, sendIdempotent } from '../../http/idempotency.js';
import type { App, RouteDeps } from '../../http/types.js';
import { AppError } from '../../lib/errors.js';
import { DEFAULT_PAGE_SIZE } from '../../lib/pagination.js';
import {
  CreateEntryBody, EntryParams, EntryView, IMPORT_BODY_LIMIT_BYTES, ImportBody, KnowledgeListQuery, KnowledgeParams, UpdateEntryBody,
} from './knowledge.schemas.js';
import { createEntry, deleteEntry, getEntry, importEntries, listEntries, parseFaqCsv, toEntryView, updateEntry } from './knowledge.service.js';

const importChecker = TypeCompiler.Compile(ImportBody);

/** Knowledge base routes under /api/portal/chatbots/:id/knowledge. */
export function registerKnowledgeRoutes(app: App, { config, database }: RouteDeps): void {
  const { db } = database;

  app.get('/api/portal/chatbots/:id/knowledge', {
    schema: { params: KnowledgeParams, querystring: KnowledgeListQuery, response: { 200: Type.Object({ items: Type.Array(EntryView), nextCursor: Type.Union([Type.String(), Type.Null()]) }) } },
  }, async (request) => {
    const auth = requireAuth(request);
    const { limit, ...filter } = request.query;
    return listEntries(db, auth.customerId, request.params.id, { ...filter, limit: limit ?? DEFAULT_PAGE_SIZE });
  });

  app.post('/api/portal/chatbots/:id/knowledge', {
    schema: { params: KnowledgeParams, body: CreateEntryBody, response: { 201: EntryView } },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    return reply.status(201).send(toEntryView(await createEntry(db, auth.customerId, request.params.id, request.body)));
  });

  app.post('/api/portal/chatbots/:id/knowledge/import', {
    bodyLimit: IMPORT_BODY_LIMIT_BYTES,
    schema: { headers: IdempotencyHeaders, params: KnowledgeParams, response: { 200: Type.Object({ imported: Type.Integer() }) } },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    const body: unknown = request.body;
    let input: { faqs?: unknown[]; documents?: unknown[] };
    if (typeof body === 'string') input = parseFaqCsv(body);
    else if (importChecker.Check(body)) input = body;
    else {
      const errors = [...importChecker.Errors(body)].slice(0, 20).map((e) => ({ field: `body${e.path.replaceAll('/', '.')}`, message: e.message }));
      throw new AppError('validation_failed', 'Send {faqs: [{question, answer}], documents: [{title, text}]} as JSON, or a CSV with a question,answer header.', errors);
    }
    return sendIdempotent({ db, secretKey: config.secretKey }, request, reply, auth.customerId, async () => (
      { status: 200, body: await importEntries(db, auth.customerId, request.params.id, input) }
    ));
  });

  app.get('/api/portal/chatbots/:id/knowledge/:entryId', { schema: { params: EntryParams, response: { 200: EntryView } } }, async (request) => {
    const auth = requireAuth(request);
    return toEntryView(await getEntry(db, auth.customerId, request.params.id, request.params.entryId));
  });

  app.patch('/api/portal/chatbots/:id/knowledge/:entryId', { schema: { params: EntryParams, body: UpdateEntryBody, response: { 200: EntryView } } }, async (request) => {
    const auth = requireAuth(request);
    return toEntryView(await updateEntry(db, auth.customerId, request.params.id, request.params.entryId, request.body));
  });

  app.delete('/api/portal/chatbots/:id/knowledge/:entryId', { schema: { params: EntryParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireAuth(request);
    await deleteEntry(db, auth.customerId, request.params.id, request.params.entryId);
    return reply.status(204).send(null);
  });
}
