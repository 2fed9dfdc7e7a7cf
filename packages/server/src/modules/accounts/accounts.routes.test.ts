import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, readSessionCookie, signUpAccount, type TestContext } from '../../test/harness.js';

describe('accounts', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('signs up a customer on a 7-day trial with an owner, a session cookie and a CSRF token', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/signup', payload: { email: 'Jane@Example.com', password: 'a long password', company: 'Jane Co' } });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.user).toMatchObject({ email: 'jane@example.com', role: 'owner' });
    expect(body.customer).toMatchObject({ name: 'Jane Co', status: 'trial', isActive: true, trialDaysLeft: 7 });
    expect(body.customer.id).toMatch(/^cus_/);
    const trialMs = Date.parse(body.customer.trialEndsAt) - Date.now();
    expect(trialMs).toBeGreaterThan(6.9 * 86_400_000);
    expect(body.customer.trialEndsAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(typeof body.csrfToken).toBe('string');
    const cookie = response.cookies.find((c) => c.name === 'fc_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(JSON.stringify(body)).not.toContain('password');
  });

  it('refuses a second signup with the same email without saying that the email is registered', async () => {
    const account = await signUpAccount(ctx.app);
    const customersBefore = await ctx.database.db.selectFrom('customers').select('id').execute();
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/signup', payload: { email: account.email.toUpperCase(), password: 'another password', company: 'X' } });
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const problem = response.json();
    expect(problem).toMatchObject({ code: 'signup_not_completed', status: 422 });
    expect(problem.errors).toBeUndefined();
    expect(response.body).not.toMatch(/exist|registered|taken|in use/i);
    expect(response.cookies.find((c) => c.name === 'fc_session')).toBeUndefined();
    expect(await ctx.database.db.selectFrom('customers').select('id').execute()).toHaveLength(customersBefore.length);
    const login = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: account.email, password: account.password } });
    expect(login.statusCode).toBe(200);
  });

  it('logs in with the right password only, and rotates the session', async () => {
    const account = await signUpAccount(ctx.app);
    const wrong = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: account.email, password: 'wrong password' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().detail).toBe('Email or password is wrong.');
    const unknown = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: 'nobody@example.com', password: 'wrong password' } });
    expect(unknown.json().detail).toBe('Email or password is wrong.');

    const login = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', headers: { cookie: account.cookie }, payload: { email: account.email, password: account.password } });
    expect(login.statusCode).toBe(200);
    const newCookie = readSessionCookie(login);
    expect(newCookie).not.toBe(account.cookie);
    expect(login.json().csrfToken).not.toBe(account.csrfToken);
    // The session that was presented at login is gone (no fixation).
    const old = await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: { cookie: account.cookie } });
    expect(old.statusCode).toBe(401);
    const me = await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: { cookie: newCookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.email).toBe(account.email);
  });

  it('ends the session for good on logout', async () => {
    const account = await signUpAccount(ctx.app);
    const forged = await ctx.app.inject({ method: 'POST', url: '/api/portal/logout', headers: { cookie: account.cookie } });
    expect(forged.statusCode).toBe(403);
    const logout = await ctx.app.inject({ method: 'POST', url: '/api/portal/logout', headers: account.headers });
    expect(logout.statusCode).toBe(204);
    const me = await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: { cookie: account.cookie } });
    expect(me.statusCode).toBe(401);
  });

  it('requires the CSRF token on cookie-authenticated writes but not on bearer requests', async () => {
    const account = await signUpAccount(ctx.app);
    const noToken = await ctx.app.inject({ method: 'POST', url: '/api/portal/chatbots', headers: { cookie: account.cookie }, payload: { name: 'Bot' } });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().code).toBe('csrf_failed');
    const wrongToken = await ctx.app.inject({ method: 'POST', url: '/api/portal/chatbots', headers: { cookie: account.cookie, 'x-csrf-token': 'nope' }, payload: { name: 'Bot' } });
    expect(wrongToken.statusCode).toBe(403);
    const key = await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'CI' } });
    const bearer = await ctx.app.inject({ method: 'POST', url: '/api/portal/chatbots', headers: { authorization: `Bearer ${key.json().key}` }, payload: { name: 'Bot' } });
    expect(bearer.statusCode).toBe(201);
    const list = await ctx.app.inject({ method: 'GET', url: '/api/portal/chatbots', headers: { cookie: account.cookie } });
    expect(list.json().items).toHaveLength(1);
  });

  it('shows an API key once, stores only its hash, and stops accepting it once revoked', async () => {
    const account = await signUpAccount(ctx.app);
    const created = await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'Zapier' } });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json();
    expect(key).toMatch(/^fck_/);
    const stored = await ctx.database.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.key_hash).not.toContain(key);
    const list = await ctx.app.inject({ method: 'GET', url: '/api/portal/api-keys', headers: { authorization: `Bearer ${key}` } });
    expect(list.statusCode).toBe(200);
    expect(JSON.stringify(list.json())).not.toContain(key);
    expect(list.json().items[0]).toMatchObject({ id, name: 'Zapier', revokedAt: null });
    const revoke = await ctx.app.inject({ method: 'DELETE', url: `/api/portal/api-keys/${id}`, headers: account.headers });
    expect(revoke.statusCode).toBe(204);
    const after = await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: { authorization: `Bearer ${key}` } });
    expect(after.statusCode).toBe(401);
  });

  it('gives a key the write scope unless asked for read, and shows the scope in the list', async () => {
    const account = await signUpAccount(ctx.app);
    const plain = await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'Zapier' } });
    expect(plain.statusCode).toBe(201);
    expect(plain.json()).toMatchObject({ name: 'Zapier', scope: 'write' });
    expect(plain.json().key).toMatch(/^fck_/);
    const reader = await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'Dashboard', scope: 'read' } });
    expect(reader.statusCode).toBe(201);
    expect(reader.json()).toMatchObject({ name: 'Dashboard', scope: 'read' });
    const list = await ctx.app.inject({ method: 'GET', url: '/api/portal/api-keys', headers: account.headers });
    expect(list.json().items.map((k: { name: string; scope: string }) => [k.name, k.scope]).sort()).toEqual([['Dashboard', 'read'], ['Zapier', 'write']]);
    const bad = await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'Root', scope: 'admin' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const after = await ctx.app.inject({ method: 'GET', url: '/api/portal/api-keys', headers: account.headers });
    expect(after.json().items).toHaveLength(2);
  });

  it('lets a read key read but not change anything, on the portal API and the Zapier API', async () => {
    const account = await signUpAccount(ctx.app);
    const chatbot = await ctx.app.inject({ method: 'POST', url: '/api/portal/chatbots', headers: account.headers, payload: { name: 'Kept' } });
    const { key } = (await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'Reporting', scope: 'read' } })).json<{ key: string }>();
    const bearer = { authorization: `Bearer ${key}` };
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/chatbots', headers: bearer })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/leads', headers: bearer })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/zapier/me', headers: { 'x-api-key': key } })).statusCode).toBe(200);
    const writes = [
      { method: 'POST' as const, url: '/api/portal/chatbots', headers: bearer, payload: { name: 'Sneaky' } },
      { method: 'PATCH' as const, url: `/api/portal/chatbots/${chatbot.json().id}`, headers: bearer, payload: { name: 'Renamed' } },
      { method: 'DELETE' as const, url: `/api/portal/chatbots/${chatbot.json().id}`, headers: bearer },
      { method: 'POST' as const, url: '/api/zapier/hooks', headers: { 'x-api-key': key }, payload: { event: 'lead.captured', targetUrl: 'http://127.0.0.1:9/zap' } },
    ];
    for (const write of writes) {
      const response = await ctx.app.inject(write);
      expect(response.statusCode, `${write.method} ${write.url}`).toBe(403);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ code: 'read_only_key', status: 403 });
      expect(response.json().detail).toContain('read-only');
    }
    const bots = await ctx.app.inject({ method: 'GET', url: '/api/portal/chatbots', headers: account.headers });
    expect(bots.json().items.map((b: { name: string }) => b.name)).toEqual(['Kept']);
    const hooks = await ctx.app.inject({ method: 'GET', url: '/api/portal/integrations/zapier/hooks', headers: account.headers });
    expect(hooks.json().items).toHaveLength(0);
  });

  it('lets only a session create or revoke API keys, not a key of any scope', async () => {
    const account = await signUpAccount(ctx.app);
    const writer = (await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'Writer' } })).json<{ id: string; key: string }>();
    const other = (await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'Other' } })).json<{ id: string; key: string }>();
    const bearer = { authorization: `Bearer ${writer.key}` };
    const mint = await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: bearer, payload: { name: 'Successor' } });
    expect(mint.statusCode).toBe(403);
    expect(mint.json()).toMatchObject({ code: 'session_required' });
    const revoke = await ctx.app.inject({ method: 'DELETE', url: `/api/portal/api-keys/${other.id}`, headers: bearer });
    expect(revoke.statusCode).toBe(403);
    expect(revoke.json()).toMatchObject({ code: 'session_required' });
    const list = await ctx.app.inject({ method: 'GET', url: '/api/portal/api-keys', headers: bearer });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((k: { name: string; revokedAt: string | null }) => [k.name, k.revokedAt]).sort()).toEqual([['Other', null], ['Writer', null]]);
  });

  it('cancels the account from the portal', async () => {
    const account = await signUpAccount(ctx.app);
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/account/cancel', headers: account.headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'cancelled', isActive: false });
    const me = await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: { cookie: account.cookie } });
    expect(me.json().customer.isActive).toBe(false);
  });

  it('throttles one address trying many accounts (password spraying), on its own limit', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 52; attempt += 1) {
      const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', remoteAddress: '203.0.113.9', payload: { email: `sprayed-${attempt}@example.com`, password: 'Summer2026!' } });
      statuses.push(response.statusCode);
    }
    expect(statuses.slice(0, 50).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(50)).toEqual([429, 429]);
    const other = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', remoteAddress: '203.0.113.10', payload: { email: 'sprayed-0@example.com', password: 'Summer2026!' } });
    expect(other.statusCode).toBe(401);
  });

  it('locks an account per address: someone else’s failures elsewhere do not lock the owner out', async () => {
    const account = await signUpAccount(ctx.app);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', remoteAddress: '203.0.113.20', payload: { email: account.email, password: `guess ${attempt}` } });
      statuses.push(response.statusCode);
    }
    expect(statuses.slice(10)).toEqual([429, 429]);
    const attacker = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', remoteAddress: '203.0.113.20', payload: { email: account.email, password: account.password } });
    expect(attacker.statusCode).toBe(429);
    const ownerOnNewDevice = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', remoteAddress: '198.51.100.7', payload: { email: account.email.toUpperCase(), password: account.password } });
    expect(ownerOnNewDevice.statusCode).toBe(200);
    expect(ownerOnNewDevice.json().user.email).toBe(account.email);
  });

  it('throttles repeated login attempts for one account', async () => {
    const account = await signUpAccount(ctx.app);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: account.email, password: `guess ${attempt}` } });
      statuses.push(response.statusCode);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    const blocked = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: account.email, password: account.password } });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
    expect(blocked.headers['content-type']).toContain('application/problem+json');
  });
});

describe('the session cookie behind https', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp({ FC_PUBLIC_URL: 'https://chat.example.com' });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('is Secure on signup, login and logout when FC_PUBLIC_URL is https', async () => {
    const account = await signUpAccount(ctx.app);
    const login = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: account.email, password: account.password } });
    expect(login.cookies.find((c) => c.name === 'fc_session')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax' });
    const signup = await ctx.app.inject({ method: 'POST', url: '/api/portal/signup', payload: { email: 'secure-cookie@example.com', password: 'a long password', company: 'Secure Co' } });
    expect(signup.cookies.find((c) => c.name === 'fc_session')).toMatchObject({ secure: true });
    const logout = await ctx.app.inject({ method: 'POST', url: '/api/portal/logout', headers: account.headers });
    expect(logout.cookies.find((c) => c.name === 'fc_session')).toMatchObject({ secure: true, value: '' });
  });
});

describe('changing the password and signing out everywhere', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  const logIn = async (email: string, password: string) => {
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email, password } });
    if (response.statusCode !== 200) return { statusCode: response.statusCode, headers: {} as Record<string, string> };
    const cookie = readSessionCookie(response);
    return { statusCode: 200, headers: { cookie, 'x-csrf-token': response.json<{ csrfToken: string }>().csrfToken } };
  };
  const me = async (headers: Record<string, string>) => (await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers })).statusCode;

  it('changes the password only with the current one, ends the user’s other sessions and keeps this one', async () => {
    const account = await signUpAccount(ctx.app);
    const laptop = await logIn(account.email, account.password);
    const phone = await logIn(account.email, account.password);
    const change = (body: Record<string, string>, headers = laptop.headers) => ctx.app.inject({ method: 'POST', url: '/api/portal/account/password', headers, payload: body });

    const wrong = await change({ currentPassword: 'not my password', newPassword: 'a brand new password' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'currentPassword' }] });
    // The new password follows signup's rules.
    const short = await change({ currentPassword: account.password, newPassword: 'short' });
    expect(short.statusCode).toBe(400);
    expect(short.json().errors[0].field).toMatch(/newPassword/);
    expect(await me(phone.headers)).toBe(200);

    expect((await change({ currentPassword: account.password, newPassword: 'a brand new password' })).statusCode).toBe(204);
    expect(await me(laptop.headers)).toBe(200);
    expect(await me(phone.headers)).toBe(401);
    expect(await me(account.headers)).toBe(401);
    expect((await logIn(account.email, account.password)).statusCode).toBe(401);
    expect((await logIn(account.email, 'a brand new password')).statusCode).toBe(200);

    // Not with an API key: a leaked key must not take the account over.
    const key = (await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: laptop.headers, payload: { name: 'script' } })).json<{ key: string }>().key;
    const byKey = await change({ currentPassword: 'a brand new password', newPassword: 'taken over by a key' }, { authorization: `Bearer ${key}` });
    expect(byKey.statusCode).toBe(403);
    expect(byKey.json()).toMatchObject({ code: 'session_required' });
  });

  it('throttles guessing the current password from a session', async () => {
    const account = await signUpAccount(ctx.app);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      statuses.push((await ctx.app.inject({ method: 'POST', url: '/api/portal/account/password', headers: account.headers, payload: { currentPassword: `guess ${i}`, newPassword: 'a brand new password' } })).statusCode);
    }
    expect(statuses.slice(0, 10).every((s) => s === 400)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('signs out everywhere: every session of the user ends, other users’ sessions do not', async () => {
    const account = await signUpAccount(ctx.app);
    const other = await signUpAccount(ctx.app);
    const phone = await logIn(account.email, account.password);
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/account/sign-out-everywhere', headers: account.headers });
    expect(response.statusCode).toBe(204);
    expect(response.cookies.find((c) => c.name === 'fc_session')).toMatchObject({ value: '' });
    expect(await me(account.headers)).toBe(401);
    expect(await me(phone.headers)).toBe(401);
    expect(await me(other.headers)).toBe(200);
    // Without the CSRF token a cross-site form cannot do it.
    const forged = await ctx.app.inject({ method: 'POST', url: '/api/portal/account/sign-out-everywhere', headers: { cookie: other.cookie } });
    expect(forged.statusCode).toBe(403);
    expect(await me(other.headers)).toBe(200);
  });

  it('says plainly that reset by e-mail is off without SMTP, and what to do instead', async () => {
    const status = await ctx.app.inject({ method: 'GET', url: '/api/portal/password-reset' });
    expect(status.json()).toMatchObject({ available: false, detail: expect.stringContaining('npm run admin -- reset-password') });
    const request = await ctx.app.inject({ method: 'POST', url: '/api/portal/password-reset', payload: { email: 'someone@example.com' } });
    expect(request.statusCode).toBe(403);
    expect(request.json()).toMatchObject({ code: 'password_reset_unavailable', detail: expect.stringContaining('not set up') });
  });
});
