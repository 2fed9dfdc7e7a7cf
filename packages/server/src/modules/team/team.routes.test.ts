import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import * as teamMigration from '../../db/migrations/2026-12-04-team-members-invites.js';
import { hashToken } from '../../lib/crypto.js';
import { addTeamMember, createChatbotFor, createTestApp, readSessionCookie, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';

const EVENT_TIMEOUT_MS = 5_000;
const WAIT_MS = 10_000;

interface CreatedInvite { invite: { id: string; email: string; role: string }; emailed: boolean; link: string | null; acceptPath: string | null; detail: string }

const tokenOf = (created: CreatedInvite): string => new URLSearchParams(String(created.link ?? created.acceptPath).split('#')[1]).get('token') ?? '';

async function waitUntil(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('team: invitations, roles, removal, presence, display names', () => {
  let ctx: TestContext;
  let owner: TestAccount;

  beforeAll(async () => {
    ctx = await createTestApp();
    owner = await signUpAccount(ctx.app, { company: 'Crumb & Co Bakery' });
  });
  afterAll(async () => {
    await ctx.close();
  });

  const invite = async (by: TestAccount, email: string, role: 'owner' | 'agent' = 'agent') => {
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/team/invites', headers: by.headers, payload: { email, role } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<CreatedInvite>();
  };
  const accept = (token: string, password = 'agent horse battery', extra: Record<string, unknown> = {}) =>
    ctx.app.inject({ method: 'POST', url: '/api/portal/invites/accept', payload: { token, password, ...extra } });
  const members = async (by: TestAccount = owner) => (await ctx.app.inject({ method: 'GET', url: '/api/portal/team/members', headers: by.headers })).json<{ items: { userId: string; email: string; role: string; online: boolean; name: string | null }[] }>().items;

  it('shows the link when SMTP is off, stores only its hash, and lets it be used once to join as the invited role', async () => {
    const created = await invite(owner, 'Baker.Ben@Example.com');
    expect(created).toMatchObject({ emailed: false, link: null, invite: { email: 'baker.ben@example.com', role: 'agent' } });
    expect(created.detail).toContain('no SMTP');
    expect(created.acceptPath).toMatch(/^\/accept-invite#token=[A-Za-z0-9_-]{40,}$/);
    const token = tokenOf(created);
    const stored = await ctx.database.db.selectFrom('invites').selectAll().where('id', '=', created.invite.id).executeTakeFirstOrThrow();
    expect(stored.token_hash).toBe(hashToken(token));
    expect(JSON.stringify(stored)).not.toContain(token);

    const pending = await ctx.app.inject({ method: 'GET', url: '/api/portal/team/invites', headers: owner.headers });
    expect(pending.json().items).toEqual([expect.objectContaining({ id: created.invite.id, email: 'baker.ben@example.com', role: 'agent', invitedBy: owner.email })]);
    const details = await ctx.app.inject({ method: 'POST', url: '/api/portal/invites/inspect', payload: { token } });
    expect(details.json()).toMatchObject({ customerName: 'Crumb & Co Bakery', email: 'baker.ben@example.com', role: 'agent', hasAccount: false });

    const tooShort = await accept(token, 'short');
    expect(tooShort.statusCode).toBe(400);
    expect(tooShort.json().errors).toEqual([expect.objectContaining({ field: 'password' })]);
    const accepted = await accept(token, 'agent horse battery', { name: 'Ben' });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ user: { email: 'baker.ben@example.com', role: 'agent', name: 'Ben' }, customer: { id: owner.customerId } });
    const cookie = readSessionCookie(accepted);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: { cookie } })).json().user.role).toBe('agent');
    // The login works on its own from now on, into the inviting account.
    const login = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: 'baker.ben@example.com', password: 'agent horse battery' } });
    expect(login.json()).toMatchObject({ user: { role: 'agent' }, customer: { id: owner.customerId } });

    // Used: refused, with one answer for used, expired and withdrawn links.
    const again = await accept(token, 'another horse battery');
    expect(again.statusCode).toBe(400);
    expect(again.json()).toMatchObject({ code: 'invite_invalid' });
    expect((await ctx.app.inject({ method: 'POST', url: '/api/portal/invites/inspect', payload: { token } })).json().code).toBe('invite_invalid');
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/team/invites', headers: owner.headers })).json().items).toEqual([]);
    expect((await members()).map((m) => [m.email, m.role])).toEqual([[owner.email, 'owner'], ['baker.ben@example.com', 'agent']]);
  });

  it('refuses expired and withdrawn links, and only the newest link for an address works', async () => {
    const expired = await invite(owner, 'late@example.com');
    await ctx.database.db.updateTable('invites').set({ expires_at: '2020-01-01T00:00:00.000Z' }).where('id', '=', expired.invite.id).execute();
    expect((await accept(tokenOf(expired))).json()).toMatchObject({ status: 400, code: 'invite_invalid' });

    const first = await invite(owner, 'twice@example.com');
    const second = await invite(owner, 'twice@example.com', 'owner');
    expect((await accept(tokenOf(first))).json().code).toBe('invite_invalid');
    const withdrawn = await invite(owner, 'withdrawn@example.com');
    const revoke = await ctx.app.inject({ method: 'DELETE', url: `/api/portal/team/invites/${withdrawn.invite.id}`, headers: owner.headers });
    expect(revoke.statusCode).toBe(204);
    expect((await accept(tokenOf(withdrawn))).json().code).toBe('invite_invalid');
    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/portal/team/invites/${withdrawn.invite.id}`, headers: owner.headers })).statusCode).toBe(404);

    const joined = await accept(tokenOf(second));
    expect(joined.json().user.role).toBe('owner');
    expect(await ctx.database.db.selectFrom('users').select('email').where('email', 'in', ['late@example.com', 'withdrawn@example.com']).execute()).toEqual([]);
  });

  it('keeps invitations to their own account: another owner can neither see, withdraw nor redirect them, and a link joins only the account that made it', async () => {
    const other = await signUpAccount(ctx.app, { company: 'Rival Rolls' });
    const created = await invite(owner, 'crossed@example.com');
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/team/invites', headers: other.headers })).body).not.toContain(created.invite.id);
    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/portal/team/invites/${created.invite.id}`, headers: other.headers })).statusCode).toBe(404);
    // Accepting while signed in to another account changes nothing there: the link joins the inviting account only.
    const accepted = await ctx.app.inject({ method: 'POST', url: '/api/portal/invites/accept', headers: { cookie: other.cookie }, payload: { token: tokenOf(created), password: 'crossed horse battery' } });
    expect(accepted.json().customer.id).toBe(owner.customerId);
    const userId = accepted.json().user.id as string;
    expect(await ctx.database.db.selectFrom('memberships').select(['customer_id', 'role']).where('user_id', '=', userId).execute()).toEqual([{ customer_id: owner.customerId, role: 'agent' }]);
    // The session that browser had (the other account's owner) has ended, like at login.
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: { cookie: other.cookie } })).statusCode).toBe(401);
    const rival = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: other.email, password: other.password } });
    const rivalHeaders = { cookie: readSessionCookie(rival), 'x-csrf-token': rival.json().csrfToken as string };
    // Another account's owner cannot change or remove this account's members.
    expect((await ctx.app.inject({ method: 'PATCH', url: `/api/portal/team/members/${userId}`, headers: rivalHeaders, payload: { role: 'owner' } })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/portal/team/members/${userId}`, headers: rivalHeaders })).statusCode).toBe(404);
    // Nor switch a session into an account it does not belong to.
    const switched = await ctx.app.inject({ method: 'POST', url: '/api/portal/account/switch', headers: rivalHeaders, payload: { customerId: owner.customerId } });
    expect(switched.statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: rivalHeaders })).json().customer.id).toBe(other.customerId);
  });

  it('adds a login that exists already only with its own password, and lets it switch between its accounts', async () => {
    const elsewhere = await signUpAccount(ctx.app, { company: 'Freelance Frosting' });
    const created = await invite(owner, elsewhere.email);
    const token = tokenOf(created);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/portal/invites/inspect', payload: { token } })).json().hasAccount).toBe(true);
    const wrong = await accept(token, 'not her password at all');
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().errors).toEqual([expect.objectContaining({ field: 'password' })]);
    expect(await ctx.database.db.selectFrom('memberships').select('customer_id').where('user_id', '=', elsewhere.userId).execute()).toHaveLength(1);

    const joined = await accept(token, elsewhere.password);
    expect(joined.json()).toMatchObject({ user: { id: elsewhere.userId, role: 'agent' }, customer: { id: owner.customerId } });
    const headers = { cookie: readSessionCookie(joined), 'x-csrf-token': joined.json().csrfToken as string };
    const accounts = await ctx.app.inject({ method: 'GET', url: '/api/portal/account/memberships', headers });
    expect(accounts.json().items).toEqual([
      { customerId: elsewhere.customerId, customerName: 'Freelance Frosting', role: 'owner', isCurrent: false },
      { customerId: owner.customerId, customerName: 'Crumb & Co Bakery', role: 'agent', isCurrent: true },
    ]);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/webhooks', headers })).statusCode).toBe(403);
    const back = await ctx.app.inject({ method: 'POST', url: '/api/portal/account/switch', headers, payload: { customerId: elsewhere.customerId } });
    expect(back.json()).toMatchObject({ user: { role: 'owner' }, customer: { id: elsewhere.customerId } });
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/webhooks', headers })).statusCode).toBe(200);
    // Inviting a member again is refused; so is accepting a second link once a member.
    const already = await ctx.app.inject({ method: 'POST', url: '/api/portal/team/invites', headers: owner.headers, payload: { email: elsewhere.email, role: 'agent' } });
    expect(already.json()).toMatchObject({ status: 409, code: 'already_member' });
  });

  it('never leaves an account without an owner', async () => {
    const solo = await signUpAccount(ctx.app, { company: 'Solo Sourdough' });
    const demote = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/team/members/${solo.userId}`, headers: solo.headers, payload: { role: 'agent' } });
    expect(demote.json()).toMatchObject({ status: 409, code: 'last_owner' });
    const remove = await ctx.app.inject({ method: 'DELETE', url: `/api/portal/team/members/${solo.userId}`, headers: solo.headers });
    expect(remove.json()).toMatchObject({ status: 409, code: 'last_owner' });
    const second = await addTeamMember(ctx.app, solo, { role: 'owner' });
    const demoteFirst = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/team/members/${solo.userId}`, headers: second.headers, payload: { role: 'agent' } });
    expect(demoteFirst.json()).toMatchObject({ userId: solo.userId, role: 'agent' });
    const demoteLast = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/team/members/${second.userId}`, headers: second.headers, payload: { role: 'agent' } });
    expect(demoteLast.json().code).toBe('last_owner');
    expect((await members(second)).filter((m) => m.role === 'owner').map((m) => m.userId)).toEqual([second.userId]);
  });

  it('ends a removed member’s sessions, hands their chats back to the queue and deletes a login with no other account', async () => {
    const chatbotId = (await createChatbotFor(ctx.app, owner, { name: 'Crumb Helper' })).id;
    const agent = await addTeamMember(ctx.app, owner, { name: 'Tess' });
    const chat = (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: 'v-remove', message: 'Can I talk to a real person please?' } })).json<{ conversationId: string }>();
    expect((await ctx.app.inject({ method: 'POST', url: `/api/portal/inbox/${chat.conversationId}/claim`, headers: agent.headers })).statusCode).toBe(200);
    const secondLogin = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: agent.email, password: agent.password } });
    const secondCookie = readSessionCookie(secondLogin);

    const removed = await ctx.app.inject({ method: 'DELETE', url: `/api/portal/team/members/${agent.userId}`, headers: owner.headers });
    expect(removed.statusCode).toBe(204);
    for (const cookie of [agent.cookie, secondCookie]) expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: { cookie } })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: agent.email, password: agent.password } })).statusCode).toBe(401);
    const item = (await ctx.app.inject({ method: 'GET', url: `/api/portal/inbox/${chat.conversationId}`, headers: owner.headers })).json();
    expect(item).toMatchObject({ state: 'waiting_for_human', agentId: null });
    expect((await members()).map((m) => m.userId)).not.toContain(agent.userId);
  });

  it('keeps a removed member’s other account: their login opens it next time', async () => {
    const elsewhere = await signUpAccount(ctx.app, { company: 'Pie Hole' });
    const created = await invite(owner, elsewhere.email);
    const joined = await accept(tokenOf(created), elsewhere.password);
    // Joining made Crumb & Co the session's account; remembering it as the login's first account happens on switch.
    await ctx.app.inject({ method: 'POST', url: '/api/portal/account/switch', headers: { cookie: readSessionCookie(joined), 'x-csrf-token': joined.json().csrfToken as string }, payload: { customerId: owner.customerId } });
    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/portal/team/members/${elsewhere.userId}`, headers: owner.headers })).statusCode).toBe(204);
    const login = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: elsewhere.email, password: elsewhere.password } });
    expect(login.json()).toMatchObject({ user: { role: 'owner' }, customer: { id: elsewhere.customerId } });
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: { cookie: elsewhere.cookie } })).statusCode).toBe(200);
  });

  it('refuses invitations made with an API key, and joining a lapsed account', async () => {
    const key = (await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: owner.headers, payload: { name: 'script' } })).json<{ key: string }>().key;
    const byKey = await ctx.app.inject({ method: 'POST', url: '/api/portal/team/invites', headers: { authorization: `Bearer ${key}` }, payload: { email: 'key@example.com', role: 'owner' } });
    expect(byKey.json()).toMatchObject({ status: 403, code: 'session_required' });

    const lapsed = await signUpAccount(ctx.app, { company: 'Stale Bread' });
    const created = await invite(lapsed, 'joiner@example.com');
    await ctx.database.db.updateTable('customers').set({ trial_ends_at: '2020-01-01T00:00:00.000Z' }).where('id', '=', lapsed.customerId).execute();
    const refused = await accept(tokenOf(created));
    expect(refused.json()).toMatchObject({ status: 402, code: 'payment_required' });
    expect(await ctx.database.db.selectFrom('users').select('id').where('email', '=', 'joiner@example.com').execute()).toEqual([]);
    // The link still works once the account continues.
    await ctx.database.db.updateTable('customers').set({ status: 'active' }).where('id', '=', lapsed.customerId).execute();
    expect((await accept(tokenOf(created))).statusCode).toBe(200);
  });

  it('sets the display name visitors see on replies; an empty name shows the business, never the e-mail', async () => {
    const chatbotId = (await createChatbotFor(ctx.app, owner, { name: 'Crumb Helper' })).id;
    const agent = await addTeamMember(ctx.app, owner);
    const profile = (name: unknown) => ctx.app.inject({ method: 'PATCH', url: '/api/portal/account/profile', headers: agent.headers, payload: { name } });
    expect((await profile('Ana\nAdmin')).statusCode).toBe(400);
    expect((await profile('x'.repeat(61))).statusCode).toBe(400);
    expect((await profile('  Ana from Crumb  ')).json()).toMatchObject({ name: 'Ana from Crumb', role: 'agent' });

    const chat = (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: 'v-name', message: 'Can I talk to a real person please?' } })).json<{ conversationId: string; conversationToken: string }>();
    await ctx.app.inject({ method: 'POST', url: `/api/portal/inbox/${chat.conversationId}/claim`, headers: agent.headers });
    await ctx.app.inject({ method: 'POST', url: `/api/portal/inbox/${chat.conversationId}/reply`, headers: agent.headers, payload: { text: 'Hello!' } });
    expect((await profile(null)).json().name).toBeNull();
    await ctx.app.inject({ method: 'POST', url: `/api/portal/inbox/${chat.conversationId}/reply`, headers: agent.headers, payload: { text: 'Still here.' } });
    // What the widget reads: the agent's replies under their display name, then under the business's name.
    const seen = await ctx.app.inject({ method: 'GET', url: `/api/public/conversations/${chat.conversationId}/messages`, headers: { 'x-fc-conversation-token': chat.conversationToken } });
    const agentMessages = seen.json<{ items: { role: string; text: string; authorName: string | null }[] }>().items.filter((m) => m.role === 'agent');
    expect(agentMessages.map((m) => [m.text, m.authorName])).toEqual([['Hello!', 'Ana from Crumb'], ['Still here.', 'Crumb & Co Bakery team']]);
    expect(seen.body).not.toContain(agent.email);
  });

  it('shows who has the inbox open, live, and closes a removed member’s inbox at once', async () => {
    const agent = await addTeamMember(ctx.app, owner, { name: 'Remy' });
    await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
    const presence = async () => (await ctx.app.inject({ method: 'GET', url: '/api/portal/inbox/presence', headers: agent.headers })).json<{ items: { userId: string; name: string | null; online: boolean }[] }>().items;
    expect((await presence()).find((p) => p.userId === agent.userId)?.online).toBe(false);

    const ownerStream = await fetch(`${base}/api/portal/inbox/events`, { headers: { cookie: owner.cookie, accept: 'text/event-stream' } });
    const reader = ownerStream.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextEvent = async (): Promise<{ event: string; data: Record<string, unknown> }> => {
      const deadline = Date.now() + EVENT_TIMEOUT_MS;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const data = block.find((line) => line.startsWith('data: '));
          if (data) return { event: block.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message', data: JSON.parse(data.slice(6)) };
          continue;
        }
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no inbox event in time')), Math.max(1, deadline - Date.now())));
        const chunk = await Promise.race([reader.read(), timeout]);
        if (chunk.done) throw new Error('stream ended');
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    };
    try {
      expect((await nextEvent()).event).toBe('ready');
      const agentStream = await fetch(`${base}/api/portal/inbox/events`, { headers: { cookie: agent.cookie, accept: 'text/event-stream' } });
      expect(agentStream.status).toBe(200);
      // The owner's inbox hears that someone came online, and the list says who.
      expect(await nextEvent()).toEqual({ event: 'inbox', data: { conversationId: '', kind: 'presence' } });
      expect((await presence()).filter((p) => p.online).map((p) => p.name ?? p.userId).sort()).toEqual(['Remy', owner.userId].sort());

      // Removing the agent ends their open inbox at once (it would otherwise keep receiving visitors' messages).
      expect((await ctx.app.inject({ method: 'DELETE', url: `/api/portal/team/members/${agent.userId}`, headers: owner.headers })).statusCode).toBe(204);
      const agentReader = agentStream.body!.getReader();
      await waitUntil(async () => (await agentReader.read()).done, 'the removed agent’s stream to end');
      await waitUntil(async () => !(await ctx.app.inject({ method: 'GET', url: '/api/portal/inbox/presence', headers: owner.headers })).body.includes(agent.userId), 'the agent to leave the list');
      expect((await nextEvent()).data.kind).toBe('presence');
    } finally {
      await reader.cancel();
    }
  });
});

describe('team invitations with SMTP', () => {
  const received: { to: string[]; mail: ParsedMail }[] = [];
  let smtp: SMTPServer;
  let ctx: TestContext;

  beforeAll(async () => {
    // A real SMTP server on 127.0.0.1 standing in for the operator's mail relay.
    smtp = new SMTPServer({
      secure: false, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
      onData(stream, session, callback) {
        simpleParser(stream).then((mail) => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
          callback();
        }, callback);
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    ctx = await createTestApp({ FC_SMTP_HOST: '127.0.0.1', FC_SMTP_PORT: String(port), FC_SMTP_FROM: 'FusionChatalyst <team@fusionchatalyst.test>', FC_PUBLIC_URL: 'https://app.fusionchatalyst.test' });
  });
  afterAll(async () => {
    await ctx.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('e-mails the link (built from FC_PUBLIC_URL, token in the fragment) instead of showing it', async () => {
    const owner = await signUpAccount(ctx.app, { company: 'Crumb & Co Bakery' });
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/team/invites', headers: { ...owner.headers, host: 'evil.example.com' }, payload: { email: 'mail.me@example.com', role: 'agent' } });
    expect(response.json()).toMatchObject({ emailed: true, link: null, acceptPath: null });
    expect(response.body).not.toMatch(/token=/);
    await waitUntil(() => received.some((r) => r.to.includes('mail.me@example.com')), 'the invitation e-mail');
    const mail = received.find((r) => r.to.includes('mail.me@example.com'))!.mail;
    expect(mail.subject).toBe('Join Crumb & Co Bakery on FusionChatalyst');
    const link = /https:\/\/app\.fusionchatalyst\.test\/accept-invite#token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '');
    expect(link).not.toBeNull();
    const accepted = await ctx.app.inject({ method: 'POST', url: '/api/portal/invites/accept', payload: { token: link![1], password: 'mailed horse battery' } });
    expect(accepted.json()).toMatchObject({ user: { email: 'mail.me@example.com', role: 'agent' }, customer: { id: owner.customerId } });
  });
});

describe('the 2026-12-04 team migration', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('makes every user the owner of the account they signed up with, and goes back and forth without losing a role', async () => {
    const owner = await signUpAccount(ctx.app, { company: 'Before Teams' });
    const agent = await addTeamMember(ctx.app, owner);
    const db = ctx.database.db as unknown as Kysely<unknown>;
    await teamMigration.down(db);
    // Before the migration a user had one account and a role on the user row.
    const { rows } = await sql<{ id: string; customer_id: string; role: string }>`select id, customer_id, role from users order by created_at`.execute(ctx.database.db);
    expect(rows.map((u) => [u.id, u.customer_id, u.role])).toEqual([[owner.userId, owner.customerId, 'owner'], [agent.userId, owner.customerId, 'agent']]);
    await ctx.database.db.deleteFrom('sessions').execute();
    await teamMigration.up(db);
    const memberships = await ctx.database.db.selectFrom('memberships').select(['customer_id', 'user_id', 'role']).orderBy('created_at').execute();
    expect(memberships).toEqual([
      { customer_id: owner.customerId, user_id: owner.userId, role: 'owner' },
      { customer_id: owner.customerId, user_id: agent.userId, role: 'agent' },
    ]);
    const login = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: owner.email, password: owner.password } });
    expect(login.json()).toMatchObject({ user: { role: 'owner' }, customer: { id: owner.customerId } });
  });
});
