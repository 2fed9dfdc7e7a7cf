import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import { SECURITY } from '../../http/openapi.js';
import type { App, RouteDeps } from '../../http/types.js';
import { AppError } from '../../lib/errors.js';
import { DEFAULT_PAGE_SIZE, PageQuery } from '../../lib/pagination.js';
import { getChatbot } from '../chatbots/chatbots.service.js';
import { extractFile, FILE_LIMITS } from './file-import.js';
import { EntryView } from './knowledge.schemas.js';
import { toEntryView } from './knowledge.service.js';
import { deleteSource, getSource, listSourcePassages, listSources, saveFileSource, setSourceExcluded, toSourceView } from './sources.service.js';

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
    schema: { summary: 'List knowledge sources (web pages and files) with status and last sync', tags: ['Knowledge sources'], security: SECURITY.portalRead,  params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), querystring: SourcesQuery, response: { 200: Type.Object({ items: Type.Array(SourceView), nextCursor: Type.Union([Type.String(), Type.Null()]) }) } },
  }, async (request) => {
    const auth = requireAuth(request);
    const { limit, ...filter } = request.query;
    return listSources(db, auth.customerId, request.params.id, { ...filter, limit: limit ?? DEFAULT_PAGE_SIZE });
  });

  app.get('/api/portal/chatbots/:id/sources/:sourceId', { schema: { summary: 'One source with its passages', tags: ['Knowledge sources'], security: SECURITY.portalRead,  params: SourceParams, response: { 200: SourceWithPassages } } }, async (request) => {
    const auth = requireAuth(request);
    const source = await getSource(db, auth.customerId, request.params.id, request.params.sourceId);
    const entries = await listSourcePassages(db, auth.customerId, source.id);
    return { ...toSourceView(source), entries: entries.map(toEntryView) };
  });

  app.patch('/api/portal/chatbots/:id/sources/:sourceId', { schema: { summary: 'Exclude a source from answers, or include it again', tags: ['Knowledge sources'], security: SECURITY.portalWrite,  params: SourceParams, body: UpdateSourceBody, response: { 200: SourceView } } }, async (request) => {
    const auth = requireAuth(request);
    return toSourceView(await setSourceExcluded(db, auth.customerId, request.params.id, request.params.sourceId, request.body.excluded));
  });

  // Uploads: multipart only on this route (its own plugin context), one file, capped while it streams in.
  void app.register(async (uploads: App) => {
    await uploads.register(multipart, { limits: { fileSize: FILE_LIMITS.maxBytes, files: 1, fields: 0, parts: 1, headerPairs: 100 } });
    uploads.post('/api/portal/chatbots/:id/sources/files', {
      schema: { summary: 'Upload a file (PDF, DOCX, Markdown, HTML or text) as a source', description: 'multipart/form-data with one field named `file`; the type is read from the bytes; 10 MB and 300 PDF pages at most; a scanned PDF without text answers 422.', tags: ['Knowledge sources'], security: SECURITY.portalWrite,  params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 201: SourceView } },
    }, async (request, reply) => {
      const auth = requireAuth(request);
      await getChatbot(db, auth.customerId, request.params.id);
      if (!request.isMultipart()) throw new AppError('unsupported_media_type', 'Send the file as multipart/form-data, in a field named "file".');
      const file = await request.file();
      if (!file || file.fieldname !== 'file') throw new AppError('validation_failed', 'Send one file in a field named "file".', [{ field: 'body.file', message: 'is required' }]);
      let bytes: Buffer;
      try {
        bytes = await file.toBuffer();
      } catch (error) {
        if ((error as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError('payload_too_large', `At most ${FILE_LIMITS.maxBytes / (1024 * 1024)} MB per file.`);
        throw error;
      }
      const extracted = await extractFile(file.filename, bytes);
      const source = await saveFileSource(db, { customerId: auth.customerId, chatbotId: request.params.id, title: extracted.title, passages: extracted.passages, contentHash: extracted.contentHash });
      return reply.status(201).send(toSourceView(source));
    });
  });

  app.delete('/api/portal/chatbots/:id/sources/:sourceId', { schema: { summary: 'Delete a source: its passages leave the index at once', tags: ['Knowledge sources'], security: SECURITY.portalWrite,  params: SourceParams, response: { 204: Type.Null() } } }, async (request, reply) => {
    const auth = requireAuth(request);
    await deleteSource(db, auth.customerId, request.params.id, request.params.sourceId);
    return reply.status(204).send(null);
  });
}
