import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { requireAuth } from '../../http/auth.js';
import { IdempotencyHeaders, sendIdempotent } from '../../http/idempotency.js';
import { withExamples } from '../../http/openapi.js';
import type { App, RouteDeps } from '../../http/types.js';
import { AppError } from '../../lib/errors.js';
import { DEFAULT_PAGE_SIZE } from '../../lib/pagination.js';
import {
  CreateEntryBody, EntryParams, EntryView, IMPORT_BODY_LIMIT_BYTES, ImportBody, KnowledgeListQuery, KnowledgeParams, MAX_ANSWER_CHARS, MAX_DOCUMENT_CHARS,
  MAX_IMPORT_DOCUMENTS, MAX_IMPORT_FAQS, MAX_QUESTION_CHARS, MAX_TITLE_CHARS, UpdateEntryBody,
} from './knowledge.schemas.js';
import { createEntry, deleteEntry, getEntry, importEntries, listEntries, parseFaqCsv, toEntryView, updateEntry } from './knowledge.service.js';

const importChecker = TypeCompiler.Compile(ImportBody);
/** The import body as the service checks it row by row (the route's own check bounds only the outer shape). */
const ImportBodyDoc = Type.Object({
  faqs: Type.Optional(Type.Array(Type.Object({ question: Type.String({ maxLength: MAX_QUESTION_CHARS }), answer: Type.String({ maxLength: MAX_ANSWER_CHARS }) }), { maxItems: MAX_IMPORT_FAQS })),
  documents: Type.Optional(Type.Array(Type.Object({ title: Type.String({ maxLength: MAX_TITLE_CHARS }), text: Type.String({ maxLength: MAX_DOCUMENT_CHARS }) }), { maxItems: MAX_IMPORT_DOCUMENTS })),
}, { additionalProperties: false });

/** Knowledge base routes under /api/portal/chatbots/:id/knowledge. */
export function registerKnowledgeRoutes(app: App, { config, database }: RouteDeps): void {
  const { db } = database;

  app.get('/api/portal/chatbots/:id/knowledge', {
    schema: {
      summary: 'List a chatbot’s knowledge', description: '`q` searches questions, titles and text; `kind` filters.', tags: ['Knowledge'],
      params: KnowledgeParams, querystring: KnowledgeListQuery, response: { 200: Type.Object({ items: Type.Array(EntryView), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
    },
  }, async (request) => {
    const auth = requireAuth(request);
    const { limit, ...filter } = request.query;
    return listEntries(db, auth.customerId, request.params.id, { ...filter, limit: limit ?? DEFAULT_PAGE_SIZE });
  });

  app.post('/api/portal/chatbots/:id/knowledge', {
    schema: {
      summary: 'Add an FAQ or a document', tags: ['Knowledge'], params: KnowledgeParams,
      body: withExamples(CreateEntryBody, [{ kind: 'faq', question: 'Do you deliver on Sundays?', answer: 'Yes, between 9 am and 1 pm.' }, { kind: 'document', title: 'Allergens', text: 'All our breads are baked in a kitchen that handles nuts…' }]),
      response: { 201: EntryView },
    },
  }, async (request, reply) => {
    const auth = requireAuth(request);
    return reply.status(201).send(toEntryView(await createEntry(db, auth.customerId, request.params.id, request.body)));
  });

  app.post('/api/portal/chatbots/:id/knowledge/import', {
    bodyLimit: IMPORT_BODY_LIMIT_BYTES,
    // The body is JSON or CSV, parsed and checked here so errors can name the row: documented, not validated, by the schema.
    config: {
      openapi: {
        body: {
          description: 'JSON `{ faqs: [{ question, answer }], documents: [{ title, text }] }`, or a CSV with a `question,answer` header (up to 8 MB).',
          content: {
            'application/json': { schema: withExamples(ImportBodyDoc, [{ faqs: [{ question: 'Are you open on Mondays?', answer: 'Yes, 7 am to 6 pm.' }], documents: [{ title: 'Delivery area', text: 'We deliver within 10 miles of the shop.' }] }]) },
            'text/csv': { schema: Type.String({ examples: ['question,answer\nAre you open on Mondays?,"Yes, 7 am to 6 pm."\n'] }) },
          },
        },
      },
    },
    schema: {
      summary: 'Import FAQs and documents in bulk', description: 'Accepts `Idempotency-Key`. 413 `knowledge_limit` past the chatbot’s or account’s knowledge limit; nothing is saved then.',
      tags: ['Knowledge'], headers: IdempotencyHeaders, params: KnowledgeParams, response: { 200: Type.Object({ imported: Type.Integer() }) },
    },
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

  app.get('/api/portal/chatbots/:id/knowledge/:entryId', { schema: { summary: 'Get a knowledge entry', tags: ['Knowledge'], params: EntryParams, response: { 200: EntryView } } }, async (request) => {
    const auth = requireAuth(request);
    return toEntryView(await getEntry(db, auth.customerId, request.params.id, request.params.entryId));
  });

  app.patch('/api/portal/chatbots/:id/knowledge/:entryId', { schema: { summary: 'Change a knowledge entry', tags: ['Knowledge'], params: EntryParams, body: UpdateEntryBody, response: { 200: EntryView } } }, async (request) => {
    const auth = requireAuth(request);
    return toEntryView(await updateEntry(db, auth.customerId, request.params.id, request.params.entryId, request.body));
  });

  app.delete('/api/portal/chatbots/:id/knowledge/:entryId', { schema: { summary: 'Delete a knowledge entry', tags: ['Knowledge'], params: EntryParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireAuth(request);
    await deleteEntry(db, auth.customerId, request.params.id, request.params.entryId);
    return reply.status(204).send(null);
  });
}
