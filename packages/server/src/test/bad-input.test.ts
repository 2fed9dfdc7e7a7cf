import { generateKeyPairSync } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, multipartFile, signUpAccount, type TestAccount, type TestContext } from './harness.js';

/**
 * Bad input on every route with a body: malformed JSON, wrong types, missing fields, oversized bodies and
 * wrong media types all get a 4xx problem response and change nothing in the database.
 */
interface Ids {
  chatbotId: string;
  entryId: string;
  conversationId: string;
  reviewId: string;
  paraphraseId: string;
  webhookId: string;
  deliveryId: string;
  sheetsId: string;
  apiKey: string;
  userId: string;
}

interface BodyRoute {
  method: 'POST' | 'PATCH' | 'PUT';
  url: string;
  path: (ids: Ids) => string;
  /** A body of the right shape but wrong types. */
  wrongTypes: unknown;
  /** True when `{}` is a valid body (nothing required). */
  emptyIsValid?: boolean;
  /** Authenticated by `X-API-Key` (the Zapier REST hooks) instead of the portal session. */
  isApiKeyRoute?: boolean;
}

const BODY_ROUTES: BodyRoute[] = [
  { method: 'POST', url: '/api/portal/signup', path: () => '/api/portal/signup', wrongTypes: { email: 42, password: true, company: [] } },
  { method: 'POST', url: '/api/portal/login', path: () => '/api/portal/login', wrongTypes: { email: {}, password: 1 } },
  { method: 'POST', url: '/api/portal/account/password', path: () => '/api/portal/account/password', wrongTypes: { currentPassword: 1, newPassword: ['x'] } },
  { method: 'POST', url: '/api/portal/password-reset', path: () => '/api/portal/password-reset', wrongTypes: { email: 42 } },
  { method: 'POST', url: '/api/portal/password-reset/confirm', path: () => '/api/portal/password-reset/confirm', wrongTypes: { token: 5, newPassword: false } },
  { method: 'POST', url: '/api/portal/api-keys', path: () => '/api/portal/api-keys', wrongTypes: { name: 7 } },
  { method: 'POST', url: '/api/portal/chatbots', path: () => '/api/portal/chatbots', wrongTypes: { name: 1, settings: 'x' } },
  { method: 'PATCH', url: '/api/portal/chatbots/:id', path: (i) => `/api/portal/chatbots/${i.chatbotId}`, wrongTypes: { name: false, settings: { greeting: 5 } } },
  { method: 'POST', url: '/api/portal/chatbots/:id/knowledge', path: (i) => `/api/portal/chatbots/${i.chatbotId}/knowledge`, wrongTypes: { kind: 'faq', question: 1, answer: null } },
  { method: 'PATCH', url: '/api/portal/chatbots/:id/knowledge/:entryId', path: (i) => `/api/portal/chatbots/${i.chatbotId}/knowledge/${i.entryId}`, wrongTypes: { answer: 99 } },
  { method: 'POST', url: '/api/portal/chatbots/:id/site-check', path: (i) => `/api/portal/chatbots/${i.chatbotId}/site-check`, wrongTypes: { url: 5 } },
  { method: 'POST', url: '/api/portal/chatbots/:id/test-question', path: (i) => `/api/portal/chatbots/${i.chatbotId}/test-question`, wrongTypes: { question: 5 } },
  { method: 'POST', url: '/api/portal/chatbots/:id/crawls', path: (i) => `/api/portal/chatbots/${i.chatbotId}/crawls`, wrongTypes: { url: 5, maxPages: 'lots', maxDepth: 1.5 } },
  { method: 'PUT', url: '/api/portal/chatbots/:id/sources/schedule', path: (i) => `/api/portal/chatbots/${i.chatbotId}/sources/schedule`, wrongTypes: { every: 7 } },
  { method: 'PATCH', url: '/api/portal/chatbots/:id/sources/:sourceId', path: (i) => `/api/portal/chatbots/${i.chatbotId}/sources/src_badinput0001`, wrongTypes: { excluded: 'yes' } },
  { method: 'POST', url: '/api/portal/chatbots/:id/knowledge/import', path: (i) => `/api/portal/chatbots/${i.chatbotId}/knowledge/import`, wrongTypes: { faqs: 'all of them' } },
  { method: 'POST', url: '/api/portal/reviews/:id/resolve', path: (i) => `/api/portal/reviews/${i.reviewId}/resolve`, wrongTypes: { answer: ['x'] } },
  { method: 'POST', url: '/api/portal/paraphrases/:id/approve', path: (i) => `/api/portal/paraphrases/${i.paraphraseId}/approve`, wrongTypes: { question: 5 }, emptyIsValid: true },
  { method: 'POST', url: '/api/portal/webhooks', path: () => '/api/portal/webhooks', wrongTypes: { url: 5, events: 'lead.captured', headers: { 'X-A': 1 } } },
  { method: 'PATCH', url: '/api/portal/webhooks/:id', path: (i) => `/api/portal/webhooks/${i.webhookId}`, wrongTypes: { enabled: 'yes', events: [1] } },
  { method: 'POST', url: '/api/portal/webhooks/:id/rotate-secret', path: (i) => `/api/portal/webhooks/${i.webhookId}/rotate-secret`, wrongTypes: { secret: 12345678 }, emptyIsValid: true },
  { method: 'POST', url: '/api/portal/webhooks/preview', path: () => '/api/portal/webhooks/preview', wrongTypes: { eventType: 'lead.exploded', mappings: [] } },
  { method: 'POST', url: '/api/portal/webhooks/:id/recover', path: (i) => `/api/portal/webhooks/${i.webhookId}/recover`, wrongTypes: { since: 'yesterday-ish' } },
  { method: 'POST', url: '/api/portal/integrations/sheets', path: () => '/api/portal/integrations/sheets', wrongTypes: { serviceAccountKey: 5, spreadsheetId: 1, tabName: [] } },
  { method: 'PATCH', url: '/api/portal/integrations/sheets/:id', path: (i) => `/api/portal/integrations/sheets/${i.sheetsId}`, wrongTypes: { enabled: 'yes', events: ['lead.exploded'] } },
  { method: 'POST', url: '/api/zapier/hooks', path: () => '/api/zapier/hooks', wrongTypes: { event: 1, targetUrl: false }, isApiKeyRoute: true },
  { method: 'POST', url: '/api/portal/inbox/:id/reply', path: (i) => `/api/portal/inbox/${i.conversationId}/reply`, wrongTypes: { text: 42 } },
  { method: 'POST', url: '/api/portal/team/invites', path: () => '/api/portal/team/invites', wrongTypes: { email: 5, role: 'admin' } },
  { method: 'PATCH', url: '/api/portal/team/members/:userId', path: (i) => `/api/portal/team/members/${i.userId}`, wrongTypes: { role: 1 } },
  { method: 'PATCH', url: '/api/portal/account/profile', path: () => '/api/portal/account/profile', wrongTypes: { name: 42 } },
  { method: 'POST', url: '/api/portal/account/switch', path: () => '/api/portal/account/switch', wrongTypes: { customerId: ['cus_x'] } },
  { method: 'POST', url: '/api/portal/invites/inspect', path: () => '/api/portal/invites/inspect', wrongTypes: { token: 5 } },
  { method: 'POST', url: '/api/portal/invites/accept', path: () => '/api/portal/invites/accept', wrongTypes: { token: {}, password: 1, name: false } },
  { method: 'POST', url: '/api/public/system-chat', path: () => '/api/public/system-chat', wrongTypes: { chatbotId: 5, visitorId: {}, message: ['hi'] } },
  { method: 'POST', url: '/api/public/conversations/:id/rate', path: (i) => `/api/public/conversations/${i.conversationId}/rate`, wrongTypes: { messageId: 1, rating: 'meh', conversationToken: 2 } },
  { method: 'POST', url: '/api/public/conversations/:id/satisfaction', path: (i) => `/api/public/conversations/${i.conversationId}/satisfaction`, wrongTypes: { score: 'great', comment: 5, conversationToken: 2 } },
];

/** Routes that take a multipart upload, not JSON: checked by 'rejects bad uploads' below. */
const MULTIPART_ROUTES = new Set(['POST /api/portal/chatbots/:id/sources/files']);

/** Routes whose body is ignored (no fields), with the reason. */
const BODYLESS_WRITES = new Set([
  'POST /api/portal/logout', 'POST /api/portal/account/cancel', 'POST /api/portal/account/sign-out-everywhere', 'POST /api/portal/reviews/:id/dismiss', 'POST /api/portal/paraphrases/:id/dismiss',
  'POST /api/portal/webhooks/:id/test', 'POST /api/portal/deliveries/:id/resend', 'POST /api/portal/deliveries/:id/retry-now',
  'POST /api/portal/webhooks/:id/retry-now', 'POST /api/portal/integrations/sheets/:id/test-connection', 'POST /api/portal/integrations/sheets/:id/test-row',
  'POST /api/portal/chatbots/:id/crawls/:crawlId/cancel', 'POST /api/portal/chatbots/:id/sources/resync',
  'POST /api/portal/inbox/:id/claim', 'POST /api/portal/inbox/:id/hand-back', 'POST /api/portal/inbox/:id/resolve', 'POST /api/portal/inbox/:id/read',
]);

const TABLES = [
  'customers', 'users', 'sessions', 'password_resets', 'api_keys', 'chatbots', 'knowledge_entries', 'conversations', 'messages', 'ratings', 'leads',
  'escalations', 'reviews', 'learned_examples', 'events', 'webhooks', 'deliveries', 'delivery_attempts', 'sheets_destinations',
  'sheets_appended_events', 'escalation_emails', 'memberships', 'invites', 'inbox_presence',
  'knowledge_sources', 'crawl_jobs', 'crawl_pages', 'crawl_schedules',
] as const;

describe('bad input', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let ids: Ids;

  async function snapshot(): Promise<string> {
    const counts: Record<string, unknown> = {};
    for (const table of TABLES) counts[table] = await ctx.database.db.selectFrom(table).selectAll().execute();
    return JSON.stringify(counts);
  }

  async function expectRejected(request: InjectOptions, statuses: number[]): Promise<void> {
    const before = await snapshot();
    const response = await ctx.app.inject(request);
    expect(statuses, `${response.statusCode} ${response.body}`).toContain(response.statusCode);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const problem = response.json();
    expect(problem).toMatchObject({ type: expect.any(String), title: expect.any(String), status: response.statusCode, detail: expect.any(String) });
    expect(response.body).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(await snapshot()).toBe(before);
  }

  beforeAll(async () => {
    ctx = await createTestApp();
    account = await signUpAccount(ctx.app);
    const chatbot = await createChatbotFor(ctx.app, account);
    const entry = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbot.id}/knowledge`, headers: account.headers, payload: { kind: 'faq', question: 'Q?', answer: 'A' } });
    const reply = (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: chatbot.id, visitorId: 'v', message: 'hello there' } })).json();
    await ctx.app.inject({ method: 'POST', url: `/api/public/conversations/${reply.conversationId}/rate`, payload: { messageId: reply.message.id, rating: 'down', conversationToken: reply.conversationToken } });
    const review = await ctx.database.db.selectFrom('reviews').select('id').executeTakeFirstOrThrow();
    // A thumbs-up's suggestion, as rateMessage stores it (the one-letter FAQ above answers no real question).
    const paraphrase = { id: 'lrn_badinput01', customer_id: account.customerId, chatbot_id: chatbot.id, entry_id: entry.json().id, message_id: reply.message.id, question: 'Q, asked another way?', status: 'suggested' as const, created_at: new Date().toISOString(), decided_at: null };
    await ctx.database.db.insertInto('learned_examples').values(paraphrase).execute();
    const webhook = (await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: account.headers, payload: { url: 'http://127.0.0.1:9/hook', events: ['lead.captured'] } })).json<{ id: string }>();
    const test = (await ctx.app.inject({ method: 'POST', url: `/api/portal/webhooks/${webhook.id}/test`, headers: account.headers })).json<{ deliveryId: string }>();
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const sheets = (await ctx.app.inject({
      method: 'POST', url: '/api/portal/integrations/sheets', headers: account.headers,
      payload: { serviceAccountKey: { type: 'service_account', client_email: 'sa@project.iam.gserviceaccount.com', private_key: privateKey, token_uri: 'https://oauth2.googleapis.com/token' }, spreadsheetId: '1BadInputSpreadsheet0123456789', tabName: 'Leads' },
    })).json<{ id: string }>();
    const apiKey = (await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'zapier' } })).json<{ key: string }>().key;
    // Using a key records when (at most once a minute): do it now, so the snapshots below compare like with like.
    await ctx.app.inject({ method: 'GET', url: '/api/zapier/me', headers: { 'x-api-key': apiKey } });
    ids = {
      chatbotId: chatbot.id, entryId: entry.json().id, conversationId: reply.conversationId, reviewId: review.id, paraphraseId: paraphrase.id, webhookId: webhook.id, deliveryId: test.deliveryId,
      sheetsId: sheets.id, apiKey, userId: account.userId,
    };
  });
  afterAll(async () => {
    await ctx.close();
  });

  describe.each(BODY_ROUTES)('$method $url', (route) => {
    const headersOf = (): Record<string, string> => (route.isApiKeyRoute ? { 'x-api-key': ids.apiKey } : account.headers);
    it('rejects malformed JSON', async () => {
      await expectRejected({ method: route.method, url: route.path(ids), headers: { ...headersOf(), 'content-type': 'application/json' }, payload: '{"name": ' }, [400]);
    });
    it('rejects wrong types', async () => {
      await expectRejected({ method: route.method, url: route.path(ids), headers: headersOf(), payload: route.wrongTypes as object }, [400]);
    });
    it('rejects missing fields', async () => {
      if (route.emptyIsValid) return;
      await expectRejected({ method: route.method, url: route.path(ids), headers: headersOf(), payload: {} }, [400]);
    });
    it('rejects an oversized body', async () => {
      const huge = JSON.stringify({ name: 'x'.repeat(9 * 1024 * 1024) });
      await expectRejected({ method: route.method, url: route.path(ids), headers: { ...headersOf(), 'content-type': 'application/json' }, payload: huge }, [413]);
    });
    it('rejects an unsupported media type', async () => {
      await expectRejected({ method: route.method, url: route.path(ids), headers: { ...headersOf(), 'content-type': 'application/xml' }, payload: '<a/>' }, [415]);
    });
    it('rejects unknown properties', async () => {
      await expectRejected({ method: route.method, url: route.path(ids), headers: headersOf(), payload: { unexpected: true } }, [400]);
    });
  });

  it('rejects bad uploads (JSON, another media type, no file, an oversized file, a binary named .txt)', async () => {
    const url = `/api/portal/chatbots/${ids.chatbotId}/sources/files`;
    await expectRejected({ method: 'POST', url, headers: account.headers, payload: { file: 'x' } }, [415]);
    await expectRejected({ method: 'POST', url, headers: { ...account.headers, 'content-type': 'application/xml' }, payload: '<a/>' }, [415]);
    const wrongField = multipartFile('a.txt', 'hello', { field: 'other' });
    await expectRejected({ method: 'POST', url, headers: { ...account.headers, ...wrongField.headers }, payload: wrongField.payload }, [400]);
    const huge = multipartFile('huge.txt', Buffer.alloc(11 * 1024 * 1024, 'a'));
    await expectRejected({ method: 'POST', url, headers: { ...account.headers, ...huge.headers }, payload: huge.payload }, [413]);
    const binary = multipartFile('a.txt', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]));
    await expectRejected({ method: 'POST', url, headers: { ...account.headers, ...binary.headers }, payload: binary.payload }, [415, 422]);
  });

  it('rejects bad list queries and cursors', async () => {
    await expectRejected({ method: 'GET', url: '/api/portal/chatbots?limit=abc', headers: account.headers }, [400]);
    await expectRejected({ method: 'GET', url: '/api/portal/chatbots?limit=100000', headers: account.headers }, [400]);
    await expectRejected({ method: 'GET', url: '/api/portal/chatbots?cursor=not-a-cursor', headers: account.headers }, [400]);
    await expectRejected({ method: 'GET', url: `/api/portal/chatbots/${ids.chatbotId}/knowledge?kind=poem`, headers: account.headers }, [400]);
  });

  it('rejects absurd ids without touching anything', async () => {
    await expectRejected({ method: 'GET', url: `/api/portal/chatbots/${'x'.repeat(500)}`, headers: account.headers }, [400, 404, 414]);
    await expectRejected({ method: 'DELETE', url: '/api/portal/chatbots/%00%27%3B--', headers: account.headers }, [400, 404]);
  });

  it('covers every route that takes a body', () => {
    const covered = new Set(BODY_ROUTES.map((r) => `${r.method} ${r.url}`));
    const missing = ctx.app.routeTable
      .filter((r) => ['POST', 'PATCH', 'PUT'].includes(r.method))
      .map((r) => `${r.method} ${r.url}`)
      .filter((key) => !covered.has(key) && !BODYLESS_WRITES.has(key) && !MULTIPART_ROUTES.has(key));
    expect(missing).toEqual([]);
  });
});
