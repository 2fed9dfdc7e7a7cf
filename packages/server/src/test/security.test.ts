import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from './harness.js';

/**
 * Security properties that hold for the whole app, checked route by route from Fastify's route table so a
 * new route cannot slip past: headers, cookie flags and CSRF on every cookie-authenticated write.
 */
const NO_CSRF_NEEDED = new Set(['POST /api/portal/signup', 'POST /api/portal/login']);

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

  it('stores visitor text as text: markup comes back exactly as typed, never interpreted by the API', async () => {
    const attack = '<img src=x onerror="alert(document.cookie)"><script>alert(1)</script>';
    const reply = (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: 'xss', message: attack } })).json<{ conversationId: string }>();
    const conversation = await ctx.app.inject({ method: 'GET', url: `/api/portal/conversations/${reply.conversationId}`, headers: { cookie: account.cookie } });
    expect(conversation.headers['content-type']).toContain('application/json');
    expect(conversation.json<{ messages: { text: string }[] }>().messages[0]?.text).toBe(attack);
  });
});
