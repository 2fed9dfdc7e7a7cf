import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import type { App } from '../../http/types.js';
import { createTestConfig, openTestDatabase } from '../../test/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/webhook-receiver.js';
import { buildWidgetForTests } from '../../test/widget-build.js';
import { createDeliveryWorker, type DeliveryWorker } from '../../worker.js';

/**
 * Satisfaction after a person resolves a chat (issue 15, item 10) and the widget in the visitor's language (item 12),
 * in Chromium: the visitor's widget on another site, the agent's portal inbox, a webhook receiver on 127.0.0.1.
 */
const CHROMIUM_PATH = process.env.FC_CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM_PATH) || process.env.FC_REQUIRE_BROWSER === '1';
const ARTIFACTS_DIR = fileURLToPath(new URL('../../../../../test-artifacts/satisfaction/', import.meta.url));
const PORTAL_DIR = fileURLToPath(new URL('../../../../portal/', import.meta.url));
const HOST_NAME = 'shop.test';
const UI_TIMEOUT_MS = 15_000;
const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface Agent {
  cookie: { name: string; value: string };
  headers: Record<string, string>;
}

function buildPortal(): void {
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: PORTAL_DIR, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
}

describe.skipIf(!HAS_CHROMIUM)('satisfaction and languages in Chromium: widget, inbox and a webhook', () => {
  let browser: Browser;
  let app: App;
  let base = '';
  let dispose: () => Promise<void> = async () => undefined;
  let worker: DeliveryWorker;
  let receiver: WebhookReceiver;
  let hostServer: Server;
  let hostOrigin = '';
  let agent: Agent;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    buildWidgetForTests();
    buildPortal();
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const opened = await openTestDatabase();
    dispose = opened.dispose;
    const config = createTestConfig({ DATABASE_URL: opened.databaseUrl, FC_DATA_DIR: opened.dataDir, FC_RETRY_SCHEDULE: '100ms,100ms' });
    app = await buildApp({ config, database: opened.database });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    worker = createDeliveryWorker({ db: opened.database.db, config, log: quietLog, pollIntervalMs: 20, sweepIdleConversations: false });
    worker.start();
    receiver = await startWebhookReceiver();

    hostServer = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://host');
      if (url.pathname !== '/page') {
        response.writeHead(url.pathname === '/favicon.ico' ? 204 : 404).end();
        return;
      }
      // A strict page: the widget may load its script and call its server, and nothing else.
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': `default-src 'none'; script-src ${base}; connect-src ${base}; style-src 'unsafe-inline'`,
      }).end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Rosa Bakery</title></head>
<body style="font: 16px/1.5 Georgia, serif; padding: 40px"><h1>Rosa Bakery</h1><p>Sourdough, pastries and cakes to order.</p>
<script src="${base}/widget.js" data-chatbot-id="${url.searchParams.get('bot') ?? ''}" async></script></body></html>`);
    });
    await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve));
    hostOrigin = `http://${HOST_NAME}:${(hostServer.address() as AddressInfo).port}`;

    const signup = await fetch(`${base}/api/portal/signup`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `owner-${randomBytes(4).toString('hex')}@rosa.test`, password: 'correct horse battery', company: 'Rosa Bakery', name: 'Marisol Reyes' }),
    });
    expect(signup.status).toBe(201);
    const [name, value] = ((signup.headers.get('set-cookie') ?? '').split(';')[0] ?? '').split('=') as [string, string];
    const { csrfToken } = (await signup.json()) as { csrfToken: string };
    agent = { cookie: { name, value }, headers: { 'content-type': 'application/json', cookie: `${name}=${value}`, 'x-csrf-token': csrfToken } };

    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--host-resolver-rules=MAP ${HOST_NAME} 127.0.0.1`,
      ],
    });
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await new Promise((resolve) => hostServer?.close(resolve));
    await worker?.stop(200);
    await receiver?.close();
    await app?.close();
    await dispose();
  });

  async function portal(method: string, url: string, body?: unknown): Promise<Response> {
    // A bodyless POST must not claim a JSON body (Fastify answers 400 to an empty one).
    const { 'content-type': _json, ...headers } = agent.headers;
    return fetch(`${base}${url}`, { method, ...(body === undefined ? { headers } : { headers: agent.headers, body: JSON.stringify(body) }) });
  }

  async function createBot(name: string, settings: Record<string, unknown>): Promise<string> {
    const response = await portal('POST', '/api/portal/chatbots', {
      name, settings: { allowedOrigins: [hostOrigin], appearance: { title: name, color: '#9d174d', position: 'bottom-right', avatarUrl: null }, ...settings },
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  async function openPage(context: BrowserContext, url: string, problems: string[]): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(url);
    return page;
  }

  async function newContext(options: Parameters<Browser['newContext']>[0]): Promise<BrowserContext> {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`) });

  it('a person resolves the chat in the inbox, the visitor rates it in the widget, the webhook gets a signed conversation.rated', async () => {
    const problems: string[] = [];
    const chatbotId = await createBot('Rosa Bakery', { greeting: 'Hi! Ask us about cakes, orders and opening hours.' });
    const hook = await portal('POST', '/api/portal/webhooks', { url: receiver.url, events: ['conversation.rated'] });
    expect(hook.status).toBe(201);
    const { secret } = (await hook.json()) as { secret: string };

    const agentContext = await newContext({ viewport: { width: 1280, height: 800 } });
    await agentContext.addCookies([{ name: agent.cookie.name, value: agent.cookie.value, domain: '127.0.0.1', path: '/' }]);
    const inbox = await openPage(agentContext, `${base}/inbox`, problems);
    await inbox.getByText('Live: new escalations and messages appear here').waitFor({ timeout: UI_TIMEOUT_MS });

    const visitorContext = await newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const visitor = await openPage(visitorContext, `${hostOrigin}/page?bot=${chatbotId}`, problems);
    await visitor.getByRole('button', { name: 'Open chat' }).click({ timeout: UI_TIMEOUT_MS });
    const input = visitor.getByRole('textbox', { name: 'Your message' });
    await input.fill('Hi, I am Ana Lima, my email is ana@example.com. Can I talk to a person please?');
    await input.press('Enter');
    await visitor.locator('.note', { hasText: 'A member of the team has been notified' }).waitFor({ timeout: UI_TIMEOUT_MS });

    // The agent takes the chat, answers and resolves it, all in the inbox.
    const entry = inbox.locator('.inbox-item', { hasText: 'Ana Lima' });
    await entry.click({ timeout: UI_TIMEOUT_MS });
    await inbox.getByRole('button', { name: 'Claim', exact: true }).click();
    await inbox.getByLabel('Reply to Ana Lima').fill('Hi Ana, Marisol here. Your cake is ready on Saturday at 10.');
    await inbox.getByRole('button', { name: 'Send' }).click();
    await visitor.locator('.row.a', { hasText: 'Marisol here' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await visitor.locator('.csat').count()).toBe(0);
    await inbox.getByRole('button', { name: 'Resolve', exact: true }).click();

    // The widget asks, live, naming the person who helped.
    const card = visitor.locator('form.csat');
    await card.getByText('How would you rate the help you got from Marisol Reyes?').waitFor({ timeout: UI_TIMEOUT_MS });
    const send = card.getByRole('button', { name: 'Send rating' });
    expect(await send.isDisabled()).toBe(true);
    await card.getByRole('button', { name: '4 of 5: Good' }).click();
    expect(await card.getByRole('button', { name: '4 of 5: Good' }).getAttribute('aria-pressed')).toBe('true');
    expect(await card.locator('.stars button.on').count()).toBe(4);
    await card.getByLabel('Anything to add? (optional)').fill('Quick and kind, thank you!');
    await shot(visitor, 'widget-rating-question-desktop');
    await send.click();
    await visitor.locator('.note', { hasText: 'Thank you! You rated this conversation 4 of 5.' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await visitor.locator('form.csat').count()).toBe(0);
    await shot(visitor, 'widget-rated-desktop');

    // The receiver on 127.0.0.1 gets it, signed (Standard Webhooks), with the default keys.
    const [delivered] = await receiver.waitFor(1, UI_TIMEOUT_MS);
    expect(delivered?.headers['x-fc-event']).toBe('conversation.rated');
    new Webhook(secret).verify(delivered!.body, delivered!.headers as Record<string, string>);
    expect(JSON.parse(delivered!.body)).toMatchObject({
      name: 'Ana Lima', email: 'ana@example.com', chatbot_name: 'Rosa Bakery', score: 4, comment: 'Quick and kind, thank you!', agent_name: 'Marisol Reyes',
      eventType: 'conversation.rated', chatbotId,
    });

    // The inbox shows the rating without a reload; the dashboard counts it.
    await inbox.locator('.inbox-item', { hasText: 'Ana Lima' }).getByText('Rated 4/5').waitFor({ timeout: UI_TIMEOUT_MS });
    const note = inbox.getByLabel("Visitor's rating");
    await note.getByText('4 / 5').waitFor({ timeout: UI_TIMEOUT_MS });
    await note.getByText('Quick and kind, thank you!').waitFor();
    await shot(inbox, 'inbox-rated');
    // On a phone the rating fits the one-column inbox, with no sideways scrolling.
    await inbox.setViewportSize({ width: 390, height: 844 });
    await note.scrollIntoViewIfNeeded();
    expect(await inbox.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(inbox, 'inbox-rated-phone');
    await inbox.setViewportSize({ width: 1280, height: 800 });
    await inbox.goto(`${base}/`);
    const satisfaction = inbox.locator('.stat-card', { hasText: 'Team satisfaction' });
    await satisfaction.getByText('4.0').waitFor({ timeout: UI_TIMEOUT_MS });
    await satisfaction.getByText('1 rating after a person helped').waitFor();
    await shot(inbox, 'dashboard-satisfaction');
    const [rated] = ((await (await portal('GET', `/api/portal/inbox?chatbotId=${chatbotId}`)).json()) as { items: { id: string }[] }).items;
    await inbox.goto(`${base}/conversations/${rated!.id}`);
    await inbox.getByRole('heading', { name: "Visitor's rating" }).waitFor({ timeout: UI_TIMEOUT_MS });
    await inbox.getByText('4 / 5 for Marisol Reyes').waitFor();

    // Reloading the visitor's page does not ask again.
    await visitor.reload();
    await visitor.getByRole('button', { name: /Close chat|Open chat/ }).first().waitFor({ timeout: UI_TIMEOUT_MS });
    if (await visitor.getByRole('textbox', { name: 'Your message' }).isHidden()) await visitor.getByRole('button', { name: 'Open chat' }).click();
    await visitor.locator('.row.a', { hasText: 'Marisol here' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await visitor.locator('form.csat').count()).toBe(0);
    expect(problems).toEqual([]);
  }, 120_000);

  it('speaks Spanish by the chatbot\'s locale on a phone, asks the rating in Spanish after a reload, and German by the browser', async () => {
    const problems: string[] = [];
    const chatbotId = await createBot('Panadería Rosa', { locale: 'es-ES', greeting: '¡Hola! Pregúntanos por tartas y encargos.' });
    const phone = await newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'en-US' });
    const visitor = await openPage(phone, `${hostOrigin}/page?bot=${chatbotId}`, problems);
    // The browser says English; the chatbot's locale says Spanish, and wins by default.
    await visitor.getByRole('button', { name: 'Abrir chat' }).click({ timeout: UI_TIMEOUT_MS });
    const input = visitor.getByRole('textbox', { name: 'Tu mensaje' });
    expect(await input.getAttribute('placeholder')).toBe('Escribe tu mensaje…');
    await visitor.getByText('Solemos responder en segundos').waitFor();
    await visitor.getByText('Con la tecnología de FusionChatalyst').waitFor();
    // The business's own greeting is shown as written.
    await visitor.getByText('¡Hola! Pregúntanos por tartas y encargos.').waitFor();
    expect(await visitor.locator('fusionchatalyst-widget').evaluate((host) => host.shadowRoot?.querySelector('.fc')?.getAttribute('lang'))).toBe('es');
    await shot(visitor, 'widget-spanish-phone');

    await input.fill('I am Ana Lima, ana@example.com. Can I talk to a person please?');
    await input.press('Enter');
    await visitor.locator('.note', { hasText: 'Hemos avisado al equipo' }).waitFor({ timeout: UI_TIMEOUT_MS });
    const conversation = await app.inject({ method: 'GET', url: `/api/portal/inbox?chatbotId=${chatbotId}`, headers: { cookie: agent.headers.cookie as string } });
    const [item] = conversation.json<{ items: { id: string }[] }>().items;
    expect((await portal('POST', `/api/portal/inbox/${item!.id}/claim`)).status).toBe(200);
    // A person's notices are worded by the widget in the visitor's language (the server stores its own text too).
    await visitor.locator('.note.sys', { hasText: 'Marisol Reyes se ha unido a la conversación.' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect((await portal('POST', `/api/portal/inbox/${item!.id}/reply`, { text: 'Hola Ana, tu tarta estará lista el sábado.' })).status).toBe(201);
    await visitor.getByText('Marisol Reyes del equipo está aquí').waitFor({ timeout: UI_TIMEOUT_MS });
    expect((await portal('POST', `/api/portal/inbox/${item!.id}/resolve`)).status).toBe(200);
    await visitor.locator('.note.sys', { hasText: 'Marisol Reyes ha marcado la conversación como resuelta.' }).waitFor({ timeout: UI_TIMEOUT_MS });
    await visitor.locator('form.csat').getByText('¿Cómo valorarías la ayuda que te dio Marisol Reyes?').waitFor({ timeout: UI_TIMEOUT_MS });

    // Closed before rating and opened again on the next page: still asked (the server says it may be rated).
    await visitor.reload();
    await visitor.getByRole('button', { name: 'Abrir chat' }).click({ timeout: UI_TIMEOUT_MS });
    const card = visitor.locator('form.csat');
    await card.getByText('¿Cómo valorarías la ayuda que te dio Marisol Reyes?').waitFor({ timeout: UI_TIMEOUT_MS });
    await card.getByRole('button', { name: '5 de 5: Excelente' }).click();
    await card.getByText('Excelente', { exact: true }).waitFor();
    await shot(visitor, 'widget-spanish-rating-phone');
    // The phone's text fields stay at 16 px, so iOS does not zoom in.
    expect(await visitor.evaluate(`(() => getComputedStyle(document.querySelector('fusionchatalyst-widget').shadowRoot.querySelector('form.csat textarea')).fontSize)()`)).toBe('16px');
    await card.getByRole('button', { name: 'Enviar valoración' }).click();
    await visitor.locator('.note', { hasText: '¡Gracias! Has valorado esta conversación con 5 de 5.' }).waitFor({ timeout: UI_TIMEOUT_MS });
    await shot(visitor, 'widget-spanish-rated-phone');

    // Another chatbot follows each visitor's browser: a German browser gets German words.
    const germanBot = await createBot('Rosa Bakery', { locale: 'en-US', widgetLanguage: 'browser' });
    const german = await newContext({ viewport: { width: 1280, height: 800 }, locale: 'de-DE' });
    const germanPage = await openPage(german, `${hostOrigin}/page?bot=${germanBot}`, problems);
    await germanPage.getByRole('button', { name: 'Chat öffnen' }).click({ timeout: UI_TIMEOUT_MS });
    expect(await germanPage.getByRole('textbox', { name: 'Ihre Nachricht' }).getAttribute('placeholder')).toBe('Nachricht eingeben…');
    await shot(germanPage, 'widget-german-desktop');
    // And an English locale with the default setting stays English for that German browser.
    const englishBot = await createBot('Rosa Bakery', { locale: 'en-US' });
    const english = await openPage(german, `${hostOrigin}/page?bot=${englishBot}`, problems);
    await english.getByRole('button', { name: 'Open chat' }).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(problems).toEqual([]);
  }, 120_000);
});
