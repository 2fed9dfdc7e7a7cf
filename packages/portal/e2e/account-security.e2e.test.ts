import { createServer, type AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../server/src/test/harness.js';
import { browserUnavailableReason, buildPortal, launchBrowser, screenshotPath, type BrowserSession } from './browser.js';

/**
 * Password and session safety in a real browser: change the password on the Account page (other sessions end),
 * sign out everywhere, and "Forgot password?" → e-mailed link (over a real local SMTP server) → new password.
 */
const skipReason = browserUnavailableReason();
const FLOW_TIMEOUT_MS = 90_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(skipReason !== null)('account security in a browser', () => {
  const mails: { to: string[]; mail: ParsedMail }[] = [];
  let smtp: SMTPServer;
  let ctx: TestContext;
  let noSmtp: TestContext;
  let baseUrl: string;
  let session: BrowserSession;
  let page: Page;
  let account: TestAccount;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    buildPortal();
    smtp = new SMTPServer({
      secure: false, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
      onData(stream, smtpSession, callback) {
        simpleParser(stream).then((mail) => {
          mails.push({ to: smtpSession.envelope.rcptTo.map((r) => r.address), mail });
          callback();
        }, callback);
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    // The e-mailed link is built from FC_PUBLIC_URL, so the server must know its own address before it listens.
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    ctx = await createTestApp({ FC_SMTP_HOST: '127.0.0.1', FC_SMTP_PORT: String(smtpPort), FC_SMTP_FROM: 'FusionChatalyst <accounts@fusionchatalyst.test>', FC_PUBLIC_URL: baseUrl });
    await ctx.app.listen({ host: '127.0.0.1', port });
    noSmtp = await createTestApp();
    await noSmtp.app.listen({ host: '127.0.0.1', port: 0 });
    account = await signUpAccount(ctx.app, { company: 'Keyholder Plumbing' });
    session = await launchBrowser(baseUrl);
    page = await session.context.newPage();
    page.on('console', (message) => { if (message.type() === 'error' && !/status of 40[01345]/.test(message.text())) browserErrors.push(message.text()); });
    page.on('pageerror', (error) => browserErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await ctx?.close();
    await noSmtp?.close();
    if (smtp) await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  async function logInWithForm(password: string): Promise<void> {
    await page.goto('/login');
    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  const isSignedIn = async (headers: Record<string, string>) => (await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers })).statusCode === 200;

  it('changes the password on the Account page: the current one is needed, other sessions end, this one stays', async () => {
    await logInWithForm(account.password);
    await page.waitForURL((url) => url.pathname === '/');
    await page.goto('/settings/account');
    await page.getByRole('heading', { name: 'Password and sessions' }).waitFor();

    await page.getByLabel('Current password').fill('not the password');
    await page.getByLabel('New password', { exact: true }).fill('a new and longer password');
    await page.getByLabel('Repeat the new password').fill('a new and longer password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('This is not your current password.').waitFor();
    expect(await isSignedIn(account.headers)).toBe(true);

    await page.getByLabel('Current password').fill(account.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed. You are still signed in here; every other session has ended.').waitFor();
    await page.locator('section.card').filter({ has: page.getByRole('heading', { name: 'Password and sessions' }) }).screenshot({ path: screenshotPath('account-01-password-changed') });
    // The session from signup (another "device") has ended; this browser is still in.
    expect(await isSignedIn(account.headers)).toBe(false);
    await page.reload();
    await page.getByRole('heading', { name: 'Password and sessions' }).waitFor();
    account.password = 'a new and longer password';
  }, FLOW_TIMEOUT_MS);

  it('signs out everywhere, this browser included', async () => {
    const other = await ctx.app.inject({ method: 'POST', url: '/api/portal/login', payload: { email: account.email, password: account.password } });
    const otherHeaders = { cookie: `fc_session=${other.cookies.find((c) => c.name === 'fc_session')?.value ?? ''}` };
    expect(await isSignedIn(otherHeaders)).toBe(true);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.waitForURL(/\/login\?signedOut=everywhere/);
    await page.getByText('You were signed out on every device and browser.').waitFor();
    await page.screenshot({ path: screenshotPath('account-02-signed-out-everywhere') });
    expect(await isSignedIn(otherHeaders)).toBe(false);
    await page.goto('/settings/account');
    await page.waitForURL(/\/login/);
  }, FLOW_TIMEOUT_MS);

  it('resets a forgotten password through the e-mailed link, once', async () => {
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.waitForURL(/\/forgot-password/);
    await page.getByLabel('Email').fill(account.email);
    await page.screenshot({ path: screenshotPath('account-03-forgot-password') });
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByText('If an account uses this e-mail address, we have sent it a link').waitFor();
    await page.screenshot({ path: screenshotPath('account-04-reset-link-sent') });

    await expect.poll(() => mails.filter((m) => m.to.includes(account.email)).length, { timeout: 10_000 }).toBe(1);
    const text = mails.find((m) => m.to.includes(account.email))?.mail.text ?? '';
    const link = new RegExp(`${baseUrl.replace(/[.]/g, '\\.')}/reset-password#token=[A-Za-z0-9_-]+`).exec(text)?.[0];
    expect(link).toBeDefined();

    await page.goto(link ?? '');
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    // The token leaves the address bar (and so the history) as soon as the page has read it.
    expect(new URL(page.url()).hash).toBe('');
    await page.getByLabel('New password', { exact: true }).fill('reset from the e-mail');
    await page.getByLabel('Repeat the new password').fill('reset from the e-mail');
    await page.screenshot({ path: screenshotPath('account-05-reset-page') });
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.waitForURL(/\/login\?reset=1/);
    await page.getByText('Your password has been changed').waitFor();

    await page.getByLabel('Email').fill(account.email);
    await page.getByLabel('Password').fill('reset from the e-mail');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === '/');

    // The same link again: refused, with a way to ask for a new one.
    const signedIn = page.url();
    await session.context.clearCookies();
    await page.goto(link ?? '');
    await page.getByLabel('New password', { exact: true }).fill('trying the link twice');
    await page.getByLabel('Repeat the new password').fill('trying the link twice');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByText('This password-reset link is not valid any more').waitFor();
    await page.screenshot({ path: screenshotPath('account-06-reset-link-used') });
    expect(signedIn).toMatch(/\/$/);
    expect(browserErrors).toEqual([]);
  }, FLOW_TIMEOUT_MS);

  it('says plainly on "Forgot password?" when the server cannot send e-mail, and what to do instead', async () => {
    const address = noSmtp.app.server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${address.port}/forgot-password`);
    await page.getByText('Password reset by e-mail is not set up on this server').waitFor();
    await expect(page.getByText('npm run admin -- reset-password').count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Send reset link' }).count()).resolves.toBe(0);
    await page.screenshot({ path: screenshotPath('account-07-reset-without-smtp') });
  }, FLOW_TIMEOUT_MS);
});
