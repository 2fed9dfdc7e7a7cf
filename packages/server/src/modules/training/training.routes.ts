import { Type } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import type { App, RouteDeps } from '../../http/types.js';
import { DEFAULT_PAGE_SIZE, PageQuery } from '../../lib/pagination.js';
import { IdParams } from '../accounts/accounts.schemas.js';
import { toEntryView } from '../knowledge/knowledge.service.js';
import { decideParaphrase, listParaphrases } from './paraphrases.service.js';
import { dismissReview, listReviews, resolveReview } from './training.service.js';

/** The self-training loop: the thumbs-down review queue and the paraphrases thumbs-ups suggest. */
export function registerTrainingRoutes(app: App, { database }: RouteDeps): void {
  const { db } = database;

  app.get('/api/portal/reviews', {
    schema: {
      querystring: Type.Object({
        ...PageQuery,
        status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('dismissed')])),
        chatbotId: Type.Optional(Type.String({ maxLength: 64 })),
      }, { additionalProperties: false }),
    },
  }, async (request) => {
    const auth = requireAuth(request);
    return listReviews(db, auth.customerId, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
  });

  app.post('/api/portal/reviews/:id/resolve', {
    schema: {
      params: IdParams,
      body: Type.Object({ answer: Type.String({ minLength: 1, maxLength: 10_000 }), question: Type.Optional(Type.String({ minLength: 1, maxLength: 1_000 })) }, { additionalProperties: false }),
    },
  }, async (request) => {
    const auth = requireAuth(request);
    const { review, entry } = await resolveReview(db, auth.customerId, request.params.id, request.body);
    return { review, entry: toEntryView(entry) };
  });

  app.post('/api/portal/reviews/:id/dismiss', { schema: { params: IdParams } }, async (request) => {
    const auth = requireAuth(request);
    return dismissReview(db, auth.customerId, request.params.id);
  });

  app.get('/api/portal/paraphrases', {
    schema: {
      querystring: Type.Object({
        ...PageQuery,
        status: Type.Optional(Type.Union([Type.Literal('suggested'), Type.Literal('approved'), Type.Literal('dismissed')])),
        chatbotId: Type.Optional(Type.String({ maxLength: 64 })),
      }, { additionalProperties: false }),
    },
  }, async (request) => {
    const auth = requireAuth(request);
    return listParaphrases(db, auth.customerId, { ...request.query, limit: request.query.limit ?? DEFAULT_PAGE_SIZE });
  });

  app.post('/api/portal/paraphrases/:id/approve', {
    schema: { params: IdParams, body: Type.Optional(Type.Object({ question: Type.Optional(Type.String({ minLength: 1, maxLength: 1_000 })) }, { additionalProperties: false })) },
  }, async (request) => {
    const auth = requireAuth(request);
    return decideParaphrase(db, auth.customerId, request.params.id, { status: 'approved', question: request.body?.question });
  });

  app.post('/api/portal/paraphrases/:id/dismiss', { schema: { params: IdParams } }, async (request) => {
    const auth = requireAuth(request);
    return decideParaphrase(db, auth.customerId, request.params.id, { status: 'dismissed' });
  });
}
