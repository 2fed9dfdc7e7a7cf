import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { createChatbotFor, createTestApp, createTestConfig, openTestDatabase, signUpAccount, type TestAccount, type TestContext } from './harness.js';

/**
 * Security properties that hold for the whole app, checked route by route from Fastify's route table so a
 * new route cannot slip past: headers, cookie flags and CSRF on every cookie-authenticated write.
 */
// Routes used before logging in (no session, so no CSRF token to send); none of them acts on a session.
const NO_CSRF_NEEDED = new Set([
  'POST /api/portal/signup', 'POST /api/portal/login', 'POST /api/portal/password-reset', 'POST /api/portal/password-reset/confirm',
  // The invitation link is the credential; accepting logs in like login does.
  'POST /api/portal/invites/inspect', 'POST /api/portal/invites/accept',
]);

describe('security', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let chatbotId: string;

  beforeAll(async () => {
    ctx = await createTestApp();
    account = await signUpAccount(ctx.app);
    chatbotId = (await createChatbotFor(ctx.app, account, { name: 'Secure bot' })).id;
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('sends security headers on the API and on pages', async () => {
    for (const url of ['/api/health', '/api/portal/me', '/demo', '/status']) {
      const response = await ctx.app.inject({ method: 'GET', url, headers: { cookie: account.cookie } });
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['content-security-policy'], url).toContain("default-src 'self'");
      expect(response.headers['content-security-policy'], url).toContain("script-src 'self'");
      expect(String(response.headers['x-frame-options'] ?? response.headers['content-security-policy']), url).toMatch(/SAMEORIGIN|frame-ancestors/i);
      expect(response.headers['referrer-policy'], url).toBeDefined();
    }
  });

  it('sets the session cookie httpOnly, SameSite and path-wide, never readable by scripts', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: account.email, password: account.password } });
    const cookie = response.cookies.find((c) => c.name === 'fc_session');
    expect(cookie).toMatchObject({ httpOnly: true, path: '/' });
    expect(String(cookie?.sameSite).toLowerCase()).toMatch(/lax|strict/);
    // The new session differs from the one before login (no session fixation).
    expect(`fc_session=${cookie?.value}`).not.toBe(account.cookie);
  });

  it('refuses every cookie-authenticated write without the CSRF token, and changes nothing', async () => {
    const writes = ctx.app.routeTable.filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method) && r.url.startsWith('/api/portal/') && !NO_CSRF_NEEDED.has(`${r.method} ${r.url}`));
    expect(writes.length).toBeGreaterThan(20);
    const before = JSON.stringify(await ctx.database.db.selectFrom('chatbots').selectAll().execute());
    for (const route of writes) {
      const url = route.url.replace(/:[A-Za-z]+/g, chatbotId).replace('*', 'x');
      const response = await ctx.app.inject({ method: route.method as 'POST', url, headers: { cookie: account.cookie }, payload: {} });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(403);
      expect(response.json(), `${route.method} ${route.url}`).toMatchObject({ code: 'csrf_failed' });
    }
    expect(JSON.stringify(await ctx.database.db.selectFrom('chatbots').selectAll().execute())).toBe(before);
  });

  it('keeps no copy of portal, sign-in or Zapier answers in browsers or proxies (Cache-Control: no-store)', async () => {
    const key = (await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'cache check' } })).json<{ key: string }>().key;
    // Every portal GET (a stream never ends, so the inbox stream is left to its own test), answered or refused.
    const reads = ctx.app.routeTable.filter((r) => r.method === 'GET' && r.url.startsWith('/api/portal/') && !r.url.endsWith('/events'));
    expect(reads.length).toBeGreaterThan(20);
    for (const route of reads) {
      const url = route.url.replace(/:[A-Za-z]+/g, chatbotId).replace('*', 'x');
      for (const headers of [{ cookie: account.cookie }, {}]) {
        const response = await ctx.app.inject({ method: 'GET', url, headers });
        expect(response.headers['cache-control'], `${route.url} ${response.statusCode}`).toBe('no-store');
      }
    }
    const answers = [
      await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: account.email, password: account.password } }),
      await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'shown once' } }),
      await ctx.app.inject({ method: 'GET', url: '/api/zapier/me', headers: { 'x-api-key': key } }),
      await ctx.app.inject({ method: 'GET', url: '/api/zapier/samples/lead.captured', headers: { 'x-api-key': key } }),
    ];
    for (const response of answers) expect(response.headers['cache-control'], `${response.statusCode} ${response.body.slice(0, 80)}`).toBe('no-store');
    // Pages, the widget script and the health probe keep their own caching rules.
    expect((await ctx.app.inject({ method: 'GET', url: '/widget.js' })).headers['cache-control']).not.toBe('no-store');
  });

  it('makes the portal read-only for an expired trial or a cancelled account, except cancelling and revoking keys', async () => {
    const lapsed = await signUpAccount(ctx.app);
    const lapsedBot = (await createChatbotFor(ctx.app, lapsed, { name: 'Lapsed bot' })).id;
    const key = (await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: lapsed.headers, payload: { name: 'zap' } })).json<{ id: string; key: string }>();
    await ctx.database.db.updateTable('customers').set({ trial_ends_at: '2020-01-01T00:00:00.000Z' }).where('id', '=', lapsed.customerId).execute();
    const snapshot = async () => JSON.stringify([
      await ctx.database.db.selectFrom('customers').selectAll().where('id', '=', lapsed.customerId).execute(),
      ...await Promise.all((['chatbots', 'knowledge_entries', 'webhooks'] as const).map((table) =>
        ctx.database.db.selectFrom(table).selectAll().where('customer_id', '=', lapsed.customerId).execute())),
      // A key's use is still recorded (last_used_at); what matters is that none was created or revoked.
      await ctx.database.db.selectFrom('api_keys').select(['id', 'revoked_at']).where('customer_id', '=', lapsed.customerId).execute(),
    ]);
    const before = await snapshot();

    const allowed = new Set([
      'POST /api/portal/signup', 'POST /api/portal/login', 'POST /api/portal/logout', 'POST /api/portal/account/cancel', 'DELETE /api/portal/api-keys/:id',
      // Securing the account always works: a lapsed account can still change its password, reset it, sign out everywhere.
      'POST /api/portal/account/password', 'POST /api/portal/account/sign-out-everywhere', 'POST /api/portal/password-reset', 'POST /api/portal/password-reset/confirm',
      // Shrinking the team always works, and so does moving to another (perhaps active) account of the same login.
      'DELETE /api/portal/team/members/:userId', 'DELETE /api/portal/team/invites/:id', 'POST /api/portal/account/switch',
      // No session: looking at an invitation changes nothing; accepting one to a lapsed account answers 402 (team tests).
      'POST /api/portal/invites/inspect', 'POST /api/portal/invites/accept',
    ]);
    const writes = ctx.app.routeTable.filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method) && r.url.startsWith('/api/portal/') && !allowed.has(`${r.method} ${r.url}`));
    expect(writes.length).toBeGreaterThan(20);
    for (const route of writes) {
      const url = route.url.replace(/:[A-Za-z]+/g, lapsedBot).replace('*', 'x');
      for (const headers of [lapsed.headers, { authorization: `Bearer ${key.key}` }]) {
        const response = await ctx.app.inject({ method: route.method as 'POST', url, headers, payload: { name: 'changed' } });
        expect(response.statusCode, `${route.method} ${route.url}`).toBe(402);
        expect(response.json(), `${route.method} ${route.url}`).toMatchObject({ status: 402, code: 'payment_required' });
      }
    }
    expect(await snapshot()).toBe(before);

    // Reading and exporting still work.
    const plan = await ctx.app.inject({ method: 'GET', url: '/api/portal/account/plan', headers: lapsed.headers });
    expect(plan.json()).toEqual({
      customer: expect.objectContaining({ status: 'trial', isActive: false, trialDaysLeft: 0 }),
      paymentProvider: null, activateCommand: `npm run admin -- activate ${lapsed.customerId}`,
    });
    // The Zapier API is read-only too: no new subscription, but turning a Zap off still works.
    const subscribe = await ctx.app.inject({ method: 'POST', url: '/api/zapier/hooks', headers: { 'x-api-key': key.key }, payload: { event: 'lead.captured', targetUrl: 'http://127.0.0.1:9/zap' } });
    expect(subscribe.statusCode).toBe(402);
    expect(await snapshot()).toBe(before);
    const unsubscribe = await ctx.app.inject({ method: 'DELETE', url: '/api/zapier/hooks/wh_doesnotexist', headers: { 'x-api-key': key.key } });
    expect(unsubscribe.statusCode).toBe(404);
    // A visitor's chat answers 402 like the portal's writes.
    const chat = await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: lapsedBot, visitorId: 'lapsed-visitor', message: 'hello' } });
    expect(chat.statusCode).toBe(402);
    for (const url of ['/api/portal/me', '/api/portal/account/plan', '/api/portal/chatbots', `/api/portal/chatbots/${lapsedBot}`, '/api/portal/leads', '/api/portal/leads/export.csv']) {
      expect((await ctx.app.inject({ method: 'GET', url, headers: lapsed.headers })).statusCode, url).toBe(200);
    }
    // Shrinking access and leaving always work; so does logging out.
    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/portal/api-keys/${key.id}`, headers: lapsed.headers })).statusCode).toBe(204);
    const cancelled = await ctx.app.inject({ method: 'POST', url: '/api/portal/account/cancel', headers: lapsed.headers });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', isActive: false });
    const rename = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${lapsedBot}`, headers: lapsed.headers, payload: { name: 'after cancel' } });
    expect(rename.statusCode).toBe(402);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/portal/logout', headers: lapsed.headers })).statusCode).toBe(204);

    // An active account writes as before.
    const active = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${chatbotId}`, headers: account.headers, payload: { name: 'Still secure' } });
    expect(active.statusCode).toBe(200);
  });

  it('stores visitor text as text: markup comes back exactly as typed, never interpreted by the API', async () => {
    const attack = '<img src=x onerror="alert(document.cookie)"><script>alert(1)</script>';
    const reply = (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: 'xss', message: attack } })).json<{ conversationId: string }>();
    const conversation = await ctx.app.inject({ method: 'GET', url: `/api/portal/conversations/${reply.conversationId}`, headers: { cookie: account.cookie } });
    expect(conversation.headers['content-type']).toContain('application/json');
    expect(conversation.json<{ messages: { text: string }[] }>().messages[0]?.text).toBe(attack);
  });
});

describe('request logs', () => {
  it('never hold a conversation token, whether it came in the URL, a header or the body', async () => {
    const { database, databaseUrl, dataDir, dispose } = await openTestDatabase();
    const lines: string[] = [];
    const logStream = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(chunk.toString()); done(); } });
    const app = await buildApp({ config: createTestConfig({ DATABASE_URL: databaseUrl, FC_DATA_DIR: dataDir, LOG_LEVEL: 'info' }), database, logStream });
    try {
      const owner = await signUpAccount(app);
      const botId = (await createChatbotFor(app, owner, { name: 'Logged bot' })).id;
      const reply = (await app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: botId, visitorId: 'v', message: 'hi' } })).json<{ conversationId: string; conversationToken: string }>();
      const { conversationId, conversationToken: token } = reply;
      const base = `/api/public/conversations/${conversationId}`;
      const requests = [
        { url: `${base}/messages?token=${token}` },
        { url: `${base}/messages?after=msg_notthere0001&%74oken=${encodeURIComponent(token)}` },
        { url: `${base}/events?token=${token}x` },
        { url: `${base}/messages`, headers: { 'x-fc-conversation-token': token } },
      ];
      const statuses = [];
      for (const request of requests) statuses.push((await app.inject({ method: 'GET', ...request })).statusCode);
      expect(statuses).toEqual([200, 404, 404, 200]);
      const log = lines.join('');
      expect(log).toContain(`${base}/messages?token=[redacted]`);
      expect(log).toContain(`${base}/messages?after=msg_notthere0001&%74oken=[redacted]`);
      expect(log).not.toContain(token);
      expect(log).not.toContain(encodeURIComponent(token));
    } finally {
      await app.close();
      await dispose();
    }
  });
});
