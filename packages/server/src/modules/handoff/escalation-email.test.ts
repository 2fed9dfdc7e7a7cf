import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { createDeliveryWorker } from '../../worker.js';

const WAIT_MS = 10_000;

interface Received {
  from: string;
  to: string[];
  mail: ParsedMail;
}

async function waitUntil(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('escalation e-mails over SMTP', () => {
  const received: Received[] = [];
  let rejectNext = 0;
  let smtp: SMTPServer;
  let port: number;
  let ctx: TestContext;
  let owner: TestAccount;
  let chatbotId: string;

  beforeAll(async () => {
    // A real SMTP server on 127.0.0.1 (no TLS, any login), standing in for the customer's mail relay.
    smtp = new SMTPServer({
      secure: false, disabledCommands: ['STARTTLS'], authOptional: true, logger: false,
      onAuth: (auth, _session, callback) => callback(auth.username === 'mailer' && auth.password === 's3cret' ? null : new Error('bad login'), { user: auth.username }),
      onData(stream, session, callback) {
        if (rejectNext > 0) {
          rejectNext -= 1;
          stream.resume();
          stream.on('end', () => callback(Object.assign(new Error('451 mailbox busy, try later'), { responseCode: 451 })));
          return;
        }
        simpleParser(stream).then((mail) => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), mail });
          callback();
        }, callback);
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    port = (smtp.server.address() as AddressInfo).port;
    ctx = await createTestApp({
      FC_SMTP_HOST: '127.0.0.1', FC_SMTP_PORT: String(port), FC_SMTP_USER: 'mailer', FC_SMTP_PASSWORD: 's3cret',
      FC_SMTP_FROM: 'FusionChatalyst <alerts@fusionchatalyst.test>', FC_PUBLIC_URL: 'https://app.fusionchatalyst.test',
    });
    owner = await signUpAccount(ctx.app, { company: 'Acme Plumbing' });
    chatbotId = (await createChatbotFor(ctx.app, owner, { name: 'Acme Helper' })).id;
  });
  afterAll(async () => {
    await ctx.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('e-mails the account’s users about a new escalation, and retries a refused send instead of dropping it', async () => {
    const errors: { obj: object; msg?: string | undefined }[] = [];
    const log = { info: () => undefined, warn: () => undefined, error: (obj: object, msg?: string) => void errors.push({ obj, msg }) };
    const worker = createDeliveryWorker({ db: ctx.database.db, config: ctx.config, log, pollIntervalMs: 20, sweepIdleConversations: false });
    rejectNext = 1;
    try {
      const chat = (message: string, more: Record<string, string> = {}) => ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: 'mail-visitor', message, ...more } });
      const first = (await chat('Hi, I am Rosa Diaz and my email is rosa@example.com')).json<{ conversationId: string; conversationToken: string }>();
      await chat('I want to talk to a real person about a leak', { conversationId: first.conversationId, conversationToken: first.conversationToken });
      const queued = await ctx.database.db.selectFrom('escalation_emails').selectAll().execute();
      expect(queued).toHaveLength(1);
      worker.start();

      // The relay refuses the first try: logged, kept, retried later.
      await waitUntil(async () => (await ctx.database.db.selectFrom('escalation_emails').select('attempts').executeTakeFirstOrThrow()).attempts === 1, 'the first attempt');
      const afterFailure = await ctx.database.db.selectFrom('escalation_emails').selectAll().executeTakeFirstOrThrow();
      expect(afterFailure).toMatchObject({ status: 'pending', attempts: 1 });
      expect(afterFailure.last_error).toContain('mailbox busy');
      expect(errors).toEqual([expect.objectContaining({ msg: 'escalation e-mail failed; will retry' })]);
      expect(received).toHaveLength(0);

      // Due now: the next run sends it.
      await ctx.database.db.updateTable('escalation_emails').set({ next_attempt_at: new Date(Date.now() - 1000).toISOString() }).execute();
      await waitUntil(() => received.length === 1, 'the e-mail');
      const [email] = received;
      expect(email?.to).toEqual([owner.email]);
      expect(email?.from).toBe('alerts@fusionchatalyst.test');
      expect(email?.mail.subject).toBe('New escalation from Rosa Diaz (Acme Helper)');
      const text = email?.mail.text ?? '';
      expect(text).toContain('Rosa Diaz asked for a person in a chat with Acme Helper.');
      expect(text).toContain('Last message: I want to talk to a real person about a leak');
      expect(text).toContain('Email: rosa@example.com');
      expect(text).toContain(`Answer in the inbox: https://app.fusionchatalyst.test/inbox?conversation=${first.conversationId}`);
      await waitUntil(async () => (await ctx.database.db.selectFrom('escalation_emails').select('status').executeTakeFirstOrThrow()).status === 'sent', 'status sent');
      const sent = await ctx.database.db.selectFrom('escalation_emails').selectAll().executeTakeFirstOrThrow();
      expect(sent).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
      expect(JSON.parse(sent.recipients ?? '[]')).toEqual([owner.email]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received).toHaveLength(1);
    } finally {
      await worker.stop(100);
    }
  });

  it('is off when FC_SMTP_HOST is unset, and refuses half a configuration', async () => {
    const plain = await createTestApp();
    try {
      expect(plain.config.smtp).toBeNull();
      const account = await signUpAccount(plain.app);
      const bot = await createChatbotFor(plain.app, account);
      await plain.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: bot.id, visitorId: 'v', message: 'Can I talk to a person?' } });
      expect(await plain.database.db.selectFrom('escalation_emails').selectAll().execute()).toEqual([]);
    } finally {
      await plain.close();
    }
    const { loadConfig } = await import('../../config.js');
    expect(() => loadConfig({ FC_SECRET_KEY: 'a'.repeat(64), FC_SMTP_FROM: 'x@example.com' })).toThrow(/FC_SMTP_HOST is required/);
    expect(() => loadConfig({ FC_SECRET_KEY: 'a'.repeat(64), FC_SMTP_HOST: 'smtp.example.com', FC_SMTP_FROM: 'nobody' })).toThrow(/FC_SMTP_FROM must be an e-mail address/);
  });
});
