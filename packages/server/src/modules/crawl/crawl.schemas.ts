import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../lib/pagination.js';

export const CrawlParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export const CrawlJobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), crawlId: Type.String({ minLength: 1, maxLength: 64 }) });

/** `url`: a start page or a sitemap (`…/sitemap.xml`); caps are checked by the service so the answer can name them. */
export const StartCrawlBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2_048 }),
    maxPages: Type.Optional(Type.Integer()),
    maxDepth: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

export const CrawlListQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const CrawlPagesQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(Type.Union(['queued', 'fetched', 'unchanged', 'skipped', 'failed'].map((s) => Type.Literal(s)))),
  },
  { additionalProperties: false },
);

export const PageCountsView = Type.Object({
  found: Type.Integer(), queued: Type.Integer(), fetched: Type.Integer(), unchanged: Type.Integer(), skipped: Type.Integer(), failed: Type.Integer(),
});

export const CrawlView = Type.Object({
  id: Type.String(),
  chatbotId: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  startUrl: Type.String(),
  maxPages: Type.Integer(),
  maxDepth: Type.Integer(),
  pages: PageCountsView,
  passages: Type.Integer(),
  stopReason: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});

export const CrawlPageView = Type.Object({
  url: Type.String(),
  depth: Type.Integer(),
  status: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  httpStatus: Type.Union([Type.Integer(), Type.Null()]),
  title: Type.Union([Type.String(), Type.Null()]),
  passages: Type.Integer(),
  sourceId: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String(),
});
