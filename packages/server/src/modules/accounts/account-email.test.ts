import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpAccount, type TestContext } from '../../test/harness.js';

const WAIT_MS = 10_000;

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('signing up with a registered e-mail, with SMTP configured', () => {
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
    ctx = await createTestApp({ FC_SMTP_HOST: '127.0.0.1', FC_SMTP_PORT: String(port), FC_SMTP_FROM: 'FusionChatalyst <accounts@fusionchatalyst.test>', FC_PUBLIC_URL: 'https://app.fusionchatalyst.test' });
  });
  afterAll(async () => {
    await ctx.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  const mailsTo = (email: string) => received.filter((r) => r.to.includes(email));

  it('answers without saying so and e-mails the address’s owner instead, at most once an hour', async () => {
    const owner = await signUpAccount(ctx.app);
    const other = await signUpAccount(ctx.app);
    expect(received).toHaveLength(0);

    const attempt = (email: string) => ctx.app.inject({ method: 'POST', url: '/api/portal/signup', payload: { email, password: 'someone else’s password', company: 'Lookalike' } });
    const first = await attempt(owner.email);
    expect(first.statusCode).toBe(422);
    expect(first.body).not.toMatch(/exist|registered/i);
    await waitUntil(() => mailsTo(owner.email).length === 1, 'the notice');
    const [notice] = mailsTo(owner.email);
    expect(notice?.mail.subject).toBe('You already have a FusionChatalyst account');
    expect(notice?.mail.text).toContain('already has an account');
    expect(notice?.mail.text).toContain('https://app.fusionchatalyst.test/login');
    expect(notice?.mail.text).not.toContain('someone else’s password');

    // A second try within the hour answers the same but sends nothing more; another owner still hears of theirs.
    expect((await attempt(owner.email.toUpperCase())).statusCode).toBe(422);
    expect((await attempt(other.email)).statusCode).toBe(422);
    await waitUntil(() => mailsTo(other.email).length === 1, 'the other owner’s notice');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(mailsTo(owner.email)).toHaveLength(1);
  });

  it('e-mails a single-use, hour-long reset link that ends every session, and answers the same for unknown e-mails', async () => {
    const owner = await signUpAccount(ctx.app);
    const request = (email: string) => ctx.app.inject({ method: 'POST', url: '/api/portal/password-reset', payload: { email } });
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/password-reset' })).json()).toMatchObject({ available: true });

    const unknown = await request('nobody-here@example.com');
    const known = await request(owner.email.toUpperCase());
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(202);
    expect(known.body).toBe(unknown.body);
    await waitUntil(() => mailsTo(owner.email).length === 1, 'the reset e-mail');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(mailsTo('nobody-here@example.com')).toHaveLength(0);

    const mail = mailsTo(owner.email)[0]?.mail;
    expect(mail?.subject).toBe('Reset your FusionChatalyst password');
    const link = /https:\/\/app\.fusionchatalyst\.test\/reset-password#token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '');
    expect(link).not.toBeNull();
    const token = link?.[1] ?? '';
    // Stored hashed: the database never holds the token itself.
    const stored = await ctx.database.db.selectFrom('password_resets').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(token);
    const expiresInMs = Date.parse(stored.find((row) => row.used_at === null)?.expires_at ?? '') - Date.now();
    expect(expiresInMs).toBeGreaterThan(55 * 60_000);
    expect(expiresInMs).toBeLessThanOrEqual(60 * 60_000);

    const reset = (newPassword: string) => ctx.app.inject({ method: 'POST', url: '/api/portal/password-reset/confirm', payload: { token, newPassword } });
    expect((await reset('short')).statusCode).toBe(400);
    expect((await reset('reset to something new')).statusCode).toBe(204);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: owner.headers })).statusCode).toBe(401);
    const login = (password: string) => ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: owner.email, password } });
    expect((await login(owner.password)).statusCode).toBe(401);
    expect((await login('reset to something new')).statusCode).toBe(200);

    // Single use.
    const again = await reset('and once more, please');
    expect(again.statusCode).toBe(400);
    expect(again.json()).toMatchObject({ code: 'reset_link_invalid' });
    expect((await login('and once more, please')).statusCode).toBe(401);
  });

  it('refuses an expired link and limits requests per e-mail and per address', async () => {
    const owner = await signUpAccount(ctx.app);
    expect((await ctx.app.inject({ method: 'POST', url: '/api/portal/password-reset', payload: { email: owner.email } })).statusCode).toBe(202);
    await waitUntil(() => mailsTo(owner.email).length === 1, 'the reset e-mail');
    const token = /#token=([A-Za-z0-9_-]+)/.exec(mailsTo(owner.email)[0]?.mail.text ?? '')?.[1] ?? '';
    const user = await ctx.database.db.selectFrom('users').select('id').where('email', '=', owner.email).executeTakeFirstOrThrow();
    await ctx.database.db.updateTable('password_resets').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('user_id', '=', user.id).execute();
    const expired = await ctx.app.inject({ method: 'POST', url: '/api/portal/password-reset/confirm', payload: { token, newPassword: 'too late for this one' } });
    expect(expired.statusCode).toBe(400);
    expect(expired.json()).toMatchObject({ code: 'reset_link_invalid' });
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: owner.headers })).statusCode).toBe(200);

    // Per e-mail: three an hour, whoever asks.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await ctx.app.inject({ method: 'POST', url: '/api/portal/password-reset', payload: { email: owner.email } })).statusCode);
    expect(statuses).toEqual([202, 202, 429]);
    // Per address: ten an hour across e-mails. This address has had five answered in this file so far (two in the
    // test above, three here; a request refused per e-mail is not charged to the address).
    const spread: number[] = [];
    for (let i = 0; i < 6; i += 1) spread.push((await ctx.app.inject({ method: 'POST', url: '/api/portal/password-reset', payload: { email: `walk${i}@example.com` } })).statusCode);
    expect(spread).toEqual([202, 202, 202, 202, 202, 429]);
  });
});
