import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/schema.js';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from './harness.js';

/**
 * Property-based fuzzing of every route in Fastify's route table: random bodies, query strings, path
 * parameters and headers, as a logged-in customer and as a stranger. Whatever arrives, the answer is never
 * a 5xx or a stack trace, the process survives, and a rejected request (4xx) writes nothing.
 */
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 12);
// "Check my site" fetches whatever address it is given (tests allow private targets): fuzzed addresses would
// send DNS queries and requests off this machine. Its input handling is covered by install.routes.test.ts and
// bad-input.test.ts.
const SKIPPED_PREFIXES = ['OPTIONS ', 'POST /api/portal/chatbots/:id/site-check'];
const TABLES: (keyof Database)[] = ['customers', 'users', 'api_keys', 'chatbots', 'knowledge_entries', 'conversations', 'messages', 'ratings', 'leads', 'escalations', 'reviews', 'events', 'webhooks', 'deliveries'];

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '0', '-1', '1e309', 'NaN', 'null', 'true', '[]', '{}', '__proto__', 'constructor', '../../etc/passwd', '%00', '\u0000',
    '<script>alert(1)</script>', "' OR 1=1 --", 'bot_' + 'x'.repeat(300), '😀'.repeat(50), 'http://169.254.169.254/', '{{lead.email}}'),
);
const bodyArb = fc.oneof(
  fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('name', 'url', 'events', 'message', 'chatbotId', 'visitorId', 'settings', 'mappings', 'headers', 'email', 'password', 'rating', 'since', 'secret', 'kind', 'question', 'answer', 'faqs')), fc.oneof(jsonValue, nastyString), { maxKeys: 6 }),
  jsonValue,
);
const queryArb = fc.dictionary(fc.constantFrom('limit', 'cursor', 'status', 'chatbotId', 'since', 'kind', 'q', 'after', 'token', 'eventType', 'days'), nastyString, { maxKeys: 4 });
const headerArb = fc.record({
  contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'text/csv', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''),
  accept: fc.constantFrom('application/json', 'text/event-stream', '*/*', 'text/html'),
  extra: fc.dictionary(fc.constantFrom('x-csrf-token', 'x-fc-conversation-token', 'x-api-key', 'authorization', 'origin', 'x-forwarded-for', 'range', 'if-none-match'), fc.string({ maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')), { maxKeys: 3 }),
  asStranger: fc.boolean(),
});

describe('fuzzing every route', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let ids: Record<string, string>;

  async function countRows(): Promise<string> {
    const counts = await Promise.all(TABLES.map(async (table) => Number((await ctx.database.db.selectFrom(table).select(ctx.database.db.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n)));
    return counts.join(',');
  }

  beforeAll(async () => {
    ctx = await createTestApp();
    account = await signUpAccount(ctx.app);
    const chatbot = await createChatbotFor(ctx.app, account, { name: 'Fuzz bot' });
    const entry = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbot.id}/knowledge`, headers: account.headers, payload: { kind: 'faq', question: 'Open on Sunday?', answer: 'Yes, 9 to 5.' } });
    const webhook = await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: account.headers, payload: { url: 'http://127.0.0.1:9/fuzz', events: ['lead.captured'] } });
    const chat = (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: chatbot.id, visitorId: 'fuzz', message: 'hello' } })).json<{ conversationId: string }>();
    ids = { id: chatbot.id, entryId: entry.json<{ id: string }>().id, webhookId: webhook.json<{ id: string }>().id, conversationId: chat.conversationId };
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('never answers 5xx, never leaks a stack, and writes nothing when it rejects', async () => {
    const routes = ctx.app.routeTable
      .map((r) => ({ method: r.method, url: r.url }))
      .filter((r) => !SKIPPED_PREFIXES.some((prefix) => `${r.method} ${r.url}`.startsWith(prefix)));
    expect(routes.length).toBeGreaterThan(30);
    const failures: string[] = [];
    const byClass = new Map<string, number>();
    for (const route of routes) {
      // Deleting the fixtures would make every later case a plain 404; DELETE routes get random ids only.
      const paramArb = route.method === 'DELETE' ? nastyString : fc.oneof(nastyString, fc.constantFrom(...Object.values(ids)));
      await fc.assert(fc.asyncProperty(bodyArb, queryArb, headerArb, fc.array(paramArb, { minLength: 3, maxLength: 3 }), async (body, query, headers, params) => {
        let index = 0;
        const path = route.url
          .replace(/:[A-Za-z]+/g, () => encodeURIComponent(params[index++] ?? 'x'))
          .replace('*', encodeURIComponent(params[2] ?? 'x'));
        const search = new URLSearchParams(query).toString();
        const base = headers.asStranger ? {} : account.headers;
        const request: InjectOptions = {
          method: route.method as InjectOptions['method'],
          url: search ? `${path}?${search}` : path,
          headers: { ...base, ...headers.extra, accept: headers.accept, ...(headers.contentType ? { 'content-type': headers.contentType } : {}) },
          ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
        };
        const before = await countRows();
        const response = await ctx.app.inject(request);
        const label = `${route.method} ${route.url} → ${response.statusCode} (${request.url})`;
        const statusClass = `${String(response.statusCode)[0]}xx`;
        byClass.set(statusClass, (byClass.get(statusClass) ?? 0) + 1);
        if (response.statusCode >= 500) failures.push(`${label}: ${response.body.slice(0, 200)}`);
        if (/at .*\.(ts|js):\d+/.test(response.body)) failures.push(`${label}: stack trace in body`);
        if (response.statusCode >= 400 && response.statusCode < 500 && response.statusCode !== 429) {
          const after = await countRows();
          if (after !== before) failures.push(`${label}: rows changed on a rejected request`);
        }
      }), { numRuns: RUNS_PER_ROUTE, seed: Number(process.env.FUZZ_SEED ?? 20261201) });
    }
    expect(failures).toEqual([]);
    // The generators reach both sides: requests that are accepted and requests that are refused.
    expect(byClass.get('2xx')).toBeGreaterThan(routes.length / 4);
    expect(byClass.get('4xx')).toBeGreaterThan(routes.length);
    // And the process still serves normally.
    expect((await ctx.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });
});
