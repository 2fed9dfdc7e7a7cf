import { Type, type TSchema } from '@sinclair/typebox';
import { requireAuth } from '../../http/auth.js';
import { OpenObject } from '../../http/openapi.js';
import type { App, RouteDeps } from '../../http/types.js';
import { DEFAULT_PAGE_SIZE, PageQuery } from '../../lib/pagination.js';
import { IdParams } from '../accounts/accounts.schemas.js';
import { EntryView } from '../knowledge/knowledge.schemas.js';
import { toEntryView } from '../knowledge/knowledge.service.js';
import { decideParaphrase, listParaphrases } from './paraphrases.service.js';
import { dismissReview, listReviews, resolveReview } from './training.service.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Page = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
const ReviewView = OpenObject({
  id: Type.String(), chatbotId: Type.String(), conversationId: Type.String(), messageId: Type.String(),
  question: Type.String({ description: 'What the visitor asked' }), answer: Type.String({ description: 'What the bot answered (rated down)' }),
  sources: Type.Array(OpenObject({ id: Type.String(), title: Type.String() })), comment: Nullable(Type.String()),
  status: Type.String({ enum: ['open', 'resolved', 'dismissed'] }), resolutionEntryId: Nullable(Type.String()),
  createdAt: Type.String(), resolvedAt: Nullable(Type.String()),
});
const ParaphraseView = OpenObject({
  id: Type.String(), chatbotId: Type.String(), conversationId: Type.String(), messageId: Type.String(),
  question: Type.String({ description: 'The visitor’s wording, suggested as another way to ask the entry’s question' }),
  entry: OpenObject({ id: Type.String(), title: Type.String() }),
  status: Type.Union([Type.Literal('suggested'), Type.Literal('approved'), Type.Literal('dismissed')]), createdAt: Type.String(), decidedAt: Nullable(Type.String()),
});

/** The self-training loop: the thumbs-down review queue and the paraphrases thumbs-ups suggest. */
export function registerTrainingRoutes(app: App, { database }: RouteDeps): void {
  const { db } = database;

  app.get('/api/portal/reviews', {
    schema: {
      summary: 'The review queue (answers rated down)', tags: ['Training'],
      response: { 200: Page(ReviewView) },
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
      summary: 'Resolve a review with a better answer', description: 'Saves the answer as a curated knowledge entry for the question (or the `question` given).', tags: ['Training'],
      response: { 200: OpenObject({ review: ReviewView, entry: EntryView }) },
      params: IdParams,
      body: Type.Object({ answer: Type.String({ minLength: 1, maxLength: 10_000 }), question: Type.Optional(Type.String({ minLength: 1, maxLength: 1_000 })) }, { additionalProperties: false }),
    },
  }, async (request) => {
    const auth = requireAuth(request);
    const { review, entry } = await resolveReview(db, auth.customerId, request.params.id, request.body);
    return { review, entry: toEntryView(entry) };
  });

  app.post('/api/portal/reviews/:id/dismiss', { schema: { summary: 'Dismiss a review', tags: ['Training'], params: IdParams, response: { 200: ReviewView } } }, async (request) => {
    const auth = requireAuth(request);
    return dismissReview(db, auth.customerId, request.params.id);
  });

  app.get('/api/portal/paraphrases', {
    schema: {
      summary: 'Suggested wordings (from thumbs-ups)', description: 'A thumbs-up suggests the visitor’s wording for the entry that answered; it reaches the search index only once approved.', tags: ['Training'],
      response: { 200: Page(ParaphraseView) },
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
    schema: {
      summary: 'Approve a suggested wording', description: 'Optionally with the wording edited (`question`).', tags: ['Training'], params: IdParams,
      body: Type.Optional(Type.Object({ question: Type.Optional(Type.String({ minLength: 1, maxLength: 1_000 })) }, { additionalProperties: false })),
      response: { 200: ParaphraseView },
    },
  }, async (request) => {
    const auth = requireAuth(request);
    return decideParaphrase(db, auth.customerId, request.params.id, { status: 'approved', question: request.body?.question });
  });

  app.post('/api/portal/paraphrases/:id/dismiss', { schema: { summary: 'Dismiss a suggested wording', tags: ['Training'], params: IdParams, response: { 200: ParaphraseView } } }, async (request) => {
    const auth = requireAuth(request);
    return decideParaphrase(db, auth.customerId, request.params.id, { status: 'dismissed' });
  });
}
