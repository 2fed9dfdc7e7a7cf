import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../server/src/test/harness.js';
import { browserUnavailableReason, buildPortal, launchBrowser, measureOverflow, screenshotPath, type BrowserSession } from './browser.js';

/**
 * Teammates in a real browser (issue 15, item 9): the owner invites an agent from Settings → Team (no SMTP, so the
 * page shows the link), the agent opens the link in a second browser, chooses a name and password, lands in the
 * inbox and sees who is online there, but no webhooks; the owner sees the agent online. At desktop and 390×844.
 */
const skipReason = browserUnavailableReason();
const FLOW_TIMEOUT_MS = 120_000;
const PHONE = { width: 390, height: 844 };
const AGENT_EMAIL = 'marisol@crumb.example';

describe.skipIf(skipReason !== null)('team in a browser', () => {
  let ctx: TestContext;
  let baseUrl: string;
  let owner: TestAccount;
  let ownerBrowser: BrowserSession;
  let agentBrowser: BrowserSession;
  let ownerPage: Page;
  let agentPage: Page;
  const browserErrors: string[] = [];
  const watch = (page: Page) => {
    // 403s are expected here: the agent is refused owner-only requests by design.
    page.on('console', (message) => { if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) browserErrors.push(message.text()); });
    page.on('pageerror', (error) => browserErrors.push(error.message));
  };

  beforeAll(async () => {
    buildPortal();
    ctx = await createTestApp();
    baseUrl = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    owner = await signUpAccount(ctx.app, { company: 'Crumb & Co Bakery' });
    await ctx.app.inject({ method: 'PATCH', url: '/api/portal/account/profile', headers: owner.headers, payload: { name: 'Olivia (owner)' } });
    const bot = await createChatbotFor(ctx.app, owner, { name: 'Crumb Helper' });
    const chat = await fetch(`${baseUrl}/api/public/system-chat`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chatbotId: bot.id, visitorId: 'team-visitor', message: 'Can I talk to a real person about a wedding cake?' }),
    });
    expect(chat.status).toBe(200);

    ownerBrowser = await launchBrowser(baseUrl);
    await ownerBrowser.context.addCookies([{ name: 'fc_session', value: owner.cookie.replace(/^fc_session=/, ''), url: baseUrl }]);
    ownerPage = await ownerBrowser.context.newPage();
    watch(ownerPage);
    // A second browser: its own profile and cookies, as the agent's own computer would be.
    agentBrowser = await launchBrowser(baseUrl);
    agentPage = await agentBrowser.context.newPage();
    watch(agentPage);
  }, 120_000);

  afterAll(async () => {
    await agentBrowser?.close();
    await ownerBrowser?.close();
    await ctx?.close();
  });

  it('owner invites, the agent accepts in another browser, works the inbox and cannot reach webhooks', async () => {
    await ownerPage.goto('/settings/team');
    await ownerPage.getByRole('heading', { name: 'Team' }).waitFor();
    await ownerPage.getByLabel('Email').fill(AGENT_EMAIL);
    await ownerPage.getByLabel('Role', { exact: true }).selectOption('agent');
    await ownerPage.getByRole('button', { name: 'Invite' }).click();
    const linkBox = ownerPage.locator('.invite-link');
    await linkBox.waitFor();
    const link = (await linkBox.textContent()) ?? '';
    expect(link).toMatch(new RegExp(`^${baseUrl}/accept-invite#token=[A-Za-z0-9_-]{40,}$`));
    await ownerPage.getByRole('cell', { name: AGENT_EMAIL, exact: true }).waitFor();
    await ownerPage.screenshot({ path: screenshotPath('issue15-team-01-owner-invites'), fullPage: true });

    await agentPage.goto(link);
    await agentPage.getByRole('heading', { name: 'Join Crumb & Co Bakery' }).waitFor();
    // The token left the address bar once read.
    expect(agentPage.url()).toBe(`${baseUrl}/accept-invite`);
    await expect(agentPage.getByLabel('Email').inputValue()).resolves.toBe(AGENT_EMAIL);
    await agentPage.getByLabel('Your name').fill('Marisol');
    await agentPage.getByLabel('Choose a password').fill('marisol horse battery');
    await agentPage.getByLabel('Repeat the password').fill('marisol horse battery');
    await agentPage.screenshot({ path: screenshotPath('issue15-team-02-accept') });
    await agentPage.getByRole('button', { name: 'Join Crumb & Co Bakery' }).click();

    await agentPage.waitForURL((url) => url.pathname === '/inbox');
    await agentPage.locator('.inbox-item').first().waitFor();
    const nav = agentPage.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Inbox' }).waitFor();
    for (const hidden of ['Webhooks', 'Integrations', 'Team', 'Plan', 'Account & API keys', 'Dashboard', 'Chatbots', 'Training']) {
      await expect(nav.getByRole('link', { name: hidden, exact: true }).count(), hidden).resolves.toBe(0);
    }
    await expect(nav.getByRole('link', { name: 'Profile' }).count()).resolves.toBe(1);
    // Who is online in the inbox: the agent themself (and the owner once they open it).
    const presence = agentPage.getByRole('region', { name: 'Team in the inbox' });
    await presence.getByText('Marisol (you)').waitFor();
    await ownerPage.goto('/inbox');
    await presence.getByText('Olivia (owner)').waitFor();
    await ownerPage.getByRole('region', { name: 'Team in the inbox' }).getByText('Marisol').waitFor();

    // The agent claims and answers under their display name.
    await agentPage.locator('.inbox-item').first().click();
    await agentPage.getByRole('button', { name: 'Claim' }).click();
    await agentPage.getByLabel(/^Reply to/).fill('Hi! I can help with the wedding cake.');
    await agentPage.getByRole('button', { name: 'Send' }).click();
    await agentPage.locator('.msg-agent').filter({ hasText: 'I can help with the wedding cake' }).waitFor();
    await expect(agentPage.locator('.msg-agent .msg-who').last().textContent()).resolves.toBe('Marisol');
    await agentPage.screenshot({ path: screenshotPath('issue15-team-03-agent-inbox') });

    // Webhooks: the page says it is for owners, and the API refuses the agent whatever the page does.
    await agentPage.goto('/settings/webhooks');
    await agentPage.getByRole('heading', { name: 'For account owners' }).waitFor();
    const refused = await agentPage.evaluate(async () => (await fetch('/api/portal/webhooks')).status);
    expect(refused).toBe(403);
    await agentPage.screenshot({ path: screenshotPath('issue15-team-04-agent-no-webhooks') });

    // "Online" means the inbox is open: back to it, and the owner's team page shows it.
    await agentPage.goto('/inbox');
    await agentPage.locator('.inbox-item').first().waitFor();
    await ownerPage.goto('/settings/team');
    const row = ownerPage.getByRole('row').filter({ hasText: AGENT_EMAIL });
    await row.getByText('Online').waitFor();
    await expect(row.getByRole('combobox').inputValue()).resolves.toBe('agent');
    await ownerPage.screenshot({ path: screenshotPath('issue15-team-05-owner-members'), fullPage: true });
    expect(browserErrors, browserErrors.join('\n')).toEqual([]);
  }, FLOW_TIMEOUT_MS);

  it('fits a 390×844 phone: the agent’s inbox and profile, the owner’s team page', async () => {
    await agentPage.setViewportSize(PHONE);
    await ownerPage.setViewportSize(PHONE);
    const fits = async (page: Page, name: string) => {
      await page.screenshot({ path: screenshotPath(name), fullPage: true });
      const overflow = await measureOverflow(page);
      expect(overflow.scrollWidth, `${name}: ${overflow.culprits.join('\n')}`).toBeLessThanOrEqual(PHONE.width);
    };
    await agentPage.goto('/inbox');
    await agentPage.getByRole('region', { name: 'Team in the inbox' }).getByText('Marisol (you)').waitFor();
    await fits(agentPage, 'issue15-team-06-phone-agent-inbox');
    await agentPage.goto('/settings/profile');
    await agentPage.getByLabel('Display name').waitFor();
    await expect(agentPage.getByLabel('Display name').inputValue()).resolves.toBe('Marisol');
    await fits(agentPage, 'issue15-team-07-phone-agent-profile');
    await ownerPage.goto('/settings/team');
    await ownerPage.locator('td[data-label="Email"]', { hasText: AGENT_EMAIL }).waitFor();
    await fits(ownerPage, 'issue15-team-08-phone-owner-team');

    // Removing the agent signs them out at once: their next request is refused and the portal sends them to log in.
    ownerPage.once('dialog', (dialog) => void dialog.accept());
    await ownerPage.locator('tr', { hasText: AGENT_EMAIL }).getByRole('button', { name: 'Remove' }).click();
    await ownerPage.locator('td[data-label="Email"]', { hasText: AGENT_EMAIL }).waitFor({ state: 'detached' });
    await agentPage.goto('/inbox');
    await agentPage.waitForURL((url) => url.pathname === '/login');
    expect(browserErrors, browserErrors.join('\n')).toEqual([]);
  }, FLOW_TIMEOUT_MS);
});
