import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { createSiteChecker, type SiteCheckReport } from './site-check.js';

/**
 * "Check my site" (issue 15, item 11): the server fetches the customer's page through the URL guard and says
 * whether this chatbot's snippet is on it. The customer's site here is a local HTTP server on 127.0.0.1, which
 * only a server started with FC_ALLOW_PRIVATE_WEBHOOK_TARGETS=true may reach.
 */
const snippet = (id: string, origin = 'https://chat.fusionchatalyst.example') => `<script src="${origin}/widget.js" data-chatbot-id="${id}" async></script>`;
const page = (body: string) => `<!doctype html><html><head><title>Crumb &amp; Co</title></head><body><h1>Fresh bread daily</h1>${body}</body></html>`;
const BIG_PAGE_BYTES = 3 * 1024 * 1024;

interface Site {
  origin: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

async function startSite(routes: Record<string, (response: ServerResponse) => void>): Promise<Site> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request);
    const route = routes[request.url ?? ''];
    if (route) route(response);
    else response.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const html = (body: string) => (response: ServerResponse) => response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
const redirect = (location: string, status = 302) => (response: ServerResponse) => response.writeHead(status, { location }).end();

describe('POST /api/portal/chatbots/:id/site-check', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let chatbotId: string;
  let otherBotId: string;
  let site: Site;

  beforeAll(async () => {
    ctx = await createTestApp({ FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' });
    // The pages are built per request: each test has its own account (checks are rate-limited per account).
    const filler = `<p>${'Sourdough, rye and spelt. '.repeat(40)}</p>\n`;
    site = await startSite({
      '/': (response) => html(page(`<p>Welcome!</p>${snippet(chatbotId)}`))(response),
      '/single-quotes': (response) => html(`<HTML><BODY><SCRIPT async SRC='https://chat.example.org/widget.3fa2b9c1.js' DATA-CHATBOT-ID='${chatbotId}'></SCRIPT></BODY></HTML>`)(response),
      '/other-bot': (response) => html(page(snippet(otherBotId)))(response),
      '/commented-out': (response) => html(page(`<!-- ${snippet(chatbotId)} -->`))(response),
      '/gtm': html(page(`<script>(function(w,d,s,l,i){w[l]=w[l]||[];var f=d.getElementsByTagName(s)[0],j=d.createElement(s);j.async=true;j.src='https://www.googletagmanager.com/gtm.js?id='+i;f.parentNode.insertBefore(j,f);})(window,document,'script','dataLayer','GTM-K7QX2P');</script>`)),
      '/moved': redirect('/'),
      '/moved-twice': redirect('/moved', 301),
      '/loop': redirect('/loop'),
      '/to-credentials': (response) => response.writeHead(302, { location: `http://user:secret@127.0.0.1:${(response.socket?.localPort ?? 0)}/` }).end(),
      '/to-ftp': redirect('ftp://127.0.0.1/site.html'),
      '/huge-snippet-last': (response) => {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.write('<html><body>');
        for (let written = 0; written < BIG_PAGE_BYTES; written += filler.length) response.write(filler);
        response.end(`${snippet(chatbotId)}</body></html>`);
      },
      '/huge-snippet-first': (response) => {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.write(`<html><head>${snippet(chatbotId)}</head><body>`);
        for (let written = 0; written < BIG_PAGE_BYTES; written += filler.length) response.write(filler);
        response.end('</body></html>');
      },
      '/error': (response) => response.writeHead(500).end('oops'),
    });
  });
  beforeEach(async () => {
    account = await signUpAccount(ctx.app, { company: 'Crumb & Co Bakery' });
    chatbotId = (await createChatbotFor(ctx.app, account, { name: 'Crumb Bot' })).id;
    otherBotId = (await createChatbotFor(ctx.app, account, { name: 'Old bot' })).id;
  });
  afterAll(async () => {
    await site?.close();
    await ctx?.close();
  });

  async function check(url: string, id = chatbotId, who: TestAccount = account) {
    return ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${id}/site-check`, headers: who.headers, payload: { url } });
  }
  async function report(url: string): Promise<SiteCheckReport> {
    const response = await check(url);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<SiteCheckReport>();
  }

  it('finds this chatbot’s snippet on the page', async () => {
    const result = await report(`${site.origin}/`);
    expect(result).toMatchObject({ result: 'found', url: `${site.origin}/`, finalUrl: `${site.origin}/`, statusCode: 200, chatbotIds: [chatbotId], tagManager: false, reason: null, truncated: false });
    expect(result.detail).toContain('The snippet for this chatbot is on');
    // It identifies itself, and asks for the page as it is (no compression to undo).
    const request = site.requests.at(-1);
    expect(request?.headers['user-agent']).toMatch(/^FusionChatalyst-SiteCheck\//);
    expect(request?.headers['accept-encoding']).toBe('identity');
  });

  it('reads snippets however the HTML spells them (case, quotes, a pinned widget.<hash>.js)', async () => {
    await expect(report(`${site.origin}/single-quotes`)).resolves.toMatchObject({ result: 'found', chatbotIds: [chatbotId] });
  });

  it('says when the page has a snippet for another chatbot', async () => {
    const result = await report(`${site.origin}/other-bot`);
    expect(result).toMatchObject({ result: 'found_other', chatbotIds: [otherBotId] });
    expect(result.detail).toContain(otherBotId);
    expect(result.detail).toContain(chatbotId);
  });

  it('does not count a commented-out snippet', async () => {
    await expect(report(`${site.origin}/commented-out`)).resolves.toMatchObject({ result: 'not_found', chatbotIds: [] });
  });

  it('says that Google Tag Manager tags cannot be seen by a plain fetch', async () => {
    const result = await report(`${site.origin}/gtm`);
    expect(result).toMatchObject({ result: 'not_found', tagManager: true });
    expect(result.detail).toContain('Google Tag Manager');
  });

  it('follows redirects and reports where it read the page', async () => {
    await expect(report(`${site.origin}/moved-twice`)).resolves.toMatchObject({ result: 'found', url: `${site.origin}/moved-twice`, finalUrl: `${site.origin}/` });
  });

  it('checks every redirect again and stops at redirect loops', async () => {
    await expect(report(`${site.origin}/to-credentials`)).resolves.toMatchObject({ result: 'fetch_failed', reason: 'invalid_url' });
    await expect(report(`${site.origin}/to-ftp`)).resolves.toMatchObject({ result: 'fetch_failed', reason: 'invalid_url' });
    const before = site.requests.length;
    const loop = await report(`${site.origin}/loop`);
    expect(loop).toMatchObject({ result: 'fetch_failed', reason: 'too_many_redirects' });
    expect(site.requests.length - before).toBe(6);
  });

  it('reads at most 2 MB of a page, and says so', async () => {
    await expect(report(`${site.origin}/huge-snippet-first`)).resolves.toMatchObject({ result: 'found', truncated: true });
    const last = await report(`${site.origin}/huge-snippet-last`);
    expect(last).toMatchObject({ result: 'not_found', truncated: true });
    expect(last.detail).toContain('first 2 MB');
  });

  it('reports pages that cannot be read, with the reason', async () => {
    await expect(report(`${site.origin}/nowhere`)).resolves.toMatchObject({ result: 'fetch_failed', reason: 'http_status', statusCode: 404 });
    await expect(report(`${site.origin}/error`)).resolves.toMatchObject({ result: 'fetch_failed', reason: 'http_status', statusCode: 500 });
    const closed = await startSite({});
    const origin = closed.origin;
    await closed.close();
    await expect(report(`${origin}/`)).resolves.toMatchObject({ result: 'fetch_failed', reason: 'connection', finalUrl: null });
  });

  it('answers 400 to addresses that are not http(s) URLs, and to bodies that are not { url }', async () => {
    for (const url of ['ftp://example.com/', 'https://user:pw@example.com/', 'http://', ' ']) {
      const response = await check(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'url' }] });
    }
    for (const payload of [{}, { url: 42 }, { url: 'https://example.com', extra: true }, { url: `https://example.com/${'a'.repeat(3000)}` }]) {
      const response = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/site-check`, headers: account.headers, payload });
      expect(response.statusCode, JSON.stringify(payload).slice(0, 60)).toBe(400);
    }
  });

  it('limits checks per account: it is an outbound fetch, not a scanner', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i += 1) statuses.push((await check(`${site.origin}/`)).statusCode);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
    expect(statuses[20]).toBe(429);
  });

  it('answers 404 for another customer’s chatbot and fetches nothing', async () => {
    const intruder = await signUpAccount(ctx.app);
    const before = site.requests.length;
    const response = await check(`${site.origin}/`, chatbotId, intruder);
    expect(response.statusCode).toBe(404);
    expect(site.requests.length).toBe(before);
  });
});

describe('site check without FC_ALLOW_PRIVATE_WEBHOOK_TARGETS', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let chatbotId: string;
  let site: Site;

  beforeAll(async () => {
    ctx = await createTestApp({ FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'false' });
    account = await signUpAccount(ctx.app);
    chatbotId = (await createChatbotFor(ctx.app, account, { name: 'Bot' })).id;
    site = await startSite({ '/': html(page(snippet('bot_x'))) });
  });
  afterAll(async () => {
    await site?.close();
    await ctx?.close();
  });

  it('refuses private, loopback and internal addresses and never connects to them', async () => {
    for (const url of [`${site.origin}/`, 'http://10.0.0.5/', 'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:127.0.0.1]/', 'http://localhost/', 'intranet/']) {
      const response = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/site-check`, headers: account.headers, payload: { url } });
      expect(response.statusCode, url).toBe(400);
      expect(response.json<{ detail: string }>().detail, url).toContain('only public websites can be checked');
    }
    expect(site.requests).toEqual([]);
  });

  it('refuses a public-looking name that resolves to a private address, at connect time', async () => {
    const checker = createSiteChecker({
      allowPrivate: false, userAgent: 'test', resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    try {
      const result = await checker.check(`http://shop.crumbandco.example.org:${new URL(site.origin).port}/`, chatbotId);
      expect(result).toMatchObject({ result: 'fetch_failed', reason: 'blocked_address', finalUrl: null });
      expect(result.detail).toContain('127.0.0.1');
    } finally {
      await checker.close();
    }
    expect(site.requests).toEqual([]);
  });

  it('gives up on a page that does not answer within the time limit', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const checker = createSiteChecker({ allowPrivate: true, userAgent: 'test', timeoutMs: 300 });
    try {
      const result = await checker.check(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, chatbotId);
      expect(result).toMatchObject({ result: 'fetch_failed', reason: 'timeout' });
    } finally {
      await checker.close();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
