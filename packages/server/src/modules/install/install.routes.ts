import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { requireAuth } from '../../http/auth.js';
import { withExamples } from '../../http/openapi.js';
import type { App } from '../../http/types.js';
import { IdParams } from '../accounts/accounts.schemas.js';
import { getChatbot } from '../chatbots/chatbots.service.js';
import { AppError } from '../../lib/errors.js';
import { checkWebhookUrl, WEBHOOK_URL_MAX_CHARS } from '../delivery/index.js';
import { normaliseSiteUrl, type SiteChecker } from './site-check.js';

/** Each check is an outbound fetch of someone's page: a button needs a few a minute, not a scanner's worth. */
const SITE_CHECKS_PER_MINUTE = 20;

const SiteCheckBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: WEBHOOK_URL_MAX_CHARS, description: 'The page to check; `https://` is assumed when no scheme is given.' }),
}, { additionalProperties: false });

const SiteCheckReply = Type.Object({
  result: Type.Union([Type.Literal('found'), Type.Literal('found_other'), Type.Literal('not_found'), Type.Literal('fetch_failed')], {
    description: '`found`: the snippet with this chatbot’s id; `found_other`: a snippet with another id; `not_found`: no snippet; `fetch_failed`: the page could not be read (`reason`).',
  }),
  url: Type.String(),
  finalUrl: Type.Union([Type.String(), Type.Null()], { description: 'Where the page was read after redirects' }),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  chatbotIds: Type.Array(Type.String(), { description: 'The chatbot ids of every snippet on the page' }),
  tagManager: Type.Boolean({ description: 'The page loads Google Tag Manager, whose tags a plain fetch cannot see' }),
  reason: Type.Union([
    Type.Literal('invalid_url'), Type.Literal('blocked_address'), Type.Literal('dns'), Type.Literal('timeout'), Type.Literal('tls'), Type.Literal('connection'),
    Type.Literal('http_status'), Type.Literal('too_many_redirects'), Type.Null(),
  ]),
  detail: Type.String({ description: 'What to tell the customer, in plain words' }),
  truncated: Type.Boolean({ description: 'The page was longer than 2 MB; only its start was searched' }),
});

/** "Check my site" in the Install tab: is this chatbot's snippet on the customer's page? */
export function registerInstallRoutes(app: App, deps: { db: Kysely<Database>; siteChecker: SiteChecker; allowPrivate: boolean }): void {
  app.post('/api/portal/chatbots/:id/site-check', {
    schema: {
      summary: 'Check my site: is the snippet on this page?',
      description: 'Fetches the page from the server (10 s, 2 MB, up to 5 redirects, each checked again; private and internal addresses refused) and looks for this chatbot’s `<script>` tag. An address that is not a public http(s) URL answers 400; a page that cannot be read answers 200 with `result: fetch_failed` and the reason.',
      tags: ['Install'],
      params: IdParams,
      body: withExamples(SiteCheckBody, [{ url: 'https://crumbandco.example/' }]),
      response: { 200: SiteCheckReply },
    },
    config: { rateLimit: { max: SITE_CHECKS_PER_MINUTE, timeWindow: '1 minute', keyGenerator: (request: FastifyRequest) => `site-check:${request.auth?.customerId ?? request.ip}` } },
  }, async (request) => {
    const auth = requireAuth(request);
    const chatbot = await getChatbot(deps.db, auth.customerId, request.params.id);
    // What the address itself says (syntax, scheme, an IP literal or internal name) is bad input; what the
    // fetch finds out (DNS, redirects, the page) is the check's answer.
    const verdict = checkWebhookUrl(normaliseSiteUrl(request.body.url), { allowPrivate: deps.allowPrivate });
    if (!verdict.ok) {
      const message = verdict.reason === 'blocked_address' ? `${verdict.message}; only public websites can be checked` : verdict.message;
      throw new AppError('validation_failed', `The address ${message}.`, [{ field: 'url', message }]);
    }
    return deps.siteChecker.check(verdict.url.href, chatbot.id);
  });
}
