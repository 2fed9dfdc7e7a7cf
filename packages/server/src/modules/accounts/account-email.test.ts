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
});
