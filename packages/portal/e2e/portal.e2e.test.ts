import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../../server/src/test/harness.js';
import { browserUnavailableReason, buildPortal, launchBrowser, screenshotPath, startReceiver, type BrowserSession } from './browser.js';

/**
 * The portal as a new customer uses it, in a real browser against the real server: sign up, create a
 * chatbot, teach it, see leads from real chats, fix a bad answer in Training, connect a webhook.
 */
const skipReason = browserUnavailableReason();
const FLOW_TIMEOUT_MS = 90_000;

describe.skipIf(skipReason !== null)('portal in a browser', () => {
  let ctx: TestContext;
  let baseUrl: string;
  let session: BrowserSession;
  let page: Page;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let chatbotId = '';
  const browserErrors: string[] = [];

  beforeAll(async () => {
    buildPortal();
    ctx = await createTestApp();
    baseUrl = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    receiver = await startReceiver();
    session = await launchBrowser(baseUrl);
    page = await session.context.newPage();
    // Any CSP violation or script error is a bug the customer would hit.
    page.on('console', (message) => { if (message.type() === 'error' && !/status of 40[14]/.test(message.text())) browserErrors.push(message.text()); });
    page.on('pageerror', (error) => browserErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await receiver?.close();
    await ctx?.close();
  });

  async function chat(message: string, conversation?: { conversationId: string; conversationToken: string }) {
    const response = await fetch(`${baseUrl}/api/public/system-chat`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chatbotId, visitorId: 'visitor-e2e-1', message, ...conversation }),
    });
    expect(response.status).toBe(200);
    return response.json() as Promise<{ conversationId: string; conversationToken: string; message: { id: string; text: string } }>;
  }

  it('signs up, creates a chatbot, adds an FAQ, and the test box answers from it', async () => {
    await page.goto('/');
    await page.waitForURL(/\/login/);
    await page.getByRole('link', { name: 'Start a free trial' }).click();
    await page.getByLabel('Business name').fill('Acme Plumbing');
    await page.getByLabel('Work email').fill(`owner-${Date.now()}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.screenshot({ path: screenshotPath('01-signup') });
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.waitForURL(/\/chatbots\?welcome=1/);
    await page.getByText('Free trial: 7 days left').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Acme Plumbing Bot');
    await page.getByRole('button', { name: 'Create chatbot' }).click();
    await page.waitForURL(/\/chatbots\/bot_[^/]+\/knowledge/);
    chatbotId = /\/chatbots\/(bot_[^/]+)\//.exec(page.url())?.[1] ?? '';
    expect(chatbotId).toMatch(/^bot_/);

    await page.getByLabel('Question', { exact: true }).fill('What are your opening hours?');
    await page.getByLabel('Answer', { exact: true }).fill('We are open Monday to Friday, 8am to 6pm.');
    await page.getByRole('button', { name: 'Add question' }).click();
    await page.locator('.entries').getByText('What are your opening hours?').waitFor();

    await page.getByPlaceholder('e.g. What are your opening hours?').fill('when are you open?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    const answer = page.locator('.test-answer');
    await answer.waitFor();
    await expect(answer.innerText()).resolves.toContain('Monday to Friday');
    await expect(answer.locator('.source-chip').innerText()).resolves.toBe('What are your opening hours?');
    await page.screenshot({ path: screenshotPath('02-knowledge-test-question'), fullPage: true });

    await page.getByRole('link', { name: 'Install' }).click();
    await expect(page.locator('.snippet code').innerText()).resolves.toBe(`<script src="${baseUrl}/widget.js" data-chatbot-id="${chatbotId}" async></script>`);
    await page.screenshot({ path: screenshotPath('03-install') });

    // Appearance: the saved look shows in a live preview that runs the real widget script.
    await page.getByRole('link', { name: 'Appearance' }).click();
    await page.getByLabel('Window title').fill('Ask Acme');
    await page.getByRole('button', { name: 'Save appearance' }).click();
    await page.getByText('Saved. The preview shows the new look.').waitFor();
    const preview = page.frameLocator('iframe.widget-preview');
    // The preview frame reloads with the saved look; wait for the new frame's widget, then open it.
    await preview.getByRole('button', { name: /Open chat/ }).click({ timeout: 20_000 }).catch(async (error: unknown) => {
      // Diagnostics for a preview that never rendered: what the frame held, and a screenshot.
      await page.screenshot({ path: screenshotPath('failed-appearance-preview') });
      const frame = page.frames().find((f) => f.url().includes('widget-preview'));
      console.error('appearance preview frame', frame?.url(), (await frame?.content())?.slice(0, 2_000), browserErrors);
      throw error;
    });
    await preview.getByText('Ask Acme').first().waitFor();
    await page.screenshot({ path: screenshotPath('03b-appearance-preview') });
  }, FLOW_TIMEOUT_MS);

  it('shows a lead captured through the public chat, and a thumbs-down fixed in Training', async () => {
    const first = await chat('I want to book an appointment, I am Olivia Owner');
    const thread = { conversationId: first.conversationId, conversationToken: first.conversationToken };
    await chat('my phone is 512-555-0199 and email olivia@example.com', thread);

    const liked = await chat('what time do you open in the morning?');
    await fetch(`${baseUrl}/api/public/conversations/${liked.conversationId}/rate`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messageId: liked.message.id, rating: 'up', conversationToken: liked.conversationToken }),
    });
    const asked = await chat('Do you work on weekends?');
    await fetch(`${baseUrl}/api/public/conversations/${asked.conversationId}/rate`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messageId: asked.message.id, rating: 'down', comment: 'I wanted to know about Saturdays', conversationToken: asked.conversationToken }),
    });

    await page.getByRole('link', { name: 'Leads' }).click();
    const row = page.locator('tbody tr').filter({ hasText: 'olivia@example.com' });
    await row.waitFor();
    await expect(row.innerText()).resolves.toContain('Olivia Owner');
    await expect(page.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).resolves.toBe('/api/portal/leads/export.csv');
    await page.screenshot({ path: screenshotPath('04-leads') });

    await row.getByRole('link', { name: 'Conversation' }).click();
    await page.getByRole('heading', { name: 'Lead' }).waitFor();
    await expect(page.locator('.transcript').innerText()).resolves.toContain('I want to book an appointment');
    await page.screenshot({ path: screenshotPath('05-conversation'), fullPage: true });

    await page.getByRole('link', { name: 'Training' }).click();
    const card = page.locator('.review').filter({ hasText: 'Do you work on weekends?' });
    await card.waitFor();
    await expect(card.innerText()).resolves.toContain('I wanted to know about Saturdays');
    await card.getByLabel('A better answer').fill('Yes: on Saturdays we are open from 9am to 1pm.');
    await card.getByRole('button', { name: 'Save the better answer' }).click();
    await card.getByRole('button', { name: 'Re-check' }).click();
    await expect(card.locator('.test-answer').innerText()).resolves.toContain('Saturdays we are open from 9am to 1pm');
    await page.screenshot({ path: screenshotPath('06-training-fixed'), fullPage: true });

    // The thumbs-up waits for the owner: approving it is what teaches the bot that wording.
    const suggestion = page.locator('.paraphrase').filter({ hasText: 'what time do you open in the morning?' });
    await expect(suggestion.locator('.source-chip').innerText()).resolves.toBe('What are your opening hours?');
    await suggestion.getByRole('button', { name: 'Approve this wording' }).click();
    await suggestion.getByText('Approved: visitors who ask it this way').waitFor();
    await page.screenshot({ path: screenshotPath('06b-training-paraphrase-approved'), fullPage: true });
  }, FLOW_TIMEOUT_MS);

  it('connects a webhook to a local receiver: field mapping preview and Send test', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('link', { name: 'Add your first webhook' }).click();
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.screenshot({ path: screenshotPath('07-webhook-new'), fullPage: true });
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const secret = await page.locator('.secret-once pre code').innerText();
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole('link', { name: 'Continue: fields and test' }).click();

    // Add a constant field and watch the live preview render it.
    await page.getByLabel('Fields sent for').selectOption('lead.captured');
    await page.getByRole('button', { name: 'Add field' }).click();
    const rows = page.locator('.mapping-row');
    const added = rows.last();
    await added.getByLabel('Receiver gets').fill('source');
    await added.getByLabel('From').selectOption('const');
    await added.getByLabel('Value').fill('website');
    await page.locator('.preview-panel pre').filter({ hasText: '"source": "website"' }).waitFor();
    await page.getByRole('button', { name: 'Save fields' }).click();
    await page.getByText('Fields saved.').waitFor();

    await page.getByRole('button', { name: 'Send test' }).click();
    const result = page.locator('.test-result');
    await result.waitFor();
    await expect(result.innerText()).resolves.toContain('Delivered');
    await expect(result.innerText()).resolves.toContain('HTTP 200');
    await page.locator('.delivery-detail, tbody tr').filter({ hasText: 'webhook.test' }).first().waitFor();
    await page.screenshot({ path: screenshotPath('08-webhook-detail'), fullPage: true });

    const delivery = receiver.received.find((r) => r.headers['x-fc-event'] === 'webhook.test');
    expect(delivery).toBeDefined();
    // The receiver can verify it with any Standard Webhooks library and the secret the portal showed once.
    const payload = new Webhook(secret).verify(delivery?.body ?? '', delivery?.headers as Record<string, string>) as Record<string, unknown>;
    expect(payload).toMatchObject({ eventType: 'webhook.test', test: true });

    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Delivery health' }).waitFor();
    await page.locator('.stat-value').first().filter({ hasNotText: '…' }).waitFor();
    await page.screenshot({ path: screenshotPath('09-dashboard'), fullPage: true });
  }, FLOW_TIMEOUT_MS);

  it('creates a read-only API key on the Account page, lists its access, and the key can read but not write', async () => {
    await page.goto('/settings/account');
    await page.getByLabel('Key name').fill('Reporting');
    await page.getByLabel('Access').selectOption('read');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const key = (await page.locator('.secret-once code').textContent()) ?? '';
    expect(key).toMatch(/^fck_/);
    const row = page.getByRole('row').filter({ hasText: 'Reporting' });
    await row.getByRole('cell', { name: 'Read only' }).waitFor();
    await page.screenshot({ path: screenshotPath('11-api-keys') });
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    expect((await fetch(`${baseUrl}/api/portal/chatbots`, { headers })).status).toBe(200);
    const write = await fetch(`${baseUrl}/api/portal/chatbots`, { method: 'POST', headers, body: JSON.stringify({ name: 'Not allowed' }) });
    expect(write.status).toBe(403);
    expect(((await write.json()) as { code: string }).code).toBe('read_only_key');
  }, FLOW_TIMEOUT_MS);

  it('has no serious or critical accessibility problems on the main pages', async () => {
    const pages = ['/', '/chatbots', `/chatbots/${chatbotId}/knowledge`, `/chatbots/${chatbotId}/settings`, '/conversations', '/leads', '/escalations', '/training', '/settings/webhooks', '/settings/integrations', '/settings/account', '/developers'];
    const problems: string[] = [];
    for (const url of pages) {
      await page.goto(url);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      for (const violation of results.violations) {
        if (violation.impact === 'serious' || violation.impact === 'critical') {
          problems.push(`${url}: ${violation.id} (${violation.impact}) ${violation.help} — ${violation.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
        }
      }
    }
    expect(problems).toEqual([]);
    await page.locator('.event-type summary').first().click();
    await page.locator('.event-type .code-block').first().waitFor();
    await page.screenshot({ path: screenshotPath('10-developers') });
  }, FLOW_TIMEOUT_MS);

  it('raised no script or Content-Security-Policy errors in the browser', () => {
    expect(browserErrors).toEqual([]);
  });
});
