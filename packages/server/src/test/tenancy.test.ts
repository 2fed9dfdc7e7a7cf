import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savePageSource } from '../modules/knowledge/sources.service.js';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from './harness.js';

/**
 * One customer must never reach another's data, whatever ids it tries. Every portal route is listed here,
 * and the last test fails when a route exists that this table does not cover: add new routes to a table.
 */
interface Owned {
  chatbotId: string;
  entryId: string;
  apiKeyId: string;
  conversationId: string;
  escalationId: string;
  reviewId: string;
  paraphraseId: string;
  leadId: string;
  webhookId: string;
  deliveryId: string;
  zapierHookId: string;
  sheetsId: string;
  userId: string;
  inviteId: string;
  crawlId: string;
  sourceId: string;
}

type Case = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT'; url: string; path: (a: Owned) => string; payload?: unknown };

/** Routes that address one of the owner's rows by id: the intruder must get 404. */
const ID_ROUTES: Case[] = [
  { method: 'GET', url: '/api/portal/chatbots/:id', path: (a) => `/api/portal/chatbots/${a.chatbotId}` },
  { method: 'PATCH', url: '/api/portal/chatbots/:id', path: (a) => `/api/portal/chatbots/${a.chatbotId}`, payload: { name: 'Stolen' } },
  { method: 'DELETE', url: '/api/portal/chatbots/:id', path: (a) => `/api/portal/chatbots/${a.chatbotId}` },
  { method: 'GET', url: '/api/portal/chatbots/:id/knowledge', path: (a) => `/api/portal/chatbots/${a.chatbotId}/knowledge` },
  { method: 'POST', url: '/api/portal/chatbots/:id/knowledge', path: (a) => `/api/portal/chatbots/${a.chatbotId}/knowledge`, payload: { kind: 'faq', question: 'Q?', answer: 'A' } },
  { method: 'POST', url: '/api/portal/chatbots/:id/knowledge/import', path: (a) => `/api/portal/chatbots/${a.chatbotId}/knowledge/import`, payload: { faqs: [{ question: 'Q?', answer: 'A' }] } },
  { method: 'GET', url: '/api/portal/chatbots/:id/knowledge/:entryId', path: (a) => `/api/portal/chatbots/${a.chatbotId}/knowledge/${a.entryId}` },
  { method: 'PATCH', url: '/api/portal/chatbots/:id/knowledge/:entryId', path: (a) => `/api/portal/chatbots/${a.chatbotId}/knowledge/${a.entryId}`, payload: { answer: 'Stolen' } },
  { method: 'DELETE', url: '/api/portal/chatbots/:id/knowledge/:entryId', path: (a) => `/api/portal/chatbots/${a.chatbotId}/knowledge/${a.entryId}` },
  { method: 'POST', url: '/api/portal/chatbots/:id/site-check', path: (a) => `/api/portal/chatbots/${a.chatbotId}/site-check`, payload: { url: 'http://127.0.0.1:9/' } },
  { method: 'GET', url: '/api/portal/chatbots/:id/crawls', path: (a) => `/api/portal/chatbots/${a.chatbotId}/crawls` },
  { method: 'POST', url: '/api/portal/chatbots/:id/crawls', path: (a) => `/api/portal/chatbots/${a.chatbotId}/crawls`, payload: { url: 'http://127.0.0.1:9/' } },
  { method: 'GET', url: '/api/portal/chatbots/:id/crawls/:crawlId', path: (a) => `/api/portal/chatbots/${a.chatbotId}/crawls/${a.crawlId}` },
  { method: 'GET', url: '/api/portal/chatbots/:id/crawls/:crawlId/pages', path: (a) => `/api/portal/chatbots/${a.chatbotId}/crawls/${a.crawlId}/pages` },
  { method: 'POST', url: '/api/portal/chatbots/:id/crawls/:crawlId/cancel', path: (a) => `/api/portal/chatbots/${a.chatbotId}/crawls/${a.crawlId}/cancel` },
  { method: 'POST', url: '/api/portal/chatbots/:id/sources/resync', path: (a) => `/api/portal/chatbots/${a.chatbotId}/sources/resync` },
  { method: 'GET', url: '/api/portal/chatbots/:id/sources', path: (a) => `/api/portal/chatbots/${a.chatbotId}/sources` },
  { method: 'GET', url: '/api/portal/chatbots/:id/sources/schedule', path: (a) => `/api/portal/chatbots/${a.chatbotId}/sources/schedule` },
  { method: 'PUT', url: '/api/portal/chatbots/:id/sources/schedule', path: (a) => `/api/portal/chatbots/${a.chatbotId}/sources/schedule`, payload: { every: 'daily' } },
  { method: 'POST', url: '/api/portal/chatbots/:id/sources/files', path: (a) => `/api/portal/chatbots/${a.chatbotId}/sources/files`, payload: { file: 'stolen' } },
  { method: 'GET', url: '/api/portal/chatbots/:id/sources/:sourceId', path: (a) => `/api/portal/chatbots/${a.chatbotId}/sources/${a.sourceId}` },
  { method: 'PATCH', url: '/api/portal/chatbots/:id/sources/:sourceId', path: (a) => `/api/portal/chatbots/${a.chatbotId}/sources/${a.sourceId}`, payload: { excluded: true } },
  { method: 'DELETE', url: '/api/portal/chatbots/:id/sources/:sourceId', path: (a) => `/api/portal/chatbots/${a.chatbotId}/sources/${a.sourceId}` },
  { method: 'POST', url: '/api/portal/chatbots/:id/test-question', path: (a) => `/api/portal/chatbots/${a.chatbotId}/test-question`, payload: { question: 'Secret?' } },
  { method: 'DELETE', url: '/api/portal/api-keys/:id', path: (a) => `/api/portal/api-keys/${a.apiKeyId}` },
  { method: 'GET', url: '/api/portal/conversations/:id', path: (a) => `/api/portal/conversations/${a.conversationId}` },
  { method: 'GET', url: '/api/portal/escalations/:id', path: (a) => `/api/portal/escalations/${a.escalationId}` },
  { method: 'POST', url: '/api/portal/reviews/:id/resolve', path: (a) => `/api/portal/reviews/${a.reviewId}/resolve`, payload: { answer: 'Hijacked' } },
  { method: 'POST', url: '/api/portal/reviews/:id/dismiss', path: (a) => `/api/portal/reviews/${a.reviewId}/dismiss` },
  { method: 'POST', url: '/api/portal/paraphrases/:id/approve', path: (a) => `/api/portal/paraphrases/${a.paraphraseId}/approve`, payload: { question: 'Hijacked' } },
  { method: 'POST', url: '/api/portal/paraphrases/:id/dismiss', path: (a) => `/api/portal/paraphrases/${a.paraphraseId}/dismiss` },
  { method: 'GET', url: '/api/portal/webhooks/:id', path: (a) => `/api/portal/webhooks/${a.webhookId}` },
  { method: 'PATCH', url: '/api/portal/webhooks/:id', path: (a) => `/api/portal/webhooks/${a.webhookId}`, payload: { url: 'https://attacker.example.com/steal' } },
  { method: 'DELETE', url: '/api/portal/webhooks/:id', path: (a) => `/api/portal/webhooks/${a.webhookId}` },
  { method: 'POST', url: '/api/portal/webhooks/:id/rotate-secret', path: (a) => `/api/portal/webhooks/${a.webhookId}/rotate-secret`, payload: {} },
  { method: 'POST', url: '/api/portal/webhooks/:id/test', path: (a) => `/api/portal/webhooks/${a.webhookId}/test` },
  { method: 'GET', url: '/api/portal/webhooks/:id/deliveries', path: (a) => `/api/portal/webhooks/${a.webhookId}/deliveries` },
  { method: 'POST', url: '/api/portal/webhooks/:id/recover', path: (a) => `/api/portal/webhooks/${a.webhookId}/recover`, payload: { since: '2020-01-01T00:00:00Z' } },
  { method: 'GET', url: '/api/portal/deliveries/:id', path: (a) => `/api/portal/deliveries/${a.deliveryId}` },
  { method: 'POST', url: '/api/portal/deliveries/:id/resend', path: (a) => `/api/portal/deliveries/${a.deliveryId}/resend` },
  { method: 'POST', url: '/api/portal/deliveries/:id/retry-now', path: (a) => `/api/portal/deliveries/${a.deliveryId}/retry-now` },
  { method: 'POST', url: '/api/portal/webhooks/:id/retry-now', path: (a) => `/api/portal/webhooks/${a.webhookId}/retry-now` },
  { method: 'GET', url: '/api/portal/integrations/zapier/hooks/:id', path: (a) => `/api/portal/integrations/zapier/hooks/${a.zapierHookId}` },
  { method: 'DELETE', url: '/api/portal/integrations/zapier/hooks/:id', path: (a) => `/api/portal/integrations/zapier/hooks/${a.zapierHookId}` },
  { method: 'GET', url: '/api/portal/webhooks/:id/deliveries', path: (a) => `/api/portal/webhooks/${a.zapierHookId}/deliveries` },
  { method: 'GET', url: '/api/portal/integrations/sheets/:id', path: (a) => `/api/portal/integrations/sheets/${a.sheetsId}` },
  { method: 'PATCH', url: '/api/portal/integrations/sheets/:id', path: (a) => `/api/portal/integrations/sheets/${a.sheetsId}`, payload: { tabName: 'Stolen' } },
  { method: 'DELETE', url: '/api/portal/integrations/sheets/:id', path: (a) => `/api/portal/integrations/sheets/${a.sheetsId}` },
  { method: 'POST', url: '/api/portal/integrations/sheets/:id/test-connection', path: (a) => `/api/portal/integrations/sheets/${a.sheetsId}/test-connection` },
  { method: 'POST', url: '/api/portal/integrations/sheets/:id/test-row', path: (a) => `/api/portal/integrations/sheets/${a.sheetsId}/test-row` },
  { method: 'GET', url: '/api/portal/webhooks/:id/deliveries', path: (a) => `/api/portal/webhooks/${a.sheetsId}/deliveries` },
  { method: 'GET', url: '/api/portal/inbox/:id', path: (a) => `/api/portal/inbox/${a.conversationId}` },
  { method: 'POST', url: '/api/portal/inbox/:id/claim', path: (a) => `/api/portal/inbox/${a.conversationId}/claim` },
  { method: 'POST', url: '/api/portal/inbox/:id/reply', path: (a) => `/api/portal/inbox/${a.conversationId}/reply`, payload: { text: 'Hijacked' } },
  { method: 'POST', url: '/api/portal/inbox/:id/hand-back', path: (a) => `/api/portal/inbox/${a.conversationId}/hand-back` },
  { method: 'POST', url: '/api/portal/inbox/:id/resolve', path: (a) => `/api/portal/inbox/${a.conversationId}/resolve` },
  { method: 'POST', url: '/api/portal/inbox/:id/read', path: (a) => `/api/portal/inbox/${a.conversationId}/read` },
  { method: 'PATCH', url: '/api/portal/team/members/:userId', path: (a) => `/api/portal/team/members/${a.userId}`, payload: { role: 'agent' } },
  { method: 'DELETE', url: '/api/portal/team/members/:userId', path: (a) => `/api/portal/team/members/${a.userId}` },
  { method: 'DELETE', url: '/api/portal/team/invites/:id', path: (a) => `/api/portal/team/invites/${a.inviteId}` },
];

/** List routes: the intruder's list must not contain any of the owner's ids. */
const LIST_ROUTES: Case[] = [
  { method: 'GET', url: '/api/portal/chatbots', path: () => '/api/portal/chatbots' },
  { method: 'GET', url: '/api/portal/api-keys', path: () => '/api/portal/api-keys' },
  { method: 'GET', url: '/api/portal/account/plan', path: () => '/api/portal/account/plan' },
  { method: 'GET', url: '/api/portal/conversations', path: () => '/api/portal/conversations' },
  { method: 'GET', url: '/api/portal/leads', path: () => '/api/portal/leads' },
  { method: 'GET', url: '/api/portal/leads/export.csv', path: () => '/api/portal/leads/export.csv' },
  { method: 'GET', url: '/api/portal/escalations', path: () => '/api/portal/escalations' },
  { method: 'GET', url: '/api/portal/reviews', path: () => '/api/portal/reviews' },
  { method: 'GET', url: '/api/portal/paraphrases', path: () => '/api/portal/paraphrases' },
  { method: 'GET', url: '/api/portal/stats', path: () => '/api/portal/stats' },
  { method: 'GET', url: '/api/portal/stats?chatbotId', path: (a) => `/api/portal/stats?chatbotId=${a.chatbotId}` },
  { method: 'GET', url: '/api/portal/webhooks', path: () => '/api/portal/webhooks' },
  { method: 'GET', url: '/api/portal/integrations/zapier/hooks', path: () => '/api/portal/integrations/zapier/hooks' },
  { method: 'GET', url: '/api/portal/integrations/sheets', path: () => '/api/portal/integrations/sheets' },
  { method: 'GET', url: '/api/portal/inbox', path: () => '/api/portal/inbox' },
  { method: 'GET', url: '/api/portal/inbox?chatbotId', path: (a) => `/api/portal/inbox?chatbotId=${a.chatbotId}` },
  { method: 'GET', url: '/api/portal/inbox/presence', path: () => '/api/portal/inbox/presence' },
  { method: 'GET', url: '/api/portal/team/members', path: () => '/api/portal/team/members' },
  { method: 'GET', url: '/api/portal/team/invites', path: () => '/api/portal/team/invites' },
  { method: 'GET', url: '/api/portal/account/memberships', path: () => '/api/portal/account/memberships' },
  // Filters naming another customer's ids find nothing rather than leaking.
  { method: 'GET', url: '/api/portal/leads?chatbotId', path: (a) => `/api/portal/leads?chatbotId=${a.chatbotId}` },
  { method: 'GET', url: '/api/portal/conversations?chatbotId', path: (a) => `/api/portal/conversations?chatbotId=${a.chatbotId}` },
];

/** Routes that take no id of another tenant's row, with the reason they are safe. */
const NOT_ID_ROUTES: Record<string, string> = {
  'GET /api/health': 'public, no tenant data',
  'GET /api/openapi.json': 'the API’s OpenAPI document, generated from the route schemas; no tenant data',
  'POST /api/portal/signup': 'creates a new tenant',
  'POST /api/portal/login': 'credentials only',
  'POST /api/portal/logout': 'ends the caller’s own session',
  'GET /api/portal/me': 'the caller’s own account',
  'POST /api/portal/account/cancel': 'the caller’s own account',
  'POST /api/portal/account/password': 'the caller’s own user (needs its current password)',
  'POST /api/portal/account/sign-out-everywhere': 'the caller’s own user’s sessions',
  'GET /api/portal/password-reset': 'whether reset by e-mail is configured, no tenant data',
  'POST /api/portal/password-reset': 'an e-mail address only; answers the same whether or not it has an account',
  'POST /api/portal/password-reset/confirm': 'a single-use token from the e-mailed link only',
  'POST /api/portal/api-keys': 'creates in the caller’s tenant',
  'POST /api/portal/team/invites': 'creates in the caller’s tenant',
  'PATCH /api/portal/account/profile': 'the caller’s own user',
  'POST /api/portal/account/switch': 'moves the caller’s own session, only to an account the caller belongs to; any other answers 404 (team.routes.test.ts)',
  'POST /api/portal/invites/inspect': 'a single-use token from an invitation link only',
  'POST /api/portal/invites/accept': 'a single-use token from an invitation link only; joins the account that made it (team.routes.test.ts)',
  'POST /api/portal/chatbots': 'creates in the caller’s tenant',
  'POST /api/portal/webhooks': 'creates in the caller’s tenant; a chatbotId of another tenant is refused (webhook tests)',
  'GET /api/portal/webhooks/presets': 'static CRM presets, no tenant data',
  'POST /api/portal/integrations/sheets': 'creates in the caller’s tenant; a chatbotId of another tenant is refused (same check as webhooks)',
  'GET /api/zapier/me': 'X-API-Key: the key’s own account',
  'POST /api/zapier/hooks': 'X-API-Key: creates in the key’s account; another tenant’s chatbotId is refused (zapier.routes.test.ts)',
  'DELETE /api/zapier/hooks/:id': 'X-API-Key: another account’s key gets 404 (zapier.routes.test.ts)',
  'GET /api/zapier/samples/:event': 'X-API-Key: only the key’s account’s events (zapier.routes.test.ts)',
  'POST /api/portal/webhooks/preview': 'renders the caller’s own latest event or a sample; queries filter on the caller',
  'POST /api/public/system-chat': 'public; a conversation is reachable only with its token (chat tests)',
  'POST /api/public/conversations/:id/rate': 'public; needs the conversation token (training tests)',
  'POST /api/public/conversations/:id/satisfaction': 'public; needs the conversation token, refuses another conversation\'s (satisfaction tests)',
  'GET /api/public/conversations/:id/messages': 'public; needs the conversation token (chat tests)',
  'GET /api/public/chatbots/:id/widget': 'public look and greeting only, nothing secret',
  'OPTIONS /api/public/*': 'CORS preflight',
  'GET /*': 'the portal’s static files and SPA fallback (index.html); /api paths answer 404',
  'GET /api/public/conversations/:id/events': 'public; needs the conversation token (live tests)',
  'GET /api/portal/inbox/events': 'Server-Sent Events of the caller’s own inbox only (subscribed by the session’s customer id; handoff tests)',
  'GET /widget.js': 'public script, no data',
  'GET /widget.:hash.js': 'public script, no data',
  'GET /widget/i18n/:language.json': 'public widget words in one language, no data',
  'GET /demo': 'static demo page',
  'GET /status': 'static status page',
  'GET /status/history': 'public health samples, no tenant data',
  'GET /site/site.css': 'static asset',
  'GET /site/status.js': 'static asset',
};

describe('tenancy', () => {
  let ctx: TestContext;
  let owner: TestAccount;
  let intruder: TestAccount;
  let owned: Owned;

  beforeAll(async () => {
    ctx = await createTestApp();
    owner = await signUpAccount(ctx.app);
    intruder = await signUpAccount(ctx.app);
    const chatbot = await createChatbotFor(ctx.app, owner, { name: 'Private bot' });
    const entry = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbot.id}/knowledge`, headers: owner.headers, payload: { kind: 'faq', question: 'Secret?', answer: 'Owner only' } });
    const key = await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: owner.headers, payload: { name: 'owner key' } });
    const chat = (message: string, extra: Record<string, string> = {}) => ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: chatbot.id, visitorId: 'v1', message, ...extra } });
    const first = (await chat('I want to book an appointment, I am Olivia Owner')).json();
    const more = { conversationId: first.conversationId, conversationToken: first.conversationToken };
    await chat('my phone is 512-555-0199 and email olivia@example.com', more);
    const angry = (await chat('let me talk to a human', more)).json();
    await ctx.app.inject({ method: 'POST', url: `/api/public/conversations/${first.conversationId}/rate`, payload: { messageId: angry.message.id, rating: 'down', conversationToken: first.conversationToken } });
    const liked = (await chat('Secret?', { visitorId: 'v2' })).json();
    await ctx.app.inject({ method: 'POST', url: `/api/public/conversations/${liked.conversationId}/rate`, payload: { messageId: liked.message.id, rating: 'up', conversationToken: liked.conversationToken } });
    const paraphrase = await ctx.database.db.selectFrom('learned_examples').select('id').where('chatbot_id', '=', chatbot.id).executeTakeFirstOrThrow();
    const lead = await ctx.database.db.selectFrom('leads').select('id').where('conversation_id', '=', first.conversationId).executeTakeFirstOrThrow();
    const escalation = await ctx.database.db.selectFrom('escalations').select('id').where('conversation_id', '=', first.conversationId).executeTakeFirstOrThrow();
    const review = await ctx.database.db.selectFrom('reviews').select('id').where('conversation_id', '=', first.conversationId).executeTakeFirstOrThrow();
    const webhook = (await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: owner.headers, payload: { url: 'http://127.0.0.1:9/owner-hook', events: ['lead.captured'] } })).json<{ id: string }>();
    const test = (await ctx.app.inject({ method: 'POST', url: `/api/portal/webhooks/${webhook.id}/test`, headers: owner.headers })).json<{ deliveryId: string }>();
    const ownerKey = key.json<{ key: string }>().key;
    const zapierHook = (await ctx.app.inject({ method: 'POST', url: '/api/zapier/hooks', headers: { 'x-api-key': ownerKey }, payload: { event: 'lead.captured', targetUrl: 'http://127.0.0.1:9/owner-zap' } })).json<{ id: string }>();
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const sheets = (await ctx.app.inject({
      method: 'POST', url: '/api/portal/integrations/sheets', headers: owner.headers,
      payload: { serviceAccountKey: { type: 'service_account', client_email: 'owner@owner-project.iam.gserviceaccount.com', private_key: privateKey, token_uri: 'https://oauth2.googleapis.com/token' }, spreadsheetId: '1OwnerOnlySpreadsheet0123456789', tabName: 'Owner leads' },
    })).json<{ id: string }>();
    // A website import (queued: no worker runs here) and a page source with one passage.
    const crawl = (await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbot.id}/crawls`, headers: owner.headers, payload: { url: 'http://127.0.0.1:9/' } })).json<{ id: string }>();
    const source = await savePageSource(ctx.database.db, {
      customerId: owner.customerId, chatbotId: chatbot.id, url: 'http://127.0.0.1:9/hours', title: 'Owner hours', passages: [{ kind: 'document', title: 'Hours', text: 'Owner only' }], etag: null, lastModified: null, contentHash: 'x',
    });
    const invite = (await ctx.app.inject({ method: 'POST', url: '/api/portal/team/invites', headers: owner.headers, payload: { email: 'owner-invitee@example.com', role: 'agent' } })).json<{ invite: { id: string } }>();
    owned = {
      userId: owner.userId, inviteId: invite.invite.id,
      crawlId: crawl.id, sourceId: source.source.id,
      zapierHookId: zapierHook.id, sheetsId: sheets.id,
      webhookId: webhook.id, deliveryId: test.deliveryId,
      chatbotId: chatbot.id, entryId: entry.json().id, apiKeyId: key.json().id, conversationId: first.conversationId,
      escalationId: escalation.id, reviewId: review.id, paraphraseId: paraphrase.id, leadId: lead.id,
    };
    await createChatbotFor(ctx.app, intruder, { name: 'Intruder bot' });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it.each(ID_ROUTES)('$method $url answers 404 to another customer', async (route) => {
    const response = await ctx.app.inject({ method: route.method, url: route.path(owned), headers: intruder.headers, ...(route.payload ? { payload: route.payload } : {}) });
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('Private bot');
    expect(response.body).not.toContain('Owner only');
  });

  it.each(LIST_ROUTES)('$method $url lists none of another customer’s rows', async (route) => {
    const response = await ctx.app.inject({ method: route.method, url: route.path(owned), headers: intruder.headers });
    expect(response.statusCode).toBe(200);
    for (const id of Object.values(owned)) expect(response.body).not.toContain(id);
  });

  it('left the owner’s rows untouched', async () => {
    const chatbot = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${owned.chatbotId}`, headers: owner.headers });
    expect(chatbot.json().name).toBe('Private bot');
    const entry = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${owned.chatbotId}/knowledge/${owned.entryId}`, headers: owner.headers });
    expect(entry.json().answer).toBe('Owner only');
    const keys = await ctx.app.inject({ method: 'GET', url: '/api/portal/api-keys', headers: owner.headers });
    expect(keys.json().items[0].revokedAt).toBeNull();
    const webhook = await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${owned.webhookId}`, headers: owner.headers });
    expect(webhook.json()).toMatchObject({ url: 'http://127.0.0.1:9/owner-hook', enabled: true });
    const sheets = await ctx.app.inject({ method: 'GET', url: `/api/portal/integrations/sheets/${owned.sheetsId}`, headers: owner.headers });
    expect(sheets.json()).toMatchObject({ tabName: 'Owner leads', enabled: true });
    const zapierHook = await ctx.app.inject({ method: 'GET', url: `/api/portal/integrations/zapier/hooks/${owned.zapierHookId}`, headers: owner.headers });
    expect(zapierHook.json()).toMatchObject({ targetUrl: 'http://127.0.0.1:9/owner-zap', status: 'active' });
    const reviews = await ctx.app.inject({ method: 'GET', url: '/api/portal/reviews', headers: owner.headers });
    expect(reviews.json().items[0]).toMatchObject({ id: owned.reviewId, status: 'open' });
    const paraphrases = await ctx.app.inject({ method: 'GET', url: '/api/portal/paraphrases', headers: owner.headers });
    expect(paraphrases.json().items[0]).toMatchObject({ id: owned.paraphraseId, status: 'suggested', question: 'Secret?' });
    const team = await ctx.app.inject({ method: 'GET', url: '/api/portal/team/members', headers: owner.headers });
    expect(team.json().items).toEqual([expect.objectContaining({ userId: owned.userId, role: 'owner' })]);
    const invites = await ctx.app.inject({ method: 'GET', url: '/api/portal/team/invites', headers: owner.headers });
    expect(invites.json().items).toEqual([expect.objectContaining({ id: owned.inviteId, email: 'owner-invitee@example.com' })]);
    for (const url of ['/api/portal/leads', '/api/portal/escalations', '/api/portal/conversations']) {
      const list = await ctx.app.inject({ method: 'GET', url, headers: owner.headers });
      expect(list.json().items.length, url).toBeGreaterThan(0);
    }
  });

  it('covers every route the app registers', () => {
    const covered = new Set([...ID_ROUTES, ...LIST_ROUTES].map((r) => `${r.method} ${r.url.split('?')[0]}`));
    const uncovered = ctx.app.routeTable
      .map((r) => `${r.method} ${r.url}`)
      .filter((key) => !covered.has(key) && !(key in NOT_ID_ROUTES) && !key.startsWith('OPTIONS '));
    expect(uncovered).toEqual([]);
  });
});
